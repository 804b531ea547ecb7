// The remote display of a VNC or RDP session inside the session view (session.js): a canvas painted from display
// frames (display.js), scaled to fit the window or shown 1:1, and — for whoever may type — the mouse and keyboard.
//
// Painting: each DisplayUpdate is applied to the RGBA framebuffer at once (decoding and inflating on the main thread:
// a batch is at most 1 MiB compressed, and the work is typed-array copies) and the changed box is put on the canvas
// with putImageData once per animation frame, however many updates arrived in it.
//
// Out of sync: a frame that does not follow the contract or does not inflate leaves the framebuffer unknown. The page
// says so over the canvas ("Display out of sync, waiting for a keyframe"), ignores updates until the next DisplayInit
// and asks the cloud for a keyframe (`{"type":"resync"}`: the cached keyframe at once, or the appliance's next one),
// again every few seconds while it waits.
//
// Input, only while this page may type (the same role the terminal uses): pointer position in framebuffer pixels
// with the RFB button mask (left, middle, right; the wheel as buttons 4/5 (6/7 sideways) pressed and released),
// the context menu suppressed; keys as X keysyms (keysyms.js) pressed and released, every held key released when the
// canvas loses focus. A Viewer's page shows where the Controller's pointer is (DisplayPointer) and a View only badge.
//
// RDP: the desktop follows the Controller's window. When the display area's size settles (0.5 s after the last change)
// at a size other than the desktop's, the Controller's page asks for that size (DisplayResizeRequest); the appliance
// passes it to the server where it supports resizing, and the new size arrives as a DisplayInit.

import { h } from '../dom.js';
import {
  DisplayError, DisplayFrameType, DisplayMeter, DisplayState, MAX_CLIPBOARD_BYTES, decodeClipboard, decodePointer,
  desktopSizeFor, encodeKey, encodePointer, encodeResizeRequest, formatRate, unionBox,
} from '../display.js';
import { InputEncoder, formatBytes } from '../frames.js';
import { CTRL_ALT_DEL, keysymFor } from '../keysyms.js';
import { Inflate } from '../../lib/pako_inflate.mjs';

/** The wheel sends one button press per this many pixels of scrolling: one per notch of a mouse wheel (Chromium and
 * Firefox report 100 px for one); a touchpad's small deltas add up to it. */
const WHEEL_STEP_PX = 100;

/** While out of sync, the page asks for a keyframe again after this long without one. */
const RESYNC_RETRY_MS = 3000;

/** Browsers refuse cursor images larger than this; a larger device cursor shows the default one. */
const MAX_CSS_CURSOR = 128;

/** RFB button bits (RFC 6143 §7.5.5). */
const WHEEL_UP = 1 << 3;
const WHEEL_DOWN = 1 << 4;
const WHEEL_LEFT = 1 << 5;
const WHEEL_RIGHT = 1 << 6;

const RESYNC_MESSAGE = '{"type":"resync"}';

/**
 * @param {{send: (frame: Uint8Array) => void, sendInput: (frame: Uint8Array) => void, sendText: (json: string) => void,
 *   showNotice: (text: string) => void, isEnded: () => boolean, viewOnlyController: HTMLElement}} shell
 * @param {{now?: () => number}} [options] a clock for the frame-rate meter (tests)
 */
export function createDisplaySurface(shell, { now = () => performance.now() } = {}) {
  const state = new DisplayState({ Inflate });
  const meter = new DisplayMeter();
  let input = new InputEncoder();
  let role = null;
  let controlling = false;
  let offline = false;
  let disposed = false;
  let fit = true;
  let imageData = null;
  let context = null;
  let dirty = null;
  let paintScheduled = 0;
  let resyncTimer = 0;
  let clipboardPolicy = 'off';
  let resizable = false; // RDP: the desktop may follow the Controller's window
  let resizeTimer = 0;
  let requestedSize = '';
  let buttons = 0;
  let lastPointer = { x: -1, y: -1, buttons: -1 };
  let wheelX = 0;
  let wheelY = 0;
  const held = new Map(); // KeyboardEvent.code (or key) → keysym pressed, so the release matches the press

  // --- DOM -------------------------------------------------------------------------------------------
  const canvas = h('canvas', { class: 'display-canvas', testid: 'display-canvas', width: 1, height: 1, tabindex: '0', 'aria-label': 'Remote screen' });
  const remotePointer = h('div', { class: 'display-remote-pointer', testid: 'display-remote-pointer', hidden: true });
  const waiting = h('p', { class: 'display-message', testid: 'display-waiting' }, 'Waiting for the device’s screen…');
  const outOfSync = h('p', { class: 'display-message display-message-alert', testid: 'display-out-of-sync', role: 'status', hidden: true },
    'Display out of sync, waiting for a keyframe…');
  const stage = h('div', { class: 'display-stage' }, canvas, remotePointer);
  const host = h('div', { class: 'display-host', testid: 'display', role: 'region', 'aria-label': 'Remote display' }, stage, waiting, outOfSync);

  const stats = h('span', { class: 'toolbar-item display-stats', testid: 'display-stats', title: 'Frames per second painted, and display data received' }, '0 fps · 0 bit/s');
  const viewOnlyBadge = h('span', { class: 'badge display-view-only', testid: 'view-only', role: 'status', hidden: true,
    title: 'Your mouse and keyboard are not sent to the device' }, 'View only');
  const scaleButton = h('button', { type: 'button', class: 'btn btn-secondary btn-small', testid: 'display-scale', 'aria-pressed': 'false',
    title: 'Show the screen pixel for pixel (1:1) or fitted to the window', onclick: toggleScale }, '1:1');
  const ctrlAltDel = h('button', { type: 'button', class: 'btn btn-secondary btn-small', testid: 'ctrl-alt-del', hidden: true,
    onclick: sendCtrlAltDel }, 'Ctrl+Alt+Del');
  const clipboardButton = h('button', { type: 'button', class: 'btn btn-secondary btn-small', testid: 'clipboard-toggle', hidden: true,
    'aria-expanded': 'false', onclick: () => setClipboardOpen(clipboardPanel.hidden) }, 'Clipboard');

  const deviceText = h('textarea', { class: 'clipboard-text', testid: 'clipboard-from-device', readonly: true, rows: 3,
    placeholder: 'Text the device copies shows here.' });
  const copyButton = h('button', { type: 'button', class: 'btn btn-secondary btn-small', testid: 'clipboard-copy',
    onclick: () => navigator.clipboard?.writeText(deviceText.value).catch(() => shell.showNotice('The browser did not allow copying.')) }, 'Copy');
  const sendText = h('textarea', { class: 'clipboard-text', testid: 'clipboard-to-device', rows: 3, placeholder: 'Text to put on the device’s clipboard.' });
  const sendButton = h('button', { type: 'button', class: 'btn btn-primary btn-small', testid: 'clipboard-send', onclick: sendClipboard }, 'Send to device');
  const sendPart = h('div', { class: 'clipboard-part' }, h('label', {}, 'To the device', sendText), sendButton);
  const clipboardPanel = h('div', { class: 'clipboard-panel', testid: 'clipboard-panel', hidden: true },
    h('div', { class: 'clipboard-part' }, h('label', {}, 'From the device', deviceText), copyButton),
    sendPart);

  const resizeObserver = new ResizeObserver(() => layout());
  const statsTimer = setInterval(showStats, 1000);

  // --- Frames ----------------------------------------------------------------------------------------
  function onFrame(frame, bytes) {
    switch (frame.type) {
      case DisplayFrameType.DisplayInit:
        meter.note(now(), bytes, false);
        init(frame.payload);
        return true;
      case DisplayFrameType.DisplayUpdate: {
        if (!state.inSync) {
          meter.note(now(), bytes, false);
          return true; // ignored until the next DisplayInit
        }

        try {
          const box = state.update(frame.payload);
          meter.note(now(), bytes, box !== null);
          if (box) {
            schedulePaint(box);
          }
        } catch (error) {
          lostSync(error);
        }

        return true;
      }
      case DisplayFrameType.DisplayCursor:
        meter.note(now(), bytes, false);
        try {
          setCursor(state.setCursor(frame.payload));
        } catch (error) {
          console.warn(`EdgeGateway: ignored a DisplayCursor frame: ${error.message}.`);
        }

        return true;
      case DisplayFrameType.DisplayPointer:
        meter.note(now(), bytes, false);
        try {
          showRemotePointer(decodePointer(frame.payload));
        } catch (error) {
          console.warn(`EdgeGateway: ignored a DisplayPointer frame: ${error.message}.`);
        }

        return true;
      case DisplayFrameType.DisplayClipboard: {
        meter.note(now(), bytes, false);
        const text = decodeClipboard(frame.payload);
        if (text !== null) {
          deviceText.value = text;
          if (clipboardPolicy !== 'off') {
            shell.showNotice('The device copied text: it is in the Clipboard panel.');
          }
        }

        return true;
      }
      default:
        return false;
    }
  }

  function init(payload) {
    cancelAnimationFrame(paintScheduled);
    paintScheduled = 0;
    dirty = null;
    try {
      const info = state.init(payload);
      canvas.width = info.width;
      canvas.height = info.height;
      canvas.setAttribute('aria-label', info.name ? `Remote screen: ${info.name}` : 'Remote screen');
      context = canvas.getContext('2d', { alpha: false });
      imageData = new ImageData(state.pixels, info.width, info.height);
      context.fillStyle = '#000';
      context.fillRect(0, 0, info.width, info.height);
      clearTimeout(resyncTimer);
      resyncTimer = 0;
      waiting.hidden = true;
      outOfSync.hidden = true;
      host.classList.remove('display-stale');
      setCursor(null);
      layout();
    } catch (error) {
      lostSync(error);
    }
  }

  function schedulePaint(box) {
    dirty = unionBox(dirty, box);
    if (!paintScheduled) {
      paintScheduled = requestAnimationFrame(paint);
    }
  }

  function paint() {
    paintScheduled = 0;
    if (!dirty || !context || disposed) {
      return;
    }

    context.putImageData(imageData, 0, 0, dirty.x, dirty.y, dirty.width, dirty.height);
    dirty = null;
  }

  function lostSync(error) {
    if (!(error instanceof DisplayError)) {
      console.error('EdgeGateway: the display could not be applied.', error);
    } else {
      console.warn(`EdgeGateway: display out of sync: ${error.message}.`);
    }

    outOfSync.hidden = false;
    host.classList.add('display-stale');
    requestKeyframe();
  }

  /** Asks for a keyframe now and again every few seconds until a DisplayInit arrives. */
  function requestKeyframe() {
    clearTimeout(resyncTimer);
    if (disposed || shell.isEnded()) {
      return;
    }

    shell.sendText(RESYNC_MESSAGE);
    resyncTimer = setTimeout(() => {
      if (!state.inSync) {
        requestKeyframe();
      }
    }, RESYNC_RETRY_MS);
  }

  function setCursor(cursor) {
    remotePointer.style.backgroundImage = '';
    if (!cursor) {
      canvas.style.cursor = '';
      remotePointer.classList.add('display-remote-pointer-default');
      return;
    }

    const image = document.createElement('canvas');
    image.width = cursor.width;
    image.height = cursor.height;
    const rgba = new Uint8ClampedArray(cursor.rgba.byteLength);
    rgba.set(cursor.rgba);
    image.getContext('2d').putImageData(new ImageData(rgba, cursor.width, cursor.height), 0, 0);
    const url = image.toDataURL('image/png');
    canvas.style.cursor = cursor.width <= MAX_CSS_CURSOR && cursor.height <= MAX_CSS_CURSOR
      ? `url(${url}) ${cursor.hotX} ${cursor.hotY}, default` : '';
    remotePointer.classList.remove('display-remote-pointer-default');
    Object.assign(remotePointer.style, {
      backgroundImage: `url(${url})`, width: `${cursor.width}px`, height: `${cursor.height}px`,
      marginLeft: `${-cursor.hotX}px`, marginTop: `${-cursor.hotY}px`,
    });
  }

  /** Where the Controller's pointer is, on every page but the ones that move it. */
  function showRemotePointer({ x, y }) {
    if (controlling || !state.inSync) {
      remotePointer.hidden = true;
      return;
    }

    const scale = canvas.clientWidth / Math.max(1, state.width);
    remotePointer.style.left = `${canvas.offsetLeft + x * scale}px`;
    remotePointer.style.top = `${canvas.offsetTop + y * scale}px`;
    remotePointer.hidden = false;
  }

  // --- Scaling ---------------------------------------------------------------------------------------
  function toggleScale() {
    fit = !fit;
    scaleButton.setAttribute('aria-pressed', String(!fit));
    scaleButton.textContent = fit ? '1:1' : 'Fit';
    host.classList.toggle('display-actual-size', !fit);
    layout();
  }

  /** Fit: the whole screen in the window, aspect kept. 1:1: one device pixel per CSS pixel, scrolling. */
  function layout() {
    if (disposed || !state.width) {
      return;
    }

    let scale = 1;
    if (fit) {
      const width = host.clientWidth;
      const height = host.clientHeight;
      if (width > 0 && height > 0) {
        scale = Math.min(width / state.width, height / state.height);
      }
    }

    canvas.style.width = `${Math.max(1, Math.floor(state.width * scale))}px`;
    canvas.style.height = `${Math.max(1, Math.floor(state.height * scale))}px`;
    scheduleResizeRequest();
  }

  /** RDP, the Controller only: ask for a desktop the size of the display area once it has settled. */
  function scheduleResizeRequest() {
    if (!resizable || role !== 'controller') {
      return;
    }

    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      if (disposed || !resizable || role !== 'controller' || !state.inSync || offline || shell.isEnded()) {
        return;
      }

      const { width, height } = desktopSizeFor(host.clientWidth, host.clientHeight);
      const key = `${width}x${height}`;
      if ((width === state.width && height === state.height) || key === requestedSize) {
        return;
      }

      requestedSize = key;
      shell.send(input.frame(DisplayFrameType.DisplayResizeRequest, encodeResizeRequest(width, height)));
    }, 500);
  }

  // --- Input -----------------------------------------------------------------------------------------
  /** The framebuffer pixel under a pointer event (canvas CSS pixels scaled to the framebuffer, clamped). */
  function position(event) {
    const rect = canvas.getBoundingClientRect();
    const x = Math.floor(((event.clientX - rect.left) * state.width) / Math.max(1, rect.width));
    const y = Math.floor(((event.clientY - rect.top) * state.height) / Math.max(1, rect.height));
    return { x: clamp(x, 0, state.width - 1), y: clamp(y, 0, state.height - 1) };
  }

  /** The RFB mask of the mouse buttons held: DOM buttons 1 left, 2 right, 4 middle → RFB bit 0 left, 1 middle, 2 right. */
  function maskOf(event) {
    const b = event.buttons ?? 0;
    return (b & 1) | ((b & 4) ? 2 : 0) | ((b & 2) ? 4 : 0);
  }

  function sendPointer(mask, { x, y }, always = false) {
    if (!always && x === lastPointer.x && y === lastPointer.y && mask === lastPointer.buttons) {
      return;
    }

    lastPointer = { x, y, buttons: mask };
    shell.send(input.frame(DisplayFrameType.PointerInput, encodePointer(mask, x, y)));
  }

  function onPointer(event) {
    if (!controlling || !state.inSync || offline) {
      return;
    }

    event.preventDefault();
    if (event.type === 'pointerdown') {
      canvas.focus({ preventScroll: true });
      canvas.setPointerCapture?.(event.pointerId);
    }

    buttons = maskOf(event);
    sendPointer(buttons, position(event));
  }

  function onWheel(event) {
    if (!controlling || !state.inSync || offline) {
      return;
    }

    event.preventDefault();
    const unit = event.deltaMode === 1 ? 40 : event.deltaMode === 2 ? 800 : 1; // lines, pages → pixels
    wheelX += event.deltaX * unit;
    wheelY += event.deltaY * unit;
    const at = position(event);
    const steps = (amount, negative, positive) => {
      let bit = 0;
      let count = 0;
      if (Math.abs(amount) >= WHEEL_STEP_PX) {
        bit = amount < 0 ? negative : positive;
        count = Math.min(10, Math.trunc(Math.abs(amount) / WHEEL_STEP_PX));
      }

      for (let i = 0; i < count; i++) {
        sendPointer(buttons | bit, at, true);
        sendPointer(buttons, at, true);
      }

      return count ? amount - Math.sign(amount) * count * WHEEL_STEP_PX : amount;
    };
    wheelY = steps(wheelY, WHEEL_UP, WHEEL_DOWN);
    wheelX = steps(wheelX, WHEEL_LEFT, WHEEL_RIGHT);
  }

  function onKey(event) {
    if (!controlling || !state.inSync || event.isComposing) {
      return;
    }

    const down = event.type === 'keydown';
    const id = event.code || event.key;
    const keysym = down ? keysymFor(event) : held.get(id) ?? keysymFor(event);
    if (keysym === null) {
      return; // a dead key (its character comes with the next key), or a key X has no name for
    }

    event.preventDefault();
    if (down) {
      held.set(id, keysym);
    } else if (!held.delete(id)) {
      return; // released a key pressed before the canvas had focus
    }

    key(down, keysym);
  }

  function key(down, keysym) {
    shell.sendInput(input.frame(DisplayFrameType.KeyInput, encodeKey(down, keysym)));
  }

  /** Releases every key this page holds down on the device (focus left the canvas, control ended). */
  function releaseKeys() {
    for (const keysym of [...held.values()].reverse()) {
      if (controlling) {
        key(false, keysym);
      }
    }

    held.clear();
    if (buttons && controlling && state.inSync && lastPointer.x >= 0) {
      sendPointer(0, lastPointer);
    }

    buttons = 0;
  }

  function sendCtrlAltDel() {
    if (!controlling || !state.inSync) {
      return;
    }

    for (const keysym of CTRL_ALT_DEL) {
      key(true, keysym);
    }

    for (const keysym of [...CTRL_ALT_DEL].reverse()) {
      key(false, keysym);
    }

    canvas.focus({ preventScroll: true });
  }

  // --- Clipboard -------------------------------------------------------------------------------------
  function setClipboardOpen(open) {
    clipboardPanel.hidden = !open || clipboardPolicy === 'off';
    clipboardButton.setAttribute('aria-expanded', String(!clipboardPanel.hidden));
  }

  function showClipboard() {
    clipboardButton.hidden = clipboardPolicy === 'off';
    sendPart.hidden = !(clipboardPolicy === 'both' && controlling);
    if (clipboardPolicy === 'off') {
      setClipboardOpen(false);
    }
  }

  function sendClipboard() {
    if (!controlling || clipboardPolicy !== 'both') {
      return;
    }

    const bytes = new TextEncoder().encode(sendText.value);
    if (bytes.byteLength > MAX_CLIPBOARD_BYTES) {
      shell.showNotice(`Not sent: the text has ${formatBytes(bytes.byteLength)}; the device's clipboard takes at most ${formatBytes(MAX_CLIPBOARD_BYTES)}.`);
      return;
    }

    shell.sendInput(input.frame(DisplayFrameType.ClipboardInput, bytes));
    shell.showNotice('Sent to the device’s clipboard.');
  }

  // --- Role ------------------------------------------------------------------------------------------
  function setRole(next) {
    role = next;
    if (role === 'viewer') {
      stopInput();
    } else if (!shell.isEnded()) {
      controlling = true;
      remotePointer.hidden = true;
      showControls();
      scheduleResizeRequest();
      canvas.focus({ preventScroll: true });
    }
  }

  function stopInput() {
    releaseKeys();
    controlling = false;
    showControls();
  }

  function showControls() {
    const typing = controlling && !offline;
    host.classList.toggle('display-controlling', typing);
    viewOnlyBadge.hidden = role === null || controlling || shell.isEnded();
    ctrlAltDel.hidden = !controlling;
    showClipboard();
  }

  function showStats() {
    const { fps, bytesPerSecond } = meter.read(now());
    stats.textContent = `${fps} fps · ${formatRate(bytesPerSecond)}`;
  }

  for (const type of ['pointerdown', 'pointermove', 'pointerup', 'pointercancel']) {
    canvas.addEventListener(type, onPointer);
  }

  canvas.addEventListener('wheel', onWheel, { passive: false });
  canvas.addEventListener('contextmenu', (event) => event.preventDefault());
  canvas.addEventListener('keydown', onKey);
  canvas.addEventListener('keyup', onKey);
  canvas.addEventListener('blur', releaseKeys);
  window.addEventListener('blur', releaseKeys);

  return {
    display: true,
    element: host,
    below: [clipboardPanel],
    toolbar: [viewOnlyBadge, stats, scaleButton, ctrlAltDel, clipboardButton],
    get controlling() {
      return controlling;
    },
    /** The framebuffer (for tests and diagnostics). */
    state,
    mount() {
      resizeObserver.observe(host);
    },
    onFrame,
    setRole,
    stopInput,
    onConnect() {
      input = new InputEncoder();
      held.clear();
      buttons = 0;
      role = null;
      lastPointer = { x: -1, y: -1, buttons: -1 };
    },
    onHello(message) {
      clipboardPolicy = ['device-to-browser', 'both'].includes(message.clipboard) ? message.clipboard : 'off';
      resizable = /^rdp$/i.test(message.protocol ?? '');
      showClipboard();
    },
    setStale(stale) {
      host.classList.toggle('display-stale', stale || !outOfSync.hidden);
    },
    setOffline(value) {
      offline = value;
      if (offline) {
        releaseKeys();
      }

      showControls();
    },
    dispose() {
      disposed = true;
      clearInterval(statsTimer);
      clearTimeout(resyncTimer);
      clearTimeout(resizeTimer);
      cancelAnimationFrame(paintScheduled);
      resizeObserver.disconnect();
      window.removeEventListener('blur', releaseKeys);
    },
  };
}

function clamp(value, low, high) {
  return Math.min(high, Math.max(low, value));
}
