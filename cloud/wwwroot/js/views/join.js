// Join a session by its code (#/join, and the dashboard's "Join by code" form). The code is read out as
// NNN-NNN-NNNN; the cloud takes it with or without dashes and spaces, so the field does too.

import { joinByCode } from '../api.js';
import { h } from '../dom.js';

let nextId = 0;

/**
 * A "Join by code" form: on success it opens the session page.
 * @param {{compact?: boolean}} options compact: one line, for the dashboard
 * @returns {HTMLFormElement}
 */
export function joinByCodeForm({ compact = false } = {}) {
  const id = `join-code-${++nextId}`;
  let busy = false;
  const input = h('input', {
    id, name: 'code', type: 'text', inputmode: 'numeric', autocomplete: 'off', spellcheck: 'false',
    placeholder: '123-456-7890', maxlength: '20', required: true, testid: 'join-code',
    'aria-describedby': `${id}-hint`,
  });
  const submit = h('button', { type: 'submit', class: compact ? 'btn btn-secondary btn-small' : 'btn btn-primary', testid: 'join-submit' }, 'Join');
  const error = h('p', { class: 'form-error', role: 'alert', testid: 'join-error', hidden: true });
  const form = h('form', { class: compact ? 'join-form join-form-compact' : 'join-form', novalidate: true, onsubmit },
    h('div', { class: 'field' },
      h('label', { for: id }, 'Session code'),
      h('div', { class: 'join-row' }, input, submit),
      h('p', { id: `${id}-hint`, class: 'muted small join-hint' }, 'Ask the Controller for the code (ten digits).')),
    error);

  async function onsubmit(event) {
    event.preventDefault();
    if (busy) {
      return;
    }

    const digits = input.value.replace(/\D/g, '');
    if (digits.length !== 10 || /[^\d\s-]/.test(input.value)) {
      showError('A session code has ten digits, like 123-456-7890.');
      return;
    }

    busy = true;
    submit.disabled = true;
    submit.textContent = 'Joining…';
    error.hidden = true;
    try {
      const session = await joinByCode(input.value.trim());
      location.hash = `#/sessions/${encodeURIComponent(session.id)}`;
    } catch (failure) {
      showError(failure.message);
    } finally {
      busy = false;
      submit.disabled = false;
      submit.textContent = 'Join';
    }
  }

  function showError(message) {
    error.textContent = message;
    error.hidden = false;
    input.focus();
  }

  return form;
}

/**
 * The #/join page.
 * @param {HTMLElement} root
 */
export function renderJoin(root) {
  const form = joinByCodeForm();
  root.replaceChildren(h('div', { class: 'dashboard' },
    h('div', { class: 'page-heading' },
      h('h1', { tabindex: '-1' }, 'Join a session'),
      h('p', { class: 'muted' }, 'Enter the code of a running session to watch it. You need access to its endpoint, or an invite link.')),
    h('section', { class: 'panel panel-padded' }, form)));
  document.title = 'Join a session — EdgeGateway';
  form.querySelector('input')?.focus();
}
