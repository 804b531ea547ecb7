// One session: its terminal or remote display, who controls it, who watches, and how it ended.
//
// Roles are per page (per connection): the Controller's page types and sets the terminal's size; a co-controller's
// page types (shared control) but keeps the session's size as a Viewer's does; a Viewer's page only watches. The
// cloud says which in `hello` and again in `control` whenever it changes (handover, shared control, supervision).
// The people panel (people.js) shows who is in the session and holds the acts on it.
//
// What shows the device is a *surface*: the terminal (terminal-surface.js) for SSH, the canvas display
// (display-surface.js) for VNC. The page starts with the terminal and swaps in the display when `hello` names a
// display protocol; everything else here (toolbar, banners, people, control, the end) is the same for both.
//
// A support session (issue 11) opens before its device connection: the page shows its status and, while the device
// is not connected, its owner's "Connect to device" (session-support.js), the chat and notes (session-talk.js) and the
// invitations (people.js) at once. The device's surface shows once frames arrive.

import { endSession, getConfig, listSessions, streamUrl } from '../api.js';
import { h } from '../dom.js';
import { FrameType, HEADER_SIZE, decodeEnd, decodeFrame, describeEnd, formatBytes, pasteRefusal } from '../frames.js';
import { confirmDialog } from './confirm-dialog.js';
import { isDisplayProtocol } from './connect-dialog.js';
import { createDisplaySurface } from './display-surface.js';
import { createPeoplePanel } from './people.js';
import { takeCreatedSession } from './support-dialog.js';
import { createSessionSupport } from './session-support.js';
import { createTalkPanel } from './session-talk.js';
import { createTerminalSurface } from './terminal-surface.js';

const ROLE_CONTROLLER = 'controller';
const ROLE_CO_CONTROLLER = 'co-controller';
const ROLE_VIEWER = 'viewer';

/** The close code of a connection the cloud refused at open (not admitted, full, joint sessions off). */
const REFUSED_CLOSE_CODE = 4403;

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
  let endTimer = 0;
  let deviceResponding = true;
  let noticeTimer = 0;
  let progressTimer = 0;
  let maxPaste = 0;
  let applianceOffline = false;
  let inputPaused = false;
  let you = null;
  let info = null; // the session as the list shows it: applianceId, endpointId, endpointName
  let protocol = null;
  const created = takeCreatedSession(sessionId); // {code, invite} when this page follows "New support session"

  // --- DOM -------------------------------------------------------------------------------------------
  const title = h('h1', { id: 'session-heading', class: 'session-title', tabindex: '-1' }, 'Remote session');
  const subtitle = h('span', { class: 'session-subtitle muted small', testid: 'session-endpoint', hidden: true });
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
  const talk = createTalkPanel({ sessionId });
  const support = createSessionSupport({
    sessionId,
    ownerId: created ? user?.id ?? null : null,
    sessionInfo: async () => info ?? await loadSessionInfo(),
    protocol: () => protocol,
    onConnectedChange: () => role !== null && applyRole(role),
    onJoined: () => people.loadInvites(), // an accepted invitation changes its status
    showNotice: (text) => showNotice(text),
  });


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

  const viewOnlyController = h('strong', {}, 'the Controller');
  const surfaceTools = h('div', { class: 'toolbar-group surface-tools' });
  const frame = h('div', { class: 'terminal-frame' }, noticeText, support.deviceWaiting, people.prompts, support.toasts);
  const view = h('section', { class: 'session-view', 'aria-labelledby': 'session-heading' },
    h('div', { class: 'session-toolbar' },
      h('div', { class: 'toolbar-group' },
        h('a', { href: '#/', class: 'back-link', testid: 'session-back' }, '← ', h('span', { class: 'back-text' }, 'Dashboard')),
        h('div', { class: 'session-heading' }, title, subtitle, code)),
      h('div', { class: 'toolbar-group' },
        support.statusLine,
        roleBadge,
        deviceBadge,
        legacyBadge,
        h('span', { class: 'toolbar-item' }, 'Controller: ', controllerName),
        h('span', { class: 'toolbar-item', 'aria-live': 'polite' }, viewerCount, viewerNoun)),
      surfaceTools,
      h('div', { class: 'toolbar-actions' }, errorText, talk.toggle, people.toggle, endButton, terminateButton)),
    banner,
    offlineBanner,
    pausedBanner,
    h('div', { class: 'session-body' }, frame, h('div', { class: 'session-side' }, people.element, talk.element)));
  root.replaceChildren(view);
  document.title = 'Remote session — EdgeGateway';
  if (created) {
    // Straight from "New support session": the code and the first link, with their copy buttons, before anything else.
    people.update({ code: created.code ?? null, owner: true });
    people.showInvite(created.invite);
    people.open();
  }

  getConfig().then((config) => {
    if (!disposed && typeof config?.mailEnabled === 'boolean') {
      people.update({ mailEnabled: config.mailEnabled });
    }
  }, (failure) => console.debug('EdgeGateway: cloud configuration unavailable.', failure));

  // --- Surface ---------------------------------------------------------------------------------------
  const shell = {
    send,
    sendInput,
    sendText,
    showNotice: (text, duration) => showNotice(text, duration),
    isEnded: () => ended,
    viewOnlyController,
  };
  let surface = null;
  let surfaceBelow = [];
  useSurface(createTerminalSurface(shell));

  /** Puts `next` in the frame, toolbar and below the body, in place of the current surface. */
  function useSurface(next) {
    if (surface) {
      surface.dispose();
      surface.element.remove();
      for (const element of surfaceBelow) {
        element.remove();
      }
    }

    surface = next;
    surfaceBelow = next.below;
    frame.prepend(next.element);
    view.append(...next.below);
    surfaceTools.replaceChildren(...next.toolbar);
    surfaceTools.hidden = next.toolbar.length === 0;
    next.mount();
  }

  // --- Stream ----------------------------------------------------------------------------------------
  loadSessionInfo();
  connect();

  function connect() {
    socketOpened = false;
    surface.onConnect(); // input sequence numbers count from 0 on every stream
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
      case 'status':
        takeStatus(message);
        break;
      case 'chat-history':
        talk.onChatHistory(message.messages);
        break;
      case 'chat':
        talk.onChat(message.message);
        break;
      case 'note':
        talk.onNote(message.note);
        break;
      case 'joined':
        support.showJoined(message);
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

    if (frame.type === FrameType.End) {
      const { reason, message } = decodeEnd(frame.payload);
      showEnded('Session ended:', describeEnd(reason, message));
      return;
    }

    support.frameArrived();
    if (!surface.onFrame(frame, data.byteLength ?? frame.payload.byteLength)) {
      console.debug(`EdgeGateway: ignored a frame of type 0x${frame.type.toString(16)}.`);
    }
  }

  function onHello(message) {
    if (isDisplayProtocol(message.protocol) && !surface.display) {
      useSurface(createDisplaySurface(shell));
    }

    surface.onHello(message);
    protocol = message.protocol ?? protocol;
    you = message.you ?? null;
    support.setYou(you);
    if (typeof message.name === 'string' && message.name) {
      showName(message.name);
    }

    takeStatus(message);
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

    // The owner of a waiting session ends it too (before the device connection nobody controls it).
    const { connected } = support;
    endButton.hidden = ended || !(role === ROLE_CONTROLLER || (support.isOwner() && !connected));
    terminateButton.hidden = ended || !isAdmin || !endButton.hidden;
    people.update({ role, ended, owner: support.isOwner() && !connected }); // once connected, the Controller shares
    talk.update({ you, ended, mayWriteNotes: role === ROLE_CONTROLLER || role === ROLE_CO_CONTROLLER });
    roleBadge.hidden = !connected && !ended;
    if (connected || role === ROLE_VIEWER) {
      surface.setRole(role); // the Controller's terminal fits and sends its size once there is a device to follow it
    }
  }

  /** A hello's or `status` event's status; an expired session ends the page. */
  function takeStatus(message) {
    support.take(message);
    if (support.expired) {
      showEnded('Session expired:', 'The invitation ran out before anyone joined.');
    }
  }

  function showName(name) {
    title.textContent = name;
    document.title = `${name} — EdgeGateway`;
    if (info?.endpointName) {
      subtitle.textContent = info.endpointName;
      subtitle.hidden = false;
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

  function send(frame) {
    if (surface.controlling && support.connected && !ended && !applianceOffline && socket?.readyState === WebSocket.OPEN) {
      socket.send(frame);
    }
  }

  /** Sends a text (JSON) message on the stream; any page may (a display that lost track asks for a keyframe). */
  function sendText(json) {
    if (!ended && socket?.readyState === WebSocket.OPEN) {
      socket.send(json);
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
    surface.setStale(!responding);
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
    surface.setOffline(applianceOffline);
    support.setApplianceOffline(applianceOffline);
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
    support.setEnded(true);
    clearTimeout(endTimer);
    clearTimeout(noticeTimer);
    noticeText.hidden = true;
    setApplianceOffline(false);
    surface.stopInput();
    bannerTitle.textContent = heading;
    bannerMessage.textContent = message;
    reconnectButton.hidden = !canReconnect;
    banner.hidden = false;
    endButton.hidden = true;
    terminateButton.hidden = true;
    pausedBanner.hidden = true;
    people.update({ ended: true });
    talk.update({ ended: true });
    roleBadge.hidden = support.known; // the status says "Ended"
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

  function reconnect() {
    if (disposed) {
      return;
    }

    ended = false;
    support.setEnded(false);
    role = null;
    banner.hidden = true;
    view.classList.remove('session-refused');
    setApplianceOffline(false); // the server says so again on the new connection if it still holds
    errorText.hidden = true;
    roleBadge.className = 'badge badge-pending';
    roleBadge.textContent = 'Connecting…';
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
      info = (Array.isArray(sessions) ? sessions.find((s) => String(s.id) === String(sessionId)) : null) ?? info;
      if (!info || disposed) {
        return info;
      }

      if (info.name) {
        showName(info.name);
      } else if (info.endpointName) {
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

      if (!support.known && info.status) {
        takeStatus(info);
      }
    } catch (error) {
      console.debug('EdgeGateway: session details unavailable.', error);
    }

    return info;
  }

  return function dispose() {
    disposed = true;
    support.dispose();
    clearTimeout(endTimer);
    clearTimeout(noticeTimer);
    clearTimeout(progressTimer);
    if (socket && socket.readyState <= WebSocket.OPEN) {
      socket.close(1000);
    }

    surface.dispose();
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
