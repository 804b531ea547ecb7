// Key presses as a hardware keyboard makes them, for keys a touch keyboard does not have.
//
// The extra-keys row does not know any terminal sequence: it hands xterm.js the keydown a hardware keyboard
// would produce, and xterm.js answers with the bytes it sends for that key (application cursor mode for the
// arrows, CSI 1;5D for Ctrl+Left, ESC-prefixed Alt). xterm.js evaluates the legacy `keyCode`, which a
// KeyboardEvent's constructor does not set, so these events carry it as an own property.

/** Keys without a character: KeyboardEvent.key → keyCode. */
const NAMED_KEYS = Object.freeze({
  Backspace: 8,
  Tab: 9,
  Enter: 13,
  Escape: 27,
  PageUp: 33,
  PageDown: 34,
  End: 35,
  Home: 36,
  ArrowLeft: 37,
  ArrowUp: 38,
  ArrowRight: 39,
  ArrowDown: 40,
  Insert: 45,
  Delete: 46,
});

/** Printable keys of the US layout (the one xterm.js's key table assumes): [keyCode, character, with Shift]. */
const PRINTABLE_KEYS = [
  [32, ' ', ' '],
  [48, '0', ')'], [49, '1', '!'], [50, '2', '@'], [51, '3', '#'], [52, '4', '$'],
  [53, '5', '%'], [54, '6', '^'], [55, '7', '&'], [56, '8', '*'], [57, '9', '('],
  [186, ';', ':'], [187, '=', '+'], [188, ',', '<'], [189, '-', '_'], [190, '.', '>'],
  [191, '/', '?'], [192, '`', '~'], [219, '[', '{'], [220, '\\', '|'], [221, ']', '}'], [222, '\'', '"'],
];

/** Characters that arrive as text from a touch keyboard but are named keys on a hardware one. */
const TEXT_AS_NAMED_KEY = Object.freeze({ '\r': 'Enter', '\t': 'Tab', '\x1b': 'Escape', '\x7f': 'Backspace', '\b': 'Backspace' });

const CHARACTER_KEYS = new Map();
for (const [keyCode, plain, shifted] of PRINTABLE_KEYS) {
  CHARACTER_KEYS.set(plain, { key: plain, keyCode, shiftKey: false });
  if (shifted !== plain) {
    CHARACTER_KEYS.set(shifted, { key: shifted, keyCode, shiftKey: true });
  }
}

for (let code = 65; code <= 90; code++) {
  const upper = String.fromCharCode(code);
  CHARACTER_KEYS.set(upper.toLowerCase(), { key: upper.toLowerCase(), keyCode: code, shiftKey: false });
  CHARACTER_KEYS.set(upper, { key: upper, keyCode: code, shiftKey: true });
}

/**
 * The key for a KeyboardEvent.key name ('ArrowUp', 'Escape', …).
 * @returns {{key: string, keyCode: number, shiftKey: boolean} | null}
 */
export function namedKey(name) {
  return Object.hasOwn(NAMED_KEYS, name) ? { key: name, keyCode: NAMED_KEYS[name], shiftKey: false } : null;
}

/**
 * The key that types `text` (one character) on a US keyboard, or null when there is none (another
 * script, an emoji, several characters).
 * @returns {{key: string, keyCode: number, shiftKey: boolean} | null}
 */
export function keyForText(text) {
  if (Object.hasOwn(TEXT_AS_NAMED_KEY, text)) {
    return namedKey(TEXT_AS_NAMED_KEY[text]);
  }

  return CHARACTER_KEYS.get(text) ?? null;
}

/**
 * A keydown or keyup event for `key` with the given modifiers, carrying `keyCode` and `which` as a
 * hardware keyboard's event does.
 * @param {'keydown' | 'keyup'} type
 * @param {{key: string, keyCode: number, shiftKey: boolean}} key
 * @param {{ctrl?: boolean, alt?: boolean}} modifiers
 */
export function keyboardEvent(type, key, { ctrl = false, alt = false } = {}) {
  const event = new KeyboardEvent(type, {
    key: key.key,
    ctrlKey: ctrl,
    altKey: alt,
    shiftKey: key.shiftKey,
    bubbles: true,
    cancelable: true,
  });
  Object.defineProperty(event, 'keyCode', { value: key.keyCode });
  Object.defineProperty(event, 'which', { value: key.keyCode });
  return event;
}
