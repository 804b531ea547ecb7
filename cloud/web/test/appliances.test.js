// Unit tests for the Add appliance page's helpers: the code as typed, and the certificate's state in the list.
// (The page itself is checked in Chromium: PairingBrowserTests.)

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { certificateState, formatPairingCode } from '../../wwwroot/js/views/appliances.js';

test('a code is shown as the appliance shows it, whatever was typed', () => {
  assert.equal(formatPairingCode('bcdfghjk'), 'BCDF-GHJK');
  assert.equal(formatPairingCode(' bcdf ghjk '), 'BCDF-GHJK');
  assert.equal(formatPairingCode('BCDF-GHJK'), 'BCDF-GHJK');
  assert.equal(formatPairingCode('bcd'), 'BCD');
  assert.equal(formatPairingCode('bc1d'), 'BCD'); // digits are never in a code
});

test('a certificate is valid until its expiry with the days left, expired after, and revoked above all', () => {
  const now = Date.parse('2026-11-30T10:00:00Z');
  assert.match(certificateState({ certificateNotAfter: '2027-02-28T10:00:00Z' }, now), /^Valid until .* \(90 days left\)$/);
  assert.match(certificateState({ certificateNotAfter: '2026-12-01T09:00:00Z' }, now), /\(less than a day left\)$/);
  assert.equal(certificateState({ certificateNotAfter: '2026-11-30T09:59:59Z' }, now), 'Expired');
  assert.equal(certificateState({ certificateNotAfter: '2027-02-28T10:00:00Z', revokedAt: '2026-11-29T10:00:00Z' }, now), 'Revoked');
  assert.equal(certificateState({}, now), 'No certificate from pairing');
});
