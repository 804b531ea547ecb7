// Requests for access: a technician's own requests and their state; an administrator's queue (pending first)
// with approve / deny and a reason.

import { h, replaceChildren } from '../dom.js';
import { formatTime } from '../format.js';
import { decideAccessRequest, listAccessRequests } from './admin-api.js';

/** "Pending", "Approved — active until 14:30", "Denied: reason", "Expired". */
export function requestState(r) {
  if (r.status === 'denied') {
    return `Denied${r.decisionReason ? `: ${r.decisionReason}` : ''}`;
  }

  if (r.expired) {
    return r.status === 'approved' ? 'Approved — expired' : 'Expired';
  }

  if (r.status === 'approved') {
    return r.active ? `Approved — until ${formatTime(r.validUntil)}` : `Approved — from ${formatTime(r.validFrom)}`;
  }

  return 'Pending';
}

/**
 * @param {HTMLElement} root
 * @param {{user: {id: string, role: string}}} context
 */
export function renderAccessRequests(root, { user }) {
  let disposed = false;
  const admin = user.role === 'domain-admin';
  const body = h('div', { class: 'table-wrap', testid: 'access-requests', 'aria-busy': 'true' }, h('p', { class: 'muted' }, 'Loading requests…'));
  const error = h('p', { class: 'notice notice-error', role: 'alert', hidden: true, testid: 'access-requests-error' });
  root.replaceChildren(h('div', { class: 'dashboard' },
    h('div', { class: 'page-heading' },
      h('h1', { tabindex: '-1' }, admin ? 'Requests for access' : 'My requests for access'),
      h('p', { class: 'muted' }, admin
        ? 'Technicians ask for time-bound access to endpoints that require approval. Approve or deny with a reason.'
        : 'Ask for access from the dashboard, on an endpoint that requires approval.')),
    error,
    h('section', { class: 'panel' }, body)));
  document.title = 'Access requests — EdgeGateway';
  load();

  async function load() {
    try {
      const requests = await listAccessRequests();
      if (!disposed) {
        show(requests);
      }
    } catch (failure) {
      error.textContent = failure.message;
      error.hidden = false;
    }
  }

  function show(requests) {
    body.removeAttribute('aria-busy');
    if (requests.length === 0) {
      replaceChildren(body, h('p', { class: 'empty', testid: 'access-requests-empty' }, 'No requests.'));
      return;
    }

    replaceChildren(body, h('table', { class: 'table table-stack' },
      h('thead', {}, h('tr', {},
        admin ? h('th', { scope: 'col' }, 'Technician') : null,
        h('th', { scope: 'col' }, 'Endpoint'),
        h('th', { scope: 'col' }, 'Reason'),
        h('th', { scope: 'col' }, 'Window'),
        h('th', { scope: 'col' }, 'State'),
        admin ? h('th', { scope: 'col', class: 'col-action' }, h('span', { class: 'visually-hidden' }, 'Decision')) : null)),
      h('tbody', {}, requests.map(row))));
  }

  function row(r) {
    const pending = r.status === 'pending' && !r.expired;
    return h('tr', { testid: `access-request-${r.id}` },
      admin ? h('td', { 'data-label': 'Technician' }, r.userName) : null,
      h('th', { scope: 'row' }, r.endpointName),
      h('td', { 'data-label': 'Reason' }, r.reason),
      h('td', { 'data-label': 'Window' }, `${formatTime(r.validFrom)} – ${formatTime(r.validUntil)}`),
      h('td', { 'data-label': 'State', testid: `access-request-state-${r.id}` }, requestState(r),
        r.decidedByName ? h('span', { class: 'muted small' }, ` (${r.decidedByName})`) : null),
      admin ? h('td', { class: 'col-action' }, pending ? decisionForm(r) : null) : null);
  }

  function decisionForm(r) {
    const reason = h('input', { type: 'text', maxlength: '500', placeholder: 'Reason', 'aria-label': `Reason for the decision on ${r.userName}'s request`, testid: `decision-reason-${r.id}` });
    const status = h('span', { class: 'form-error', role: 'alert' });
    async function decide(approve) {
      status.textContent = '';
      try {
        await decideAccessRequest(r.id, approve, reason.value.trim() || null);
        await load();
      } catch (failure) {
        status.textContent = failure.message;
      }
    }

    return h('div', { class: 'inline-form' }, reason,
      h('button', { type: 'button', class: 'btn btn-primary btn-small', testid: `approve-${r.id}`, onclick: () => decide(true) }, 'Approve'),
      h('button', { type: 'button', class: 'btn btn-danger-outline btn-small', testid: `deny-${r.id}`, onclick: () => decide(false) }, 'Deny'),
      status);
  }

  return () => { disposed = true; };
}
