// X keysyms (RFC 6143 §7.5.4; X11 keysymdef.h) for browser KeyboardEvents, for a remote display's KeyInput.
//
// The key's *meaning* is sent, not its position: KeyboardEvent.key already holds the character the user's own
// layout produced (a German 'ö', a French 'é' after a dead key), so any layout types what it shows. A printable
// character is its keysym: Latin-1 (U+0020–U+007E, U+00A0–U+00FF) is the code point itself, anything else
// 0x01000000 + the code point (X11's Unicode keysyms). Named keys use their X keysyms; modifiers have a left and a
// right keysym (KeyboardEvent.location). No DOM dependency, so that Node can test it.

/** KeyboardEvent.key → keysym, for keys that are not characters. */
const NAMED = Object.freeze({
  Backspace: 0xff08,
  Tab: 0xff09,
  Enter: 0xff0d,
  Pause: 0xff13,
  ScrollLock: 0xff14,
  Escape: 0xff1b,
  Home: 0xff50,
  ArrowLeft: 0xff51,
  ArrowUp: 0xff52,
  ArrowRight: 0xff53,
  ArrowDown: 0xff54,
  PageUp: 0xff55,
  PageDown: 0xff56,
  End: 0xff57,
  Select: 0xff60,
  PrintScreen: 0xff61,
  Insert: 0xff63,
  Undo: 0xff65,
  Redo: 0xff66,
  ContextMenu: 0xff67,
  Find: 0xff68,
  Cancel: 0xff69,
  Help: 0xff6a,
  Break: 0xff6b,
  NumLock: 0xff7f,
  CapsLock: 0xffe5,
  Delete: 0xffff,
  AltGraph: 0xfe03, // ISO_Level3_Shift
});

/** Modifiers: [left, right] keysyms (Shift_L/R, Control_L/R, Alt_L/R, Super_L/R for the Windows/Command key). */
const MODIFIERS = Object.freeze({
  Shift: [0xffe1, 0xffe2],
  Control: [0xffe3, 0xffe4],
  Alt: [0xffe9, 0xffea],
  Meta: [0xffeb, 0xffec], // the Windows / Command key: Super on X (what an X desktop binds it to)
  OS: [0xffeb, 0xffec],
  Super: [0xffeb, 0xffec],
  Hyper: [0xffed, 0xffee],
});

/** KeyboardEvent.location of a key on the right of the keyboard. */
const LOCATION_RIGHT = 2;

/** F1 is 0xffbe; X has F1–F35 in a row. */
const F1 = 0xffbe;

/** Keysyms the toolbar's Ctrl+Alt+Del button presses (in this order) and releases (in reverse). */
export const CTRL_ALT_DEL = Object.freeze([0xffe3, 0xffe9, 0xffff]);

/**
 * The X keysym for a KeyboardEvent's `key` (and `location`, for left/right modifiers), or null for keys that send
 * nothing (a dead key waiting for its character, 'Unidentified', a control character).
 * @param {{key: string, location?: number}} event
 * @returns {number|null}
 */
export function keysymFor({ key, location = 0 }) {
  if (typeof key !== 'string' || key.length === 0) {
    return null;
  }

  const codePoints = [...key];
  if (codePoints.length === 1) {
    return characterKeysym(codePoints[0].codePointAt(0));
  }

  if (Object.hasOwn(MODIFIERS, key)) {
    return MODIFIERS[key][location === LOCATION_RIGHT ? 1 : 0];
  }

  if (Object.hasOwn(NAMED, key)) {
    return NAMED[key];
  }

  const f = /^F([1-9]|[12][0-9]|3[0-5])$/.exec(key);
  return f ? F1 + Number(f[1]) - 1 : null;
}

/** The keysym of one character: Latin-1 as is, other Unicode at 0x01000000 + code point; null for control characters. */
export function characterKeysym(codePoint) {
  if (codePoint < 0x20 || (codePoint >= 0x7f && codePoint < 0xa0) || codePoint > 0x10ffff) {
    return null;
  }

  return codePoint <= 0xff ? codePoint : 0x01000000 + codePoint;
}
