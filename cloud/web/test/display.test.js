// Display frames (contract §1, protocol/Display/DisplayFrames.cs) as the page applies them, from hand-built payloads;
// and the vendored inflater (pako) on sync-flushed chunks of one continuing raw-deflate stream, made by Node's zlib
// (the same library .NET's DeflateStream wraps).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import zlib from 'node:zlib';
import { Inflate } from 'pako';

import {
  DisplayError, DisplayMeter, DisplayState, decodeClipboard, decodeCursor, decodePointer, desktopSizeFor, encodeKey, encodePointer, encodeResizeRequest,
  formatRate, paletteBits,
} from '../../wwwroot/js/display.js';

const inflater = { Inflate };

/** Big-endian bytes from a list of [value, size] and plain byte arrays. */
function bytes(...parts) {
  const out = [];
  for (const part of parts) {
    if (Array.isArray(part) && part.length === 2 && typeof part[1] === 'number' && part[1] <= 4 && !Array.isArray(part[0])) {
      const [value, size] = part;
      for (let i = size - 1; i >= 0; i--) {
        out.push(Math.floor(value / 2 ** (8 * i)) & 0xff);
      }
    } else {
      out.push(...part);
    }
  }

  return Uint8Array.from(out);
}

const u8 = (v) => [v, 1];
const u16 = (v) => [v, 2];

function init(width, height, name = 'test') {
  const n = new TextEncoder().encode(name);
  return bytes(u16(width), u16(height), u8(1), u8(0), u16(n.length), [...n]);
}

function update(compression, rects, data = []) {
  return bytes(u16(rects.length), u8(compression), u8(0), ...rects, [...data]);
}

const solid = (x, y, w, h, r, g, b) => [...bytes(u8(1), u16(x), u16(y), u16(w), u16(h), u8(r), u8(g), u8(b))];
const copy = (x, y, w, h, sx, sy) => [...bytes(u8(2), u16(x), u16(y), u16(w), u16(h), u16(sx), u16(sy))];
const pixels = (x, y, w, h) => [...bytes(u8(3), u16(x), u16(y), u16(w), u16(h))];
const palette = (x, y, w, h, n) => [...bytes(u8(4), u16(x), u16(y), u16(w), u16(h), u8(n))];

/** The RGB of pixel (x, y). */
function at(state, x, y) {
  const i = (y * state.width + x) * 4;
  return [state.pixels[i], state.pixels[i + 1], state.pixels[i + 2]];
}

function fresh(width = 8, height = 4) {
  const state = new DisplayState(inflater);
  state.init(init(width, height));
  return state;
}

/** Raw-deflate chunks of ONE stream, each ended with a sync flush, as the appliance sends them. */
async function syncFlushedChunks(...inputs) {
  const deflate = zlib.createDeflateRaw();
  const received = [];
  deflate.on('data', (chunk) => received.push(chunk));
  const chunks = [];
  for (const input of inputs) {
    deflate.write(Buffer.from(input));
    await new Promise((resolve) => deflate.flush(zlib.constants.Z_SYNC_FLUSH, resolve));
    chunks.push(new Uint8Array(Buffer.concat(received.splice(0))));
  }

  deflate.end();
  return chunks;
}

describe('DisplayInit', () => {
  test('sizes a black screen and names it', () => {
    const state = new DisplayState(inflater);
    const info = state.init(init(3, 2, 'Xvnc ö'));
    assert.deepEqual([info.width, info.height, info.name], [3, 2, 'Xvnc ö']);
    assert.equal(state.pixels.length, 3 * 2 * 4);
    assert.deepEqual(at(state, 2, 1), [0, 0, 0]);
    assert.equal(state.pixels[3], 255);
    assert.ok(state.inSync);
  });

  test('refuses a zero size, another pixel format and a name longer than the payload', () => {
    const state = new DisplayState(inflater);
    assert.throws(() => state.init(init(0, 2)), DisplayError);
    assert.throws(() => state.init(bytes(u16(2), u16(2), u8(2), u8(0), u16(0))), /pixel format/);
    assert.throws(() => state.init(bytes(u16(2), u16(2), u8(1), u8(0), u16(9), [1, 2])), /name/);
    assert.equal(state.inSync, false);
  });

  test('refuses a display larger than the page holds', () => {
    assert.throws(() => new DisplayState(inflater).init(init(65535, 65535)), /larger/);
  });
});

describe('DisplayUpdate, uncompressed', () => {
  test('solid, pixels and copy-rect apply in order', () => {
    const state = fresh(4, 2);
    const box = state.update(update(0, [solid(0, 0, 4, 2, 10, 20, 30), pixels(1, 0, 2, 1), copy(0, 1, 2, 1, 1, 0)],
      [1, 2, 3, 4, 5, 6]));
    assert.deepEqual(box, { x: 0, y: 0, width: 4, height: 2 });
    assert.deepEqual([at(state, 0, 0), at(state, 1, 0), at(state, 2, 0), at(state, 3, 0)],
      [[10, 20, 30], [1, 2, 3], [4, 5, 6], [10, 20, 30]]);
    assert.deepEqual([at(state, 0, 1), at(state, 1, 1), at(state, 2, 1)], [[1, 2, 3], [4, 5, 6], [10, 20, 30]]);
  });

  test('an overlapping copy-rect copies the source as it was before', () => {
    const state = fresh(4, 4);
    // Rows 0..3 get colours 0..3, then rows 0..2 move down by one: the result is 0, 0, 1, 2.
    const rows = [0, 1, 2, 3].map((r) => solid(0, r, 4, 1, r, r, r));
    state.update(update(0, [...rows, copy(0, 1, 4, 3, 0, 0)]));
    assert.deepEqual([0, 1, 2, 3].map((y) => at(state, 3, y)[0]), [0, 0, 1, 2]);
    // And up by one, and right to left within a row.
    state.update(update(0, [copy(0, 0, 4, 3, 0, 1)]));
    assert.deepEqual([0, 1, 2, 3].map((y) => at(state, 0, y)[0]), [0, 1, 2, 2]);
    state.update(update(0, [...[0, 1, 2, 3].map((x) => solid(x, 0, 1, 1, x, x, x)), copy(1, 0, 3, 1, 0, 0)]));
    assert.deepEqual([0, 1, 2, 3].map((x) => at(state, x, 0)[0]), [0, 0, 1, 2]);
  });

  test('palette indices: 1 bit for 2 colours, leftmost pixel in the high bit, rows padded to a byte', () => {
    assert.deepEqual([2, 3, 4, 5, 16, 17, 255].map(paletteBits), [1, 2, 2, 4, 4, 8, 8]);
    const state = fresh(10, 2);
    const colours = [9, 9, 9, 200, 100, 50];
    // Row 0: 1 0 1 1 0 0 0 0 | 1 1 (then padding); row 1: 0 1 0 0 0 0 0 0 | 0 1.
    state.update(update(0, [palette(0, 0, 10, 2, 2)], [...colours, 0b10110000, 0b11000000, 0b01000000, 0b01000000]));
    const row = (y) => Array.from({ length: 10 }, (_, x) => (at(state, x, y)[0] === 200 ? 1 : 0));
    assert.deepEqual(row(0), [1, 0, 1, 1, 0, 0, 0, 0, 1, 1]);
    assert.deepEqual(row(1), [0, 1, 0, 0, 0, 0, 0, 0, 0, 1]);
  });

  test('palette indices: 2 bits for up to 4 colours, 4 bits for up to 16, a byte above', () => {
    const state = fresh(5, 1);
    const four = [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3];
    state.update(update(0, [palette(0, 0, 5, 1, 4)], [...four, 0b00011011, 0b10000000]));
    assert.deepEqual([0, 1, 2, 3, 4].map((x) => at(state, x, 0)[0]), [0, 1, 2, 3, 2]);

    const sixteen = Array.from({ length: 16 * 3 }, (_, i) => Math.floor(i / 3) * 10);
    state.update(update(0, [palette(0, 0, 3, 1, 16)], [...sixteen, 0xf0, 0x70]));
    assert.deepEqual([0, 1, 2].map((x) => at(state, x, 0)[0]), [150, 0, 70]);

    const many = Array.from({ length: 17 * 3 }, (_, i) => Math.floor(i / 3));
    state.update(update(0, [palette(1, 0, 2, 1, 17)], [...many, 16, 5]));
    assert.deepEqual([1, 2].map((x) => at(state, x, 0)[0]), [16, 5]);
  });

  test('a palette index beyond the palette is malformed', () => {
    const state = fresh(2, 1);
    assert.throws(() => state.update(update(0, [palette(0, 0, 2, 1, 3)], [1, 1, 1, 2, 2, 2, 3, 3, 3, 0b11000000])), /index 3/);
  });

  test('malformed updates throw and leave the display out of sync until the next DisplayInit', () => {
    const cases = [
      update(0, [solid(6, 0, 3, 1, 1, 1, 1)]), // outside the display
      update(0, [solid(0, 0, 0, 1, 1, 1, 1)]), // empty rectangle
      update(0, [copy(0, 0, 2, 2, 7, 3)]), // source outside
      update(0, [pixels(0, 0, 2, 1)], [1, 2, 3, 4, 5]), // data one byte short
      update(0, [pixels(0, 0, 1, 1)], [1, 2, 3, 4]), // one byte too many
      update(0, [[9, 0, 0, 0, 0, 0, 1, 0, 1]]), // unknown kind
      update(0, [palette(0, 0, 1, 1, 1)], [1, 2, 3, 0]), // one-colour palette
      update(2, []), // unknown compression
      bytes(u16(2), u8(0), u8(0), ...[solid(0, 0, 1, 1, 1, 1, 1)]), // second rectangle missing
      bytes(u16(0)), // short header
    ];
    for (const payload of cases) {
      const state = fresh();
      assert.throws(() => state.update(payload), DisplayError);
      assert.equal(state.inSync, false);
      assert.throws(() => state.update(update(0, [solid(0, 0, 1, 1, 1, 1, 1)])), /waiting for a keyframe/);
      state.init(init(8, 4));
      state.update(update(0, [solid(0, 0, 1, 1, 1, 2, 3)]));
      assert.deepEqual(at(state, 0, 0), [1, 2, 3]);
    }
  });
});

describe('DisplayUpdate, deflate', () => {
  test('pako inflates sync-flushed chunks of one continuing stream one by one', async () => {
    const parts = [new Uint8Array(5000).fill(7), Uint8Array.from({ length: 3000 }, (_, i) => i % 251), new Uint8Array(0), new Uint8Array(10).fill(7)];
    const chunks = await syncFlushedChunks(...parts);
    const inflate = new Inflate({ raw: true });
    for (const [i, chunk] of chunks.entries()) {
      const out = [];
      inflate.onData = (piece) => out.push(...piece);
      inflate.push(chunk, 2);
      assert.equal(inflate.err, 0);
      assert.deepEqual(out, [...parts[i]], `chunk ${i} inflated on its own arrival`);
    }
  });

  test('two frames of one deflate stream: the second refers back to the first', async () => {
    // The same 48 pixels twice: the second chunk is a back-reference into the first one's window.
    const data = Uint8Array.from({ length: 4 * 4 * 3 }, (_, i) => (i * 37) % 256);
    const [first, second] = await syncFlushedChunks(data, data);
    assert.ok(second.byteLength < first.byteLength / 2, 'the second chunk depends on the first');
    const state = fresh(8, 4);
    state.update(update(1, [pixels(0, 0, 4, 4)], first));
    const box = state.update(update(1, [pixels(4, 0, 4, 4)], second));
    assert.deepEqual(box, { x: 4, y: 0, width: 4, height: 4 });
    for (let y = 0; y < 4; y++) {
      for (let x = 0; x < 4; x++) {
        const s = (y * 4 + x) * 3;
        const expected = [data[s], data[s + 1], data[s + 2]];
        assert.deepEqual(at(state, x, y), expected);
        assert.deepEqual(at(state, x + 4, y), expected);
      }
    }
  });

  test('a mixed batch: the data section is the Pixels and Palette data in rect order', async () => {
    const [chunk] = await syncFlushedChunks(Uint8Array.from([1, 2, 3, 9, 9, 9, 200, 0, 0, 0b01000000]));
    const state = fresh(4, 1);
    state.update(update(1, [pixels(0, 0, 1, 1), solid(1, 0, 1, 1, 5, 5, 5), palette(2, 0, 2, 1, 2)], chunk));
    assert.deepEqual([0, 1, 2, 3].map((x) => at(state, x, 0)), [[1, 2, 3], [5, 5, 5], [9, 9, 9], [200, 0, 0]]);
  });

  test('a new DisplayInit starts a new inflate context', async () => {
    const data = new Uint8Array(12).fill(42);
    const [first] = await syncFlushedChunks(data);
    const [again] = await syncFlushedChunks(data); // a new stream, as after a keyframe
    const state = fresh(2, 2);
    state.update(update(1, [pixels(0, 0, 2, 2)], first));
    state.init(init(2, 2));
    state.update(update(1, [pixels(0, 0, 2, 2)], again));
    assert.deepEqual(at(state, 1, 1), [42, 42, 42]);
  });

  test('an inflate error, or more or fewer bytes than the rectangles need, puts the display out of sync', async () => {
    const [twelve] = await syncFlushedChunks(new Uint8Array(12).fill(1));
    const cases = [
      { rects: [pixels(0, 0, 2, 2)], data: Uint8Array.from([0xff, 0xff, 0xff, 0xff]) }, // not deflate
      { rects: [pixels(0, 0, 1, 1)], data: twelve }, // inflates to 12, needs 3
      { rects: [pixels(0, 0, 2, 3)], data: twelve }, // inflates to 12, needs 18
    ];
    for (const { rects, data } of cases) {
      const state = fresh(2, 3);
      assert.throws(() => state.update(update(1, rects, data)), DisplayError);
      assert.equal(state.inSync, false);
    }
  });
});

describe('cursor, pointer, clipboard, input', () => {
  test('DisplayCursor: hot spot, size, RGBA; 0×0 means the device shows none', () => {
    const state = fresh();
    const rgba = [255, 0, 0, 255, 0, 0, 0, 0];
    const cursor = state.setCursor(bytes(u16(1), u16(0), u16(2), u16(1), rgba));
    assert.deepEqual([cursor.hotX, cursor.hotY, cursor.width, cursor.height, [...cursor.rgba]], [1, 0, 2, 1, rgba]);
    assert.equal(state.setCursor(bytes(u16(0), u16(0), u16(0), u16(0))), null);
    assert.throws(() => decodeCursor(bytes(u16(0), u16(0), u16(257), u16(1), new Array(257 * 4).fill(0))), /cursor/);
    assert.throws(() => decodeCursor(bytes(u16(0), u16(0), u16(2), u16(2), [1, 2, 3])), /cursor/);
  });

  test('DisplayPointer and DisplayClipboard', () => {
    assert.deepEqual(decodePointer(bytes(u16(300), u16(2), u8(5))), { x: 300, y: 2, buttons: 5 });
    assert.throws(() => decodePointer(bytes(u16(1))), DisplayError);
    assert.equal(decodeClipboard(new TextEncoder().encode('grüße')), 'grüße');
    assert.equal(decodeClipboard(new Uint8Array(256 * 1024 + 1)), null);
  });

  test('PointerInput and KeyInput are 5 bytes, big-endian', () => {
    assert.deepEqual([...encodePointer(0b10001, 0x0102, 0x0304)], [0x11, 1, 2, 3, 4]);
    assert.deepEqual([...encodeKey(true, 0xffe1)], [1, 0, 0, 0xff, 0xe1]);
    assert.deepEqual([...encodeKey(false, 0x010020ac)], [0, 1, 0, 0x20, 0xac]);
  });

  test('the meter counts painted frames and bytes over the last second', () => {
    const meter = new DisplayMeter();
    meter.note(0, 1000, true);
    meter.note(500, 500, false);
    meter.note(900, 250, true);
    assert.deepEqual(meter.read(999), { fps: 2, bytesPerSecond: 1750 });
    assert.deepEqual(meter.read(1400), { fps: 1, bytesPerSecond: 750 });
    assert.deepEqual(meter.read(5000), { fps: 0, bytesPerSecond: 0 });
    assert.deepEqual([formatRate(250000), formatRate(1000), formatRate(12)], ['2.0 Mbit/s', '8 kbit/s', '96 bit/s']);
  });
});

describe('DisplayResizeRequest (RDP)', () => {
  test('asks for an even desktop within 200–8192 pixels, encoded as two u16 big-endian', () => {
    assert.deepEqual(desktopSizeFor(1365, 767), { width: 1364, height: 766 });
    assert.deepEqual(desktopSizeFor(90, 10000), { width: 200, height: 8192 });
    assert.deepEqual([...encodeResizeRequest(1364, 766)], [0x05, 0x54, 0x02, 0xfe]);
  });
});
