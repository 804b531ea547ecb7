// An invite link (#/invite/{key}). Signed in, the link is redeemed at once and the session opens; not signed in,
// the visitor gives a name (the cloud signs them in as a guest who may watch that one session) or signs in.
// The key leaves the address bar as soon as it is redeemed: the session page replaces it in the history.

import { ApiError, getMe, listSessions, redeemInvite } from '../api.js';
import { h } from '../dom.js';

/**
 * @param {HTMLElement} root
 * @param {{key: string, user: object|null, onSignedIn: (user: object) => void, onSignIn: () => void}} context
 *   onSignedIn: the guest is signed in now; onSignIn: show the sign-in form (this address stays, and is shown again after)
 */
export function renderInvite(root, { key, user, onSignedIn, onSignIn }) {
  let disposed = false;
  let submit = null; // the guest form's button, when there is a form
  const error = h('p', { class: 'form-error', role: 'alert', testid: 'invite-error', hidden: true });
  const status = h('p', { class: 'form-status', role: 'status', testid: 'invite-status' });
  const heading = h('h1', { tabindex: '-1', class: 'dialog-title' }, 'You are invited to watch a remote session');
  document.title = 'Invitation — EdgeGateway';

  if (user && user.role !== 'guest') {
    status.textContent = 'Opening the session…';
    root.replaceChildren(card(heading, status, error, backLink()));
    redeem();
    return () => {
      disposed = true;
    };
  }

  const name = h('input', {
    id: 'invite-name', name: 'name', type: 'text', autocomplete: 'name', maxlength: '64', required: true, testid: 'invite-name',
  });
  submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block', testid: 'invite-submit' }, 'Watch the session');
  const form = h('form', { class: 'form-fields', novalidate: true, onsubmit: (event) => {
    event.preventDefault();
    if (!name.value.trim()) {
      showError('Enter your name, so that the others see who is watching.');
      name.focus();
      return;
    }

    redeem(name.value.trim());
  } },
  h('div', { class: 'field' }, h('label', { for: 'invite-name' }, 'Your name'), name),
  submit);
  root.replaceChildren(card(
    heading,
    h('p', {}, 'You will see the device\'s screen live; you cannot type into it.'),
    form,
    error,
    status,
    h('p', { class: 'muted small' }, 'Have an account? ',
      h('button', { type: 'button', class: 'link-button', testid: 'invite-sign-in', onclick: onSignIn }, 'Sign in instead'),
      '.')));
  name.focus();

  async function redeem(guestName) {
    error.hidden = true;
    if (submit) {
      submit.disabled = true;
    }

    try {
      const session = await redeemInvite(key, guestName);
      if (disposed) {
        return;
      }

      if (guestName) {
        onSignedIn(await getMe() ?? { id: '', name: guestName, role: 'guest' });
      }

      location.replace(`#/sessions/${encodeURIComponent(session.id)}`);
    } catch (failure) {
      if (!disposed) {
        showError(failure instanceof ApiError ? failure.message : 'The invitation could not be redeemed.');
        status.textContent = '';
      }
    } finally {
      if (submit) {
        submit.disabled = false;
      }
    }
  }

  function showError(message) {
    error.textContent = message;
    error.hidden = false;
  }

  return () => {
    disposed = true;
  };
}

/**
 * What a guest sees outside their session page: the session they were invited to (a guest may watch that one
 * session and nothing else).
 * @param {HTMLElement} root
 */
export function renderGuestHome(root) {
  const list = h('div', { testid: 'guest-sessions' }, h('p', { class: 'muted' }, 'Loading…'));
  root.replaceChildren(card(
    h('h1', { tabindex: '-1', class: 'dialog-title' }, 'Your invitation'),
    h('p', {}, 'As a guest you can watch the session you were invited to.'),
    list));
  document.title = 'Invitation — EdgeGateway';
  listSessions().then((sessions) => {
    const mine = Array.isArray(sessions) ? sessions : [];
    list.replaceChildren(...(mine.length === 0
      ? [h('p', { class: 'empty' }, 'That session has ended.')]
      : mine.map((s) => h('p', {}, h('a', { class: 'btn btn-primary', href: `#/sessions/${encodeURIComponent(s.id)}` }, `Watch ${s.endpointName}`)))));
  }, (failure) => {
    list.replaceChildren(h('p', { class: 'form-error', role: 'alert' }, failure.message));
  });
}

function card(...children) {
  return h('div', { class: 'login' }, h('div', { class: 'login-card', testid: 'invite' }, ...children));
}

function backLink() {
  return h('p', {}, h('a', { href: '#/' }, 'Back to the dashboard'));
}
