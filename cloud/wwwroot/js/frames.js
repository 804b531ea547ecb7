// Session-stream frames, version 1: the browser side of protocol/Stream/FrameCodec.cs.
//
//  0               1               2               3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +---------------+---------------+-------------------------------+
// |  version (1)  |     type      |             flags             |
// +---------------+---------------+-------------------------------+
// |                     payload length (u32)                      |
// +---------------------------------------------------------------+
// |                        sequence (u64)                         |
// +---------------------------------------------------------------+
// |                      payload (length bytes) ...               |
//
// All integers are big-endian. One WebSocket message carries exactly one frame. This module has no DOM
// dependency so that Node can test it.

export const VERSION = 1;
export const HEADER_SIZE = 16;
export const FLAG_KEYFRAME = 0x0001;

/** Largest terminal dimension accepted (TerminalSize.MaxDimension on the server). */
export const MAX_DIMENSION = 1000;

/** Largest payload a browser accepts, as the server's FrameCodec.DefaultMaxPayload. */
export const MAX_PAYLOAD = 1 << 20;

export const FrameType = Object.freeze({
  TerminalOutput: 0x01,
  TerminalResize: 0x02,
  TerminalSnapshot: 0x03,
  End: 0x0f,
  TerminalInput: 0x80,
  TerminalResizeRequest: 0x81,
});

/** Reasons carried by an End frame (EndReason on the server), as sentences for a banner. */
export const EndReasonText = Object.freeze({
  1: 'The device closed the connection.',
  2: 'The Controller ended the session.',
  3: 'An administrator terminated the session.',
  4: 'The device refused the user name or password.',
  5: 'The device could not be reached.',
  6: 'The appliance refused the session.',
  7: 'The connection to the device failed.',
  8: 'The session reached its time limit.',
  9: 'The device stopped responding.',
  10: 'The connection between the appliance and the cloud was lost for too long.',
  11: 'The device presented a different certificate than the one trusted for it; an administrator must accept it.',
});

const utf8Decoder = new TextDecoder('utf-8');

/**
 * Encodes one frame.
 * @param {number} type a FrameType value
 * @param {Uint8Array} payload
 * @param {bigint|number} sequence
 * @param {number} [flags]
 * @returns {Uint8Array}
 */
export function encodeFrame(type, payload, sequence, flags = 0) {
  const frame = new Uint8Array(HEADER_SIZE + payload.byteLength);
  const view = new DataView(frame.buffer);
  view.setUint8(0, VERSION);
  view.setUint8(1, type);
  view.setUint16(2, flags);
  view.setUint32(4, payload.byteLength);
  view.setBigUint64(8, BigInt(sequence));
  frame.set(payload, HEADER_SIZE);
  return frame;
}

/** Encodes a terminal size payload: columns (u16), rows (u16). */
export function encodeSize(cols, rows) {
  const payload = new Uint8Array(4);
  const view = new DataView(payload.buffer);
  view.setUint16(0, cols);
  view.setUint16(2, rows);
  return payload;
}

/**
 * Decodes one frame from a WebSocket message. Never throws: returns null (and logs) when the message is
 * not a well-formed version-1 frame, so a hostile or broken peer cannot break the page's handler.
 * @param {ArrayBuffer|Uint8Array} message
 * @returns {{type:number, flags:number, keyframe:boolean, sequence:bigint, payload:Uint8Array}|null}
 */
export function decodeFrame(message) {
  try {
    const bytes = message instanceof Uint8Array ? message : new Uint8Array(message);
    if (bytes.byteLength < HEADER_SIZE) {
      return reject(`message of ${bytes.byteLength} bytes is shorter than a frame header`);
    }

    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const version = view.getUint8(0);
    if (version !== VERSION) {
      return reject(`unsupported frame version ${version}`);
    }

    const length = view.getUint32(4);
    if (length > MAX_PAYLOAD) {
      return reject(`payload of ${length} bytes is over the limit`);
    }

    if (HEADER_SIZE + length !== bytes.byteLength) {
      return reject(`header declares ${length} payload bytes, message holds ${bytes.byteLength - HEADER_SIZE}`);
    }

    const flags = view.getUint16(2);
    return {
      type: view.getUint8(1),
      flags,
      keyframe: (flags & FLAG_KEYFRAME) !== 0,
      sequence: view.getBigUint64(8),
      payload: bytes.subarray(HEADER_SIZE),
    };
  } catch (error) {
    return reject(String(error));
  }
}

/**
 * Reads a terminal size from the start of a payload.
 * @returns {{cols:number, rows:number}|null} null when short or out of range
 */
export function decodeSize(payload) {
  if (!payload || payload.byteLength < 4) {
    return null;
  }

  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const cols = view.getUint16(0);
  const rows = view.getUint16(2);
  if (cols < 1 || rows < 1 || cols > MAX_DIMENSION || rows > MAX_DIMENSION) {
    return null;
  }

  return { cols, rows };
}

/**
 * Splits a TerminalSnapshot payload into its size and the VT bytes that paint the screen.
 * @returns {{cols:number, rows:number, screen:Uint8Array}|null}
 */
export function decodeSnapshot(payload) {
  const size = decodeSize(payload);
  return size ? { ...size, screen: payload.subarray(4) } : null;
}

/**
 * Reads an End payload: reason (u8), then a UTF-8 message.
 * @returns {{reason:number, message:string}}
 */
export function decodeEnd(payload) {
  if (!payload || payload.byteLength < 1) {
    return { reason: 0, message: '' };
  }

  return { reason: payload[0], message: utf8Decoder.decode(payload.subarray(1)).trim() };
}

/** The sentence a banner shows for an End frame or message. */
export function describeEnd(reason, message) {
  if (message) {
    return message;
  }

  return EndReasonText[reason] ?? 'The session is over.';
}

/**
 * Builds the Controller's input frames with a sequence counter from 0.
 */
export class InputEncoder {
  #sequence = 0n;
  #encoder = new TextEncoder();

  /** Keystrokes and pasted text, as term.onData gives them. */
  text(data) {
    return this.#next(FrameType.TerminalInput, this.#encoder.encode(data));
  }

  /** Binary input, as term.onBinary gives it: one character per byte (mouse reports in X10 mode). */
  binary(data) {
    const bytes = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i++) {
      bytes[i] = data.charCodeAt(i) & 0xff;
    }

    return this.#next(FrameType.TerminalInput, bytes);
  }

  /** Any input frame (a remote display's pointer, key or clipboard input), numbered like the rest. */
  frame(type, payload) {
    return this.#next(type, payload);
  }

  /** A request that the device's terminal take this size. */
  resize(cols, rows) {
    return this.#next(FrameType.TerminalResizeRequest, encodeSize(cols, rows));
  }

  #next(type, payload) {
    const frame = encodeFrame(type, payload, this.#sequence);
    this.#sequence += 1n;
    return frame;
  }
}

/** A byte count as the page shows it: "812 bytes", "74.8 KiB", "4 MiB". */
export function formatBytes(bytes) {
  if (bytes >= 1024 * 1024) {
    return `${trimZero((bytes / (1024 * 1024)).toFixed(1))} MiB`;
  }

  return bytes >= 1024 ? `${trimZero((bytes / 1024).toFixed(1))} KiB` : `${bytes} bytes`;
}

/**
 * The sentence the page shows instead of sending input whose payload is over the cloud's paste limit (the same the
 * cloud sends when it refuses one) (announced
 * in "hello" as maxPaste), or null when it may be sent. The cloud refuses such a paste whole in any case; the
 * page says so at once rather than uploading megabytes to be told.
 * @param {number} payloadBytes UTF-8 bytes of the input
 * @param {number|undefined} maxPaste bytes; absent or not positive means no limit was announced
 */
export function pasteRefusal(payloadBytes, maxPaste) {
  if (!Number.isFinite(maxPaste) || maxPaste <= 0 || payloadBytes <= maxPaste) {
    return null;
  }

  const count = (n) => n.toLocaleString('en-US');
  return `The paste was not sent: it has ${count(payloadBytes)} bytes, and a paste may have at most ${count(maxPaste)} bytes (${formatBytes(maxPaste)}).`;
}

function trimZero(text) {
  return text.endsWith('.0') ? text.slice(0, -2) : text;
}

function reject(reason) {
  console.warn(`EdgeGateway: ignored a session-stream message: ${reason}.`);
  return null;
}
