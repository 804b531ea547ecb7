// Drives the display page (display.html) in headless Chromium over the DevTools protocol with real input events and
// prints what the page sent: PointerInput/KeyInput frames as the fake socket got them. A manual check of the pointer
// mapping (CSS pixels → framebuffer pixels) and keysyms, not part of `npm test` (it needs Chromium and a server).
//
//   python3 -m http.server 0 --bind 127.0.0.1 (in cloud/)   then
//   node --experimental-websocket check-input.mjs http://127.0.0.1:PORT/web/pages/display.html
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const url = process.argv[2];
const profile = mkdtempSync(join(tmpdir(), 'eg-cdp-'));
const chromium = spawn('chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--remote-debugging-port=0', `--user-data-dir=${profile}`, '--window-size=1280,800', 'about:blank'], { stdio: ['ignore', 'ignore', 'pipe'] });
const endpoint = await new Promise((resolve) => {
  let text = '';
  chromium.stderr.on('data', (chunk) => {
    text += chunk;
    const match = /DevTools listening on (ws:\S+)/.exec(text);
    if (match) {
      resolve(match[1]);
    }
  });
});

const browser = new WebSocket(endpoint);
await new Promise((resolve) => browser.addEventListener('open', resolve));
let id = 0;
const waiting = new Map();
browser.addEventListener('message', (event) => {
  const message = JSON.parse(event.data);
  waiting.get(message.id)?.(message);
});
const call = (method, params = {}, sessionId) => new Promise((resolve) => {
  const n = ++id;
  waiting.set(n, resolve);
  browser.send(JSON.stringify({ id: n, method, params, sessionId }));
});

const { result: { targetId } } = await call('Target.createTarget', { url: 'about:blank' });
const { result: { sessionId } } = await call('Target.attachToTarget', { targetId, flatten: true });
const page = (method, params) => call(method, params, sessionId);
const evaluate = async (expression) => (await page('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true })).result.result.value;
await page('Page.navigate', { url });
for (let i = 0; i < 100 && await evaluate('document.body?.dataset.played') !== 'true'; i++) {
  await new Promise((resolve) => setTimeout(resolve, 50));
}

const box = await evaluate(`(() => { const r = document.querySelector('[data-testid="display-canvas"]').getBoundingClientRect();
  return { x: r.left, y: r.top, width: r.width, height: r.height }; })()`);
await evaluate('window.sent.length = 0');
const mouse = (type, x, y, extra = {}) => page('Input.dispatchMouseEvent', { type, x, y, ...extra });
// Click the framebuffer pixel (100, 50) of the 640×400 screen, right-click (600, 390), wheel down one notch.
const at = (fx, fy) => [box.x + ((fx + 0.5) * box.width) / 640, box.y + ((fy + 0.5) * box.height) / 400];
await mouse('mouseMoved', ...at(100, 50));
await mouse('mousePressed', ...at(100, 50), { button: 'left', buttons: 1, clickCount: 1 });
await mouse('mouseReleased', ...at(100, 50), { button: 'left', buttons: 0, clickCount: 1 });
await mouse('mouseMoved', ...at(600, 390));
await mouse('mousePressed', ...at(600, 390), { button: 'right', buttons: 2, clickCount: 1 });
await mouse('mouseReleased', ...at(600, 390), { button: 'right', buttons: 0, clickCount: 1 });
await mouse('mouseWheel', ...at(600, 390), { deltaX: 0, deltaY: 100 });
const key = async (key, code, text, keyCode, modifiers = 0) => {
  await page('Input.dispatchKeyEvent', { type: text ? 'keyDown' : 'rawKeyDown', key, code, text, windowsVirtualKeyCode: keyCode, modifiers });
  await page('Input.dispatchKeyEvent', { type: 'keyUp', key, code, windowsVirtualKeyCode: keyCode, modifiers });
};
await key('a', 'KeyA', 'a', 65);
await key('é', 'Digit2', 'é', 50);
await key('Enter', 'Enter', '\r', 13);
await key('F5', 'F5', undefined, 116);
await new Promise((resolve) => setTimeout(resolve, 200));

const sent = await evaluate('window.sent');
for (const message of sent) {
  if (typeof message === 'string') {
    console.log('text', message);
    continue;
  }

  const p = message.slice(16);
  if (message[1] === 0x82) {
    console.log(`PointerInput mask=${p[0].toString(2).padStart(7, '0')} x=${(p[1] << 8) | p[2]} y=${(p[3] << 8) | p[4]}`);
  } else if (message[1] === 0x83) {
    console.log(`KeyInput ${p[0] ? 'down' : 'up  '} keysym=0x${(((p[1] << 24) >>> 0) + (p[2] << 16) + (p[3] << 8) + p[4]).toString(16)}`);
  } else {
    console.log('frame', message[1]);
  }
}

browser.close();
const exited = new Promise((resolve) => chromium.once('exit', resolve));
chromium.kill();
await exited;
rmSync(profile, { recursive: true, force: true, maxRetries: 5 });
