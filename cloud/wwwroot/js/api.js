// The cloud's HTTP API. Same origin, cookie authentication, JSON. Paths are relative to the page so the
// client also works behind a path base.

/** A failed call, with the sentence to show the user. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
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

async function request(method, path, body, { signalUnauthorized = true, messages = {} } = {}) {
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
    throw new ApiError(response.status, message);
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
