// "New support session": the technician picks an endpoint (favourites first) and names the session; the cloud creates
// it before any device connection, with its code and a first join link, and the session page opens at once showing
// both. No credentials here: the owner connects the device later, from the session page.
//
// The link holds the invite's key and is shown once, so it is handed to the session page in memory (takeCreatedSession),
// never through the address or storage.

import { createSupportSession } from '../api.js';
import { h } from '../dom.js';
import { MAX_NAME, endpointChoices, sessionNameError } from '../support.js';

let nextId = 0;

/** What the last creation answered, for the session page that opens next: sessionId → {code, invite}. */
const handoff = new Map();

/** The code and first link of a session this page just created (once), or null. */
export function takeCreatedSession(sessionId) {
  const created = handoff.get(String(sessionId)) ?? null;
  handoff.delete(String(sessionId));
  return created;
}

/**
 * Opens the dialog.
 * @param {{appliances: object[], favourites: Array<{applianceId: string, endpointId: string}>,
 *   usable: (appliance: object, endpoint: object) => boolean, preselect?: {applianceId: string, endpointId: string}}} options
 *   usable: the endpoints this user may start a session on and this page can show
 * @returns {{close: () => void}}
 */
export function openSupportDialog({ appliances, favourites, usable, preselect = null }) {
  const id = `support-${++nextId}`;
  let busy = false;
  const choices = endpointChoices(appliances, favourites, () => true)
    .filter((c) => usable(c.appliance, c.endpoint));

  const endpoint = h('select', { id: `${id}-endpoint`, name: 'endpoint', required: true, testid: 'support-endpoint' },
    groups(choices));
  const name = h('input', {
    id: `${id}-name`, name: 'name', type: 'text', maxlength: String(MAX_NAME), autocomplete: 'off', required: true,
    placeholder: 'Line 3 HMI frozen after update', testid: 'support-name', 'aria-describedby': `${id}-name-hint`,
  });
  const error = h('p', { class: 'form-error', role: 'alert', testid: 'support-error', hidden: true });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'support-create', disabled: choices.length === 0 }, 'Create session');
  const cancel = h('button', { type: 'button', class: 'btn btn-secondary', testid: 'support-cancel', onclick: () => close() }, 'Cancel');

  if (preselect) {
    endpoint.value = `${preselect.applianceId}|${preselect.endpointId}`;
  }

  const form = h('form', { class: 'dialog-form', novalidate: true, onsubmit },
    h('h2', { id: `${id}-title`, class: 'dialog-title' }, 'New support session'),
    h('p', { class: 'dialog-subtitle', id: `${id}-note` },
      'You get the session\'s code and join link at once, so the people you need can join while you prepare. Connect the device from the session page when you are ready.'),
    choices.length === 0
      ? h('p', { class: 'notice notice-warning', testid: 'support-no-endpoints' }, 'No endpoint is open to you for a session. A domain administrator can grant access.')
      : null,
    h('fieldset', { class: 'form-fields' },
      h('legend', { class: 'visually-hidden' }, 'Session'),
      h('div', { class: 'field' }, h('label', { for: endpoint.id }, 'Endpoint'), endpoint),
      h('div', { class: 'field' }, h('label', { for: name.id }, 'Name'), name,
        h('p', { class: 'field-hint', id: `${id}-name-hint` }, 'What it is about, as the others will see it (up to 120 characters).'))),
    error,
    h('div', { class: 'dialog-actions' }, cancel, submit));

  const dialog = h('dialog', { class: 'dialog', testid: 'support-dialog', 'aria-labelledby': `${id}-title`, 'aria-describedby': `${id}-note` }, form);
  dialog.addEventListener('cancel', (event) => {
    if (busy) {
      event.preventDefault();
    }
  });
  dialog.addEventListener('close', () => dialog.remove());
  document.body.appendChild(dialog);
  dialog.showModal();
  (choices.length > 0 ? name : cancel).focus();

  async function onsubmit(event) {
    event.preventDefault();
    if (busy) {
      return;
    }

    const problem = sessionNameError(name.value);
    if (problem) {
      showError(problem);
      name.focus();
      return;
    }

    const [applianceId, endpointId] = endpoint.value.split('|');
    setBusy(true);
    try {
      const result = await createSupportSession({ applianceId, endpointId, name: name.value.trim() });
      const sessionId = result?.session?.id;
      handoff.set(String(sessionId), { code: result.code ?? result.session?.code ?? null, invite: result.invite ?? null });
      setBusy(false);
      close();
      location.hash = `#/sessions/${encodeURIComponent(sessionId)}`;
    } catch (failure) {
      setBusy(false);
      showError(failure.message);
    }
  }

  function setBusy(value) {
    busy = value;
    submit.disabled = value;
    cancel.disabled = value;
    submit.textContent = value ? 'Creating…' : 'Create session';
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

/** Options grouped: the favourites, then each appliance's endpoints. */
function groups(choices) {
  const favourites = choices.filter((c) => c.favourite);
  const rest = new Map();
  for (const choice of choices.filter((c) => !c.favourite)) {
    const list = rest.get(choice.appliance.id) ?? [];
    list.push(choice);
    rest.set(choice.appliance.id, list);
  }

  const option = (c, withAppliance) => h('option', { value: `${c.appliance.id}|${c.endpoint.id}` },
    withAppliance ? `★ ${c.endpoint.name} — ${c.appliance.name}` : c.endpoint.name,
    c.appliance.online === false ? ' (appliance offline)' : '');
  return [
    favourites.length > 0 ? h('optgroup', { label: 'Favourites' }, favourites.map((c) => option(c, true))) : null,
    [...rest.values()].map((list) => h('optgroup', { label: list[0].appliance.name }, list.map((c) => option(c, false)))),
  ];
}
