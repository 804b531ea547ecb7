// The remote display (VNC, later RDP) as display frames describe it: the browser side of protocol/Display/DisplayFrames.cs
// (docs/vnc-contract §1). All integers big-endian.
//
//   DisplayInit (0x10, keyframe)  u16 width, u16 height, u8 pixelFormat (1 = RGB888), u8 0, u16 nameLength, name UTF-8
//   DisplayUpdate (0x11)          u16 rectCount, u8 compression (0 none, 1 deflate), u8 0, rect headers, data section
//       rect header                u8 kind, u16 x, u16 y, u16 w, u16 h, then 1 Solid: r g b · 2 CopyRect: u16 srcX, srcY
//                                  · 3 Pixels: — · 4 Palette: u8 n (2..255)
//       data section               the Pixels (w*h*3 RGB) and Palette (n*3 RGB, then indices, rows padded to a byte,
//                                  1/2/4/8 bits for n = 2 / ≤4 / ≤16 / more, leftmost pixel in the high bits) data in
//                                  rect order; compressed: one sync-flushed chunk of the raw-deflate stream that began
//                                  at the last DisplayInit, inflating to exactly that.
//   DisplayCursor (0x12)          u16 hotX, u16 hotY, u16 w, u16 h (≤ 256; 0×0 = none), w*h*4 RGBA (A 0 or 255)
//   DisplayPointer (0x13)         u16 x, u16 y, u8 buttonMask
//   DisplayClipboard (0x14)       UTF-8 text
//   PointerInput (0x82)           u8 buttonMask, u16 x, u16 y          KeyInput (0x83)  u8 down, u32 keysym
//
// `DisplayState` keeps the framebuffer as RGBA bytes (what ImageData holds) and applies frames to it; it has no DOM
// dependency so that Node can test it. The inflater is passed in (pako's Inflate in the page and in the tests).
// A malformed frame or an inflate error throws `DisplayError` and leaves the state *out of sync*: every later update
// is refused until the next DisplayInit, which starts a new inflate context (the appliance starts a new deflate
// stream right before it).

export const DisplayFrameType = Object.freeze({
  DisplayInit: 0x10,
  DisplayUpdate: 0x11,
  DisplayCursor: 0x12,
  DisplayPointer: 0x13,
  DisplayClipboard: 0x14,
  PointerInput: 0x82,
  KeyInput: 0x83,
  ClipboardInput: 0x84,
  DisplayResizeRequest: 0x85,
});

export const RectKind = Object.freeze({ Solid: 1, CopyRect: 2, Pixels: 3, Palette: 4 });

/** The only pixel format of version 1: 3 bytes R, G, B per pixel. */
export const PIXEL_FORMAT_RGB888 = 1;

/** Largest framebuffer the page holds (two 4K screens' worth: 64 MiB of RGBA); a larger DisplayInit is refused. */
export const MAX_PIXELS = 3840 * 2160 * 2;

/** Largest cursor side (contract §1). */
export const MAX_CURSOR_SIDE = 256;

/** Largest name in a DisplayInit, in bytes. */
export const MAX_NAME_BYTES = 1024;

/** Largest clipboard text, in UTF-8 bytes (256 KiB), both ways. */
export const MAX_CLIPBOARD_BYTES = 256 * 1024;

/** zlib's Z_SYNC_FLUSH: inflate everything this chunk holds. */
const Z_SYNC_FLUSH = 2;

const RECT_HEADER_SIZE = 9;
const utf8 = new TextDecoder('utf-8');

/** A frame that does not follow the contract, or a deflate stream that does not inflate: the display is out of sync. */
export class DisplayError extends Error {
  constructor(message) {
    super(message);
    this.name = 'DisplayError';
  }
}

/** Bits per palette index for a palette of `n` colours (contract §1). */
export function paletteBits(n) {
  return n === 2 ? 1 : n <= 4 ? 2 : n <= 16 ? 4 : 8;
}

/**
 * Reads a DisplayInit payload.
 * @returns {{width: number, height: number, pixelFormat: number, name: string}}
 * @throws {DisplayError}
 */
export function decodeInit(payload) {
  const view = viewOf(payload);
  if (payload.byteLength < 8) {
    throw new DisplayError(`a DisplayInit of ${payload.byteLength} bytes is shorter than 8`);
  }

  const width = view.getUint16(0);
  const height = view.getUint16(2);
  const pixelFormat = view.getUint8(4);
  const nameLength = view.getUint16(6);
  if (width < 1 || height < 1) {
    throw new DisplayError(`a display of ${width}×${height} pixels`);
  }

  if (pixelFormat !== PIXEL_FORMAT_RGB888) {
    throw new DisplayError(`pixel format ${pixelFormat} is not RGB888`);
  }

  if (nameLength > MAX_NAME_BYTES || 8 + nameLength !== payload.byteLength) {
    throw new DisplayError(`a name of ${nameLength} bytes in a DisplayInit of ${payload.byteLength} bytes`);
  }

  return { width, height, pixelFormat, name: utf8.decode(payload.subarray(8)) };
}

/**
 * Reads a DisplayCursor payload.
 * @returns {{hotX: number, hotY: number, width: number, height: number, rgba: Uint8Array}}
 * @throws {DisplayError}
 */
export function decodeCursor(payload) {
  if (payload.byteLength < 8) {
    throw new DisplayError(`a DisplayCursor of ${payload.byteLength} bytes is shorter than 8`);
  }

  const view = viewOf(payload);
  const cursor = { hotX: view.getUint16(0), hotY: view.getUint16(2), width: view.getUint16(4), height: view.getUint16(6) };
  if (cursor.width > MAX_CURSOR_SIDE || cursor.height > MAX_CURSOR_SIDE || (cursor.width === 0) !== (cursor.height === 0)) {
    throw new DisplayError(`a cursor of ${cursor.width}×${cursor.height} pixels`);
  }

  if (payload.byteLength !== 8 + cursor.width * cursor.height * 4) {
    throw new DisplayError(`a ${cursor.width}×${cursor.height} cursor in ${payload.byteLength} bytes`);
  }

  return { ...cursor, rgba: payload.subarray(8) };
}

/**
 * Reads a DisplayPointer payload.
 * @returns {{x: number, y: number, buttons: number}}
 * @throws {DisplayError}
 */
export function decodePointer(payload) {
  if (payload.byteLength !== 5) {
    throw new DisplayError(`a DisplayPointer of ${payload.byteLength} bytes (5 expected)`);
  }

  const view = viewOf(payload);
  return { x: view.getUint16(0), y: view.getUint16(2), buttons: view.getUint8(4) };
}

/** Reads a DisplayClipboard payload (UTF-8 text); null when it is over the limit. */
export function decodeClipboard(payload) {
  return payload.byteLength > MAX_CLIPBOARD_BYTES ? null : utf8.decode(payload);
}

/** A PointerInput payload: RFB button mask (bit 0 left, 1 middle, 2 right, 3/4 wheel up/down, 5/6 left/right), position. */
export function encodePointer(buttons, x, y) {
  const payload = new Uint8Array(5);
  const view = new DataView(payload.buffer);
  view.setUint8(0, buttons & 0xff);
  view.setUint16(1, x);
  view.setUint16(3, y);
  return payload;
}

/** The smallest and largest desktop side a resize request may ask for (MS-RDPEDISP: 200–8192). */
export const MIN_DESKTOP_SIDE = 200;
export const MAX_DESKTOP_SIDE = 8192;

/**
 * The desktop an RDP viewer area of width × height CSS pixels has room for: each side clamped to 200–8192 and even
 * (servers round odd widths). Returns {width, height}.
 */
export function desktopSizeFor(width, height) {
  const side = (value) => Math.max(MIN_DESKTOP_SIDE, Math.min(MAX_DESKTOP_SIDE, Math.floor(value / 2) * 2));
  return { width: side(width), height: side(height) };
}

/** A DisplayResizeRequest payload: the desktop size in pixels (u16 big-endian each). */
export function encodeResizeRequest(width, height) {
  const payload = new Uint8Array(4);
  const view = new DataView(payload.buffer);
  view.setUint16(0, width);
  view.setUint16(2, height);
  return payload;
}

/** A KeyInput payload: press (true) or release, X keysym. */
export function encodeKey(down, keysym) {
  const payload = new Uint8Array(5);
  const view = new DataView(payload.buffer);
  view.setUint8(0, down ? 1 : 0);
  view.setUint32(1, keysym >>> 0);
  return payload;
}

/**
 * A remote display's framebuffer and the frames that change it.
 */
export class DisplayState {
  /**
   * @param {{Inflate: new (options: {raw: boolean}) => {push(data: Uint8Array, mode: number): boolean, onData: (chunk: Uint8Array) => void, err: number, msg: string}}} inflater
   *   pako's `Inflate` class (or one with its interface).
   */
  constructor({ Inflate }) {
    this.Inflate = Inflate;
    this.width = 0;
    this.height = 0;
    this.name = '';
    /** RGBA bytes, row-major, stride width * 4 (ImageData's layout); alpha always 255. */
    this.pixels = new Uint8ClampedArray(0);
    /** False before the first DisplayInit and after a malformed frame, until the next DisplayInit. */
    this.inSync = false;
    this.inflate = null;
    this.cursor = null;
  }

  /**
   * Applies a DisplayInit: size, black screen, a new inflate context. Throws DisplayError when it is malformed or too
   * large (the state is then out of sync, waiting for the next one).
   */
  init(payload) {
    this.inSync = false;
    this.inflate = null;
    const init = decodeInit(payload);
    if (init.width * init.height > MAX_PIXELS) {
      throw new DisplayError(`a display of ${init.width}×${init.height} pixels is larger than this page shows`);
    }

    this.width = init.width;
    this.height = init.height;
    this.name = init.name;
    this.pixels = new Uint8ClampedArray(init.width * init.height * 4);
    for (let i = 3; i < this.pixels.length; i += 4) {
      this.pixels[i] = 255;
    }

    this.inflate = new this.Inflate({ raw: true });
    this.cursor = null;
    this.inSync = true;
    return init;
  }

  /**
   * Applies a DisplayUpdate. Returns the bounding box of what changed ({x, y, width, height}, or null for an empty
   * batch). Throws DisplayError on a malformed frame or an inflate error, and on any update while out of sync.
   */
  update(payload) {
    if (!this.inSync) {
      throw new DisplayError('an update without a display (waiting for a keyframe)');
    }

    try {
      return this.#apply(payload);
    } catch (error) {
      this.inSync = false;
      this.inflate = null;
      throw error instanceof DisplayError ? error : new DisplayError(String(error?.message ?? error));
    }
  }

  /** Applies a DisplayCursor; returns the cursor (null for "the device shows none"). */
  setCursor(payload) {
    const cursor = decodeCursor(payload);
    this.cursor = cursor.width === 0 ? null : cursor;
    return this.cursor;
  }

  #apply(payload) {
    if (payload.byteLength < 4) {
      throw new DisplayError(`a DisplayUpdate of ${payload.byteLength} bytes is shorter than 4`);
    }

    const view = viewOf(payload);
    const count = view.getUint16(0);
    const compression = view.getUint8(2);
    if (compression > 1) {
      throw new DisplayError(`compression ${compression} is unknown`);
    }

    const rects = [];
    let offset = 4;
    let dataBytes = 0;
    for (let i = 0; i < count; i++) {
      if (offset + RECT_HEADER_SIZE > payload.byteLength) {
        throw new DisplayError(`rectangle ${i + 1} of ${count} is cut off`);
      }

      const rect = {
        kind: view.getUint8(offset),
        x: view.getUint16(offset + 1),
        y: view.getUint16(offset + 3),
        w: view.getUint16(offset + 5),
        h: view.getUint16(offset + 7),
      };
      offset += RECT_HEADER_SIZE;
      this.#checkInside(rect.x, rect.y, rect.w, rect.h, i);
      const extra = rect.kind === RectKind.Solid ? 3 : rect.kind === RectKind.CopyRect ? 4 : rect.kind === RectKind.Palette ? 1 : 0;
      if (rect.kind < RectKind.Solid || rect.kind > RectKind.Palette) {
        throw new DisplayError(`rectangle ${i + 1} has unknown kind ${rect.kind}`);
      }

      if (offset + extra > payload.byteLength) {
        throw new DisplayError(`rectangle ${i + 1} of ${count} is cut off`);
      }

      switch (rect.kind) {
        case RectKind.Solid:
          rect.r = payload[offset];
          rect.g = payload[offset + 1];
          rect.b = payload[offset + 2];
          break;
        case RectKind.CopyRect:
          rect.srcX = view.getUint16(offset);
          rect.srcY = view.getUint16(offset + 2);
          this.#checkInside(rect.srcX, rect.srcY, rect.w, rect.h, i, 'its source');
          break;
        case RectKind.Pixels:
          rect.bytes = rect.w * rect.h * 3;
          break;
        default: {
          const n = payload[offset];
          if (n < 2) {
            throw new DisplayError(`rectangle ${i + 1} has a palette of ${n} colours`);
          }

          rect.n = n;
          rect.bits = paletteBits(n);
          rect.rowBytes = Math.ceil((rect.w * rect.bits) / 8);
          rect.bytes = n * 3 + rect.rowBytes * rect.h;
        }
      }

      offset += extra;
      dataBytes += rect.bytes ?? 0;
      rects.push(rect);
    }

    const section = payload.subarray(offset);
    const data = compression === 1 ? this.#inflate(section, dataBytes) : section;
    if (data.byteLength !== dataBytes) {
      throw new DisplayError(`the data section holds ${data.byteLength} bytes, the rectangles need ${dataBytes}`);
    }

    let position = 0;
    let box = null;
    for (const rect of rects) {
      switch (rect.kind) {
        case RectKind.Solid:
          this.#fill(rect);
          break;
        case RectKind.CopyRect:
          this.#copy(rect);
          break;
        case RectKind.Pixels:
          this.#pixels(rect, data, position);
          break;
        default:
          this.#palette(rect, data, position);
      }

      position += rect.bytes ?? 0;
      box = unionBox(box, { x: rect.x, y: rect.y, width: rect.w, height: rect.h });
    }

    return box;
  }

  #checkInside(x, y, w, h, index, what = 'it') {
    if (w < 1 || h < 1 || x + w > this.width || y + h > this.height) {
      throw new DisplayError(`rectangle ${index + 1}: ${what} (${x},${y} ${w}×${h}) is not inside the ${this.width}×${this.height} display`);
    }
  }

  /** One sync-flushed chunk of the stream, inflated to exactly `expected` bytes (more or less is malformed). */
  #inflate(chunk, expected) {
    const out = new Uint8Array(expected);
    let filled = 0;
    let overflow = false;
    const inflate = this.inflate;
    inflate.onData = (piece) => {
      if (filled + piece.byteLength > expected) {
        overflow = true;
        return;
      }

      out.set(piece, filled);
      filled += piece.byteLength;
    };
    if (chunk.byteLength > 0) {
      inflate.push(chunk, Z_SYNC_FLUSH);
    }

    if (inflate.err) {
      throw new DisplayError(`the deflate stream is broken (${inflate.msg || inflate.err})`);
    }

    if (overflow) {
      throw new DisplayError(`the compressed data inflates to more than the ${expected} bytes the rectangles need`);
    }

    return out.subarray(0, filled);
  }

  #fill({ x, y, w, h, r, g, b }) {
    const px = this.pixels;
    const stride = this.width * 4;
    for (let row = y; row < y + h; row++) {
      let i = row * stride + x * 4;
      for (let col = 0; col < w; col++, i += 4) {
        px[i] = r;
        px[i + 1] = g;
        px[i + 2] = b;
      }
    }
  }

  #copy({ x, y, w, h, srcX, srcY }) {
    // Overlap-safe: rows are copied in the order that never reads a row already written (copyWithin handles a row).
    const px = this.pixels;
    const stride = this.width * 4;
    const down = y > srcY;
    for (let k = 0; k < h; k++) {
      const row = down ? h - 1 - k : k;
      const from = (srcY + row) * stride + srcX * 4;
      px.copyWithin((y + row) * stride + x * 4, from, from + w * 4);
    }
  }

  #pixels({ x, y, w, h }, data, position) {
    const px = this.pixels;
    const stride = this.width * 4;
    let s = position;
    for (let row = y; row < y + h; row++) {
      let i = row * stride + x * 4;
      for (let col = 0; col < w; col++, i += 4, s += 3) {
        px[i] = data[s];
        px[i + 1] = data[s + 1];
        px[i + 2] = data[s + 2];
      }
    }
  }

  #palette({ x, y, w, h, n, bits, rowBytes }, data, position) {
    const px = this.pixels;
    const stride = this.width * 4;
    const palette = position;
    const indices = position + n * 3;
    const mask = (1 << bits) - 1;
    for (let row = 0; row < h; row++) {
      const rowStart = indices + row * rowBytes;
      let i = (y + row) * stride + x * 4;
      for (let col = 0; col < w; col++, i += 4) {
        const bit = col * bits;
        const index = (data[rowStart + (bit >> 3)] >> (8 - bits - (bit & 7))) & mask;
        if (index >= n) {
          throw new DisplayError(`palette index ${index} of a ${n}-colour palette`);
        }

        const c = palette + index * 3;
        px[i] = data[c];
        px[i + 1] = data[c + 1];
        px[i + 2] = data[c + 2];
      }
    }
  }
}

/**
 * Frames per second and display bytes per second over the last second, for the toolbar.
 */
export class DisplayMeter {
  #events = [];

  /** Notes one display frame of `bytes` (header included); `painted` for an update that changed the screen. */
  note(now, bytes, painted) {
    this.#events.push({ now, bytes, painted });
    this.#trim(now);
  }

  /** @returns {{fps: number, bytesPerSecond: number}} over the second before `now` */
  read(now) {
    this.#trim(now);
    let fps = 0;
    let bytesPerSecond = 0;
    for (const event of this.#events) {
      fps += event.painted ? 1 : 0;
      bytesPerSecond += event.bytes;
    }

    return { fps, bytesPerSecond };
  }

  #trim(now) {
    while (this.#events.length > 0 && now - this.#events[0].now >= 1000) {
      this.#events.shift();
    }
  }
}

/** "1.2 Mbit/s", "640 kbit/s", "0 bit/s": bytes per second as a line speed. */
export function formatRate(bytesPerSecond) {
  const bits = bytesPerSecond * 8;
  if (bits >= 1e6) {
    return `${(bits / 1e6).toFixed(1)} Mbit/s`;
  }

  return bits >= 1e3 ? `${Math.round(bits / 1e3)} kbit/s` : `${Math.round(bits)} bit/s`;
}

/** The smallest box holding both boxes ({x, y, width, height}); `a` may be null. */
export function unionBox(a, b) {
  if (!a) {
    return { ...b };
  }

  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return { x, y, width: Math.max(a.x + a.width, b.x + b.width) - x, height: Math.max(a.y + a.height, b.y + b.height) - y };
}

function viewOf(payload) {
  return new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
}
