// The dialog that asks for the device's credentials and starts a session. A VNC endpoint asks for a password only
// (which may be empty: a device without one); an SSH endpoint for a user name and a password; an RDP endpoint for a
// user name, a password and an optional Windows domain (sent as DOMAIN\user), and the start asks the server for a
// desktop the size of the browser's window.
//
// The password goes from the field straight into the request body and the field is cleared as soon as
// the request is on its way: no variable of ours holds it, and a failed attempt needs it typed again.
//
// A device may ask more while logging in (a one-time code, a second factor): the start then answers 202 with
// the device's question, which this dialog shows in place of the credentials (hidden input unless the device
// lets the answer echo). The answer goes the same way as the password: from the field into the request, then
// the field is cleared.
//
// A waiting support session is connected the same way: the session page passes `start`, which posts the same body to
// the session's connect address instead of starting a new session.

import { answerLoginPrompt, startSession } from '../api.js';
import { desktopSizeFor } from '../display.js';
import { h } from '../dom.js';
import { estimateTerminalSize } from '../terminal.js';

let nextId = 0;

/**
 * Opens the dialog for one endpoint. Resolves nothing; calls onStarted(session) after a 201 and closes.
 * @param {{appliance: object, endpoint: object, onStarted: (session: object) => void,
 *   start?: (body: {applianceId, endpointId, username, password, columns, rows}) => Promise<object>}} options
 *   start: what sends the credentials (default: start a new session)
 */
export function openConnectDialog({ appliance, endpoint, onStarted, start = startSession }) {
  const id = `connect-${++nextId}`;
  let busy = false;

  let pending = null; // { sessionId, inputs } while the device's question is shown
  const display = isDisplayProtocol(endpoint.protocol);
  const rdp = /^rdp$/i.test(endpoint.protocol ?? '');
  const needsUser = !display || rdp;

  const username = h('input', {
    id: `${id}-username`, name: 'username', type: 'text', autocomplete: 'off', autocapitalize: 'off',
    spellcheck: 'false', required: true, testid: 'connect-username',
  });
  const password = h('input', {
    id: `${id}-password`, name: 'password', type: 'password', autocomplete: 'off', required: needsUser,
    testid: 'connect-password',
  });
  const domain = h('input', {
    id: `${id}-domain`, name: 'domain', type: 'text', autocomplete: 'off', autocapitalize: 'off',
    spellcheck: 'false', testid: 'connect-domain',
  });
  const error = h('p', { class: 'form-error', role: 'alert', testid: 'connect-error', hidden: true });
  const status = h('p', { class: 'form-status', role: 'status', testid: 'connect-status' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'connect-submit' }, 'Connect');
  const cancel = h('button', { type: 'button', class: 'btn btn-secondary', testid: 'connect-cancel', onclick: () => close() }, 'Cancel');
  const promptFields = h('fieldset', { class: 'form-fields', testid: 'connect-prompt', hidden: true });
  const fields = h('fieldset', { class: 'form-fields' },
    h('legend', { class: 'visually-hidden' }, 'Device credentials'),
    needsUser ? h('div', { class: 'field' }, h('label', { for: username.id }, rdp ? 'Windows user name' : 'Device user name'), username) : null,
    h('div', { class: 'field' }, h('label', { for: password.id }, rdp ? 'Password' : display ? 'VNC password' : 'Device password'), password),
    rdp ? h('div', { class: 'field' }, h('label', { for: domain.id }, 'Domain (optional)'), domain) : null,
    display && !rdp ? h('p', { class: 'field-hint', testid: 'connect-password-hint' }, 'Leave it empty if the device has no password.') : null);

  const address = [endpoint.protocol?.toUpperCase(), endpoint.host && `${endpoint.host}:${endpoint.port}`].filter(Boolean).join(' · ');
  const form = h('form', { class: 'dialog-form', novalidate: true, onsubmit: onSubmit },
    h('h2', { id: `${id}-title`, class: 'dialog-title' }, `Connect to ${endpoint.name}`),
    h('p', { class: 'dialog-subtitle' }, `${appliance.name}${address ? ` · ${address}` : ''}`),
    appliance.online ? null : h('p', { class: 'notice notice-warning' }, 'This appliance is offline right now.'),
    h('p', { class: 'notice', id: `${id}-note` }, 'Credentials go to the device only; viewers never see them.'),
    fields,
    promptFields,
    error,
    status,
    h('div', { class: 'dialog-actions' }, cancel, submit));

  const dialog = h('dialog', {
    class: 'dialog', testid: 'connect-dialog', 'aria-labelledby': `${id}-title`, 'aria-describedby': `${id}-note`,
  }, form);

  // Escape closes the dialog, but not while a connection attempt is under way.
  dialog.addEventListener('cancel', (event) => {
    if (busy) {
      event.preventDefault();
    }
  });
  dialog.addEventListener('close', () => {
    // Closed (Cancel, Escape) while the device waits for an answer: the login is given up on the device too.
    if (pending) {
      answerLoginPrompt(pending.sessionId, { cancel: true }).catch(() => {});
      pending = null;
    }

    dialog.remove();
  });

  document.body.appendChild(dialog);
  dialog.showModal();
  (needsUser ? username : password).focus();

  async function onSubmit(event) {
    event.preventDefault();
    if (busy) {
      return;
    }

    if (pending) {
      await sendAnswers();
      return;
    }

    if (needsUser && (!username.value.trim() || !password.value)) {
      showError(rdp ? 'Enter the Windows user name and password.' : 'Enter the device user name and password.');
      (username.value.trim() ? password : username).focus();
      return;
    }

    const { cols, rows } = estimateTerminalSize();
    const user = username.value.trim();
    const windowsDomain = domain.value.trim();
    setBusy(true);
    const started = start({
      applianceId: appliance.id,
      endpointId: endpoint.id,
      username: !needsUser ? '' : rdp && windowsDomain && !user.includes('\\') && !user.includes('@') ? `${windowsDomain}\\${user}` : user,
      password: password.value,
      columns: cols,
      rows,
      ...(rdp ? desktopSize() : {}),
    });
    password.value = '';

    await settle(started);
  }

  // The start's or the answer's outcome: the session (done), the device's next question, or a failure (the
  // login is over: back to the credentials).
  async function settle(request) {
    try {
      const result = await request;
      setBusy(false);
      if (result?.prompt) {
        showPrompt(result.sessionId, result.prompt);
        return;
      }

      pending = null;
      close();
      onStarted(result);
    } catch (failure) {
      setBusy(false);
      showCredentials();
      showError(failure.message);
      password.focus();
    }
  }

  function showPrompt(sessionId, prompt) {
    const inputs = prompt.prompts.map((question, index) => h('input', {
      id: `${id}-answer-${index}`, name: `answer-${index}`, type: question.echo ? 'text' : 'password',
      autocomplete: 'one-time-code', autocapitalize: 'off', spellcheck: 'false', required: true,
      testid: 'connect-answer',
    }));
    const children = [
      h('legend', { class: 'visually-hidden' }, 'The device asks'),
      h('p', { class: 'notice', testid: 'connect-prompt-note' }, `${endpoint.name} asks for more to log you in. Your answer goes to the device only.`),
      prompt.instruction ? h('p', { class: 'prompt-instruction', testid: 'connect-prompt-instruction' }, prompt.instruction) : null,
      ...prompt.prompts.map((question, index) => h('div', { class: 'field' },
        h('label', { for: inputs[index].id, testid: 'connect-prompt-text' }, question.text.trim() || 'Answer'),
        inputs[index])),
    ];
    promptFields.replaceChildren(...children.filter(Boolean));
    pending = { sessionId, inputs };
    fields.hidden = true;
    promptFields.hidden = false;
    error.hidden = true;
    submit.textContent = 'Send';
    inputs[0].focus();
  }

  function showCredentials() {
    pending = null;
    promptFields.hidden = true;
    promptFields.replaceChildren();
    fields.hidden = false;
    submit.textContent = 'Connect';
  }

  async function sendAnswers() {
    const { sessionId, inputs } = pending;
    if (inputs.some((input) => !input.value)) {
      showError('Enter what the device asks for.');
      inputs.find((input) => !input.value).focus();
      return;
    }

    setBusy(true);
    const answered = answerLoginPrompt(sessionId, { answers: inputs.map((input) => input.value) });
    for (const input of inputs) {
      input.value = '';
    }

    await settle(answered);
  }


  function setBusy(value) {
    busy = value;
    fields.disabled = value;
    promptFields.disabled = value;
    submit.disabled = value;
    cancel.disabled = value;
    submit.textContent = value ? 'Connecting…' : pending ? 'Send' : 'Connect';
    status.textContent = value ? `Connecting to ${endpoint.name}…` : '';
    if (value) {
      error.hidden = true;
    }
  }

  function showError(message) {
    error.textContent = message;
    error.hidden = false;
  }

  function close() {
    if (!busy && dialog.open) {
      dialog.close();
    }
  }

  return { close };
}

/**
 * The desktop an RDP start asks for: about what the session page's display area will have room for (the window less
 * the toolbar); the page asks for the exact size once it is laid out.
 */
function desktopSize() {
  return desktopSizeFor(window.innerWidth - 16, window.innerHeight - 120);
}

/** Endpoints whose sessions show a remote display (VNC, RDP) rather than a terminal. */
export function isDisplayProtocol(protocol) {
  return /^(vnc|rdp)$/i.test(protocol ?? '');
}
