// Sign-in form. The password is read into the request and the field cleared once the request is sent.

import { login } from '../api.js';
import { h } from '../dom.js';

/**
 * @param {HTMLElement} root
 * @param {{notice?: string, onSignedIn: (user: object) => void}} context
 * @returns {() => void} dispose
 */
export function renderLogin(root, { notice, onSignedIn }) {
  let disposed = false;

  const username = h('input', {
    id: 'login-username', name: 'username', type: 'text', autocomplete: 'username', autocapitalize: 'off',
    spellcheck: 'false', required: true, testid: 'login-username',
  });
  const password = h('input', {
    id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true,
    testid: 'login-password',
  });
  const error = h('p', { class: 'form-error', role: 'alert', testid: 'login-error', hidden: true });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block', testid: 'login-submit' }, 'Sign in');
  const fields = h('fieldset', { class: 'form-fields' },
    h('legend', { class: 'visually-hidden' }, 'Your EdgeGateway account'),
    h('div', { class: 'field' }, h('label', { for: username.id }, 'User name'), username),
    h('div', { class: 'field' }, h('label', { for: password.id }, 'Password'), password));

  root.replaceChildren(h('section', { class: 'login', 'aria-labelledby': 'login-heading' },
    h('form', { class: 'login-card', novalidate: true, testid: 'login-form', onsubmit: onSubmit },
      h('h1', { id: 'login-heading' }, 'Sign in'),
      h('p', { class: 'muted' }, 'Remote access to plant devices through EdgeGateway.'),
      notice ? h('p', { class: 'notice', role: 'status' }, notice) : null,
      fields,
      error,
      submit)));
  document.title = 'Sign in — EdgeGateway';
  username.focus();

  async function onSubmit(event) {
    event.preventDefault();
    if (!username.value.trim() || !password.value) {
      showError('Enter your user name and password.');
      (username.value.trim() ? password : username).focus();
      return;
    }

    setBusy(true);
    const signingIn = login({ username: username.value.trim(), password: password.value });
    password.value = '';
    try {
      const user = await signingIn;
      if (!disposed) {
        onSignedIn(user);
      }
    } catch (failure) {
      if (disposed) {
        return;
      }

      setBusy(false);
      showError(failure.message);
      password.focus();
    }
  }

  function setBusy(value) {
    fields.disabled = value;
    submit.disabled = value;
    submit.textContent = value ? 'Signing in…' : 'Sign in';
    if (value) {
      error.hidden = true;
    }
  }

  function showError(message) {
    error.textContent = message;
    error.hidden = false;
  }

  return function dispose() {
    disposed = true;
  };
}
