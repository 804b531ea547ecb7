// Unit tests for keys.js: which hardware key the extra-keys row hands to xterm.js for a name or a typed
// character. (The bytes xterm.js answers with are checked in Chromium: BrowserPhoneTests.)

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { keyForText, namedKey } from '../../wwwroot/js/keys.js';

test('named keys carry the keyCode xterm.js evaluates', () => {
  assert.deepEqual(namedKey('ArrowUp'), { key: 'ArrowUp', keyCode: 38, shiftKey: false });
  assert.deepEqual(namedKey('Escape'), { key: 'Escape', keyCode: 27, shiftKey: false });
  assert.deepEqual(namedKey('PageDown'), { key: 'PageDown', keyCode: 34, shiftKey: false });
  assert.equal(namedKey('toString'), null);
  assert.equal(namedKey('F13'), null);
});

test('a typed character becomes its US-layout key, with Shift where the layout needs it', () => {
  assert.deepEqual(keyForText('c'), { key: 'c', keyCode: 67, shiftKey: false });
  assert.deepEqual(keyForText('C'), { key: 'C', keyCode: 67, shiftKey: true });
  assert.deepEqual(keyForText('|'), { key: '|', keyCode: 220, shiftKey: true });
  assert.deepEqual(keyForText('['), { key: '[', keyCode: 219, shiftKey: false });
  assert.deepEqual(keyForText('_'), { key: '_', keyCode: 189, shiftKey: true });
  assert.deepEqual(keyForText(' '), { key: ' ', keyCode: 32, shiftKey: false });
});

test('control characters a touch keyboard sends as text are the named keys', () => {
  assert.equal(keyForText('\r').key, 'Enter');
  assert.equal(keyForText('\t').key, 'Tab');
  assert.equal(keyForText('\x7f').key, 'Backspace');
  assert.equal(keyForText('\x1b').key, 'Escape');
});

test('characters no US key types have no key', () => {
  assert.equal(keyForText('é'), null);
  assert.equal(keyForText('€'), null);
  assert.equal(keyForText('ab'), null);
  assert.equal(keyForText(''), null);
});
