// Unit tests for the browser's frame codec: `npm test` in cloud/web (Node's built-in test runner).
// The byte layouts mirror protocol/Stream/FrameCodec.cs so a drift between the two shows up here.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';

import {
  FrameType, HEADER_SIZE, InputEncoder, decodeEnd, decodeFrame, decodeSize, decodeSnapshot, describeEnd, encodeFrame,
  encodeSize, formatBytes, pasteRefusal,
} from '../../wwwroot/js/frames.js';
import { formatDuration } from '../../wwwroot/js/format.js';

let warnings;
let originalWarn;
beforeEach(() => {
  warnings = [];
  originalWarn = console.warn;
  console.warn = (...args) => warnings.push(args.join(' '));
});
afterEach(() => {
  console.warn = originalWarn;
});

describe('encodeFrame', () => {
  test('writes the version-1 header big-endian', () => {
    const frame = encodeFrame(FrameType.TerminalInput, new Uint8Array([0x61, 0x62]), 0x0102030405060708n, 1);
    assert.deepEqual([...frame], [
      1, 0x80, 0x00, 0x01,
      0x00, 0x00, 0x00, 0x02,
      0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
      0x61, 0x62,
    ]);
  });

  test('round-trips through decodeFrame', () => {
    const frame = decodeFrame(encodeFrame(FrameType.TerminalOutput, new Uint8Array([1, 2, 3]), 42, 0).buffer);
    assert.equal(frame.type, FrameType.TerminalOutput);
    assert.equal(frame.sequence, 42n);
    assert.equal(frame.keyframe, false);
    assert.deepEqual([...frame.payload], [1, 2, 3]);
  });
});

describe('decodeFrame ignores bad input without throwing', () => {
  const good = () => encodeFrame(FrameType.TerminalOutput, new Uint8Array([9, 9]), 7);

  test('short buffer', () => {
    assert.equal(decodeFrame(new Uint8Array(HEADER_SIZE - 1)), null);
    assert.equal(decodeFrame(new ArrayBuffer(0)), null);
    assert.equal(warnings.length, 2);
  });

  test('wrong version', () => {
    const bytes = good();
    bytes[0] = 2;
    assert.equal(decodeFrame(bytes), null);
    assert.match(warnings[0], /version 2/);
  });

  test('declared length longer than the message', () => {
    const bytes = good().subarray(0, HEADER_SIZE + 1);
    assert.equal(decodeFrame(bytes), null);
  });

  test('trailing bytes after the payload', () => {
    const bytes = new Uint8Array(HEADER_SIZE + 3);
    bytes.set(good());
    assert.equal(decodeFrame(bytes), null);
  });

  test('a huge declared length', () => {
    const bytes = good();
    new DataView(bytes.buffer).setUint32(4, 0xffffffff);
    assert.equal(decodeFrame(bytes), null);
  });

  test('not a buffer at all', () => {
    assert.equal(decodeFrame(undefined), null);
  });

  test('a frame inside a larger buffer (offset view)', () => {
    const backing = new Uint8Array(100);
    const frame = good();
    backing.set(frame, 10);
    const decoded = decodeFrame(backing.subarray(10, 10 + frame.length));
    assert.equal(decoded.sequence, 7n);
    assert.deepEqual([...decoded.payload], [9, 9]);
  });
});

describe('payloads', () => {
  test('snapshot: size then screen bytes, keyframe flag', () => {
    const screen = new TextEncoder().encode('\x1b[H$ ');
    const payload = new Uint8Array(4 + screen.length);
    payload.set(encodeSize(132, 43));
    payload.set(screen, 4);
    const frame = decodeFrame(encodeFrame(FrameType.TerminalSnapshot, payload, 5, 1));
    assert.equal(frame.keyframe, true);
    const snapshot = decodeSnapshot(frame.payload);
    assert.equal(snapshot.cols, 132);
    assert.equal(snapshot.rows, 43);
    assert.equal(new TextDecoder().decode(snapshot.screen), '\x1b[H$ ');
  });

  test('size out of range or short is rejected', () => {
    assert.equal(decodeSize(encodeSize(0, 24)), null);
    assert.equal(decodeSize(encodeSize(80, 1001)), null);
    assert.equal(decodeSize(new Uint8Array(3)), null);
    assert.deepEqual(decodeSize(encodeSize(1000, 1)), { cols: 1000, rows: 1 });
  });

  test('end: reason byte then UTF-8 message', () => {
    const message = new TextEncoder().encode('Beendet – admin');
    const payload = new Uint8Array(1 + message.length);
    payload[0] = 3;
    payload.set(message, 1);
    assert.deepEqual(decodeEnd(payload), { reason: 3, message: 'Beendet – admin' });
    assert.equal(describeEnd(3, ''), 'An administrator terminated the session.');
    assert.equal(describeEnd(3, 'Stopped by Ada.'), 'Stopped by Ada.');
    assert.deepEqual(decodeEnd(new Uint8Array(0)), { reason: 0, message: '' });
  });
});

describe('InputEncoder', () => {
  test('numbers input frames from 0 and encodes text as UTF-8', () => {
    const input = new InputEncoder();
    const first = decodeFrame(input.text('ä\r'));
    const second = decodeFrame(input.resize(100, 30));
    assert.equal(first.type, FrameType.TerminalInput);
    assert.equal(first.sequence, 0n);
    assert.deepEqual([...first.payload], [0xc3, 0xa4, 0x0d]);
    assert.equal(second.type, FrameType.TerminalResizeRequest);
    assert.equal(second.sequence, 1n);
    assert.deepEqual(decodeSize(second.payload), { cols: 100, rows: 30 });
  });

  test('binary input keeps one byte per character', () => {
    const frame = decodeFrame(new InputEncoder().binary('\x1b[M\xff\x80'));
    assert.deepEqual([...frame.payload], [0x1b, 0x5b, 0x4d, 0xff, 0x80]);
  });
});

describe('formatDuration', () => {
  test('reads like 3m 12s', () => {
    assert.equal(formatDuration(-5000), '0s');
    assert.equal(formatDuration(45_900), '45s');
    assert.equal(formatDuration(192_000), '3m 12s');
    assert.equal(formatDuration(3_900_000), '1h 05m');
    assert.equal(formatDuration(90_000_000), '1d 1h');
  });
});

describe('pasteRefusal', () => {
  test('lets input up to the limit through', () => {
    assert.equal(pasteRefusal(1, 4 * 1024 * 1024), null);
    assert.equal(pasteRefusal(4 * 1024 * 1024, 4 * 1024 * 1024), null);
  });

  test('refuses input over the limit with both sizes in the sentence', () => {
    assert.equal(pasteRefusal(4 * 1024 * 1024 + 1, 4 * 1024 * 1024),
      'The paste was not sent: it has 4,194,305 bytes, and a paste may have at most 4,194,304 bytes (4 MiB).');
    assert.equal(pasteRefusal(74752, 65536),
      'The paste was not sent: it has 74,752 bytes, and a paste may have at most 65,536 bytes (64 KiB).');
  });

  test('without an announced limit nothing is refused', () => {
    assert.equal(pasteRefusal(1 << 30, undefined), null);
    assert.equal(pasteRefusal(1 << 30, 0), null);
  });
});

describe('formatBytes', () => {
  test('picks the unit a person reads', () => {
    assert.equal(formatBytes(812), '812 bytes');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(1024 * 1024), '1 MiB');
  });
});
