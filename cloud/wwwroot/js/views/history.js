// Session history (#/history?applianceId=&endpointId=&userId=&status=&q=&from=&to=): ended, waiting and running
// sessions, newest first, with their name, status, participants and durations; each opens its information page
// (#/history/{id}, history-detail.js). Admins see their domain's sessions, everyone else the ones they took part in
// (the cloud decides). The filters live in the address, so a per-endpoint or per-user history is a link.

import { listAppliances, listHistory } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { formatDuration, formatTime } from '../format.js';
import { endText } from '../support.js';
import { statusCell } from './dashboard-support.js';

/** The statuses one can filter by, as the cloud names them. */
const STATUSES = [['', 'Any status'], ['waiting', 'Waiting for participant'], ['in-session', 'In session'], ['ended', 'Ended'], ['expired', 'Expired']];

const PAGE = 50;

const VIA = { start: 'started it', list: 'from the list', code: 'by code', link: 'by invite link' };

/**
 * @param {HTMLElement} root
 * @param {{user: {id: string, name: string, role: string}, params: URLSearchParams}} context
 * @returns {() => void} dispose
 */
export function renderHistory(root, { user, params }) {
  let disposed = false;
  const filters = {
    applianceId: params.get('applianceId') ?? '',
    endpointId: params.get('endpointId') ?? '',
    userId: params.get('userId') ?? '',
    status: params.get('status') ?? '',
    q: params.get('q') ?? '',
    from: params.get('from') ?? '',
    to: params.get('to') ?? '',
  };

  const heading = h('h1', { tabindex: '-1' }, 'Session history');
  const scope = h('p', { class: 'muted', testid: 'history-scope' }, describe(filters));
  const error = h('p', { class: 'notice notice-error', role: 'alert', testid: 'history-error', hidden: true });
  const body = h('div', { class: 'table-wrap', testid: 'history', 'aria-busy': 'true' }, h('p', { class: 'muted' }, 'Loading sessions…'));
  const more = h('button', { type: 'button', class: 'btn btn-secondary btn-small', testid: 'history-older', hidden: true, onclick: () => load(true) }, 'Older sessions');
  const rows = [];

  const appliance = h('select', { id: 'history-appliance', name: 'applianceId', testid: 'history-appliance' }, h('option', { value: '' }, 'All appliances'));
  const endpoint = h('input', { id: 'history-endpoint', name: 'endpointId', value: filters.endpointId, placeholder: 'all', autocomplete: 'off', testid: 'history-endpoint' });
  const from = h('input', { id: 'history-from', name: 'from', type: 'date', value: filters.from.slice(0, 10), testid: 'history-from' });
  const to = h('input', { id: 'history-to', name: 'to', type: 'date', value: filters.to ? dayBefore(filters.to) : '', testid: 'history-to' });
  const mine = h('input', { id: 'history-mine', type: 'checkbox', checked: filters.userId === String(user?.id), testid: 'history-mine' });
  const search = h('input', { id: 'history-q', name: 'q', type: 'search', value: filters.q, placeholder: 'name or endpoint', maxlength: '200', autocomplete: 'off', testid: 'history-q' });
  const status = h('select', { id: 'history-status', name: 'status', testid: 'history-status' },
    STATUSES.map(([value, label]) => h('option', { value, selected: value === filters.status }, label)));
  // Someone else's sessions: a user id in the address (an admin's link from elsewhere), shown so it can be cleared.
  const person = h('input', {
    id: 'history-user', name: 'userId', value: filters.userId === String(user?.id) ? '' : filters.userId, placeholder: 'anyone',
    autocomplete: 'off', testid: 'history-user',
  });
  const form = h('form', { class: 'form-fields history-filters panel-body', testid: 'history-filters', onsubmit: apply },
    h('div', { class: 'field' }, h('label', { for: 'history-q' }, 'Search'), search),
    h('div', { class: 'field' }, h('label', { for: 'history-status' }, 'Status'), status),
    h('div', { class: 'field' }, h('label', { for: 'history-appliance' }, 'Appliance'), appliance),
    h('div', { class: 'field' }, h('label', { for: 'history-endpoint' }, 'Endpoint id'), endpoint),
    h('div', { class: 'field' }, h('label', { for: 'history-from' }, 'From'), from),
    h('div', { class: 'field' }, h('label', { for: 'history-to' }, 'Until'), to),
    user?.role === 'domain-admin' ? h('div', { class: 'field' }, h('label', { for: 'history-user' }, 'User id'), person) : null,
    h('div', { class: 'field field-check' }, mine, h('label', { for: 'history-mine' }, 'Only sessions I took part in')),
    h('div', {}, h('button', { type: 'submit', class: 'btn btn-primary btn-small', testid: 'history-apply' }, 'Show')));

  root.replaceChildren(h('div', { class: 'dashboard' },
    h('div', { class: 'page-heading' }, heading, scope),
    h('section', { class: 'panel', 'aria-label': 'Filters' }, form),
    error,
    h('section', { class: 'panel', 'aria-labelledby': 'history-heading' },
      h('h2', { id: 'history-heading', class: 'panel-title' }, 'Sessions'),
      body,
      more)));
  document.title = 'Session history — EdgeGateway';

  listAppliances().then((appliances) => {
    if (disposed || !Array.isArray(appliances)) {
      return;
    }

    for (const a of appliances) {
      appliance.appendChild(h('option', { value: a.id, selected: a.id === filters.applianceId }, a.name));
    }
  }, () => {});
  load(false);

  function apply(event) {
    event.preventDefault();
    const next = new URLSearchParams();
    const set = (name, value) => value && next.set(name, value);
    set('applianceId', appliance.value);
    set('endpointId', endpoint.value.trim());
    set('userId', mine.checked ? user?.id : person.value.trim());
    set('status', status.value);
    set('q', search.value.trim());
    set('from', from.value ? `${from.value}T00:00:00Z` : '');
    set('to', to.value ? nextDay(to.value) : '');
    const text = next.toString();
    location.hash = text ? `#/history?${text}` : '#/history';
  }

  async function load(older) {
    more.disabled = true;
    try {
      const page = await listHistory({ ...filters, before: older ? rows.at(-1)?.id : undefined, limit: PAGE });
      if (disposed) {
        return;
      }

      rows.push(...(Array.isArray(page) ? page : []));
      error.hidden = true;
      show();
      more.hidden = !Array.isArray(page) || page.length < PAGE;
    } catch (failure) {
      if (disposed) {
        return;
      }

      error.textContent = `Could not load the history: ${failure.message}`;
      error.hidden = false;
      body.removeAttribute('aria-busy');
    } finally {
      more.disabled = false;
    }
  }

  function show() {
    body.removeAttribute('aria-busy');
    if (rows.length === 0) {
      replaceChildren(body, h('p', { class: 'empty', testid: 'history-empty' }, 'No sessions match.'));
      return;
    }

    replaceChildren(body, h('table', { class: 'table table-stack' },
      h('caption', { class: 'visually-hidden' }, 'Sessions, newest first'),
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, 'Session'),
        h('th', { scope: 'col' }, 'Status'),
        h('th', { scope: 'col' }, 'Controller'),
        h('th', { scope: 'col' }, 'Started'),
        h('th', { scope: 'col' }, 'Duration'),
        h('th', { scope: 'col' }, 'Participants'),
        h('th', { scope: 'col' }, 'End'))),
      h('tbody', {}, rows.map(row))));
  }

  function row(session) {
    const participants = Array.isArray(session.participants) ? session.participants : [];
    const where = `${session.endpointName ?? session.endpointId} on ${session.applianceId}`;
    return h('tr', { testid: `history-row-${session.id}` },
      h('th', { scope: 'row' },
        h('a', { href: `#/history/${encodeURIComponent(session.id)}`, testid: `history-open-${session.id}` }, session.name || session.endpointName || session.endpointId),
        h('span', { class: 'muted small' }, session.name ? ` ${where}` : ` on ${session.applianceId}`)),
      h('td', {}, statusCell(session, `history-status-${session.id}`)),
      h('td', { 'data-label': 'Controller' }, session.controller?.name ?? '—'),
      h('td', { 'data-label': 'Started' }, h('time', { datetime: session.startedAt }, formatTime(session.startedAt))),
      h('td', { class: 'mono', 'data-label': 'Duration' }, formatDuration((session.durationSeconds ?? 0) * 1000)),
      h('td', { 'data-label': 'Participants', testid: `history-participants-${session.id}` },
        participants.length === 0 ? '—' : h('details', {},
          h('summary', {}, `${participants.length} ${participants.length === 1 ? 'person' : 'people'}`),
          h('ul', { class: 'plain-list' }, participants.map((p) => h('li', {},
            p.name, h('span', { class: 'muted small' },
              ` ${VIA[p.joinedVia] ?? p.joinedVia}, ${formatTime(p.joinedAt)}${p.leftAt ? `–${formatTime(p.leftAt)}` : ', still in'} (${formatDuration((p.durationSeconds ?? 0) * 1000)})`)))))),
      h('td', { 'data-label': 'End', testid: `history-end-${session.id}` },
        session.status === 'running' || session.status === 'in-session' || session.status === 'waiting'
          ? h('span', { class: 'muted' }, '—')
          : session.status === 'expired' ? endText(session)
            : [session.endMessage ?? session.endReason ?? 'Ended',
              session.endedBy ? h('span', { class: 'muted small' }, ` (by ${session.endedBy.name})`) : null,
              session.endedAt ? h('span', { class: 'muted small' }, ` ${formatTime(session.endedAt)}`) : null]));
  }

  return function dispose() {
    disposed = true;
  };
}

function describe(filters) {
  const parts = [];
  if (filters.endpointId) {
    parts.push(`endpoint ${filters.endpointId}`);
  }

  if (filters.applianceId) {
    parts.push(`appliance ${filters.applianceId}`);
  }

  if (filters.userId) {
    parts.push('one person');
  }

  if (filters.status) {
    parts.push(STATUSES.find(([value]) => value === filters.status)?.[1].toLowerCase() ?? filters.status);
  }

  if (filters.q) {
    parts.push(`matching "${filters.q}"`);
  }

  return parts.length > 0
    ? `Sessions for ${parts.join(', ')}, newest first.`
    : 'Every session you may see, newest first: administrators see their domain\'s, everyone else the sessions they took part in.';
}

function nextDay(date) {
  const day = new Date(`${date}T00:00:00Z`);
  day.setUTCDate(day.getUTCDate() + 1);
  return day.toISOString();
}

function dayBefore(iso) {
  const day = new Date(iso);
  if (Number.isNaN(day.getTime())) {
    return '';
  }

  day.setUTCDate(day.getUTCDate() - 1);
  return day.toISOString().slice(0, 10);
}
