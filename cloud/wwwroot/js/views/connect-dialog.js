// The dialog that asks for the device's credentials and starts a session.
//
// The password goes from the field straight into the request body and the field is cleared as soon as
// the request is on its way: no variable of ours holds it, and a failed attempt needs it typed again.

import { startSession } from '../api.js';
import { h } from '../dom.js';
import { estimateTerminalSize } from '../terminal.js';

let nextId = 0;

/**
 * Opens the dialog for one endpoint. Resolves nothing; calls onStarted(session) after a 201 and closes.
 * @param {{appliance: object, endpoint: object, onStarted: (session: object) => void}} options
 */
export function openConnectDialog({ appliance, endpoint, onStarted }) {
  const id = `connect-${++nextId}`;
  let busy = false;

  const username = h('input', {
    id: `${id}-username`, name: 'username', type: 'text', autocomplete: 'off', autocapitalize: 'off',
    spellcheck: 'false', required: true, testid: 'connect-username',
  });
  const password = h('input', {
    id: `${id}-password`, name: 'password', type: 'password', autocomplete: 'off', required: true,
    testid: 'connect-password',
  });
  const error = h('p', { class: 'form-error', role: 'alert', testid: 'connect-error', hidden: true });
  const status = h('p', { class: 'form-status', role: 'status', testid: 'connect-status' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'connect-submit' }, 'Connect');
  const cancel = h('button', { type: 'button', class: 'btn btn-secondary', testid: 'connect-cancel', onclick: () => close() }, 'Cancel');
  const fields = h('fieldset', { class: 'form-fields' },
    h('legend', { class: 'visually-hidden' }, 'Device credentials'),
    h('div', { class: 'field' }, h('label', { for: username.id }, 'Device user name'), username),
    h('div', { class: 'field' }, h('label', { for: password.id }, 'Device password'), password));

  const address = [endpoint.protocol?.toUpperCase(), endpoint.host && `${endpoint.host}:${endpoint.port}`].filter(Boolean).join(' · ');
  const form = h('form', { class: 'dialog-form', novalidate: true, onsubmit: onSubmit },
    h('h2', { id: `${id}-title`, class: 'dialog-title' }, `Connect to ${endpoint.name}`),
    h('p', { class: 'dialog-subtitle' }, `${appliance.name}${address ? ` · ${address}` : ''}`),
    appliance.online ? null : h('p', { class: 'notice notice-warning' }, 'This appliance is offline right now.'),
    h('p', { class: 'notice', id: `${id}-note` }, 'Credentials go to the device only; viewers never see them.'),
    fields,
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
  dialog.addEventListener('close', () => dialog.remove());

  document.body.appendChild(dialog);
  dialog.showModal();
  username.focus();

  async function onSubmit(event) {
    event.preventDefault();
    if (busy) {
      return;
    }

    if (!username.value.trim() || !password.value) {
      showError('Enter the device user name and password.');
      (username.value.trim() ? password : username).focus();
      return;
    }

    const { cols, rows } = estimateTerminalSize();
    setBusy(true);
    const started = startSession({
      applianceId: appliance.id,
      endpointId: endpoint.id,
      username: username.value.trim(),
      password: password.value,
      columns: cols,
      rows,
    });
    password.value = '';

    try {
      const session = await started;
      setBusy(false);
      close();
      onStarted(session);
    } catch (failure) {
      setBusy(false);
      showError(failure.message);
      password.focus();
    }
  }

  function setBusy(value) {
    busy = value;
    fields.disabled = value;
    submit.disabled = value;
    cancel.disabled = value;
    submit.textContent = value ? 'Connecting…' : 'Connect';
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
