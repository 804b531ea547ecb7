// A session's information page (#/history/{id}): what happened in one past (or running) session — endpoint, name,
// Controller(s), participants with their join and leave times, duration, status and how it ended, the notes, the
// chat, and the audit events that name the session. One request (GET /api/history/sessions/{id}); the cloud decides
// who may see it, as for the history list.

import { getHistorySession } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { formatDuration, formatTime } from '../format.js';
import { endText } from '../support.js';
import { statusCell } from './dashboard-support.js';

const VIA = { start: 'started it', list: 'from the list', code: 'by code', link: 'by invite link', email: 'by e-mail invitation' };

/**
 * @param {HTMLElement} root
 * @param {{sessionId: string}} context
 * @returns {() => void} dispose
 */
export function renderHistoryDetail(root, { sessionId }) {
  let disposed = false;
  const heading = h('h1', { tabindex: '-1', testid: 'history-detail-name' }, 'Session');
  const lead = h('p', { class: 'muted', testid: 'history-detail-endpoint' }, 'Loading…');
  const body = h('div', { class: 'history-detail', testid: 'history-detail', 'aria-busy': 'true' });
  root.replaceChildren(h('div', { class: 'dashboard' },
    h('p', { class: 'small' }, h('a', { href: '#/history', testid: 'history-back' }, '← All sessions')),
    h('div', { class: 'page-heading' }, heading, lead),
    body));
  document.title = 'Session — EdgeGateway';

  getHistorySession(sessionId).then((detail) => {
    if (!disposed) {
      show(detail ?? {});
    }
  }, (failure) => {
    if (!disposed) {
      lead.textContent = '';
      body.removeAttribute('aria-busy');
      replaceChildren(body, h('p', { class: 'notice notice-error', role: 'alert', testid: 'history-detail-error' },
        `Could not load the session: ${failure.message}`));
    }
  });

  function show({ session = {}, chat = [], notes = [], audit = [] }) {
    const name = session.name || session.endpointName || 'Session';
    heading.textContent = name;
    document.title = `${name} — EdgeGateway`;
    lead.textContent = `${session.endpointName ?? session.endpointId ?? '—'} on ${session.applianceName ?? session.applianceId ?? '—'}`;
    body.removeAttribute('aria-busy');
    replaceChildren(body,
      h('section', { class: 'panel panel-padded', 'aria-labelledby': 'detail-summary' },
        h('h2', { id: 'detail-summary', class: 'visually-hidden' }, 'Summary'),
        h('dl', { class: 'facts', testid: 'history-detail-facts' },
          fact('Status', statusCell(session, 'history-detail-status')),
          fact('Endpoint', `${session.endpointName ?? session.endpointId ?? '—'}`, 'history-detail-endpoint-name'),
          fact('Controller', controllers(session).join(', ') || '—', 'history-detail-controllers'),
          fact('Started', h('time', { datetime: session.startedAt }, formatTime(session.startedAt))),
          session.inSessionSince ? fact('In session from', h('time', { datetime: session.inSessionSince }, formatTime(session.inSessionSince))) : null,
          session.endedAt ? fact('Ended', h('time', { datetime: session.endedAt }, formatTime(session.endedAt))) : null,
          fact('Duration', formatDuration((session.durationSeconds ?? 0) * 1000), 'history-detail-duration'),
          session.status === 'ended' || session.status === 'expired' || session.endedAt
            ? fact('How it ended', endText(session), 'history-detail-end') : null)),
      section('Participants', 'history-detail-participants', participants(session.participants)),
      section('Notes', 'history-detail-notes', entries(notes, 'note', 'No notes were written.')),
      section('Chat', 'history-detail-chat', entries(chat, 'chat', 'Nobody wrote in the chat.')),
      section('Audit events', 'history-detail-audit', auditTable(audit)));
  }

  return function dispose() {
    disposed = true;
  };
}

/** The Controller, and everyone who held control (a handover makes more than one). */
function controllers(session) {
  const names = [];
  for (const person of [session.controller, ...(Array.isArray(session.controllers) ? session.controllers : [])]) {
    if (person?.name && !names.includes(person.name)) {
      names.push(person.name);
    }
  }

  return names;
}

function fact(term, value, testid) {
  return h('div', { class: 'fact' }, h('dt', {}, term), h('dd', { testid }, value));
}

function section(title, testid, content) {
  const id = `${testid}-heading`;
  return h('section', { class: 'panel', 'aria-labelledby': id },
    h('h2', { id, class: 'panel-title' }, title),
    h('div', { class: 'panel-body', testid }, content));
}

function participants(list) {
  const people = Array.isArray(list) ? list : [];
  if (people.length === 0) {
    return h('p', { class: 'empty' }, 'Nobody took part.');
  }

  return h('table', { class: 'table table-stack' },
    h('caption', { class: 'visually-hidden' }, 'Participants with their join and leave times'),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, 'Name'),
      h('th', { scope: 'col' }, 'Joined'),
      h('th', { scope: 'col' }, 'How'),
      h('th', { scope: 'col' }, 'Left'),
      h('th', { scope: 'col' }, 'Time in'))),
    h('tbody', {}, people.map((p, index) => h('tr', { testid: `history-participant-${index}` },
      h('th', { scope: 'row' }, p.name ?? p.id),
      h('td', { 'data-label': 'Joined' }, h('time', { datetime: p.joinedAt }, formatTime(p.joinedAt))),
      h('td', { 'data-label': 'How' }, VIA[p.joinedVia] ?? p.joinedVia ?? '—'),
      h('td', { 'data-label': 'Left' }, p.leftAt ? h('time', { datetime: p.leftAt }, formatTime(p.leftAt)) : 'still in'),
      h('td', { class: 'mono', 'data-label': 'Time in' }, formatDuration((p.durationSeconds ?? 0) * 1000))))));
}

function entries(list, kind, empty) {
  const items = Array.isArray(list) ? list : [];
  if (items.length === 0) {
    return h('p', { class: 'empty' }, empty);
  }

  return h('ol', { class: 'talk-list talk-list-history' }, items.map((item) => h('li', { class: 'talk-entry', testid: `history-${kind}-${item.id}` },
    h('div', { class: 'talk-meta' },
      h('strong', { class: 'talk-name' }, item.name ?? '—'),
      h('time', { class: 'muted small', datetime: item.at }, formatTime(item.at))),
    h('p', { class: 'talk-text' }, item.text ?? ''))));
}

function auditTable(events) {
  const list = Array.isArray(events) ? events : [];
  if (list.length === 0) {
    return h('p', { class: 'empty' }, 'No audit events name this session.');
  }

  return h('table', { class: 'table table-stack' },
    h('caption', { class: 'visually-hidden' }, 'Audit events of this session, oldest first'),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, 'Time'),
      h('th', { scope: 'col' }, 'Who'),
      h('th', { scope: 'col' }, 'Action'),
      h('th', { scope: 'col' }, 'Outcome'),
      h('th', { scope: 'col' }, 'Detail'))),
    h('tbody', {}, list.map((e) => h('tr', { testid: `history-audit-${e.seq}` },
      h('td', { 'data-label': 'Time' }, h('time', { datetime: e.at }, formatTime(e.at))),
      h('td', { 'data-label': 'Who' }, e.actor?.name ?? '—'),
      h('td', { class: 'mono', 'data-label': 'Action' }, e.action),
      h('td', { 'data-label': 'Outcome' }, h('span', { class: e.outcome === 'allowed' ? 'badge badge-online' : 'badge badge-offline' }, e.outcome),
        e.reason ? h('span', { class: 'muted small' }, ` ${e.reason}`) : null),
      h('td', { 'data-label': 'Detail' }, e.detail ?? '')))));
}
