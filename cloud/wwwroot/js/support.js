// Support sessions (issue 11): the words and rules the dashboard, session page and history share — status texts and
// badges, invitation states, endpoint order with favourites first, and the checks the cloud makes on names, chat,
// notes and e-mail addresses (repeated here so a mistake shows before the request). No DOM dependency: Node tests it.

/** The cloud's limits (docs: the support-session contract): a session name, a chat message, a note. */
export const MAX_NAME = 120;
export const MAX_CHAT = 2000;
export const MAX_NOTE = 8000;

const STATUS_TEXT = {
  waiting: 'Waiting for participant',
  'in-session': 'In session',
  running: 'In session', // history rows written before support sessions
  'appliance-offline': 'Appliance offline',
  ended: 'Ended',
  expired: 'Expired',
};

const STATUS_BADGE = {
  waiting: 'badge-pending',
  'in-session': 'badge-online',
  running: 'badge-online',
  'appliance-offline': 'badge-warning',
  ended: 'badge-watching',
  expired: 'badge-offline',
};

/**
 * How long a session has been in session, in whole minutes as people say it: "under a minute", "25 min",
 * "1 h 05 min", "2 days 3 h". Negative input (clock skew) counts as zero.
 */
export function formatMinutes(milliseconds) {
  const minutes = Math.max(0, Math.floor((Number.isFinite(milliseconds) ? milliseconds : 0) / 60000));
  if (minutes < 1) {
    return 'under a minute';
  }

  if (minutes < 60) {
    return `${minutes} min`;
  }

  const hours = Math.floor(minutes / 60);
  if (hours < 24) {
    return `${hours} h ${String(minutes % 60).padStart(2, '0')} min`;
  }

  const days = Math.floor(hours / 24);
  return `${days} ${days === 1 ? 'day' : 'days'} ${hours % 24} h`;
}

/**
 * The status as every page words it: "Waiting for participant", "In session for 25 min" (live, from
 * `inSessionSince`), "Appliance offline", "Ended", "Expired". An unknown status is shown as it came.
 * @param {string} status waiting | in-session | appliance-offline | ended | expired (| running, old history rows)
 * @param {{inSessionSince?: string|null, now?: number}} [options]
 */
export function statusText(status, { inSessionSince = null, now = Date.now() } = {}) {
  const key = String(status ?? '');
  if ((key === 'in-session' || key === 'running') && inSessionSince) {
    const since = Date.parse(inSessionSince);
    if (!Number.isNaN(since)) {
      return `In session for ${formatMinutes(now - since)}`;
    }
  }

  return STATUS_TEXT[key] ?? (key ? key.charAt(0).toUpperCase() + key.slice(1).replace(/-/g, ' ') : 'Unknown');
}

/** The badge class for a status (colour is never the only signal: the badge carries the words). */
export function statusBadge(status) {
  return STATUS_BADGE[String(status ?? '')] ?? 'badge-pending';
}

const INVITE_TEXT = { pending: 'Pending', accepted: 'Accepted', expired: 'Expired', revoked: 'Revoked' };

/**
 * An invitation's state: the cloud's `status` when it sends one, else derived from `revokedAt` and `expiresAt`
 * (a cloud without e-mail invitations). Returns { status, text, open } — open: it still admits, so it can be revoked.
 */
export function inviteState(invite, now = Date.now()) {
  let status = typeof invite?.status === 'string' ? invite.status : null;
  if (!status) {
    status = invite?.revokedAt ? 'revoked' : Date.parse(invite?.expiresAt) <= now ? 'expired' : 'pending';
  }

  // An accepted link still lets others in until it expires: it can be revoked too.
  return { status, text: INVITE_TEXT[status] ?? status, open: status === 'pending' || status === 'accepted' };
}

/**
 * Every endpoint the user may start a session on, favourites first, then by appliance and endpoint name.
 * @param {Array<{id: string, name: string, online?: boolean, endpoints?: object[]}>} appliances
 * @param {Array<{applianceId: string, endpointId: string}>} favourites
 * @param {(endpoint: object) => boolean} [usable] which endpoints to offer (protocol shown, access granted)
 * @returns {Array<{appliance: object, endpoint: object, favourite: boolean}>}
 */
export function endpointChoices(appliances, favourites, usable = () => true) {
  const starred = favouriteSet(favourites);
  const choices = [];
  for (const appliance of Array.isArray(appliances) ? appliances : []) {
    for (const endpoint of Array.isArray(appliance.endpoints) ? appliance.endpoints : []) {
      if (usable(endpoint)) {
        choices.push({ appliance, endpoint, favourite: starred.has(favouriteKey(appliance.id, endpoint.id)) });
      }
    }
  }

  const name = (value) => String(value ?? '');
  return choices.sort((a, b) => Number(b.favourite) - Number(a.favourite)
    || name(a.appliance.name).localeCompare(name(b.appliance.name))
    || name(a.endpoint.name).localeCompare(name(b.endpoint.name)));
}

/** The key of a favourite in a Set: "applianceId|endpointId". */
export function favouriteKey(applianceId, endpointId) {
  return `${applianceId}|${endpointId}`;
}

/** The favourites as a Set of favouriteKey()s. */
export function favouriteSet(favourites) {
  return new Set((Array.isArray(favourites) ? favourites : []).map((f) => favouriteKey(f.applianceId, f.endpointId)));
}

// C0 controls but tab, line feed and carriage return are refused in every text; DEL and C1 too.
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
const ANY_CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Why a session name is not accepted (1–120 characters, no control characters), or null. */
export function sessionNameError(name) {
  const text = String(name ?? '').trim();
  if (!text) {
    return 'Give the session a name that says what it is about.';
  }

  if (text.length > MAX_NAME) {
    return `The name is ${text.length} characters long; at most ${MAX_NAME} fit.`;
  }

  return ANY_CONTROL.test(text) ? 'The name cannot hold control characters.' : null;
}

/**
 * Why a chat message or note is not accepted, or null: 1 to `max` characters after trimming, no control characters
 * but line breaks (and tabs).
 */
export function messageError(text, max, noun = 'message') {
  const value = String(text ?? '').trim();
  if (!value) {
    return `Write a ${noun} first.`;
  }

  if (value.length > max) {
    return `The ${noun} is ${value.length} characters long; at most ${max} fit.`;
  }

  return CONTROL.test(value) ? `The ${noun} cannot hold control characters.` : null;
}

/** Why an e-mail address is not accepted, or null (the cloud checks again; this catches typing slips). */
export function emailError(address) {
  const value = String(address ?? '').trim();
  if (!value) {
    return 'Enter the e-mail address of the person to invite.';
  }

  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value) && value.length <= 254 ? null : `"${value}" is not an e-mail address.`;
}

/**
 * Who ended a session and why, as one sentence for the history: "Ended by Carla: The Controller ended the session."
 * @param {{status?: string, endedBy?: {name?: string}|null, endMessage?: string|null, endReason?: string|null}} session
 */
export function endText(session) {
  if (session?.status === 'expired') {
    return 'Expired: the invitation ran out before anyone joined.';
  }

  const by = session?.endedBy?.name ? ` by ${session.endedBy.name}` : '';
  const why = session?.endMessage || session?.endReason || '';
  return why ? `Ended${by}: ${why}` : `Ended${by}.`;
}
