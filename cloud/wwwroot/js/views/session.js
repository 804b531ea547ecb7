// One session: its terminal, who controls it, who watches, and how it ended.
//
// Roles are per page (per connection): the Controller's page types and sets the terminal's size; a co-controller's
// page types (shared control) but keeps the session's size as a Viewer's does; a Viewer's page only watches. The
// cloud says which in `hello` and again in `control` whenever it changes (handover, shared control, supervision).
// The people panel (people.js) shows who is in the session and holds the acts on it.
//
// The Controller's terminal fits the window and asks the device to follow its size (like any SSH client,
// the local size is the truth and the remote catches up). A Viewer's terminal never fits: it takes the
// session's size from TerminalResize and TerminalSnapshot frames, and when the window is too small for
// that many columns and rows it shrinks its font rather than showing part of the screen.
//
// On a touch screen the Controller gets a row of the keys a touch keyboard lacks (extra-keys.js) below the
// terminal, and a Viewer a plain "view only" line in its place. Rotating the device or opening the touch
// keyboard resizes the terminal's box like a window resize does, and the device follows.

import { Terminal } from '../../lib/xterm.mjs';
import { FitAddon } from '../../lib/addon-fit.mjs';
import { Unicode11Addon } from '../../lib/addon-unicode11.mjs';
import { endSession, listSessions, streamUrl } from '../api.js';
import { h } from '../dom.js';
import {
  FrameType, HEADER_SIZE, InputEncoder, MAX_DIMENSION, decodeEnd, decodeFrame, decodeSize, decodeSnapshot, describeEnd,
  formatBytes, pasteRefusal,
} from '../frames.js';
import { terminalOptions } from '../terminal.js';
import { confirmDialog } from './confirm-dialog.js';
import { createExtraKeys } from './extra-keys.js';
import { createPeoplePanel } from './people.js';

const ROLE_CONTROLLER = 'controller';
const ROLE_CO_CONTROLLER = 'co-controller';
const ROLE_VIEWER = 'viewer';

/** The close code of a connection the cloud refused at open (not admitted, full, joint sessions off). */
const REFUSED_CLOSE_CODE = 4403;

/** A Viewer's font shrinks down to this size so that the whole session screen fits the window. */
const MIN_VIEWER_FONT_SIZE = 7;

/** Width xterm's scroll bar covers at the right of the terminal (addon-fit reserves the same). */
const SCROLLBAR_WIDTH = 14;

/** A touch screen is the primary pointer: phones and tablets (not a laptop that also has one). */
const TOUCH_QUERY = '(pointer: coarse)';

/** How long to wait for the server's own "ended" after a successful DELETE before saying so ourselves. */
const END_CONFIRMATION_MS = 3000;

/** How long a notice (a refused paste, undelivered input) stays in the toolbar. */
const NOTICE_MS = 10000;

/** Input larger than this shows how much of it is still on its way (the device's echo paces a paste). */
const PASTE_PROGRESS_BYTES = 64 * 1024;

/**
 * Renders the session view into `root`; returns a function that tears it down (socket, terminal, timers).
 * @param {HTMLElement} root
 * @param {{sessionId: string, user: {id: string, name: string, role: string}}} context
 */
export function renderSession(root, { sessionId, user }) {
  const isAdmin = /admin/i.test(user?.role ?? '');
  let role = null;
  let ended = false;
  let disposed = false;
  let socket = null;
  let socketOpened = false;
  let fitAddon = null;
  let controlling = false;
  let resizeObserver = null;
  let layoutScheduled = 0;
  let endTimer = 0;
  let deviceResponding = true;
  let noticeTimer = 0;
  let progressTimer = 0;
  let maxPaste = 0;
  let applianceOffline = false;
  let inputPaused = false;
  let you = null;
  const inputSubscriptions = [];
  let input = new InputEncoder();

  // --- DOM -------------------------------------------------------------------------------------------
  const title = h('h1', { id: 'session-heading', class: 'session-title', tabindex: '-1' }, 'Remote session');
  const code = h('span', { class: 'session-code', testid: 'session-code', hidden: true });
  const roleBadge = h('span', { class: 'badge badge-pending', testid: 'role-badge', role: 'status' }, 'Connecting…');
  const controllerName = h('strong', { testid: 'controller-name' }, '—');
  const viewerCount = h('span', { class: 'count', testid: 'viewer-count' }, '0');
  const viewerNoun = h('span', {}, ' viewers');
  const errorText = h('p', { class: 'toolbar-error', testid: 'session-error', role: 'alert', hidden: true });
  const deviceBadge = h('span', { class: 'badge badge-alert', testid: 'device-not-responding', role: 'status', hidden: true },
    'Device not responding');
  const legacyBadge = h('span', { class: 'badge badge-warning', testid: 'legacy-crypto', hidden: true }, 'Legacy crypto');
  const noticeText = h('p', { class: 'session-notice', testid: 'session-notice', role: 'status', hidden: true });
  const endButton = h('button', { type: 'button', class: 'btn btn-danger', testid: 'end-session', hidden: true, onclick: () => end('end') }, 'End session');
  const terminateButton = h('button', { type: 'button', class: 'btn btn-danger-outline', testid: 'terminate-session', hidden: true, onclick: () => end('terminate') }, 'Terminate');
  const people = createPeoplePanel({ sessionId, onNotice: (text) => showNotice(text) });

  const bannerTitle = h('strong', { class: 'banner-title' }, 'Session ended:');
  const bannerMessage = h('span', { testid: 'session-ended-message' });
  const reconnectButton = h('button', { type: 'button', class: 'btn btn-secondary', testid: 'reconnect', hidden: true, onclick: reconnect }, 'Reconnect');
  const banner = h('div', { class: 'banner banner-ended', testid: 'session-ended', role: 'alert', hidden: true },
    h('p', {}, bannerTitle, ' ', bannerMessage),
    h('div', { class: 'banner-actions' },
      reconnectButton,
      h('a', { href: '#/', class: 'btn btn-primary', testid: 'back-to-dashboard' }, 'Back to the dashboard')));

  // The appliance's link to the cloud dropped: the session waits for it (a grace period), and everyone watching
  // sees so at once instead of a screen that silently stopped changing.
  const offlineMessage = h('span', { testid: 'appliance-offline-message' });
  const offlineBanner = h('div', { class: 'banner banner-offline', testid: 'appliance-offline', role: 'status', hidden: true },
    h('p', {}, h('strong', { class: 'banner-title' }, 'Appliance offline — reconnecting…'), ' ', offlineMessage));

  // Supervision: while the endpoint requires a supervisor and none is present, nobody's input reaches the device.
  const pausedBanner = h('div', { class: 'banner banner-paused', testid: 'input-paused', role: 'status', hidden: true },
    h('p', {}, h('strong', { class: 'banner-title' }, 'Input paused:'), ' ',
      'the device takes no input until a supervisor joins the session.'));

  const host = h('div', { class: 'terminal-host', testid: 'terminal', role: 'region', 'aria-label': 'Remote terminal' });
  const viewOnlyController = h('strong', {}, 'the Controller');
  const viewOnly = h('p', { class: 'view-only', testid: 'view-only', hidden: true },
    h('strong', {}, 'View only'), ' — ', viewOnlyController, ' is in control; nothing you type is sent.');
  const view = h('section', { class: 'session-view', 'aria-labelledby': 'session-heading' },
    h('div', { class: 'session-toolbar' },
      h('div', { class: 'toolbar-group' },
        h('a', { href: '#/', class: 'back-link', testid: 'session-back' }, '← ', h('span', { class: 'back-text' }, 'Dashboard')),
        h('div', { class: 'session-heading' }, title, code)),
      h('div', { class: 'toolbar-group' },
        roleBadge,
        deviceBadge,
        legacyBadge,
        h('span', { class: 'toolbar-item' }, 'Controller: ', controllerName),
        h('span', { class: 'toolbar-item', 'aria-live': 'polite' }, viewerCount, viewerNoun)),
      h('div', { class: 'toolbar-actions' }, errorText, people.toggle, endButton, terminateButton)),
    banner,
    offlineBanner,
    pausedBanner,
    h('div', { class: 'session-body' },
      h('div', { class: 'terminal-frame' }, host, noticeText, people.prompts),
      people.element));
  root.replaceChildren(view);
  const touch = window.matchMedia(TOUCH_QUERY);
  touch.addEventListener('change', showTouchRow);
  document.title = 'Remote session — EdgeGateway';

  // --- Terminal --------------------------------------------------------------------------------------
  // allowProposedApi: the Unicode version is a proposed API. Unicode 11 widths are what the appliance lays its
  // screen out with (keyframes and screen updates): with xterm's default (Unicode 6) an emoji would be narrow here
  // and wide there.
  const term = new Terminal({
    ...terminalOptions, theme: { ...terminalOptions.theme }, disableStdin: true, cursorBlink: false, allowProposedApi: true,
  });
  term.loadAddon(new Unicode11Addon());
  term.unicode.activeVersion = '11';
  term.open(host);
  const extraKeys = createExtraKeys(term);
  view.append(extraKeys.element, viewOnly);
  resizeObserver = new ResizeObserver(() => scheduleLayout());
  resizeObserver.observe(host);

  // A reset or a resize must not overtake bytes xterm has been given but not parsed yet (write() is
  // asynchronous): such operations wait for an empty write's callback, and frames that arrive meanwhile
  // queue behind them. Plain output goes straight to xterm.
  const pending = [];
  let waiting = false;
  function enqueue(operation) {
    pending.push(operation);
    if (!waiting) {
      drain();
    }
  }

  function drain() {
    while (pending.length > 0 && !disposed) {
      const operation = pending.shift();
      if (operation.bytes) {
        term.write(operation.bytes);
        continue;
      }

      waiting = true;
      term.write('', () => {
        waiting = false;
        if (!disposed) {
          operation.run();
          drain();
        }
      });
      return;
    }
  }

  // --- Stream ----------------------------------------------------------------------------------------
  loadSessionInfo();
  connect();

  function connect() {
    socketOpened = false;
    input = new InputEncoder(); // input sequence numbers count from 0 on every stream
    socket = new WebSocket(streamUrl(sessionId));
    socket.binaryType = 'arraybuffer';
    const current = socket;
    socket.addEventListener('open', () => {
      socketOpened = true;
    });
    socket.addEventListener('message', (event) => {
      if (current === socket) {
        onMessage(event);
      }
    });
    socket.addEventListener('close', (event) => {
      if (current === socket) {
        onClose(event);
      }
    });
  }

  function onMessage(event) {
    if (disposed) {
      return;
    }

    try {
      if (typeof event.data === 'string') {
        onControlMessage(event.data);
      } else {
        onFrame(event.data);
      }
    } catch (error) {
      console.error('EdgeGateway: a session-stream message could not be handled.', error);
    }
  }

  function onControlMessage(text) {
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      console.warn('EdgeGateway: ignored a text message that is not JSON.');
      return;
    }

    switch (message?.type) {
      case 'hello':
        onHello(message);
        break;
      case 'viewers':
        setViewers(message.count);
        break;
      case 'device':
        setResponding(message.responding !== false);
        break;
      case 'appliance':
        setApplianceOffline(message.state === 'offline', message.message);
        break;
      case 'ended':
        showEnded('Session ended:', describeEnd(endReasonCode(message.reason), message.message));
        break;
      case 'notice':
        if (typeof message.message === 'string' && message.message) {
          showNotice(message.message);
        }
        break;
      case 'participants':
        setController(message.controller);
        setInputPaused(message.inputPaused);
        people.update({ participants: message.participants ?? [] });
        break;
      case 'control':
        setController(message.controller);
        setInputPaused(message.inputPaused);
        applyRole(message.role);
        break;
      case 'control-request':
        people.controlRequest(message.from);
        break;
      case 'control-declined':
        people.controlDeclined(message.message);
        break;
      case 'refused':
        showRefused(message.message);
        break;
      default:
        console.debug('EdgeGateway: ignored a text message of type', message?.type);
    }
  }

  function onFrame(data) {
    const frame = decodeFrame(data);
    if (!frame) {
      return;
    }

    switch (frame.type) {
      case FrameType.TerminalOutput:
        if (frame.payload.byteLength > 0) {
          enqueue({ bytes: frame.payload });
        }
        break;
      case FrameType.TerminalResize: {
        const size = decodeSize(frame.payload);
        if (!size) {
          console.warn('EdgeGateway: ignored a TerminalResize frame with an invalid size.');
        } else if (role !== ROLE_CONTROLLER) {
          enqueue({
            run: () => {
              resizeTo(size.cols, size.rows);
              scheduleLayout();
            },
          });
        }
        break;
      }
      case FrameType.TerminalSnapshot: {
        const snapshot = decodeSnapshot(frame.payload);
        if (!snapshot) {
          console.warn('EdgeGateway: ignored a TerminalSnapshot frame with an invalid size.');
          break;
        }

        enqueue({
          run: () => {
            term.reset();
            resizeTo(snapshot.cols, snapshot.rows);
            term.write(snapshot.screen);
            scheduleLayout();
          },
        });
        break;
      }
      case FrameType.End: {
        const { reason, message } = decodeEnd(frame.payload);
        showEnded('Session ended:', describeEnd(reason, message));
        break;
      }
      default:
        console.debug(`EdgeGateway: ignored a frame of type 0x${frame.type.toString(16)}.`);
    }
  }

  function onHello(message) {
    you = message.you ?? null;
    setResponding(message.responding !== false);
    showDetails(message.details);
    maxPaste = Number.isFinite(message.maxPaste) ? message.maxPaste : 0;
    setController(message.controller);
    setInputPaused(message.inputPaused);
    if (message.code) {
      code.textContent = `Code ${message.code}`;
      code.hidden = false;
    } else if (message.jointSession === false) {
      code.hidden = true;
    }

    people.update({
      you,
      participants: message.participants ?? [],
      code: message.code ?? null,
      jointSession: message.jointSession !== false,
      sharedControl: message.sharedControl === true,
      ended: false,
    });
    applyRole(message.role);
  }

  /**
   * Takes this page's role: the Controller types and sizes the terminal, a co-controller types, a Viewer watches.
   * Called with every hello and control event; a change (handover, shared control) takes effect at once.
   */
  function applyRole(next) {
    role = next === ROLE_CONTROLLER || next === ROLE_CO_CONTROLLER ? next : ROLE_VIEWER;
    if (role === ROLE_CONTROLLER) {
      roleBadge.className = 'badge badge-control';
      roleBadge.textContent = 'You are in control';
    } else if (role === ROLE_CO_CONTROLLER) {
      roleBadge.className = 'badge badge-control';
      roleBadge.textContent = 'You share control';
    } else {
      roleBadge.className = 'badge badge-watching';
      roleBadge.textContent = 'Watching — read-only';
    }

    endButton.hidden = ended || role !== ROLE_CONTROLLER;
    terminateButton.hidden = ended || !isAdmin || role === ROLE_CONTROLLER;
    people.update({ role, ended });
    if (role === ROLE_VIEWER) {
      stopInput();
      scheduleLayout();
    } else {
      startControlling();
    }
  }

  function setController(controller) {
    if (controller?.name) {
      controllerName.textContent = controller.name;
      viewOnlyController.textContent = controller.name;
      people.update({ controllerName: controller.name });
    }
  }

  function setInputPaused(paused) {
    if (typeof paused !== 'boolean') {
      return;
    }

    inputPaused = paused && !ended;
    pausedBanner.hidden = !inputPaused;
  }

  /** The extra keys for a page that types, the view-only line for a Viewer; on touch screens only. */
  function showTouchRow() {
    const onTouch = touch.matches && !ended && !disposed;
    extraKeys.element.hidden = !(onTouch && controlling);
    viewOnly.hidden = !(onTouch && role !== null && !controlling);
    if (extraKeys.element.hidden) {
      extraKeys.release();
    }
  }

  function startControlling() {
    if (ended) {
      return;
    }

    if (!controlling) {
      controlling = true;
      term.options.disableStdin = applianceOffline;
      term.options.cursorBlink = true;
      inputSubscriptions.push(
        term.onData((data) => {
          if (!extraKeys.consume(data)) {
            sendInput(input.text(data));
          }
        }),
        term.onBinary((data) => sendInput(input.binary(data))));
    }

    if (role === ROLE_CONTROLLER) {
      if (!fitAddon) {
        fitAddon = new FitAddon();
        term.loadAddon(fitAddon);
      }

      if (term.options.fontSize !== terminalOptions.fontSize) {
        term.options.fontSize = terminalOptions.fontSize;
      }

      fitNow(true);
    } else {
      scheduleLayout();
    }

    showTouchRow();
    term.focus();
  }

  /** Fits the Controller's terminal to its box; asks the device to follow when the size changed. */
  function fitNow(always = false) {
    if (role !== ROLE_CONTROLLER || !fitAddon || ended || disposed) {
      return;
    }

    const proposed = fitAddon.proposeDimensions();
    if (!proposed || !Number.isFinite(proposed.cols) || !Number.isFinite(proposed.rows)) {
      return; // not laid out (hidden, zero size)
    }

    const cols = Math.min(MAX_DIMENSION, Math.max(2, proposed.cols));
    const rows = Math.min(MAX_DIMENSION, Math.max(1, proposed.rows));
    const changed = cols !== term.cols || rows !== term.rows;
    if (changed) {
      term.resize(cols, rows);
    }

    if (changed || always) {
      send(input.resize(cols, rows));
    }
  }

  /**
   * Shrinks (or grows back, up to the normal size) a Viewer's font so the session's columns and rows fit
   * the window. Cell size follows font size closely enough that one step lands on the right size; a
   * second pass corrects rounding.
   */
  function scaleToHost(pass = 0) {
    if (role === ROLE_CONTROLLER || disposed) {
      return;
    }

    const screen = term.element?.querySelector('.xterm-screen');
    const width = screen?.offsetWidth ?? 0;
    const height = screen?.offsetHeight ?? 0;
    const availableWidth = host.clientWidth - SCROLLBAR_WIDTH;
    const availableHeight = host.clientHeight;
    if (!width || !height || availableWidth <= 0 || availableHeight <= 0) {
      return;
    }

    const current = term.options.fontSize;
    const ratio = Math.min(availableWidth / width, availableHeight / height);
    let next = Math.floor(current * ratio);
    if (pass > 0 && ratio < 1 && next >= current) {
      next = current - 1;
    }

    next = Math.min(terminalOptions.fontSize, Math.max(MIN_VIEWER_FONT_SIZE, next));
    if (next !== current) {
      term.options.fontSize = next;
      if (pass < 2) {
        requestAnimationFrame(() => scaleToHost(pass + 1));
      }
    }
  }

  function scheduleLayout() {
    if (layoutScheduled || disposed) {
      return;
    }

    layoutScheduled = requestAnimationFrame(() => {
      layoutScheduled = 0;
      if (role === ROLE_CONTROLLER) {
        fitNow();
      } else if (role !== null) {
        scaleToHost();
      }
    });
  }

  function resizeTo(cols, rows) {
    if (cols !== term.cols || rows !== term.rows) {
      term.resize(cols, rows);
    }
  }

  function send(frame) {
    if (controlling && !ended && !applianceOffline && socket?.readyState === WebSocket.OPEN) {
      socket.send(frame);
    }
  }

  /**
   * Sends the Controller's typing or paste as one frame, however large: the cloud reads it in slices as the device
   * takes them, so the rest waits in this socket. A paste over the cloud's limit is not sent at all.
   */
  function sendInput(frame) {
    // Typed input goes to a device only while it answers: refused here (and again by the appliance), never queued.
    if (!deviceResponding) {
      showNotice('Not sent: the device is not responding. Typing is refused until it answers again.');
      return;
    }

    if (inputPaused) {
      showNotice('Not sent: input is paused until a supervisor joins the session.');
      return;
    }

    const refusal = pasteRefusal(frame.byteLength - HEADER_SIZE, maxPaste);
    if (refusal) {
      showNotice(refusal);
      return;
    }

    send(frame);
    if (frame.byteLength > PASTE_PROGRESS_BYTES) {
      showPasteProgress();
    }
  }

  /** While a large paste drains from the socket, says how much is left; clears itself when it is gone. */
  function showPasteProgress() {
    if (progressTimer) {
      return;
    }

    const update = () => {
      const left = socket?.readyState === WebSocket.OPEN ? socket.bufferedAmount : 0;
      if (left > 0 && !ended && !disposed) {
        showNotice(`Pasting… ${formatBytes(left)} still to send.`, 0);
        progressTimer = setTimeout(update, 250);
      } else {
        progressTimer = 0;
        if (noticeText.dataset.progress === 'true') {
          showNotice('Paste sent.');
        }
      }
    };
    update();
  }

  /** Shows a sentence in the toolbar for a while (or, with 0, until replaced). */
  function showNotice(text, duration = NOTICE_MS) {
    clearTimeout(noticeTimer);
    noticeText.textContent = text;
    noticeText.hidden = false;
    noticeText.dataset.progress = duration === 0 ? 'true' : 'false';
    if (duration > 0) {
      noticeTimer = setTimeout(() => {
        noticeText.hidden = true;
      }, duration);
    }
  }

  function setResponding(responding) {
    deviceResponding = responding;
    deviceBadge.hidden = responding;
    host.classList.toggle('terminal-stale', !responding);
    if (responding) {
      noticeText.hidden = true;
    }
  }

  /** The connection's algorithms (and a marker when the endpoint's policy allowed legacy ones). */
  function showDetails(details) {
    if (!details) {
      return;
    }

    const algorithms = [
      details.keyExchange && `key exchange ${details.keyExchange}`,
      details.hostKey && `host key ${details.hostKey}`,
      details.cipher && `cipher ${details.cipher}`,
      details.mac && `MAC ${details.mac}`,
    ].filter(Boolean).join(', ');
    legacyBadge.hidden = !details.legacyCrypto;
    legacyBadge.title = `This connection uses legacy algorithms that the endpoint's policy allows: ${algorithms}`;
  }

  /** Shows or clears the "appliance offline" state; the Controller's keys are refused while it lasts. */
  function setApplianceOffline(offline, message) {
    applianceOffline = offline && !ended;
    offlineBanner.hidden = !applianceOffline;
    offlineMessage.textContent = applianceOffline
      ? (message || '').replace(/^Appliance offline — reconnecting\.?\s*/, '') || 'The session resumes when it is back.'
      : '';
    if (controlling) {
      term.options.disableStdin = applianceOffline;
    }
  }

  function setViewers(count) {
    const n = Number.isFinite(count) ? Math.max(0, Math.trunc(count)) : 0;
    viewerCount.textContent = String(n);
    viewerNoun.textContent = n === 1 ? ' viewer' : ' viewers';
  }

  function onClose(event) {
    if (disposed || ended) {
      return;
    }

    if (event.code === REFUSED_CLOSE_CODE) {
      showRefused(event.reason);
    } else if (!socketOpened) {
      showEnded('Could not open the session:', event.reason
        || 'It may have ended, or you may not have access to it.', { canReconnect: true });
    } else if (event.code === 1000 || event.code === 1001) {
      showEnded('Session ended:', event.reason || 'The connection to the session closed.');
    } else {
      showEnded('Disconnected:', event.reason || 'The connection to the cloud was lost.', { canReconnect: true });
    }
  }

  function showEnded(heading, message, { canReconnect = false } = {}) {
    if (ended || disposed) {
      return;
    }

    ended = true;
    clearTimeout(endTimer);
    clearTimeout(noticeTimer);
    noticeText.hidden = true;
    setApplianceOffline(false);
    stopInput();
    bannerTitle.textContent = heading;
    bannerMessage.textContent = message;
    reconnectButton.hidden = !canReconnect;
    banner.hidden = false;
    endButton.hidden = true;
    terminateButton.hidden = true;
    pausedBanner.hidden = true;
    people.update({ ended: true });
    roleBadge.className = 'badge badge-watching';
    roleBadge.textContent = 'Ended';
    if (socket && socket.readyState <= WebSocket.OPEN) {
      socket.close(1000);
    }
  }

  /** The cloud would not let this page watch: its sentence takes the terminal's place. */
  function showRefused(message) {
    showEnded('You cannot watch this session:', message || 'You are not admitted to this session.');
    view.classList.add('session-refused');
  }

  function stopInput() {
    controlling = false;
    term.options.disableStdin = true;
    term.options.cursorBlink = false;
    for (const subscription of inputSubscriptions.splice(0)) {
      subscription.dispose();
    }

    showTouchRow();
    term.blur();
  }

  function reconnect() {
    if (disposed) {
      return;
    }

    ended = false;
    role = null;
    banner.hidden = true;
    view.classList.remove('session-refused');
    setApplianceOffline(false); // the server says so again on the new connection if it still holds
    errorText.hidden = true;
    roleBadge.className = 'badge badge-pending';
    roleBadge.textContent = 'Connecting…';
    showTouchRow();
    pending.length = 0;
    connect();
  }

  async function end(kind) {
    if (kind === 'terminate' && !await confirmDialog({
      title: 'Terminate this session?',
      message: `The device connection closes for everyone in it, and they see that you terminated it. ${controllerName.textContent} controls it now.`,
      confirm: 'Terminate',
      danger: true,
      testid: 'confirm-terminate',
    })) {
      return;
    }

    const button = kind === 'end' ? endButton : terminateButton;
    button.disabled = true;
    const label = button.textContent;
    button.textContent = kind === 'end' ? 'Ending…' : 'Terminating…';
    errorText.hidden = true;
    try {
      await endSession(sessionId);
      // The server announces the end on the stream; say it ourselves if that does not arrive.
      endTimer = setTimeout(() => showEnded('Session ended:', kind === 'end'
        ? 'You ended the session.' : 'You terminated the session.'), END_CONFIRMATION_MS);
    } catch (error) {
      errorText.textContent = error.message;
      errorText.hidden = false;
    } finally {
      button.disabled = false;
      button.textContent = label;
    }
  }

  async function loadSessionInfo() {
    try {
      const sessions = await listSessions();
      const info = Array.isArray(sessions) ? sessions.find((s) => String(s.id) === String(sessionId)) : null;
      if (!info || disposed) {
        return;
      }

      if (info.endpointName) {
        title.textContent = info.endpointName;
        document.title = `${info.endpointName} — EdgeGateway`;
      }

      if (info.code) {
        code.textContent = `Code ${info.code}`;
        code.hidden = false;
      }

      if (controllerName.textContent === '—' && info.controller?.name) {
        controllerName.textContent = info.controller.name;
      }

      if (viewerCount.textContent === '0' && Number.isFinite(info.viewers)) {
        setViewers(info.viewers);
      }
    } catch (error) {
      console.debug('EdgeGateway: session details unavailable.', error);
    }
  }

  return function dispose() {
    disposed = true;
    clearTimeout(endTimer);
    clearTimeout(noticeTimer);
    clearTimeout(progressTimer);
    cancelAnimationFrame(layoutScheduled);
    resizeObserver?.disconnect();
    touch.removeEventListener('change', showTouchRow);
    for (const subscription of inputSubscriptions.splice(0)) {
      subscription.dispose();
    }

    if (socket && socket.readyState <= WebSocket.OPEN) {
      socket.close(1000);
    }

    term.dispose();
  };
}

/** The JSON "ended" message may carry the reason as a number or as a name. */
function endReasonCode(reason) {
  if (typeof reason === 'number') {
    return reason;
  }

  const names = {
    deviceclosed: 1, controllerended: 2, terminated: 3, authenticationfailed: 4, unreachable: 5, refused: 6, error: 7, expired: 8,
    deviceunresponsive: 9, connectionlost: 10,
  };
  return names[String(reason ?? '').replace(/[^a-z]/gi, '').toLowerCase()] ?? 0;
}
