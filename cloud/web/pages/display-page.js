// Plays a VNC session into the real session view (views/session.js) with a fake WebSocket: a hello, then a
// DisplayInit, two DisplayUpdates (the second one deflate-compressed with the browser's own raw deflate), a cursor,
// the Controller's pointer and a clipboard text. `?role=viewer` watches, `?broken=1` ends with a malformed update
// (the page then says it is out of sync), `?scale=1` switches to 1:1, `?protocol=ssh` plays a terminal session
// instead (the terminal surface). `window.sent` collects what the page sends.

import { renderSession } from '../../wwwroot/js/views/session.js';

const params = new URLSearchParams(location.search);
const role = params.get('role') ?? 'controller';
const protocol = params.get('protocol') ?? 'vnc';
const WIDTH = 640;
const HEIGHT = 400;
window.sent = [];

const be = (values) => {
  const out = [];
  for (const [value, size] of values) {
    for (let i = size - 1; i >= 0; i--) {
      out.push(Math.floor(value / 2 ** (8 * i)) & 0xff);
    }
  }

  return out;
};

function frame(type, payload, flags = 0) {
  return Uint8Array.from([1, type, ...be([[flags, 2], [payload.length, 4], [0, 4], [0, 4]]), ...payload]).buffer;
}

async function deflateRaw(bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream('deflate-raw'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function terminalFrames() {
  const text = (s) => [...new TextEncoder().encode(s)];
  const screen = text('\x1b[1;32mtess@press\x1b[0m:~$ uptime\r\n 23:59:01 up 41 days,  2 users,  load average: 0.08\r\n\x1b[1;32mtess@press\x1b[0m:~$ ');
  return [frame(0x03, [...be([[80, 2], [24, 2]]), ...screen], 1), frame(0x01, text('ls /etc | head -3\r\nadduser.conf\r\nalternatives\r\napt\r\n'))];
}

async function frames() {
  if (protocol === 'ssh') {
    return terminalFrames();
  }

  const name = new TextEncoder().encode('plant-hmi:0 (Xvnc)');
  const init = frame(0x10, [...be([[WIDTH, 2], [HEIGHT, 2]]), 1, 0, ...be([[name.length, 2]]), ...name], 1);
  const rect = (kind, x, y, w, h) => [kind, ...be([[x, 2], [y, 2], [w, 2], [h, 2]])];
  // Desktop: a blue background, a title bar, a grey window, green and red buttons.
  const solids = [
    [...rect(1, 0, 0, WIDTH, HEIGHT), 0x1d, 0x4f, 0x7a],
    [...rect(1, 60, 50, 520, 300), 0xd8, 0xdc, 0xe0],
    [...rect(1, 60, 50, 520, 28), 0x2b, 0x33, 0x3d],
    [...rect(1, 100, 260, 140, 50), 0x17, 0x8a, 0x2c],
    [...rect(1, 400, 260, 140, 50), 0xb0, 0x23, 0x1a],
  ];
  const first = frame(0x11, [...be([[solids.length, 2]]), 0, 0, ...solids.flat()]);

  // Compressed: a gradient (Pixels) and a 4-colour stripe pattern (Palette, 2 bits per index).
  const gw = 200;
  const gh = 120;
  const gradient = [];
  for (let y = 0; y < gh; y++) {
    for (let x = 0; x < gw; x++) {
      gradient.push(Math.round((x * 255) / gw), Math.round((y * 255) / gh), 160);
    }
  }

  const pw = 160;
  const ph = 40;
  const palette = [0xf2, 0xb7, 0x05, 0x11, 0x16, 0x1c, 0xff, 0xff, 0xff, 0x0b, 0x64, 0xc0];
  const indices = [];
  for (let y = 0; y < ph; y++) {
    for (let b = 0; b < pw / 4; b++) {
      let byte = 0;
      for (let k = 0; k < 4; k++) {
        byte = (byte << 2) | ((Math.floor((b * 4 + k) / 10) + Math.floor(y / 10)) % 4);
      }

      indices.push(byte);
    }
  }

  const data = await deflateRaw(Uint8Array.from([...gradient, ...palette, ...indices]));
  const second = frame(0x11, [...be([[2, 2]]), 1, 0, ...rect(3, 100, 100, gw, gh), ...rect(4, 340, 110, pw, ph), 4, ...data]);

  // A 12×12 arrow cursor, hot spot at its tip.
  const cursor = [];
  for (let y = 0; y < 12; y++) {
    for (let x = 0; x < 12; x++) {
      const inside = x <= y && x + y < 18;
      const edge = inside && (x === 0 || x === y || x + y === 17);
      cursor.push(...(inside ? (edge ? [0, 0, 0, 255] : [255, 255, 255, 255]) : [0, 0, 0, 0]));
    }
  }

  const list = [init, first, second, frame(0x12, [...be([[0, 2], [0, 2], [12, 2], [12, 2]]), ...cursor]),
    frame(0x13, [...be([[170, 2], [285, 2]]), 0]),
    frame(0x14, [...new TextEncoder().encode('Batch 4711 released')])];
  if (params.get('broken')) {
    list.push(frame(0x11, [...be([[1, 2]]), 0, 0, ...rect(1, 600, 390, 100, 100), 1, 2, 3]));
  }

  return list;
}

class FakeSocket extends EventTarget {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSING = 2;
  static CLOSED = 3;

  constructor(url) {
    super();
    this.url = url;
    this.readyState = 0;
    this.bufferedAmount = 0;
    setTimeout(() => this.#play(), 0);
  }

  async #play() {
    this.readyState = 1;
    this.dispatchEvent(new Event('open'));
    const you = role === 'controller' ? { id: 'u1', name: 'Tess Technician' } : { id: 'u2', name: 'Otto Operator' };
    this.#deliver(JSON.stringify({
      type: 'hello', role, sessionId: 's1', controller: { id: 'u1', name: 'Tess Technician' }, you, protocol,
      clipboard: 'both', maxPaste: 4194304, responding: true, jointSession: true, code: '123-456-7890',
      participants: [
        { id: 'u1', name: 'Tess Technician', role: 'controller', joinedVia: 'start', supervisor: false, connected: true, canControl: true },
        { id: 'u2', name: 'Otto Operator', role: 'viewer', joinedVia: 'list', supervisor: true, connected: true, canControl: false },
      ],
    }));
    this.#deliver(JSON.stringify({ type: 'viewers', count: 1 }));
    for (const data of await frames()) {
      this.#deliver(data);
    }

    if (params.get('scale') && protocol !== 'ssh') {
      document.querySelector('[data-testid="display-scale"]').click();
    }

    setTimeout(() => {
      document.body.dataset.sent = JSON.stringify(window.sent.map((m) => (typeof m === 'string' ? m : m.slice(0, 2))));
      document.body.dataset.played = 'true';
    }, 100);
  }

  #deliver(data) {
    this.dispatchEvent(new MessageEvent('message', { data }));
  }

  send(data) {
    window.sent.push(typeof data === 'string' ? data : Array.from(new Uint8Array(data)));
  }

  close() {
    this.readyState = 3;
  }
}

window.WebSocket = FakeSocket;
const realFetch = window.fetch;
window.fetch = async (url, options) => (String(url).includes('api/')
  ? new Response(JSON.stringify(String(url).endsWith('api/sessions') ? [{ id: 's1', endpointName: 'Packaging line HMI', code: '123-456-7890', protocol: 'vnc', viewers: 1, controller: { id: 'u1', name: 'Tess Technician' } }] : []), { headers: { 'content-type': 'application/json' } })
  : realFetch(url, options));

renderSession(document.getElementById('main'), { sessionId: 's1', user: { id: 'u1', name: 'Tess Technician', role: 'domain-admin' } });
