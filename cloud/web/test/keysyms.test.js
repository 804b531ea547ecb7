// X keysyms for KeyboardEvent.key (RFC 6143 §7.5.4, X11 keysymdef.h), as the display page sends them in KeyInput.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { CTRL_ALT_DEL, characterKeysym, keysymFor } from '../../wwwroot/js/keysyms.js';

describe('keysymFor', () => {
  test('printable Latin-1 characters are their code point', () => {
    assert.deepEqual(['a', 'A', '1', ' ', '~', 'é', 'ö', 'ß', '£', '\u00a0'].map((key) => keysymFor({ key })),
      [0x61, 0x41, 0x31, 0x20, 0x7e, 0xe9, 0xf6, 0xdf, 0xa3, 0xa0]);
  });

  test('other Unicode characters are 0x01000000 + code point, astral ones included', () => {
    assert.equal(keysymFor({ key: '€' }), 0x010020ac);
    assert.equal(keysymFor({ key: 'ж' }), 0x01000436);
    assert.equal(keysymFor({ key: 'あ' }), 0x01003042);
    assert.equal(keysymFor({ key: '😀' }), 0x0101f600);
  });

  test('named keys', () => {
    const expected = {
      Enter: 0xff0d, Backspace: 0xff08, Tab: 0xff09, Escape: 0xff1b, Delete: 0xffff, Insert: 0xff63,
      Home: 0xff50, End: 0xff57, PageUp: 0xff55, PageDown: 0xff56,
      ArrowLeft: 0xff51, ArrowUp: 0xff52, ArrowRight: 0xff53, ArrowDown: 0xff54,
      F1: 0xffbe, F2: 0xffbf, F10: 0xffc7, F12: 0xffc9, CapsLock: 0xffe5, ContextMenu: 0xff67, PrintScreen: 0xff61,
    };
    for (const [key, keysym] of Object.entries(expected)) {
      assert.equal(keysymFor({ key }), keysym, key);
    }
  });

  test('modifiers: left and right keysyms by location', () => {
    assert.deepEqual(['Shift', 'Control', 'Alt', 'Meta'].map((key) => keysymFor({ key, location: 1 })), [0xffe1, 0xffe3, 0xffe9, 0xffeb]);
    assert.deepEqual(['Shift', 'Control', 'Alt', 'Meta'].map((key) => keysymFor({ key, location: 2 })), [0xffe2, 0xffe4, 0xffea, 0xffec]);
    assert.equal(keysymFor({ key: 'AltGraph' }), 0xfe03);
  });

  test('keys that send nothing', () => {
    for (const key of ['Dead', 'Unidentified', 'Process', '', 'F36', '\u0007', '\u007f', '\u0085', 'ab']) {
      assert.equal(keysymFor({ key }), null, JSON.stringify(key));
    }

    assert.equal(keysymFor({}), null);
    assert.equal(characterKeysym(0x1f), null);
  });

  test('Ctrl+Alt+Del', () => {
    assert.deepEqual(CTRL_ALT_DEL, [0xffe3, 0xffe9, 0xffff]);
  });
});
