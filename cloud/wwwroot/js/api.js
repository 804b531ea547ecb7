// The cloud's HTTP API. Same origin, cookie authentication, JSON. Paths are relative to the page so the
// client also works behind a path base.

/** A failed call, with the sentence to show the user. */
export class ApiError extends Error {
  constructor(status, message, data = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    /** The JSON body of the answer (a refused sign-in says whether a TOTP code or enrolment is needed). */
    this.data = data;
  }
}

/** Dispatched on window when a call that needs a signed-in user gets 401 (the cookie expired). */
export const UNAUTHORIZED_EVENT = 'edgegateway:unauthorized';

const fallbackMessages = {
  400: 'The request was not accepted.',
  401: 'Please sign in again.',
  403: 'You are not allowed to do that.',
  404: 'It no longer exists.',
  409: 'That conflicts with the current state. Refresh and try again.',
  429: 'Too many attempts. Wait a moment and try again.',
  502: 'The device or appliance did not answer correctly.',
  503: 'The service is unavailable. Try again shortly.',
  504: 'The device or appliance did not answer in time.',
};

export async function request(method, path, body, { signalUnauthorized = true, messages = {} } = {}) {
  const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }

  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, 'The EdgeGateway cloud cannot be reached. Check the network connection and try again.');
  }

  let data = null;
  const text = await response.text().catch(() => '');
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }

  if (!response.ok) {
    if (response.status === 401 && signalUnauthorized) {
      window.dispatchEvent(new CustomEvent(UNAUTHORIZED_EVENT));
    }

    const message = typeof data?.error === 'string' && data.error
      ? data.error
      : messages[response.status] ?? fallbackMessages[response.status] ?? `The request failed (HTTP ${response.status}).`;
    throw new ApiError(response.status, message, data);
  }

  return data;
}

/** The signed-in user, or null when nobody is (401). */
export async function getMe() {
  try {
    return await request('GET', 'api/me', undefined, { signalUnauthorized: false });
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      return null;
    }

    throw error;
  }
}

/** Signs in; 401 is a wrong user name or password, not an expired session. */
export function login(credentials) {
  return request('POST', 'api/auth/login', credentials, {
    signalUnauthorized: false,
    messages: { 401: 'The user name or password is not correct.' },
  });
}

export function logout() {
  return request('POST', 'api/auth/logout', undefined, { signalUnauthorized: false });
}

export function listAppliances() {
  return request('GET', 'api/appliances');
}

export function listSessions() {
  return request('GET', 'api/sessions');
}

/**
 * Starts a session. The caller passes the device password inline so that nothing but this request
 * holds it.
 */
export function startSession(body) {
  return request('POST', 'api/sessions', body);
}

/**
 * Answers the question a device asks while logging in (a one-time code): { answers: [..] } or { cancel: true }.
 * Resolves like startSession: the session (201), or { sessionId, prompt } when the device asks again (202).
 */
export function answerLoginPrompt(id, body) {
  return request('POST', `api/sessions/${encodeURIComponent(id)}/auth-response`, body);
}

export function endSession(id) {
  return request('DELETE', `api/sessions/${encodeURIComponent(id)}`);
}

/** The WebSocket address of a session's stream, on the page's own origin. */
export function streamUrl(id) {
  const url = new URL(`api/sessions/${encodeURIComponent(id)}/stream`, document.baseURI);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.href;
}

function query(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params ?? {})) {
    if (value !== undefined && value !== null && value !== '') {
      search.set(name, String(value));
    }
  }

  const text = search.toString();
  return text ? `?${text}` : '';
}

/** Sessions (ended and running), newest first: {applianceId, endpointId, userId, status, q, from, to, before, limit}. */
export function listHistory(params) {
  return request('GET', `api/history/sessions${query(params)}`);
}

/** Walks the audit log's hash chain: {intact, events, firstBrokenSeq, message}. Domain admins. */
export function verifyAudit() {
  return request('GET', 'api/audit/verify');
}

/** The latest audit events, newest first: {before, limit}. Domain admins. */
export function listAuditEvents(params) {
  return request('GET', `api/audit/events${query(params)}`);
}

/** The address of the JSON-lines export (a download; the cloud audits it). */
export function auditExportUrl(params) {
  return `api/audit/export${query(params)}`;
}

// --- Joint sessions: join, invites, control ----------------------------------------------------------------

/** Joins a session from the list (or the endpoint's page) as a Viewer; answers the session. */
export function joinSession(id) {
  return request('POST', `api/sessions/${encodeURIComponent(id)}/join`);
}

/** Joins by the session's code (NNN-NNN-NNNN; dashes and spaces optional); answers the session. */
export function joinByCode(code) {
  return request('POST', 'api/join', { code }, {
    messages: {
      404: 'No running session has this code. Check the digits with the person who gave it to you.',
      429: 'Too many wrong codes. Wait a few minutes and try again.',
    },
  });
}

/** A new invite link: {id, url, expiresAt}. The url holds the key and is shown once. */
export function createInvite(sessionId, minutes) {
  return request('POST', `api/sessions/${encodeURIComponent(sessionId)}/invites`, minutes ? { minutes } : {});
}

/** The session's invites: [{id, createdAt, expiresAt, revokedAt, createdBy}] (never their keys). */
export function listInvites(sessionId) {
  return request('GET', `api/sessions/${encodeURIComponent(sessionId)}/invites`);
}

export function revokeInvite(sessionId, inviteId) {
  return request('DELETE', `api/sessions/${encodeURIComponent(sessionId)}/invites/${encodeURIComponent(inviteId)}`);
}

/**
 * Redeems an invite link's key; answers the session. Not signed in, `name` is required and the cloud signs in a
 * guest for that one session.
 */
export function redeemInvite(key, name) {
  return request('POST', 'api/invites/redeem', name ? { key, name } : { key }, {
    signalUnauthorized: false,
    messages: { 429: 'Too many invalid links from here. Wait a few minutes and try again.' },
  });
}

export function handOverControl(sessionId, userId) {
  return request('POST', `api/sessions/${encodeURIComponent(sessionId)}/control/handover`, { userId });
}

export function requestControl(sessionId) {
  return request('POST', `api/sessions/${encodeURIComponent(sessionId)}/control/request`);
}

export function decideControlRequest(sessionId, userId, accept) {
  return request('POST', `api/sessions/${encodeURIComponent(sessionId)}/control/requests/${encodeURIComponent(userId)}`, { accept });
}

/** Shared control: grants (or withdraws) input to a participant alongside the Controller. */
export function setSharedControl(sessionId, userId, granted) {
  return request(granted ? 'PUT' : 'DELETE', `api/sessions/${encodeURIComponent(sessionId)}/control/grants/${encodeURIComponent(userId)}`);
}

// --- Support sessions: named sessions, chat, notes, e-mail invitations, favourites --------------------------

/**
 * Creates a named support session before the device connection: {applianceId, endpointId, name} →
 * {session, code, invite: {id, url, expiresAt}}. The session waits for a participant; the owner connects it later.
 */
export function createSupportSession(body) {
  return request('POST', 'api/support-sessions', body);
}

/**
 * Opens the device connection of a waiting session (its owner): {username, password, columns, rows}. Resolves as
 * startSession does: the session (201), or {sessionId, prompt} when the device asks more (202).
 */
export function connectSession(id, body) {
  return request('POST', `api/sessions/${encodeURIComponent(id)}/connect`, body);
}

/** The session's chat so far, oldest first: [{id, userId, name, at, text}]. */
export function listChat(sessionId) {
  return request('GET', `api/sessions/${encodeURIComponent(sessionId)}/chat`);
}

export function sendChat(sessionId, text) {
  return request('POST', `api/sessions/${encodeURIComponent(sessionId)}/chat`, { text });
}

/** The session's notes, oldest first: [{id, userId, name, at, text}]. */
export function listNotes(sessionId) {
  return request('GET', `api/sessions/${encodeURIComponent(sessionId)}/notes`);
}

/** Adds a note (the Controller and co-controllers). */
export function addNote(sessionId, text) {
  return request('POST', `api/sessions/${encodeURIComponent(sessionId)}/notes`, { text });
}

/** Sends an invitation by e-mail: {invite, email}. 503 when the cloud has no mail server, 502 when it failed. */
export function inviteByEmail(sessionId, email) {
  return request('POST', `api/sessions/${encodeURIComponent(sessionId)}/invites/email`, { email });
}

/** The actor's pending invitations across sessions: [{id, sessionId, sessionName, email, createdAt, expiresAt, status}]. */
export function listMyInvites() {
  return request('GET', 'api/invites');
}

/** What the page needs to know of the cloud's set-up: {mailEnabled, …}. */
export function getConfig() {
  return request('GET', 'api/config');
}

/** One past (or running) session with its chat, notes and audit events: {session, chat, notes, audit}. */
export function getHistorySession(id) {
  return request('GET', `api/history/sessions/${encodeURIComponent(id)}`, undefined, {
    messages: { 404: 'No session with this id is in the history you may see.' },
  });
}

/** The user's favourite endpoints: [{applianceId, endpointId}]. */
export function listFavourites() {
  return request('GET', 'api/favourites');
}

export function setFavourite(applianceId, endpointId, favourite) {
  return request(favourite ? 'PUT' : 'DELETE', `api/favourites/${encodeURIComponent(applianceId)}/${encodeURIComponent(endpointId)}`);
}
