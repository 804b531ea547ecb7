// Appliances and pairing (#/appliances, #/appliances/add?code=…): the appliance list with each certificate's expiry,
// Revoke and Re-pair (domain admins); and Add appliance — type the code the appliance shows, see what it reported about
// itself (hardware, software version, key fingerprint), pick domain, site and name, approve (or deny).

import { request } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { formatAgo, formatTime } from '../format.js';
import { confirmDialog } from './confirm-dialog.js';

const enc = encodeURIComponent;
const listPaired = () => request('GET', 'api/pairing/appliances');
const lookUp = (code) => request('GET', `api/pairing/requests/${enc(code)}`, undefined, { messages: { 404: 'No appliance is waiting with this code.' } });
const approve = (code, body) => request('POST', `api/pairing/requests/${enc(code)}/approve`, body);
const deny = (code) => request('POST', `api/pairing/requests/${enc(code)}/deny`, {});
const revoke = (id) => request('POST', `api/pairing/appliances/${enc(id)}/revoke`, {});

/** The code as the appliance shows it: upper case, XXXX-XXXX once eight letters are typed. */
export function formatPairingCode(text) {
  const letters = String(text).toUpperCase().replace(/[^A-Z]/g, '');
  return letters.length === 8 ? `${letters.slice(0, 4)}-${letters.slice(4)}` : letters;
}

/** "valid until 12 Mar 2027, 14:30 (in 89 days)" / "expired". */
export function certificateState(appliance, now = Date.now()) {
  if (appliance.revokedAt) {
    return 'Revoked';
  }

  if (!appliance.certificateNotAfter) {
    return 'No certificate from pairing';
  }

  const until = Date.parse(appliance.certificateNotAfter);
  if (until <= now) {
    return 'Expired';
  }

  const days = Math.floor((until - now) / 86_400_000);
  return `Valid until ${formatTime(appliance.certificateNotAfter)} (${days >= 1 ? `${days} day${days === 1 ? '' : 's'}` : 'less than a day'} left)`;
}

/**
 * The appliance list.
 * @param {HTMLElement} root
 * @param {{user: {role: string}}} context
 */
export function renderAppliances(root, { user }) {
  let disposed = false;
  const admin = user.role === 'domain-admin';
  const body = h('div', { class: 'table-wrap', testid: 'appliances', 'aria-busy': 'true' }, h('p', { class: 'muted' }, 'Loading appliances…'));
  const error = h('p', { class: 'notice notice-error', role: 'alert', hidden: true, testid: 'appliances-error' });
  root.replaceChildren(h('div', { class: 'dashboard' },
    h('div', { class: 'page-heading' },
      h('div', { class: 'panel-title-row' },
        h('h1', { tabindex: '-1' }, 'Appliances'),
        h('a', { class: 'btn btn-primary', href: '#/appliances/add', testid: 'add-appliance' }, 'Add appliance')),
      h('p', { class: 'muted' }, 'Each appliance holds a certificate from this cloud; it renews it by itself well before it expires.')),
    error,
    h('section', { class: 'panel' }, body)));
  document.title = 'Appliances — EdgeGateway';
  load();

  async function load() {
    try {
      const appliances = await listPaired();
      if (!disposed) {
        show(appliances);
      }
    } catch (failure) {
      error.textContent = failure.message;
      error.hidden = false;
    }
  }

  function show(appliances) {
    body.removeAttribute('aria-busy');
    if (appliances.length === 0) {
      replaceChildren(body, h('p', { class: 'empty' }, 'No appliances yet. Power one on and choose Add appliance.'));
      return;
    }

    replaceChildren(body, h('table', { class: 'table table-stack' },
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, 'Appliance'),
        h('th', { scope: 'col' }, 'Site'),
        h('th', { scope: 'col' }, 'State'),
        h('th', { scope: 'col' }, 'Certificate'),
        admin ? h('th', { scope: 'col', class: 'col-action' }, h('span', { class: 'visually-hidden' }, 'Actions')) : null)),
      h('tbody', {}, appliances.map(row))));
  }

  function row(a) {
    const state = a.revokedAt ? h('span', { class: 'badge badge-alert' }, 'Revoked')
      : a.online ? h('span', { class: 'badge badge-online' }, 'Online') : h('span', { class: 'badge badge-offline' }, 'Offline');
    return h('tr', { testid: `appliance-${a.id}` },
      h('th', { scope: 'row' }, a.name, h('div', { class: 'muted small' }, a.id, a.hardware ? ` · ${a.hardware}` : '', a.softwareVersion ? ` · ${a.softwareVersion}` : '')),
      h('td', { 'data-label': 'Site' }, a.site || '—'),
      h('td', { 'data-label': 'State' }, state, a.pairedAt ? h('div', { class: 'muted small' }, `paired ${formatAgo(a.pairedAt)}`) : null),
      h('td', { 'data-label': 'Certificate', testid: `appliance-certificate-${a.id}` }, certificateState(a)),
      admin ? h('td', { class: 'col-action' }, h('div', { class: 'inline-form' },
        a.revokedAt ? null : h('button', { type: 'button', class: 'btn btn-danger-outline btn-small', testid: `revoke-${a.id}`, onclick: () => onRevoke(a) }, 'Revoke'),
        h('a', { class: 'btn btn-secondary btn-small', href: `#/appliances/add?replace=${enc(a.id)}`, testid: `repair-${a.id}` }, 'Re-pair'))) : null);
  }

  async function onRevoke(a) {
    const sure = await confirmDialog({
      title: `Revoke ${a.name}?`,
      message: 'Its certificate stops working at once: it is disconnected and refused from now on, and its open sessions end after the appliance-offline grace (30 s). It then shows a new pairing code: Re-pair brings it back under the same name and access.',
      confirm: 'Revoke',
      danger: true,
      testid: 'revoke-dialog',
    });
    if (!sure) {
      return;
    }

    try {
      await revoke(a.id);
      await load();
    } catch (failure) {
      error.textContent = failure.message;
      error.hidden = false;
    }
  }

  return () => { disposed = true; };
}

/**
 * Add appliance: the code, then the appliance's details and where it goes, then approve.
 * @param {HTMLElement} root
 * @param {{user: {role: string, domainId?: string}, params: URLSearchParams}} context
 */
export function renderAddAppliance(root, { params }) {
  const replace = params.get('replace');
  const codeInput = h('input', {
    id: 'pair-code', name: 'code', type: 'text', autocomplete: 'off', spellcheck: 'false', autocapitalize: 'characters',
    placeholder: 'BCDF-GHJK', maxlength: '12', required: true, testid: 'pair-code', 'aria-describedby': 'pair-code-hint',
    oninput: () => { codeInput.value = formatPairingCode(codeInput.value); },
  });
  const lookButton = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'pair-look-up' }, 'Continue');
  const codeError = h('p', { class: 'form-error', role: 'alert', testid: 'pair-error', hidden: true });
  const codeForm = h('form', { class: 'join-form', novalidate: true, onsubmit: onLookUp },
    h('div', { class: 'field' },
      h('label', { for: 'pair-code' }, 'Pairing code'),
      h('div', { class: 'join-row' }, codeInput, lookButton),
      h('p', { id: 'pair-code-hint', class: 'muted small join-hint' }, 'Eight letters the appliance shows in its log and on edgegateway-appliance pair --status.')),
    codeError);
  const details = h('section', { class: 'panel panel-padded', testid: 'pair-details', hidden: true });
  const done = h('section', { class: 'panel panel-padded', testid: 'pair-done', hidden: true, role: 'status' });
  root.replaceChildren(h('div', { class: 'dashboard' },
    h('div', { class: 'page-heading' },
      h('h1', { tabindex: '-1' }, replace ? `Re-pair ${replace}` : 'Add appliance'),
      h('p', { class: 'muted' }, replace
        ? 'The appliance that shows this code takes over this appliance\'s identity, access and policies; its earlier certificates stop working.'
        : 'Power on the appliance on the plant network. It shows a pairing code: type it here, check what it reports, and approve.')),
    h('section', { class: 'panel panel-padded' }, codeForm),
    details,
    done));
  document.title = `${replace ? 'Re-pair' : 'Add'} appliance — EdgeGateway`;
  if (params.get('code')) {
    codeInput.value = formatPairingCode(params.get('code'));
  }

  codeInput.focus();
  return undefined;

  async function onLookUp(event) {
    event.preventDefault();
    codeError.hidden = true;
    const code = codeInput.value.trim();
    if (!/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/.test(code)) {
      showCodeError('A pairing code has eight letters, like BCDF-GHJK (no vowels, no digits).');
      return;
    }

    lookButton.disabled = true;
    try {
      const found = await lookUp(code);
      showDetails(code, found);
    } catch (failure) {
      details.hidden = true;
      showCodeError(failure.message);
    } finally {
      lookButton.disabled = false;
    }
  }

  function showCodeError(message) {
    codeError.textContent = message;
    codeError.hidden = false;
    codeInput.focus();
  }

  function showDetails(code, { request: r, domains }) {
    const domain = h('select', { id: 'pair-domain', testid: 'pair-domain', disabled: Boolean(replace) },
      domains.map((d) => h('option', { value: d.id }, d.name)));
    const site = h('input', { id: 'pair-site', type: 'text', maxlength: '100', placeholder: 'Plant 1, hall B', testid: 'pair-site' });
    const name = h('input', { id: 'pair-name', type: 'text', maxlength: '100', required: true, placeholder: 'Line 3 gateway', testid: 'pair-name', value: replace ?? '' });
    const error = h('p', { class: 'form-error', role: 'alert', hidden: true, testid: 'pair-approve-error' });
    const approveButton = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'pair-approve' }, replace ? 'Re-pair' : 'Approve');
    const denyButton = h('button', { type: 'button', class: 'btn btn-danger-outline', testid: 'pair-deny', onclick: onDeny }, 'Deny');
    details.hidden = false;
    replaceChildren(details,
      h('h2', { class: 'panel-title' }, `Appliance waiting with ${r.userCode}`),
      h('dl', { class: 'details-list', testid: 'pair-reported' },
        h('dt', {}, 'Hardware'), h('dd', { testid: 'pair-hardware' }, r.hardware || '—'),
        h('dt', {}, 'Software'), h('dd', { testid: 'pair-software' }, r.softwareVersion || '—'),
        h('dt', {}, 'Key'), h('dd', {}, r.keyType, h('br'), h('code', { class: 'fingerprint', testid: 'pair-key', title: 'SHA-256 of the public key; pair --status on the appliance shows the same' }, groups(r.keySha256))),
        h('dt', {}, 'Asked'), h('dd', {}, `${formatTime(r.requestedAt)} from ${r.source}; the code works until ${formatTime(r.expiresAt)}`)),
      h('form', { class: 'stack-form', novalidate: true, onsubmit: onApprove },
        h('div', { class: 'field' }, h('label', { for: 'pair-domain' }, 'Domain'), domain),
        h('div', { class: 'field' }, h('label', { for: 'pair-site' }, 'Site'), site),
        h('div', { class: 'field' }, h('label', { for: 'pair-name' }, 'Name'), name),
        error,
        h('div', { class: 'dialog-actions' }, denyButton, approveButton)));
    (replace ? approveButton : name).focus();

    async function onApprove(event) {
      event.preventDefault();
      if (!name.value.trim()) {
        error.textContent = 'Give the appliance a name.';
        error.hidden = false;
        name.focus();
        return;
      }

      approveButton.disabled = true;
      try {
        const result = await approve(code, { domainId: domain.value, site: site.value.trim(), name: name.value.trim(), applianceId: replace });
        details.hidden = true;
        showDone(result);
      } catch (failure) {
        error.textContent = failure.message;
        error.hidden = false;
      } finally {
        approveButton.disabled = false;
      }
    }

    async function onDeny() {
      try {
        await deny(code);
        details.hidden = true;
        done.hidden = false;
        replaceChildren(done, h('p', {}, `Denied. The appliance that showed ${code} is not paired; it asks for a new code.`));
      } catch (failure) {
        error.textContent = failure.message;
        error.hidden = false;
      }
    }
  }

  function showDone(result) {
    done.hidden = false;
    const state = h('span', { class: 'badge badge-pending', testid: 'pair-online-state' }, 'Waiting for it to connect…');
    replaceChildren(done,
      h('h2', { class: 'panel-title' }, `${result.name} is paired`),
      h('p', {}, `Appliance id ${result.applianceId}; certificate valid until ${formatTime(result.notAfter)}. `, state),
      h('p', {}, h('a', { href: '#/appliances', testid: 'pair-to-list' }, 'All appliances')));
    watchOnline(result.applianceId, state);
  }

  // The appliance fetches its certificate at its next poll (every few seconds) and connects: show it when it has.
  async function watchOnline(id, state) {
    for (let i = 0; i < 60 && state.isConnected; i++) {
      try {
        const list = await listPaired();
        if (list.some((a) => a.id === id && a.online)) {
          state.className = 'badge badge-online';
          state.textContent = 'Online';
          return;
        }
      } catch {
        // keep waiting; the list is only a convenience here
      }

      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

function groups(hex) {
  return String(hex).match(/.{1,4}/g)?.join(' ') ?? '';
}
