// The dashboard's support-session sections: the user's pending invitations (GET /api/invites) and their recent
// sessions (the history's newest ten, their own). Each section refreshes with the dashboard and is rebuilt only when
// what it shows changed, so focus survives a refresh.

import { listHistory, listMyInvites, revokeInvite } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { formatDuration, formatTime } from '../format.js';
import { endText, statusBadge, statusText } from '../support.js';

const RECENT = 10;

/**
 * "Pending invitations": the links and e-mails the user sent that nobody has used yet, with their session.
 * @returns {{element: HTMLElement, refresh: () => Promise<void>}}
 */
export function createPendingInvitations() {
  let key = null;
  const body = h('div', { class: 'table-wrap', testid: 'pending-invitations', 'aria-busy': 'true' }, h('p', { class: 'muted' }, 'Loading invitations…'));
  const element = h('section', { class: 'panel', 'aria-labelledby': 'pending-heading' },
    h('h2', { id: 'pending-heading', class: 'panel-title' }, 'Pending invitations'),
    body);

  async function refresh() {
    let invites;
    try {
      invites = await listMyInvites();
    } catch (failure) {
      show(null, failure.message);
      return;
    }

    show(Array.isArray(invites) ? invites.filter((i) => (i.status ?? 'pending') === 'pending') : []);
  }

  function show(invites, failure) {
    const next = JSON.stringify([invites, failure]);
    if (next === key) {
      return;
    }

    key = next;
    body.removeAttribute('aria-busy');
    if (!invites) {
      replaceChildren(body, h('p', { class: 'empty', testid: 'pending-invitations-error' }, `Not available: ${failure}`));
      return;
    }

    if (invites.length === 0) {
      replaceChildren(body, h('p', { class: 'empty', testid: 'pending-invitations-empty' }, 'No invitations are waiting to be used.'));
      return;
    }

    const sorted = [...invites].sort((a, b) => String(a.expiresAt).localeCompare(String(b.expiresAt)));
    replaceChildren(body, h('table', { class: 'table table-stack' },
      h('caption', { class: 'visually-hidden' }, 'Pending invitations, the first to expire first'),
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, 'Session'),
        h('th', { scope: 'col' }, 'Sent to'),
        h('th', { scope: 'col' }, 'Created'),
        h('th', { scope: 'col' }, 'Expires'),
        h('th', { scope: 'col', class: 'col-action' }, h('span', { class: 'visually-hidden' }, 'Action')))),
      h('tbody', {}, sorted.map((i) => h('tr', { testid: `pending-invitation-${i.id}` },
        h('th', { scope: 'row' }, i.sessionName || 'Unnamed session'),
        h('td', { 'data-label': 'To' }, i.email ?? h('span', { class: 'muted' }, 'a link')),
        h('td', { 'data-label': 'Created' }, h('time', { datetime: i.createdAt }, formatTime(i.createdAt))),
        h('td', { 'data-label': 'Expires' }, h('time', { datetime: i.expiresAt }, formatTime(i.expiresAt))),
        h('td', { class: 'col-action' }, h('a', {
          href: `#/sessions/${encodeURIComponent(i.sessionId)}`, class: 'btn btn-secondary btn-small', testid: `pending-open-${i.id}`,
          'aria-label': `Open the session ${i.sessionName ?? ''}`,
        }, 'Open'), ' ', h('button', {
          type: 'button', class: 'btn btn-secondary btn-small', testid: `pending-revoke-${i.id}`,
          'aria-label': `Revoke the invitation to ${i.sessionName ?? 'the session'}${i.email ? ` sent to ${i.email}` : ''}`,
          onclick: (event) => revoke(i, event.currentTarget),
        }, 'Revoke')))))));
  }

  // The link stops working at once; the row goes on the next refresh, and a failure is said in its place.
  async function revoke(invite, button) {
    button.disabled = true;
    try {
      await revokeInvite(invite.sessionId, invite.id);
      key = null;
      await refresh();
    } catch (failure) {
      button.disabled = false;
      button.replaceWith(h('span', { class: 'form-error', role: 'alert', testid: `pending-revoke-error-${invite.id}` }, failure.message));
    }
  }

  return { element, refresh };
}

/**
 * "Recent sessions": the user's own, newest first, each linking to its information page.
 * @param {{id: string}} user
 * @returns {{element: HTMLElement, refresh: () => Promise<void>}}
 */
export function createRecentSessions(user) {
  let key = null;
  const body = h('div', { class: 'table-wrap', testid: 'recent-sessions', 'aria-busy': 'true' }, h('p', { class: 'muted' }, 'Loading sessions…'));
  const element = h('section', { class: 'panel', 'aria-labelledby': 'recent-heading' },
    h('div', { class: 'panel-title panel-title-row' },
      h('h2', { id: 'recent-heading' }, 'Recent sessions'),
      h('a', { href: `#/history?userId=${encodeURIComponent(user?.id ?? '')}`, class: 'small', testid: 'recent-all' }, 'All of my sessions')),
    body);

  async function refresh() {
    let sessions;
    try {
      sessions = await listHistory({ userId: user?.id, limit: RECENT });
    } catch (failure) {
      show(null, failure.message);
      return;
    }

    show(Array.isArray(sessions) ? sessions : []);
  }

  function show(sessions, failure) {
    // Running sessions' durations grow with every refresh; the row is worth rebuilding only when more changed.
    const next = JSON.stringify([sessions?.map((s) => [s.id, s.name, s.status, s.endedAt, s.endMessage]), failure]);
    if (next === key) {
      return;
    }

    key = next;
    body.removeAttribute('aria-busy');
    if (!sessions) {
      replaceChildren(body, h('p', { class: 'empty', testid: 'recent-sessions-error' }, `Not available: ${failure}`));
      return;
    }

    if (sessions.length === 0) {
      replaceChildren(body, h('p', { class: 'empty', testid: 'recent-sessions-empty' }, 'You have not been in a session yet.'));
      return;
    }

    replaceChildren(body, h('table', { class: 'table table-stack' },
      h('caption', { class: 'visually-hidden' }, 'Your recent sessions, newest first'),
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, 'Session'),
        h('th', { scope: 'col' }, 'Status'),
        h('th', { scope: 'col' }, 'Started'),
        h('th', { scope: 'col' }, 'Duration'))),
      h('tbody', {}, sessions.map((s) => h('tr', { testid: `recent-${s.id}` },
        h('th', { scope: 'row' },
          h('a', { href: `#/history/${encodeURIComponent(s.id)}`, testid: `recent-open-${s.id}` }, s.name || s.endpointName || s.endpointId),
          s.name ? h('span', { class: 'muted small' }, ` ${s.endpointName ?? s.endpointId}`) : null),
        h('td', {}, statusCell(s)),
        h('td', { 'data-label': 'Started' }, h('time', { datetime: s.startedAt }, formatTime(s.startedAt))),
        h('td', { class: 'mono', 'data-label': 'Duration' }, formatDuration((s.durationSeconds ?? 0) * 1000)))))));
  }

  return { element, refresh };
}

/** A history row's status badge, with who ended it and why as its title. */
export function statusCell(session, testid = `status-${session.id}`) {
  const over = session.status === 'ended' || session.status === 'expired' || (session.endedAt && session.status !== 'running');
  const status = session.status ?? (session.endedAt ? 'ended' : 'in-session');
  return h('span', { class: `badge ${statusBadge(status)}`, testid, title: over ? endText(session) : null },
    statusText(status, { inSessionSince: session.inSessionSince ?? null }));
}
