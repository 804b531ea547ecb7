// Sign-in form. The password is read into the request and the field cleared once the request is sent.
// Where the account has an authenticator (RFC 6238), a code field appears and the password is asked again
// with it; where the domain requires one and none is set up, the QR code to scan and the first code.

import { login } from '../api.js';
import { h } from '../dom.js';
import { confirmTotpEnrolment } from './admin-api.js';

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
  const code = h('input', {
    id: 'login-totp', name: 'totp', type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: '7',
    pattern: '[0-9 ]*', testid: 'login-totp',
  });
  const codeField = h('div', { class: 'field', hidden: true, testid: 'login-totp-field' },
    h('label', { for: code.id }, 'Code from your authenticator app'), code);
  const enrolment = h('div', { class: 'totp-enrolment', hidden: true, testid: 'totp-enrolment' });
  let enrolmentToken = null;
  const error = h('p', { class: 'form-error', role: 'alert', testid: 'login-error', hidden: true });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block', testid: 'login-submit' }, 'Sign in');
  const fields = h('fieldset', { class: 'form-fields' },
    h('legend', { class: 'visually-hidden' }, 'Your EdgeGateway account'),
    h('div', { class: 'field' }, h('label', { for: username.id }, 'User name'), username),
    h('div', { class: 'field' }, h('label', { for: password.id }, 'Password'), password),
    enrolment,
    codeField);

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
    if (enrolmentToken) {
      await confirmEnrolment();
      return;
    }

    if (!username.value.trim() || !password.value) {
      showError('Enter your user name and password.');
      (username.value.trim() ? password : username).focus();
      return;
    }

    setBusy(true);
    const signingIn = login({ username: username.value.trim(), password: password.value, totp: codeField.hidden ? undefined : code.value });
    password.value = '';
    code.value = '';
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
      if (failure.data?.totpEnrolmentRequired && failure.data.enrolment) {
        showEnrolment(failure.data.enrolment);
        code.focus();
      } else if (failure.data?.totpRequired) {
        codeField.hidden = false;
        password.focus();
      } else {
        password.focus();
      }
    }
  }

  function showEnrolment(e) {
    enrolmentToken = e.token;
    enrolment.replaceChildren(
      h('p', {}, 'Scan this code with an authenticator app (or type the key), then enter the 6-digit code it shows.'),
      h('img', { src: e.qrCode, alt: 'QR code for your authenticator app', width: '180', height: '180', testid: 'totp-qr' }),
      h('p', { class: 'mono small' }, 'Key: ', h('span', { testid: 'totp-secret' }, e.secret)));
    enrolment.hidden = false;
    codeField.hidden = false;
    username.disabled = true;
    password.disabled = true;
    submit.textContent = 'Confirm code';
  }

  async function confirmEnrolment() {
    setBusy(true);
    try {
      const user = await confirmTotpEnrolment(enrolmentToken, code.value);
      if (!disposed) {
        onSignedIn(user);
      }
    } catch (failure) {
      if (disposed) {
        return;
      }

      setBusy(false);
      submit.textContent = 'Confirm code';
      showError(failure.status === 410 ? `${failure.message}` : failure.message);
      if (failure.status === 410) {
        enrolmentToken = null;
        enrolment.hidden = true;
        username.disabled = false;
        password.disabled = false;
        submit.textContent = 'Sign in';
      }

      code.value = '';
      code.focus();
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
