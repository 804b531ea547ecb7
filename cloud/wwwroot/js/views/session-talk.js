// The session page's talk panel: the chat between everyone in the session and the session notes (what was found, what
// was done). Everyone admitted chats, guests included; the Controller and co-controllers write notes. The cloud keeps
// both with the session's history and audit.
//
// The stream brings everything: `chat-history` right after hello (the last 200 messages, so a late joiner reads from
// the start), then `chat` and `note` events as they are written — the page's own too, so every page shows one order.
// A message is keyed by its id: a POST's answer and the broadcast of the same message show it once, and it goes in
// id order (the cloud's order), even when the answer to one's own message overtakes someone else's broadcast.

import { addNote, listNotes, sendChat } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { formatTime } from '../format.js';
import { MAX_CHAT, MAX_NOTE, messageError } from '../support.js';

/** Wide enough for the device and a side column; narrower, the panel opens over the device like the people panel. */
const WIDE_QUERY = '(min-width: 900px)';

/**
 * @param {{sessionId: string}} options
 * @returns {{element: HTMLElement, toggle: HTMLElement, update: (changes: object) => void,
 *   onChatHistory: (messages: object[]) => void, onChat: (message: object) => void, onNote: (note: object) => void,
 *   setOpen: (open: boolean) => void}}
 */
export function createTalkPanel({ sessionId }) {
  let state = { you: null, mayWriteNotes: false, ended: false };
  let tab = 'chat';
  let unread = 0;
  let notesLoaded = false;
  const chatIds = new Set();
  const noteIds = new Set();

  // --- DOM ---------------------------------------------------------------------------------------------
  const unreadCount = h('span', { class: 'people-count talk-unread', testid: 'chat-unread', hidden: true }, '0');
  const toggle = h('button', {
    type: 'button', class: 'btn btn-secondary btn-small', testid: 'talk-toggle',
    'aria-controls': 'talk-panel', 'aria-expanded': 'false', onclick: () => setOpen(element.hidden),
  }, 'Chat ', unreadCount);

  const chatTab = tabButton('chat', 'Chat');
  const notesTab = tabButton('notes', 'Notes');

  const chatList = h('ol', { class: 'talk-list', testid: 'chat-messages', 'aria-live': 'polite', 'aria-label': 'Chat messages' });
  const chatEmpty = h('p', { class: 'empty talk-empty', testid: 'chat-empty' }, 'No messages yet. Say hello — everyone in the session reads along.');
  const chatInput = h('textarea', {
    id: 'chat-input', class: 'talk-input', rows: '2', maxlength: String(MAX_CHAT), placeholder: 'Message everyone in the session',
    'aria-label': 'Chat message', testid: 'chat-input', onkeydown: submitOnEnter(() => chatForm.requestSubmit()),
  });
  const chatError = h('p', { class: 'form-error', role: 'alert', testid: 'chat-error', hidden: true });
  const chatSend = h('button', { type: 'submit', class: 'btn btn-primary btn-small', testid: 'chat-send' }, 'Send');
  const chatForm = h('form', { class: 'talk-form', novalidate: true, onsubmit: (event) => submit(event, 'chat') },
    chatInput, chatSend);
  const chatPanel = h('div', { id: 'talk-chat', class: 'talk-tabpanel', role: 'tabpanel', 'aria-labelledby': 'talk-tab-chat', testid: 'chat' },
    h('div', { class: 'talk-scroll' }, chatEmpty, chatList), chatError, chatForm);

  const noteList = h('ol', { class: 'talk-list', testid: 'notes', 'aria-label': 'Session notes' });
  const noteEmpty = h('p', { class: 'empty talk-empty', testid: 'notes-empty' }, 'No notes yet.');
  const noteInput = h('textarea', {
    id: 'note-input', class: 'talk-input', rows: '3', maxlength: String(MAX_NOTE), placeholder: 'What was found, what was done',
    'aria-label': 'Session note', testid: 'note-input',
  });
  const noteError = h('p', { class: 'form-error', role: 'alert', testid: 'note-error', hidden: true });
  const noteAdd = h('button', { type: 'submit', class: 'btn btn-primary btn-small', testid: 'note-add' }, 'Add note');
  const noteForm = h('form', { class: 'talk-form talk-form-note', novalidate: true, onsubmit: (event) => submit(event, 'note') },
    noteInput, noteAdd);
  const noteHint = h('p', { class: 'muted small talk-hint', testid: 'notes-readonly' }, 'The Controller and co-controllers write the session notes.');
  const notesPanel = h('div', { id: 'talk-notes', class: 'talk-tabpanel', role: 'tabpanel', 'aria-labelledby': 'talk-tab-notes', testid: 'notes-panel', hidden: true },
    h('div', { class: 'talk-scroll' }, noteEmpty, noteList), noteError, noteForm, noteHint);

  const element = h('aside', { id: 'talk-panel', class: 'talk', testid: 'talk', 'aria-label': 'Chat and notes', hidden: true },
    h('div', { class: 'talk-tabs', role: 'tablist', 'aria-label': 'Chat and notes' }, chatTab, notesTab),
    chatPanel, notesPanel);

  setOpen(window.matchMedia(WIDE_QUERY).matches);
  update({});

  function tabButton(name, label) {
    return h('button', {
      type: 'button', id: `talk-tab-${name}`, class: 'talk-tab', role: 'tab', testid: `talk-tab-${name}`,
      'aria-controls': `talk-${name}`, 'aria-selected': String(name === tab), onclick: () => selectTab(name),
    }, label);
  }

  function selectTab(name) {
    tab = name;
    chatTab.setAttribute('aria-selected', String(name === 'chat'));
    notesTab.setAttribute('aria-selected', String(name === 'notes'));
    chatPanel.hidden = name !== 'chat';
    notesPanel.hidden = name !== 'notes';
    if (name === 'notes' && !notesLoaded) {
      loadNotes();
    }

    if (name === 'chat') {
      markRead();
    }
  }

  // --- State -------------------------------------------------------------------------------------------
  function update(changes) {
    state = { ...state, ...changes };
    chatForm.hidden = state.ended;
    noteForm.hidden = state.ended || !state.mayWriteNotes;
    noteHint.hidden = state.ended || state.mayWriteNotes;
    if (state.mayWriteNotes && !notesLoaded) {
      loadNotes();
    }
  }

  /** The chat so far (after every hello): replaces what is shown, so a reconnect neither loses nor doubles lines. */
  function onChatHistory(messages) {
    chatIds.clear();
    replaceChildren(chatList);
    for (const message of Array.isArray(messages) ? messages : []) {
      appendChat(message, false);
    }

    chatEmpty.hidden = chatIds.size > 0;
    scrollToEnd(chatList);
  }

  function onChat(message) {
    if (appendChat(message, true)) {
      chatEmpty.hidden = true;
      scrollToEnd(chatList);
    }
  }

  function appendChat(message, live) {
    if (!message || message.id === undefined || chatIds.has(String(message.id))) {
      return false;
    }

    chatIds.add(String(message.id));
    const mine = state.you?.id !== undefined && String(message.userId) === String(state.you.id);
    insertInOrder(chatList, entry('chat', message, mine), message.id);
    if (live && !mine && (element.hidden || tab !== 'chat')) {
      unread++;
      unreadCount.textContent = String(unread);
      unreadCount.hidden = false;
      chatTab.textContent = `Chat (${unread})`;
    }

    return true;
  }

  function onNote(note) {
    if (!note || note.id === undefined || noteIds.has(String(note.id))) {
      return;
    }

    noteIds.add(String(note.id));
    insertInOrder(noteList, entry('note', note, false), note.id);
    noteEmpty.hidden = true;
    scrollToEnd(noteList);
  }

  async function loadNotes() {
    notesLoaded = true;
    try {
      for (const note of await listNotes(sessionId) ?? []) {
        onNote(note);
      }
    } catch (failure) {
      // Someone who may not read the notes (the cloud decides) keeps the hint; the events still arrive.
      console.debug('EdgeGateway: session notes unavailable.', failure);
    }
  }

  function entry(kind, item, mine) {
    return h('li', { class: `talk-entry${mine ? ' talk-mine' : ''}`, testid: `${kind}-${item.id}`, 'data-id': String(item.id) },
      h('div', { class: 'talk-meta' },
        h('strong', { class: 'talk-name', testid: `${kind}-name` }, item.name ?? '—', mine ? h('span', { class: 'muted' }, ' (you)') : null),
        h('time', { class: 'muted small', datetime: item.at, testid: `${kind}-time` }, formatTime(item.at))),
      h('p', { class: 'talk-text', testid: `${kind}-text` }, item.text ?? ''));
  }

  // --- Acts ----------------------------------------------------------------------------------------------
  async function submit(event, kind) {
    event.preventDefault();
    const chat = kind === 'chat';
    const input = chat ? chatInput : noteInput;
    const button = chat ? chatSend : noteAdd;
    const error = chat ? chatError : noteError;
    const problem = messageError(input.value, chat ? MAX_CHAT : MAX_NOTE, chat ? 'message' : 'note');
    if (problem) {
      showError(error, problem);
      input.focus();
      return;
    }

    button.disabled = true;
    error.hidden = true;
    try {
      const text = input.value.trim();
      const saved = chat ? await sendChat(sessionId, text) : await addNote(sessionId, text);
      input.value = '';
      if (chat) {
        onChat(saved);
      } else {
        onNote(saved);
      }
    } catch (failure) {
      showError(error, failure.message);
    } finally {
      button.disabled = false;
      input.focus();
    }
  }

  function showError(error, message) {
    error.textContent = message;
    error.hidden = false;
  }

  function setOpen(open) {
    element.hidden = !open;
    toggle.setAttribute('aria-expanded', String(open));
    if (open && tab === 'chat') {
      markRead();
    }
  }

  function markRead() {
    unread = 0;
    unreadCount.hidden = true;
    chatTab.textContent = 'Chat';
  }

  return { element, toggle, update, onChatHistory, onChat, onNote, setOpen };
}

/** Puts an entry before the first one with a larger id (numeric ids; others go last). */
function insertInOrder(list, element, id) {
  const key = Number(id);
  const after = Number.isFinite(key)
    ? [...list.children].find((li) => Number(li.dataset.id) > key)
    : null;
  list.insertBefore(element, after ?? null);
}

/** Enter sends; Shift+Enter (and an IME's composition) keeps the line break. */
function submitOnEnter(send) {
  return (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send();
    }
  };
}

function scrollToEnd(list) {
  const scroller = list.parentElement;
  if (scroller) {
    scroller.scrollTop = scroller.scrollHeight;
  }
}
