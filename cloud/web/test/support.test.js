// Unit tests for support.js: the status words every page shows, invitation states, favourites first, and the checks
// on names, chat, notes and e-mail addresses. (What the pages do with them is checked in Chromium:
// SupportSessionBrowserTests.)

import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  MAX_CHAT, MAX_NAME, emailError, endText, endpointChoices, formatMinutes, inviteState, messageError, sessionNameError,
  statusBadge, statusText,
} from '../../wwwroot/js/support.js';

const MINUTE = 60_000;

test('durations are said in whole minutes, hours with two-digit minutes, then days', () => {
  assert.equal(formatMinutes(0), 'under a minute');
  assert.equal(formatMinutes(59_999), 'under a minute');
  assert.equal(formatMinutes(MINUTE), '1 min');
  assert.equal(formatMinutes(25 * MINUTE + 59_000), '25 min');
  assert.equal(formatMinutes(60 * MINUTE), '1 h 00 min');
  assert.equal(formatMinutes(125 * MINUTE), '2 h 05 min');
  assert.equal(formatMinutes(24 * 60 * MINUTE), '1 day 0 h');
  assert.equal(formatMinutes(51 * 60 * MINUTE), '2 days 3 h');
  assert.equal(formatMinutes(-5 * MINUTE), 'under a minute'); // clock skew
  assert.equal(formatMinutes(Number.NaN), 'under a minute');
});

test('each status has its words; in session counts from inSessionSince', () => {
  const now = Date.parse('2026-11-30T10:25:00Z');
  assert.equal(statusText('waiting'), 'Waiting for participant');
  assert.equal(statusText('in-session', { inSessionSince: '2026-11-30T10:00:00Z', now }), 'In session for 25 min');
  assert.equal(statusText('in-session', { inSessionSince: '2026-11-30T10:24:30Z', now }), 'In session for under a minute');
  assert.equal(statusText('in-session'), 'In session');
  assert.equal(statusText('in-session', { inSessionSince: 'not a time', now }), 'In session');
  assert.equal(statusText('running', { inSessionSince: '2026-11-30T08:20:00Z', now }), 'In session for 2 h 05 min');
  assert.equal(statusText('appliance-offline', { inSessionSince: '2026-11-30T10:00:00Z', now }), 'Appliance offline');
  assert.equal(statusText('ended'), 'Ended');
  assert.equal(statusText('expired'), 'Expired');
  assert.equal(statusText('paused-by-admin'), 'Paused by admin');
  assert.equal(statusText(undefined), 'Unknown');
});

test('badges differ between waiting, in session, offline and over', () => {
  assert.equal(statusBadge('waiting'), 'badge-pending');
  assert.equal(statusBadge('in-session'), 'badge-online');
  assert.equal(statusBadge('appliance-offline'), 'badge-warning');
  assert.equal(statusBadge('ended'), 'badge-watching');
  assert.equal(statusBadge('expired'), 'badge-offline');
  assert.equal(statusBadge('something-new'), 'badge-pending');
});

test('an invitation takes the cloud\'s status, or derives one from revokedAt and expiresAt', () => {
  const now = Date.parse('2026-11-30T10:00:00Z');
  assert.deepEqual(inviteState({ status: 'accepted' }, now), { status: 'accepted', text: 'Accepted', open: true });
  assert.deepEqual(inviteState({ status: 'pending' }, now), { status: 'pending', text: 'Pending', open: true });
  assert.equal(inviteState({ status: 'expired' }, now).open, false);
  assert.equal(inviteState({ expiresAt: '2026-11-30T11:00:00Z' }, now).text, 'Pending');
  assert.equal(inviteState({ expiresAt: '2026-11-30T09:00:00Z' }, now).text, 'Expired');
  assert.equal(inviteState({ expiresAt: '2026-11-30T11:00:00Z', revokedAt: '2026-11-30T09:30:00Z' }, now).text, 'Revoked');
});

test('favourite endpoints come first, then by appliance and endpoint name; unusable ones are left out', () => {
  const appliances = [
    { id: 'b', name: 'Plant B', endpoints: [{ id: 'b1', name: 'Press', protocol: 'ssh' }, { id: 'b2', name: 'Camera', protocol: 'rtsp' }] },
    { id: 'a', name: 'Plant A', endpoints: [{ id: 'a2', name: 'Robot', protocol: 'ssh' }, { id: 'a1', name: 'HMI', protocol: 'vnc' }] },
  ];
  const choices = endpointChoices(appliances, [{ applianceId: 'b', endpointId: 'b1' }], (e) => e.protocol !== 'rtsp');
  assert.deepEqual(choices.map((c) => [c.endpoint.id, c.favourite]), [['b1', true], ['a1', false], ['a2', false]]);
  assert.deepEqual(endpointChoices(null, null), []);
});

test('a session name is 1 to 120 characters without control characters', () => {
  assert.equal(sessionNameError('Line 3 HMI frozen after update'), null);
  assert.match(sessionNameError('   '), /Give the session a name/);
  assert.equal(sessionNameError('x'.repeat(MAX_NAME)), null);
  assert.match(sessionNameError('x'.repeat(MAX_NAME + 1)), /121 characters long; at most 120/);
  assert.match(sessionNameError('bad\u0007bell'), /control characters/);
  assert.match(sessionNameError('two\nlines'), /control characters/);
});

test('chat and notes keep line breaks but refuse other control characters and overlong text', () => {
  assert.equal(messageError('first line\nsecond line', MAX_CHAT), null);
  assert.match(messageError(' \n ', MAX_CHAT), /Write a message first/);
  assert.match(messageError('y'.repeat(MAX_CHAT + 1), MAX_CHAT), /2001 characters long; at most 2000/);
  assert.match(messageError('esc \u001b[31m', MAX_CHAT, 'note'), /note cannot hold control characters/);
});

test('e-mail addresses need a name, an @ and a domain with a dot', () => {
  assert.equal(emailError('ops@example.com'), null);
  assert.match(emailError(''), /Enter the e-mail address/);
  assert.match(emailError('ops@example'), /not an e-mail address/);
  assert.match(emailError('two words@example.com'), /not an e-mail address/);
});

test('the end says who ended the session and why, or that it expired', () => {
  assert.equal(endText({ status: 'ended', endedBy: { name: 'Carla' }, endMessage: 'Carla ended the session.' }), 'Ended by Carla: Carla ended the session.');
  assert.equal(endText({ status: 'ended' }), 'Ended.');
  assert.equal(endText({ status: 'expired' }), 'Expired: the invitation ran out before anyone joined.');
});
