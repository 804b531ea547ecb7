// The dashboard: "New support session", the current remote connections (running and waiting, with their status),
// the user's pending invitations and recent sessions (dashboard-support.js), and the appliances with their endpoints
// (a star marks a favourite, offered first when a session is created).
// Data refreshes every 5 s; durations tick every second. A section is rebuilt only when what it shows
// changed, so focus and hover survive a refresh.

import { joinSession, listAppliances, listFavourites, listSessions, setFavourite } from '../api.js';
import { createAccessRequest, listAccessRequests } from './admin-api.js';
import { requestState } from './access-requests.js';
import { h, replaceChildren } from '../dom.js';
import { elapsedSince, formatAgo, formatDuration, formatTime } from '../format.js';
import { favouriteKey, favouriteSet, statusBadge, statusText } from '../support.js';
import { openConnectDialog } from './connect-dialog.js';
import { createPendingInvitations, createRecentSessions } from './dashboard-support.js';
import { joinByCodeForm } from './join.js';
import { openSupportDialog } from './support-dialog.js';

const REFRESH_MS = 5000;
const TICK_MS = 1000;

// What this client can show: a terminal (ssh) or a remote display (vnc, rdp).
const SUPPORTED_PROTOCOLS = new Set(['ssh', 'vnc', 'rdp']);

/**
 * @param {HTMLElement} root
 * @param {{user: {id: string, name: string, role: string}}} context
 * @returns {() => void} dispose
 */
export function renderDashboard(root, { user }) {
  let disposed = false;
  let refreshTimer = 0;
  let appliancesKey = null;
  let sessionsKey = null;
  let dialog = null;
  // The user's requests for access by "applianceId|endpointId" (newest first), where an endpoint requires one.
  let requests = new Map();
  const requestForms = new Set();
  let appliancesList = [];
  let favourites = []; // [{applianceId, endpointId}]
  let favouritesKnown = false; // a cloud without favourites: no stars
  const pending = createPendingInvitations();
  const recent = createRecentSessions(user);

  const heading = h('h1', { tabindex: '-1' }, 'Dashboard');
  const refreshError = h('p', { class: 'notice notice-error', role: 'alert', testid: 'dashboard-error', hidden: true });
  const appliancesBody = h('div', { class: 'appliance-list', testid: 'appliances', 'aria-busy': 'true' },
    h('p', { class: 'muted' }, 'Loading appliances…'));
  const sessionsBody = h('div', { class: 'table-wrap', testid: 'sessions', 'aria-busy': 'true' },
    h('p', { class: 'muted' }, 'Loading connections…'));
  const joinError = h('p', { class: 'form-error', role: 'alert', testid: 'session-join-error', hidden: true });

  const newSession = h('button', {
    type: 'button', class: 'btn btn-primary', testid: 'new-support-session', hidden: user?.role === 'guest',
    onclick: () => startSupport(),
  }, 'New support session');

  root.replaceChildren(h('div', { class: 'dashboard' },
    h('div', { class: 'page-heading page-heading-row' },
      h('div', {}, heading,
        h('p', { class: 'muted' }, 'Start a remote connection to a device, or watch one that is running.')),
      newSession),
    refreshError,
    h('section', { class: 'panel', 'aria-labelledby': 'sessions-heading' },
      h('div', { class: 'panel-title panel-title-row' },
        h('h2', { id: 'sessions-heading' }, 'Current remote connections'),
        joinByCodeForm({ compact: true })),
      joinError,
      sessionsBody),
    pending.element,
    recent.element,
    h('section', { class: 'panel', 'aria-labelledby': 'appliances-heading' },
      h('h2', { id: 'appliances-heading', class: 'panel-title' }, 'Appliances'),
      appliancesBody)));
  document.title = 'Dashboard — EdgeGateway';

  const ticker = setInterval(tick, TICK_MS);
  refresh();

  async function refresh() {
    clearTimeout(refreshTimer);
    const [appliances, sessions, stars] = await Promise.allSettled([listAppliances(), listSessions(), listFavourites(),
      pending.refresh(), recent.refresh()]);
    if (disposed) {
      return;
    }

    if (stars.status === 'fulfilled' && Array.isArray(stars.value)) {
      favourites = stars.value;
      favouritesKnown = true;
    }

    const failures = [appliances, sessions].filter((r) => r.status === 'rejected').map((r) => r.reason);
    if (failures.length > 0) {
      refreshError.textContent = `Could not refresh: ${failures[0]?.message ?? 'unknown error'}`;
      refreshError.hidden = false;
    } else {
      refreshError.hidden = true;
    }

    if (appliances.status === 'fulfilled') {
      const list = Array.isArray(appliances.value) ? appliances.value : [];
      appliancesList = list;
      if (user?.role === 'technician' && list.some((a) => a.endpoints?.some((e) => e.access && e.policy?.rfaRequired))) {
        try {
          requests = new Map();
          for (const r of await listAccessRequests()) {
            const key = `${r.applianceId}|${r.endpointId}`;
            if (!requests.has(key)) {
              requests.set(key, r);
            }
          }
        } catch {
          // The appliances still show; the request state comes with the next refresh.
        }

        if (disposed) {
          return;
        }
      }

      showAppliances(list);
    }

    if (sessions.status === 'fulfilled') {
      showSessions(Array.isArray(sessions.value) ? sessions.value : []);
    }

    refreshTimer = setTimeout(refresh, REFRESH_MS);
  }

  // --- Appliances ------------------------------------------------------------------------------------
  function showAppliances(appliances) {
    // lastSeen of an online appliance changes with every heartbeat but is not shown: leave it out.
    const key = JSON.stringify([appliances.map((a) => [a.id, a.name, a.online, a.online ? null : formatAgo(a.lastSeen), a.endpoints]), [...requests.values()],
      favouritesKnown ? [...favouriteSet(favourites)] : null]);
    if (key === appliancesKey || requestForms.size > 0) {
      return;
    }

    appliancesKey = key;
    appliancesBody.removeAttribute('aria-busy');
    if (appliances.length === 0) {
      replaceChildren(appliancesBody, h('p', { class: 'empty' }, 'No appliances are visible to you.'));
      return;
    }

    const sorted = [...appliances].sort((a, b) => String(a.name).localeCompare(String(b.name)));
    replaceChildren(appliancesBody, sorted.map(applianceCard));
  }

  function applianceCard(appliance) {
    const endpoints = Array.isArray(appliance.endpoints) ? appliance.endpoints : [];
    return h('article', { class: 'appliance', testid: `appliance-${appliance.id}`, 'aria-labelledby': `appliance-${appliance.id}-name` },
      h('header', { class: 'appliance-header' },
        h('h3', { id: `appliance-${appliance.id}-name`, class: 'appliance-name' }, appliance.name),
        appliance.online
          ? h('span', { class: 'badge badge-online', testid: `appliance-status-${appliance.id}` }, 'Online')
          : h('span', { class: 'badge badge-offline', testid: `appliance-status-${appliance.id}` }, 'Offline'),
        appliance.online ? null : h('span', { class: 'muted small' }, `Last seen ${formatAgo(appliance.lastSeen)}`)),
      endpoints.length === 0
        ? h('p', { class: 'empty' }, 'No endpoints configured.')
        : h('table', { class: 'table table-stack' },
          h('caption', { class: 'visually-hidden' }, `Endpoints of ${appliance.name}`),
          h('thead', {}, h('tr', {},
            h('th', { scope: 'col' }, 'Endpoint'),
            h('th', { scope: 'col' }, 'Protocol'),
            h('th', { scope: 'col' }, 'Address'),
            h('th', { scope: 'col', class: 'col-action' }, h('span', { class: 'visually-hidden' }, 'Action')))),
          h('tbody', {}, endpoints.map((endpoint) => endpointRow(appliance, endpoint)))));
  }

  function endpointRow(appliance, endpoint) {
    const protocol = String(endpoint.protocol ?? '').toLowerCase();
    const supported = SUPPORTED_PROTOCOLS.has(protocol);
    // Older clouds sent no `access`: treat a missing one as allowed.
    const access = endpoint.access !== false;
    const request = requests.get(`${appliance.id}|${endpoint.id}`);
    const needsApproval = access && endpoint.policy?.rfaRequired && user?.role !== 'domain-admin';
    const approved = request?.active === true;
    const title = !supported ? `This browser client does not show ${protocol ? protocol.toUpperCase() : 'these'} sessions yet.`
      : !access ? 'You have no access to this endpoint. A domain administrator can grant it.'
      : needsApproval && !approved ? 'This endpoint needs an approved request for access.'
      : null;
    return h('tr', { testid: `endpoint-${endpoint.id}` },
      h('th', { scope: 'row' }, favouritesKnown ? star(appliance, endpoint) : null, endpoint.name, ' ',
        h('a', {
          href: `#/history?applianceId=${encodeURIComponent(appliance.id)}&endpointId=${encodeURIComponent(endpoint.id)}`,
          class: 'small endpoint-history',
          testid: `history-${endpoint.id}`,
          'aria-label': `History of ${endpoint.name} on ${appliance.name}`,
        }, 'History')),
      h('td', {}, h('span', { class: 'protocol' }, protocol ? protocol.toUpperCase() : '—')),
      h('td', { class: 'mono' }, endpoint.host ? `${endpoint.host}:${endpoint.port}` : '—'),
      h('td', { class: 'col-action' },
        h('button', {
          type: 'button',
          class: 'btn btn-primary btn-small',
          testid: `connect-${endpoint.id}`,
          disabled: title !== null,
          title,
          'aria-label': `Connect to ${endpoint.name} on ${appliance.name}`,
          onclick: () => connect(appliance, endpoint),
        }, 'Connect'),
        needsApproval ? accessRequestCell(appliance, endpoint, request) : null));
  }

  /** Where an endpoint needs approval: the state of the user's request, and a form to ask (again). */
  function accessRequestCell(appliance, endpoint, request) {
    const state = request ? h('p', { class: 'small', testid: `access-state-${endpoint.id}` }, requestState(request)) : null;
    if (request && (request.active || (request.status === 'pending' && !request.expired))) {
      return state;
    }

    const form = h('form', { class: 'inline-form access-request-form', hidden: true, testid: `access-form-${endpoint.id}` });
    const reason = h('input', { type: 'text', maxlength: '500', required: true, placeholder: 'Why do you need access?', 'aria-label': `Reason for access to ${endpoint.name}`, testid: `access-reason-${endpoint.id}` });
    const minutes = h('select', { 'aria-label': 'For how long', testid: `access-minutes-${endpoint.id}` },
      [[30, '30 min'], [60, '1 hour'], [120, '2 hours'], [240, '4 hours'], [480, '8 hours']].map(([m, label]) => h('option', { value: m, selected: m === 60 }, label)));
    const error = h('span', { class: 'form-error', role: 'alert' });
    form.append(reason, minutes,
      h('button', { type: 'submit', class: 'btn btn-primary btn-small', testid: `access-submit-${endpoint.id}` }, 'Send request'),
      h('button', { type: 'button', class: 'btn btn-secondary btn-small', onclick: () => { form.hidden = true; requestForms.delete(form); } }, 'Cancel'),
      error);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      try {
        await createAccessRequest({ applianceId: appliance.id, endpointId: endpoint.id, reason: reason.value.trim(), minutes: Number(minutes.value) });
        requestForms.delete(form);
        appliancesKey = null;
        refresh();
      } catch (failure) {
        error.textContent = failure.message;
      }
    });
    const open = h('button', { type: 'button', class: 'btn btn-secondary btn-small', testid: `request-access-${endpoint.id}`,
      onclick: () => { form.hidden = false; requestForms.add(form); reason.focus(); } }, 'Request access');
    return h('div', { class: 'access-request' }, state, open, form);
  }

  /** The star that marks an endpoint as a favourite (offered first for a new session). */
  function star(appliance, endpoint) {
    const on = favouriteSet(favourites).has(favouriteKey(appliance.id, endpoint.id));
    return h('button', {
      type: 'button', class: `star${on ? ' star-on' : ''}`, testid: `favourite-${endpoint.id}`, 'aria-pressed': String(on),
      'aria-label': `Favourite: ${endpoint.name} on ${appliance.name}`, title: on ? 'Remove from favourites' : 'Add to favourites',
      onclick: async (event) => {
        const button = event.currentTarget;
        button.disabled = true;
        try {
          await setFavourite(appliance.id, endpoint.id, !on);
          favourites = on
            ? favourites.filter((f) => favouriteKey(f.applianceId, f.endpointId) !== favouriteKey(appliance.id, endpoint.id))
            : [...favourites, { applianceId: appliance.id, endpointId: endpoint.id }];
          appliancesKey = null;
          showAppliances(appliancesList);
          document.querySelector(`[data-testid="favourite-${CSS.escape(String(endpoint.id))}"]`)?.focus();
        } catch (failure) {
          refreshError.textContent = `Could not change the favourite: ${failure.message}`;
          refreshError.hidden = false;
          button.disabled = false;
        }
      },
    }, on ? '★' : '☆');
  }

  /** "New support session": every endpoint this user may start on and this page shows, favourites first. */
  function startSupport() {
    dialog = openSupportDialog({
      appliances: appliancesList,
      favourites,
      usable: (appliance, endpoint) => SUPPORTED_PROTOCOLS.has(String(endpoint.protocol ?? '').toLowerCase())
        && endpoint.access !== false
        && !(endpoint.policy?.rfaRequired && user?.role !== 'domain-admin'
          && requests.get(`${appliance.id}|${endpoint.id}`)?.active !== true),
    });
  }

  function connect(appliance, endpoint) {
    dialog = openConnectDialog({
      appliance,
      endpoint,
      onStarted: (session) => {
        if (session?.id !== undefined) {
          location.hash = `#/sessions/${encodeURIComponent(session.id)}`;
        }
      },
    });
  }

  // --- Sessions --------------------------------------------------------------------------------------
  function showSessions(sessions) {
    const current = sessions.filter((s) => s.status !== 'ended');
    const key = JSON.stringify(current.map((s) => [s.id, s.code, s.name, s.endpointName, s.controller, s.startedAt, s.viewers, s.status, s.inSessionSince,
      (s.participants ?? []).map((p) => [p.id, p.name, p.role, p.connected])]));
    if (key === sessionsKey) {
      return;
    }

    sessionsKey = key;
    sessionsBody.removeAttribute('aria-busy');
    if (current.length === 0) {
      replaceChildren(sessionsBody, h('p', { class: 'empty', testid: 'sessions-empty' }, 'No remote connections right now.'));
      return;
    }

    const sorted = [...current].sort((a, b) => String(b.startedAt).localeCompare(String(a.startedAt)));
    replaceChildren(sessionsBody, h('table', { class: 'table table-stack' },
      h('caption', { class: 'visually-hidden' }, 'Current remote connections'),
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, 'Session'),
        h('th', { scope: 'col' }, 'Code'),
        h('th', { scope: 'col' }, 'Controller'),
        h('th', { scope: 'col' }, 'Participants'),
        h('th', { scope: 'col' }, 'Duration'),
        h('th', { scope: 'col', class: 'num' }, 'Viewers'),
        h('th', { scope: 'col', class: 'col-action' }, h('span', { class: 'visually-hidden' }, 'Action')))),
      h('tbody', {}, sorted.map(sessionRow))));
  }

  function sessionRow(session) {
    const mine = (session.controller?.id !== undefined && String(session.controller.id) === String(user?.id))
      || (session.ownerId !== undefined && session.ownerId !== null && String(session.ownerId) === String(user?.id));
    const participants = Array.isArray(session.participants) ? session.participants : [];
    const others = participants.filter((p) => p.role !== 'controller');
    const inside = participants.some((p) => String(p.id) === String(user?.id));
    const href = `#/sessions/${encodeURIComponent(session.id)}`;
    return h('tr', { testid: `session-row-${session.id}` },
      h('th', { scope: 'row' }, session.name
        ? [h('span', { testid: `session-name-${session.id}` }, session.name), h('span', { class: 'muted small' }, ` ${session.endpointName ?? ''}`)]
        : session.endpointName ?? '—',
      // The status goes under the name (not a column of its own): the table keeps fitting a tablet's width.
      h('div', { class: 'session-row-status' }, h('span', {
        class: `badge ${statusBadge(session.status)}`,
        testid: session.status === 'appliance-offline' ? `session-offline-${session.id}` : `session-status-${session.id}`,
        'data-status': session.status,
        'data-since': session.inSessionSince ?? null,
      }, statusText(session.status, { inSessionSince: session.inSessionSince })))),
      h('td', { class: 'mono', 'data-label': 'Code' }, session.code ?? '—'),
      h('td', { 'data-label': 'Controller', testid: `session-controller-${session.id}` }, session.controller?.name ?? '—', mine ? h('span', { class: 'muted small' }, ' (you)') : null),
      h('td', { 'data-label': 'With', testid: `session-participants-${session.id}` }, others.length === 0
        ? h('span', { class: 'muted' }, 'nobody else')
        : others.map((p, i) => [i > 0 ? ', ' : null, h('span', { class: p.connected ? null : 'muted' }, p.name)])),
      h('td', {
        class: 'mono', 'data-label': 'Duration', testid: `session-duration-${session.id}`, 'data-started': session.startedAt,
        title: `Started ${formatTime(session.startedAt)}`,
      }, duration(session.startedAt)),
      h('td', { class: 'num', 'data-label': 'Viewers', testid: `session-viewers-${session.id}` }, String(session.viewers ?? 0)),
      h('td', { class: 'col-action' },
        mine || inside
          ? h('a', {
            href,
            class: 'btn btn-secondary btn-small',
            testid: `watch-${session.id}`,
            'aria-label': `Open the session on ${session.endpointName ?? 'this endpoint'}`,
          }, 'Open')
          : h('button', {
            type: 'button',
            class: 'btn btn-primary btn-small',
            testid: `watch-${session.id}`,
            'aria-label': `Join the session on ${session.endpointName ?? 'this endpoint'}`,
            onclick: (event) => join(event.currentTarget, session),
          }, 'Join')));
  }

  /** Joins from the list: a refusal (full, no access, joint sessions off) shows here, not on an empty session page. */
  async function join(button, session) {
    button.disabled = true;
    joinError.hidden = true;
    try {
      await joinSession(session.id);
      location.hash = `#/sessions/${encodeURIComponent(session.id)}`;
    } catch (failure) {
      joinError.textContent = `${session.endpointName ?? 'Session'}: ${failure.message}`;
      joinError.hidden = false;
    } finally {
      button.disabled = false;
    }
  }

  function tick() {
    for (const cell of sessionsBody.querySelectorAll('[data-started]')) {
      cell.textContent = duration(cell.dataset.started);
    }

    for (const badge of sessionsBody.querySelectorAll('[data-since]')) {
      badge.textContent = statusText(badge.dataset.status, { inSessionSince: badge.dataset.since });
    }
  }

  function duration(startedAt) {
    const elapsed = elapsedSince(startedAt);
    return Number.isNaN(elapsed) ? '—' : formatDuration(elapsed);
  }

  return function dispose() {
    disposed = true;
    clearTimeout(refreshTimer);
    clearInterval(ticker);
    dialog?.close();
  };
}
