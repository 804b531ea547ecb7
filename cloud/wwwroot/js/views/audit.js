// The audit log for domain admins (#/audit): the latest events, newest first, a Verify button that walks the hash
// chain and says whether it holds (or the first broken event), and the JSON-lines export a SIEM reads.

import { auditExportUrl, listAuditEvents, verifyAudit } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { formatTime } from '../format.js';

const PAGE = 100;

/**
 * @param {HTMLElement} root
 * @returns {() => void} dispose
 */
export function renderAudit(root) {
  let disposed = false;
  const events = [];

  const heading = h('h1', { tabindex: '-1' }, 'Audit log');
  const result = h('div', { role: 'status', 'aria-live': 'polite', testid: 'audit-verify-result' });
  const verify = h('button', { type: 'button', class: 'btn btn-primary btn-small', testid: 'audit-verify', onclick: runVerify }, 'Verify the chain');
  const error = h('p', { class: 'notice notice-error', role: 'alert', testid: 'audit-error', hidden: true });
  const body = h('div', { class: 'table-wrap', testid: 'audit-events', 'aria-busy': 'true' }, h('p', { class: 'muted' }, 'Loading events…'));
  const more = h('button', { type: 'button', class: 'btn btn-secondary btn-small', testid: 'audit-older', hidden: true, onclick: () => load(true) }, 'Older events');

  root.replaceChildren(h('div', { class: 'dashboard' },
    h('div', { class: 'page-heading' }, heading,
      h('p', { class: 'muted' }, 'Every sign-in, session, control and policy change, append-only and hash-chained: each event carries the hash of the one before, so an edited, removed or reordered event breaks the chain there.')),
    h('section', { class: 'panel', 'aria-labelledby': 'audit-integrity' },
      h('h2', { id: 'audit-integrity', class: 'panel-title' }, 'Integrity'),
      h('div', { class: 'panel-body' },
        h('div', { class: 'toolbar-group' }, verify,
          h('a', { class: 'btn btn-secondary btn-small', href: auditExportUrl({ limit: 10000 }), download: 'audit.ndjson', testid: 'audit-export' }, 'Export (JSON lines)')),
        result)),
    error,
    h('section', { class: 'panel', 'aria-labelledby': 'audit-latest' },
      h('h2', { id: 'audit-latest', class: 'panel-title' }, 'Latest events'),
      body,
      more)));
  document.title = 'Audit log — EdgeGateway';
  load(false);

  async function runVerify() {
    verify.disabled = true;
    replaceChildren(result, h('p', { class: 'muted' }, 'Checking every link…'));
    try {
      const outcome = await verifyAudit();
      if (!disposed) {
        replaceChildren(result, h('p', {
          class: outcome.intact ? 'notice' : 'notice notice-error',
          testid: outcome.intact ? 'audit-intact' : 'audit-broken',
        }, outcome.message));
      }
    } catch (failure) {
      if (!disposed) {
        replaceChildren(result, h('p', { class: 'notice notice-error' }, `Could not verify: ${failure.message}`));
      }
    } finally {
      verify.disabled = false;
    }
  }

  async function load(older) {
    more.disabled = true;
    try {
      const page = await listAuditEvents({ before: older ? events.at(-1)?.seq : undefined, limit: PAGE });
      if (disposed) {
        return;
      }

      events.push(...(Array.isArray(page) ? page : []));
      error.hidden = true;
      show();
      more.hidden = !Array.isArray(page) || page.length < PAGE;
    } catch (failure) {
      if (!disposed) {
        error.textContent = `Could not load the audit log: ${failure.message}`;
        error.hidden = false;
        body.removeAttribute('aria-busy');
      }
    } finally {
      more.disabled = false;
    }
  }

  function show() {
    body.removeAttribute('aria-busy');
    if (events.length === 0) {
      replaceChildren(body, h('p', { class: 'empty' }, 'No events yet.'));
      return;
    }

    replaceChildren(body, h('table', { class: 'table table-stack' },
      h('caption', { class: 'visually-hidden' }, 'Audit events, newest first'),
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col', class: 'num' }, '#'),
        h('th', { scope: 'col' }, 'Time'),
        h('th', { scope: 'col' }, 'Who'),
        h('th', { scope: 'col' }, 'Action'),
        h('th', { scope: 'col' }, 'Outcome'),
        h('th', { scope: 'col' }, 'Target'),
        h('th', { scope: 'col' }, 'From'),
        h('th', { scope: 'col' }, 'Detail'))),
      h('tbody', {}, events.map(row))));
  }

  function row(e) {
    const target = [e.target?.applianceId, e.target?.endpointId, e.target?.sessionId ? `session ${e.target.sessionId}` : null].filter(Boolean).join(' / ');
    return h('tr', { testid: `audit-row-${e.seq}` },
      h('td', { class: 'num mono', 'data-label': '#' }, String(e.seq)),
      h('td', { 'data-label': 'Time' }, h('time', { datetime: e.at }, formatTime(e.at))),
      h('td', { 'data-label': 'Who' }, e.actor?.name ?? '—', e.actor?.role ? h('span', { class: 'muted small' }, ` ${e.actor.role}`) : null),
      h('td', { class: 'mono', 'data-label': 'Action' }, e.action),
      h('td', { 'data-label': 'Outcome' },
        h('span', { class: e.outcome === 'allowed' ? 'badge badge-online' : 'badge badge-offline' }, e.outcome),
        e.reason ? h('span', { class: 'muted small' }, ` ${e.reason}`) : null),
      h('td', { 'data-label': 'Target' }, target || '—'),
      h('td', { class: 'mono', 'data-label': 'From' }, e.source || '—'),
      h('td', { 'data-label': 'Detail' }, e.detail ?? ''));
  }

  return function dispose() {
    disposed = true;
  };
}
