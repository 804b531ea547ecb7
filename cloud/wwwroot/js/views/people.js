// The session page's people panel: who is in the session and in what role, and what the page's own role lets it
// do about that — the Controller (and a support session's owner before the device is connected) shares the code,
// invite links and e-mail invitations, hands over or shares control and answers requests for control; a Viewer who
// may control asks for it.
//
// Everything shown comes from the stream's events (hello, participants, control); the buttons call the API and the
// result arrives as events again, so every page shows the same state whoever clicked.

import {
  createInvite, decideControlRequest, handOverControl, inviteByEmail, listInvites, requestControl, revokeInvite, setSharedControl,
} from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { formatTime } from '../format.js';
import { emailError, inviteState } from '../support.js';

/** Wide enough for the terminal and a column of people side by side; narrower, the panel opens over the terminal. */
const WIDE_QUERY = '(min-width: 900px)';

const ROLE_NAMES = { controller: 'Controller', 'co-controller': 'Co-controller', viewer: 'Viewer' };

/** How long "Copied" shows on a copy button. */
const COPIED_MS = 2000;

/** Why the e-mail form is off when the cloud has no mail server (the cloud's own sentence, when it says it). */
const MAIL_OFF = 'E-mail is not set up on this cloud; copy the link instead.';

/**
 * @param {{sessionId: string, onNotice: (text: string) => void}} options
 * update() takes: you, role, participants, jointSession, sharedControl, code, ended, controllerName, owner (this page's
 * user created the session), mailEnabled (false: the cloud sends no e-mail).
 */
export function createPeoplePanel({ sessionId, onNotice }) {
  let state = {
    you: null, role: null, participants: [], jointSession: true, sharedControl: false, code: null, ended: false, controllerName: '',
    owner: false, mailEnabled: true,
  };
  let requestPending = false;
  let invitesLoaded = false;
  let listKey = null;
  let presentKey = null; // who is connected: a change may mean an invitation was just accepted
  const requests = new Map(); // user id → prompt element, on the Controller's page

  // --- DOM ---------------------------------------------------------------------------------------------
  const count = h('span', { class: 'people-count', testid: 'people-count' }, '0');
  const toggle = h('button', {
    type: 'button', class: 'btn btn-secondary btn-small people-toggle', testid: 'people-toggle',
    'aria-controls': 'people-panel', 'aria-expanded': 'false', onclick: () => setOpen(element.hidden),
  }, 'People ', count);

  const list = h('ul', { class: 'people-list', testid: 'participants', 'aria-live': 'polite' });

  const code = h('span', { class: 'share-code mono', testid: 'people-code' });
  const copyCode = copyButton('copy-code', 'Copy code', () => code.textContent);
  const inviteButton = h('button', { type: 'button', class: 'btn btn-secondary btn-small', testid: 'create-invite', onclick: invite }, 'Invite link');
  const inviteUrl = h('input', { type: 'text', class: 'share-url mono', readonly: true, testid: 'invite-url', 'aria-label': 'Invite link' });
  const inviteNote = h('p', { class: 'muted small share-note', testid: 'invite-note' });
  const inviteShown = h('div', { class: 'share-link', hidden: true },
    h('div', { class: 'share-row' }, inviteUrl, copyButton('copy-invite', 'Copy link', () => inviteUrl.value)),
    inviteNote);
  const invites = h('ul', { class: 'invite-list', testid: 'invites', 'aria-label': 'Invitations' });

  const email = h('input', {
    id: `invite-email-${sessionId}`, type: 'email', autocomplete: 'email', spellcheck: 'false', maxlength: '254',
    placeholder: 'name@example.com', class: 'share-url', testid: 'invite-email',
  });
  const emailSend = h('button', { type: 'submit', class: 'btn btn-secondary btn-small', testid: 'invite-email-send' }, 'Send');
  const emailStatus = h('p', { class: 'small share-note', role: 'status', testid: 'invite-email-status' });
  const emailProblem = h('p', { class: 'form-error', role: 'alert', testid: 'invite-email-error', hidden: true });
  const emailOff = h('p', { class: 'muted small share-note', testid: 'invite-email-off', hidden: true }, MAIL_OFF);
  const emailFieldset = h('fieldset', { class: 'share-email-fields' },
    h('label', { for: email.id, class: 'small' }, 'Invite by e-mail'),
    h('div', { class: 'share-row' }, email, emailSend));
  const emailForm = h('form', { class: 'share-email', novalidate: true, testid: 'invite-email-form', onsubmit: sendEmail },
    emailFieldset, emailOff, emailProblem, emailStatus);

  const share = h('section', { class: 'people-section', testid: 'share', 'aria-labelledby': 'share-heading', hidden: true },
    h('h3', { id: 'share-heading', class: 'people-heading' }, 'Invite others'),
    h('div', { class: 'share-row' }, h('span', { class: 'muted small' }, 'Code'), code, copyCode),
    h('div', { class: 'share-row' }, inviteButton),
    inviteShown,
    emailForm,
    h('h3', { class: 'people-heading people-subheading' }, 'Invitations'),
    invites);

  const requestButton = h('button', { type: 'button', class: 'btn btn-primary btn-small', testid: 'request-control', onclick: askForControl }, 'Request control');
  const requestStatus = h('p', { class: 'muted small', testid: 'control-request-pending', role: 'status', hidden: true });
  const ask = h('section', { class: 'people-section', testid: 'ask-control', hidden: true }, requestButton, requestStatus);

  const error = h('p', { class: 'form-error', role: 'alert', testid: 'people-error', hidden: true });
  const element = h('aside', { id: 'people-panel', class: 'people', testid: 'people', 'aria-labelledby': 'people-heading', hidden: true },
    h('h2', { id: 'people-heading', class: 'people-heading' }, 'People in this session'),
    list, ask, share, error);

  /** Requests for control, floating over the terminal so that they do not change its size. */
  const prompts = h('div', { class: 'session-prompts', testid: 'control-requests' });

  const wide = window.matchMedia(WIDE_QUERY);
  setOpen(wide.matches);

  // --- State -------------------------------------------------------------------------------------------
  function update(changes) {
    state = { ...state, ...changes };
    const participants = Array.isArray(state.participants) ? state.participants : [];
    count.textContent = String(participants.filter((p) => p.connected).length);
    const controller = state.role === 'controller' && !state.ended;
    const me = participants.find((p) => p.id === state.you?.id);

    const key = JSON.stringify([participants, state.role, state.sharedControl, state.you?.id, state.ended]);
    if (key !== listKey) {
      listKey = key;
      replaceChildren(list, participants.map((p) => person(p, controller)));
    }

    // Sharing: the Controller's (and the owner's while the device is not connected), while joint sessions are on.
    share.hidden = !((controller || (state.owner && !state.ended)) && state.jointSession && state.code);
    emailFieldset.disabled = state.mailEnabled === false;
    emailOff.hidden = state.mailEnabled !== false;
    code.textContent = state.code ?? '';
    const present = JSON.stringify(participants.filter((p) => p.connected).map((p) => p.id));
    if (!share.hidden && (!invitesLoaded || present !== presentKey)) {
      // Someone came in: their invitation (if they used one) is Accepted now. The `joined` notice can come before
      // the cloud records that; the participants event, sent once their page is connected, comes after.
      invitesLoaded = true;
      loadInvites();
    }

    presentKey = present;

    if (state.role !== 'viewer') {
      requestPending = false;
    }

    ask.hidden = !(state.role === 'viewer' && me?.canControl && !state.ended);
    requestButton.disabled = requestPending;
    requestStatus.hidden = !requestPending;
    requestStatus.textContent = requestPending ? `Request sent — waiting for ${state.controllerName || 'the Controller'} to answer.` : '';

    // A request is answered only by the Controller, and only while its author is still here.
    for (const [id, prompt] of requests) {
      if (!controller || !participants.some((p) => p.id === id && p.connected)) {
        prompt.remove();
        requests.delete(id);
      }
    }
  }

  function person(p, controller) {
    const you = p.id === state.you?.id;
    const role = ROLE_NAMES[p.role] ?? 'Viewer';
    const actions = [];
    if (controller && !you && p.canControl && p.connected) {
      actions.push(h('button', {
        type: 'button', class: 'btn btn-secondary btn-small', testid: `handover-${p.id}`,
        'aria-label': `Hand over control to ${p.name}`, onclick: (event) => act(event.currentTarget, () => handOverControl(sessionId, p.id)),
      }, 'Hand over control'));
      if (state.sharedControl) {
        const sharing = p.role === 'co-controller';
        actions.push(h('button', {
          type: 'button', class: 'btn btn-secondary btn-small', testid: `share-${p.id}`,
          'aria-label': `${sharing ? 'Stop sharing input with' : 'Share input with'} ${p.name}`,
          onclick: (event) => act(event.currentTarget, () => setSharedControl(sessionId, p.id, !sharing)),
        }, sharing ? 'Stop sharing' : 'Share input'));
      }
    }

    return h('li', { class: `person person-${p.role}${p.connected ? '' : ' person-away'}`, testid: `participant-${p.id}` },
      h('div', { class: 'person-line' },
        h('span', { class: 'person-name' }, p.name, you ? h('span', { class: 'muted' }, ' (you)') : null),
        h('span', { class: `person-role role-${p.role}`, testid: `participant-role-${p.id}` }, role)),
      h('div', { class: 'person-tags' },
        p.supervisor ? h('span', { class: 'tag tag-supervisor', testid: `participant-supervisor-${p.id}` }, 'supervisor') : null,
        p.connected ? null : h('span', { class: 'tag', testid: `participant-away-${p.id}` }, 'not connected')),
      actions.length > 0 ? h('div', { class: 'person-actions' }, actions) : null);
  }

  // --- Acts ----------------------------------------------------------------------------------------------
  /** Runs an API call from a button: disabled meanwhile, a refusal shown in the panel. */
  async function act(button, call) {
    button.disabled = true;
    error.hidden = true;
    try {
      return await call();
    } catch (failure) {
      error.textContent = failure.message;
      error.hidden = false;
      setOpen(true);
      return undefined;
    } finally {
      button.disabled = false;
    }
  }

  async function askForControl() {
    requestPending = true;
    update({});
    try {
      await requestControl(sessionId);
    } catch (failure) {
      requestPending = false;
      update({});
      onNotice(failure.message);
    }
  }

  function controlDeclined(message) {
    requestPending = false;
    update({});
    onNotice(message || 'The Controller declined your request for control.');
  }

  function controlRequest(from) {
    if (!from?.id || state.role !== 'controller' || requests.has(from.id)) {
      return;
    }

    const answer = (accept) => async (event) => {
      for (const button of prompt.querySelectorAll('button')) {
        button.disabled = true;
      }

      const done = await act(event.currentTarget, () => decideControlRequest(sessionId, from.id, accept));
      if (done !== undefined || !accept) {
        prompt.remove();
        requests.delete(from.id);
      } else {
        for (const button of prompt.querySelectorAll('button')) {
          button.disabled = false;
        }
      }
    };
    const prompt = h('div', { class: 'session-prompt', role: 'alertdialog', 'aria-label': `${from.name} asks for control`, testid: `control-request-${from.id}` },
      h('p', {}, h('strong', {}, from.name), ' asks for control of the device.'),
      h('div', { class: 'prompt-actions' },
        h('button', { type: 'button', class: 'btn btn-primary btn-small', testid: `accept-control-${from.id}`, onclick: answer(true) }, 'Accept'),
        h('button', { type: 'button', class: 'btn btn-secondary btn-small', testid: `decline-control-${from.id}`, onclick: answer(false) }, 'Decline')));
    requests.set(from.id, prompt);
    prompts.append(prompt);
  }

  async function invite() {
    const created = await act(inviteButton, () => createInvite(sessionId));
    if (created) {
      showInvite(created);
      inviteUrl.select();
    }
  }

  /** Shows a new link ({url, expiresAt}) with its copy button: the key is in it and nowhere else, shown this once. */
  function showInvite(created) {
    if (!created?.url) {
      return;
    }

    inviteUrl.value = created.url;
    inviteNote.textContent = `Shown once. Anyone with this link can join this session until ${formatTime(created.expiresAt)}.`;
    inviteShown.hidden = false;
    loadInvites();
  }

  async function sendEmail(event) {
    event.preventDefault();
    const problem = emailError(email.value);
    if (problem) {
      emailProblem.textContent = problem;
      emailProblem.hidden = false;
      email.focus();
      return;
    }

    emailProblem.hidden = true;
    emailStatus.textContent = 'Sending…';
    emailSend.disabled = true;
    try {
      const sent = await inviteByEmail(sessionId, email.value.trim());
      emailStatus.textContent = `Invitation sent to ${sent?.email ?? email.value.trim()}.`;
      email.value = '';
    } catch (failure) {
      emailStatus.textContent = '';
      emailProblem.textContent = failure.message;
      emailProblem.hidden = false;
      if (failure.status === 503) {
        update({ mailEnabled: false });
      }
    } finally {
      emailSend.disabled = false;
      loadInvites(); // a failed sending revokes the link made for it: the list shows that too
    }
  }

  async function loadInvites() {
    try {
      const all = await listInvites(sessionId);
      const now = Date.now();
      replaceChildren(invites, (Array.isArray(all) ? all : []).map((i) => {
        const invitation = inviteState(i, now);
        const what = i.email ? `E-mail to ${i.email}` : `Link ${formatTime(i.createdAt)}`;
        const until = invitation.open ? ` until ${formatTime(i.expiresAt)}` : '';
        return h('li', { class: 'invite', testid: `invite-${i.id}` },
          h('span', { class: invitation.open || invitation.status === 'accepted' ? 'small' : 'muted small' },
            `${what} · `, h('span', { class: `invite-status invite-${invitation.status}`, testid: `invite-status-${i.id}` }, invitation.text), until),
          invitation.open ? h('button', {
            type: 'button', class: 'btn btn-danger-outline btn-small', testid: `revoke-invite-${i.id}`,
            'aria-label': `Revoke the invitation: ${what}`,
            onclick: async (event) => {
              if (await act(event.currentTarget, () => revokeInvite(sessionId, i.id)) !== undefined) {
                loadInvites();
              }
            },
          }, 'Revoke') : null);
      }));
    } catch (failure) {
      console.debug('EdgeGateway: invites unavailable.', failure);
    }
  }

  function setOpen(open) {
    element.hidden = !open;
    toggle.setAttribute('aria-expanded', String(open));
  }

  function copyButton(testid, label, text) {
    const button = h('button', { type: 'button', class: 'btn btn-secondary btn-small', testid }, label);
    let timer = 0;
    button.addEventListener('click', async () => {
      const ok = await copyText(text());
      button.textContent = ok ? 'Copied' : 'Select and copy';
      clearTimeout(timer);
      timer = setTimeout(() => {
        button.textContent = label;
      }, COPIED_MS);
    });
    return button;
  }

  return {
    element, toggle, prompts, update, controlRequest, controlDeclined, showInvite, loadInvites,
    close: () => setOpen(false),
    open: () => setOpen(true),
  };
}

/** Copies text; false when the browser allows neither the Clipboard API nor the older copy command. */
async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const field = h('textarea', { class: 'visually-hidden', readonly: true });
    field.value = text;
    document.body.append(field);
    field.select();
    const ok = document.execCommand?.('copy') ?? false;
    field.remove();
    return ok;
  }
}
