// The support-session parts of the session page (issue 11): the status line ("Waiting for participant", "In session
// for 25 min", "Appliance offline", "Ended"), the card over the device while it is not connected (its owner's "Connect
// to device", everyone else's "Waiting for the technician…"), the connect flow itself, and the toast that tells the
// Controller someone joined by link or code.
//
// It holds the status the stream reports (hello, then a `status` event on every change) and nothing else; the page
// (session.js) asks it whether the device is connected and whether this page's user owns the session.

import { connectSession, listAppliances } from '../api.js';
import { h } from '../dom.js';
import { statusBadge, statusText } from '../support.js';
import { openConnectDialog } from './connect-dialog.js';

/** How often "In session for N min" is worded again. */
const STATUS_TICK_MS = 15000;

/** How long "… joined" stays over the device. */
const TOAST_MS = 8000;

const VIA_WORDS = { link: 'by invite link', code: 'by code', list: 'from the list', email: 'by e-mail invitation' };

/**
 * @param {{sessionId: string, ownerId: string|null, sessionInfo: () => Promise<object|null>, protocol: () => string|null,
 *   onConnectedChange: () => void, onJoined: () => void, showNotice: (text: string) => void}} options
 *   sessionInfo: the session as the list shows it (applianceId, endpointId, endpointName); protocol: the hello's
 */
export function createSessionSupport({ sessionId, ownerId: initialOwner, sessionInfo, protocol, onConnectedChange, onJoined, showNotice }) {
  let status = null;
  let inSessionSince = null;
  let connected = true; // a cloud (or session) without support sessions is connected from its start
  let deviceShown = false;
  let ownerId = initialOwner;
  let you = null;
  let ended = false;
  let applianceOffline = false;
  let dialog = null;

  const statusLine = h('span', { class: 'badge badge-pending', testid: 'session-status', role: 'status', hidden: true });
  const connectButton = h('button', { type: 'button', class: 'btn btn-primary', testid: 'connect-device', onclick: connectDevice }, 'Connect to device');
  const waitingOwner = h('div', { class: 'device-waiting-owner', testid: 'device-waiting-owner' },
    h('p', {}, h('strong', {}, 'The device is not connected yet.'), ' Invite the people you need; connect when you are ready. Everyone here sees the device from then on.'),
    connectButton);
  const waitingOther = h('p', { testid: 'waiting-device' }, 'Waiting for the technician to connect the device');
  const deviceWaiting = h('div', { class: 'device-waiting', testid: 'device-waiting', hidden: true },
    h('div', { class: 'device-waiting-card' }, waitingOwner, waitingOther));
  const toasts = h('div', { class: 'session-toasts', role: 'status', 'aria-live': 'polite', testid: 'toasts' });
  const ticker = setInterval(showStatus, STATUS_TICK_MS);

  function isOwner() {
    return ownerId !== null && you?.id !== undefined && String(ownerId) === String(you.id);
  }

  /**
   * Takes what a hello, a `status` event or the session list says: status, inSessionSince, connected, ownerId (each
   * only when present). Calls onConnectedChange when the device connection opened (or closed).
   */
  function take(message) {
    if (typeof message?.status === 'string' && message.status) {
      status = message.status;
    }

    if (message?.inSessionSince !== undefined) {
      inSessionSince = message.inSessionSince;
    }

    if (message?.ownerId) {
      ownerId = message.ownerId;
    }

    const was = connected;
    if (typeof message?.connected === 'boolean') {
      connected = message.connected;
    }

    show();
    if (connected !== was) {
      onConnectedChange();
    }
  }

  function show() {
    showStatus();
    deviceWaiting.hidden = connected || deviceShown || ended;
    waitingOwner.hidden = !isOwner();
    waitingOther.hidden = isOwner();
  }

  function showStatus() {
    if (status === null) {
      return;
    }

    const shown = ended && status !== 'expired' ? 'ended' : applianceOffline ? 'appliance-offline' : status;
    statusLine.className = `badge ${statusBadge(shown)}`;
    statusLine.textContent = statusText(shown, { inSessionSince });
    statusLine.hidden = false;
  }

  /** The owner connects the device: the connect dialog, posting the credentials to this session. */
  async function connectDevice() {
    connectButton.disabled = true;
    try {
      const { appliance, endpoint } = await endpointOfSession();
      if (ended) {
        return;
      }

      dialog = openConnectDialog({
        appliance,
        endpoint,
        start: ({ username, password, columns, rows }) => connectSession(sessionId, { username, password, columns, rows }),
        // Every page learns it from the stream (a status event, then the device's frames); this one says so too.
        onStarted: () => showNotice('The device is connected.'),
      });
    } finally {
      connectButton.disabled = false;
    }
  }

  /** The appliance and endpoint the dialog names; what the list says when the appliances cannot be read. */
  async function endpointOfSession() {
    const known = await sessionInfo();
    const fallback = {
      appliance: { id: known?.applianceId, name: '', online: true },
      endpoint: { id: known?.endpointId, name: known?.endpointName ?? 'the device', protocol: protocol() ?? known?.protocol ?? 'ssh' },
    };
    try {
      const appliances = await listAppliances();
      const appliance = (Array.isArray(appliances) ? appliances : []).find((a) => String(a.id) === String(known?.applianceId));
      const endpoint = appliance?.endpoints?.find((e) => String(e.id) === String(known?.endpointId));
      return appliance && endpoint ? { appliance, endpoint } : fallback;
    } catch {
      return fallback;
    }
  }

  /** Someone joined by link or code (the Controller's notification). */
  function showJoined(message) {
    const name = typeof message?.name === 'string' && message.name ? message.name : 'Someone';
    const via = VIA_WORDS[message?.via] ? ` ${VIA_WORDS[message.via]}` : '';
    const toast = h('div', { class: 'session-toast', testid: 'joined-toast' }, h('strong', {}, name), ` joined${via}.`);
    toasts.append(toast);
    setTimeout(() => toast.remove(), TOAST_MS);
    onJoined();
  }

  return {
    statusLine,
    deviceWaiting,
    toasts,
    take,
    showJoined,
    isOwner,
    get connected() {
      return connected;
    },
    get expired() {
      return status === 'expired';
    },
    get known() {
      return status !== null;
    },
    setYou(next) {
      you = next;
      show();
    },
    /** The device spoke (a frame arrived): its surface shows, whatever the status said. */
    frameArrived() {
      if (!deviceShown) {
        deviceShown = true;
        show();
      }
    },
    setEnded(value) {
      ended = value;
      if (ended) {
        dialog?.close();
      }

      show();
    },
    setApplianceOffline(value) {
      applianceOffline = value;
      showStatus();
    },
    dispose() {
      clearInterval(ticker);
      dialog?.close();
    },
  };
}
