// The row of keys a touch keyboard lacks (Esc, Tab, Ctrl, Alt, arrows, …), shown to the Controller on touch
// screens, as mobile SSH clients offer it.
//
// Ctrl and Alt are sticky: a tap latches them (aria-pressed) for the next key, whether that key is typed on the
// touch keyboard or tapped in the row; a second tap releases them. Every key is handed to xterm.js as the
// keydown a hardware keyboard would make (keys.js), so the bytes are xterm.js's own — the arrows follow the
// device's application cursor mode (DECCKM) like a hardware arrow key does.
//
// Buttons never take focus (pointerdown and mousedown are cancelled): focus, and with it the touch keyboard,
// stays in the terminal.

import { h } from '../dom.js';
import { keyForText, keyboardEvent, namedKey } from '../keys.js';

/** In DOM (and tab) order; the CSS grid places them in one or two rows by name. */
const KEYS = [
  { id: 'esc', label: 'Esc', name: 'Escape', title: 'Escape' },
  { id: 'tab', label: 'Tab', name: 'Tab', title: 'Tab' },
  { id: 'ctrl', label: 'Ctrl', modifier: 'ctrl', title: 'Control, for the next key' },
  { id: 'alt', label: 'Alt', modifier: 'alt', title: 'Alt, for the next key' },
  { id: 'left', label: '←', name: 'ArrowLeft', title: 'Left arrow' },
  { id: 'up', label: '↑', name: 'ArrowUp', title: 'Up arrow' },
  { id: 'down', label: '↓', name: 'ArrowDown', title: 'Down arrow' },
  { id: 'right', label: '→', name: 'ArrowRight', title: 'Right arrow' },
  { id: 'home', label: 'Home', name: 'Home', title: 'Home' },
  { id: 'end', label: 'End', name: 'End', title: 'End' },
  { id: 'pageup', label: 'PgUp', name: 'PageUp', title: 'Page up' },
  { id: 'pagedown', label: 'PgDn', name: 'PageDown', title: 'Page down' },
  { id: 'pipe', label: '|', text: '|', title: 'Vertical bar' },
  { id: 'tilde', label: '~', text: '~', title: 'Tilde' },
  { id: 'slash', label: '/', text: '/', title: 'Slash' },
  { id: 'minus', label: '-', text: '-', title: 'Minus' },
];

/**
 * Builds the row for `term`. The session view passes every onData through `consume` first: while a modifier
 * is latched, the typed character is replaced by xterm.js's sequence for the modified key.
 * @param {import('../../lib/xterm.mjs').Terminal} term
 * @returns {{element: HTMLElement, consume: (data: string) => boolean, release: () => void}}
 */
export function createExtraKeys(term) {
  const latched = { ctrl: false, alt: false };
  const modifierButtons = {};
  let synthesizing = false;
  let produced = false;

  const keepFocus = (event) => event.preventDefault();
  const buttons = KEYS.map((spec) => {
    const button = h('button', {
      type: 'button',
      class: `extra-key extra-key-${spec.id}`,
      testid: `key-${spec.id}`,
      title: spec.title,
      'aria-label': spec.title === spec.label ? null : spec.title,
      'aria-pressed': spec.modifier ? 'false' : null,
      onpointerdown: keepFocus,
      onmousedown: keepFocus,
      onclick: () => tap(spec),
    }, spec.label);
    if (spec.modifier) {
      modifierButtons[spec.modifier] = button;
    }

    return button;
  });

  const element = h('div', { class: 'extra-keys', testid: 'extra-keys', role: 'toolbar', 'aria-label': 'Extra keys', hidden: true }, buttons);

  function tap(spec) {
    if (spec.modifier) {
      setLatched(spec.modifier, !latched[spec.modifier]);
      return;
    }

    const modifiers = release();
    if (spec.name) {
      press(namedKey(spec.name), modifiers);
    } else if (modifiers.ctrl || modifiers.alt) {
      typeModified(spec.text, modifiers);
    } else {
      term.input(spec.text, true);
    }
  }

  /** Has xterm.js evaluate the key; returns whether it sent anything for it. */
  function press(key, modifiers) {
    const target = term.textarea;
    if (!key || !target) {
      return false;
    }

    synthesizing = true;
    produced = false;
    try {
      target.dispatchEvent(keyboardEvent('keydown', key, modifiers));
      // xterm.js tracks keydown/keyup pairs (a keydown without its keyup would make it ignore the touch
      // keyboard's next input event).
      target.dispatchEvent(keyboardEvent('keyup', key, modifiers));
    } finally {
      synthesizing = false;
    }

    return produced;
  }

  function typeModified(text, modifiers) {
    let key = keyForText(text);
    // Touch keyboards often capitalise; Ctrl+C means ^C whatever the case, as on a hardware keyboard
    // without Shift.
    if (key && modifiers.ctrl && /^[A-Z]$/.test(text)) {
      key = keyForText(text.toLowerCase());
    }

    if (press(key, modifiers)) {
      return;
    }

    // No key of the US layout types it, or xterm.js has no sequence for the combination: the character
    // goes as typed, with Alt as ESC before it (what xterm.js sends for Alt and any letter).
    term.input(modifiers.alt ? `\x1b${text}` : text, true);
  }

  function consume(data) {
    if (synthesizing) {
      produced = true;
      return false; // xterm.js's answer to a key pressed here: send it
    }

    // More than one character is not a key: a paste, a word the touch keyboard composed, or xterm.js's answer
    // to a query from the device (cursor position, device attributes). It goes as it is, and the latch waits
    // for a key.
    if ((!latched.ctrl && !latched.alt) || [...data].length !== 1) {
      return false;
    }

    typeModified(data, release());
    return true;
  }

  function setLatched(modifier, on) {
    latched[modifier] = on;
    modifierButtons[modifier].setAttribute('aria-pressed', String(on));
  }

  /** Releases the latched modifiers; returns which were latched. */
  function release() {
    const was = { ...latched };
    setLatched('ctrl', false);
    setLatched('alt', false);
    return was;
  }

  return { element, consume, release };
}
