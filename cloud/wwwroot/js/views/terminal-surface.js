// The terminal of an SSH session inside the session view (session.js): xterm.js, its size, and the Controller's typing.
//
// The Controller's terminal fits the window and asks the device to follow its size (like any SSH client,
// the local size is the truth and the remote catches up). A Viewer's terminal never fits: it takes the
// session's size from TerminalResize and TerminalSnapshot frames, and when the window is too small for
// that many columns and rows it shrinks its font rather than showing part of the screen.
//
// On a touch screen the Controller gets a row of the keys a touch keyboard lacks (extra-keys.js) below the
// terminal, and a Viewer a plain "view only" line in its place. Rotating the device or opening the touch
// keyboard resizes the terminal's box like a window resize does, and the device follows.
//
// A surface (this one, display-surface.js) offers the session view: `element` (in the frame), `below` (after the
// body), `toolbar` (toolbar items), `controlling`, and onConnect, onHello, onFrame(frame) → handled, setRole(role),
// stopInput, setStale, setOffline, dispose.

import { Terminal } from '../../lib/xterm.mjs';
import { FitAddon } from '../../lib/addon-fit.mjs';
import { Unicode11Addon } from '../../lib/addon-unicode11.mjs';
import { h } from '../dom.js';
import { FrameType, InputEncoder, MAX_DIMENSION, decodeSize, decodeSnapshot } from '../frames.js';
import { terminalOptions } from '../terminal.js';
import { createExtraKeys } from './extra-keys.js';

/** A Viewer's font shrinks down to this size so that the whole session screen fits the window. */
const MIN_VIEWER_FONT_SIZE = 7;

/** Width xterm's scroll bar covers at the right of the terminal (addon-fit reserves the same). */
const SCROLLBAR_WIDTH = 14;

/** A touch screen is the primary pointer: phones and tablets (not a laptop that also has one). */
const TOUCH_QUERY = '(pointer: coarse)';

/**
 * @param {{send: (frame: Uint8Array) => void, sendInput: (frame: Uint8Array) => void, isEnded: () => boolean,
 *   viewOnlyController: HTMLElement}} shell
 */
export function createTerminalSurface(shell) {
  let role = null;
  let controlling = false;
  let disposed = false;
  let fitAddon = null;
  let layoutScheduled = 0;
  let offline = false;
  const inputSubscriptions = [];
  let input = new InputEncoder();

  const host = h('div', { class: 'terminal-host', testid: 'terminal', role: 'region', 'aria-label': 'Remote terminal' });
  const viewOnly = h('p', { class: 'view-only', testid: 'view-only', hidden: true },
    h('strong', {}, 'View only'), ' — ', shell.viewOnlyController, ' is in control; nothing you type is sent.');
  const touch = window.matchMedia(TOUCH_QUERY);
  touch.addEventListener('change', showTouchRow);

  // allowProposedApi: the Unicode version is a proposed API. Unicode 11 widths are what the appliance lays its
  // screen out with (keyframes and screen updates): with xterm's default (Unicode 6) an emoji would be narrow here
  // and wide there.
  const term = new Terminal({
    ...terminalOptions, theme: { ...terminalOptions.theme }, disableStdin: true, cursorBlink: false, allowProposedApi: true,
  });
  term.loadAddon(new Unicode11Addon());
  term.unicode.activeVersion = '11';
  const extraKeys = createExtraKeys(term);
  const resizeObserver = new ResizeObserver(() => scheduleLayout());
  let opened = false;

  // A reset or a resize must not overtake bytes xterm has been given but not parsed yet (write() is
  // asynchronous): such operations wait for an empty write's callback, and frames that arrive meanwhile
  // queue behind them. Plain output goes straight to xterm.
  const pending = [];
  let waiting = false;
  function enqueue(operation) {
    pending.push(operation);
    if (!waiting) {
      drain();
    }
  }

  function drain() {
    while (pending.length > 0 && !disposed) {
      const operation = pending.shift();
      if (operation.bytes) {
        term.write(operation.bytes);
        continue;
      }

      waiting = true;
      term.write('', () => {
        waiting = false;
        if (!disposed) {
          operation.run();
          drain();
        }
      });
      return;
    }
  }

  /** Opens xterm in its host once the host is in the document (xterm measures its cells there). */
  function mount() {
    if (!opened) {
      opened = true;
      term.open(host);
      resizeObserver.observe(host);
    }
  }

  function onFrame(frame) {
    switch (frame.type) {
      case FrameType.TerminalOutput:
        if (frame.payload.byteLength > 0) {
          enqueue({ bytes: frame.payload });
        }

        return true;
      case FrameType.TerminalResize: {
        const size = decodeSize(frame.payload);
        if (!size) {
          console.warn('EdgeGateway: ignored a TerminalResize frame with an invalid size.');
        } else if (role !== 'controller') {
          enqueue({
            run: () => {
              resizeTo(size.cols, size.rows);
              scheduleLayout();
            },
          });
        }

        return true;
      }
      case FrameType.TerminalSnapshot: {
        const snapshot = decodeSnapshot(frame.payload);
        if (!snapshot) {
          console.warn('EdgeGateway: ignored a TerminalSnapshot frame with an invalid size.');
          return true;
        }

        enqueue({
          run: () => {
            term.reset();
            resizeTo(snapshot.cols, snapshot.rows);
            term.write(snapshot.screen);
            scheduleLayout();
          },
        });
        return true;
      }
      default:
        return false;
    }
  }

  /** The page's role: the Controller types and sizes the terminal, a co-controller types, a Viewer watches. */
  function setRole(next) {
    role = next;
    if (role === 'viewer') {
      stopInput();
      scheduleLayout();
    } else {
      startControlling();
    }
  }

  /** The extra keys for a page that types, the view-only line for a Viewer; on touch screens only. */
  function showTouchRow() {
    const onTouch = touch.matches && !shell.isEnded() && !disposed;
    extraKeys.element.hidden = !(onTouch && controlling);
    viewOnly.hidden = !(onTouch && role !== null && !controlling);
    if (extraKeys.element.hidden) {
      extraKeys.release();
    }
  }

  function startControlling() {
    if (shell.isEnded()) {
      return;
    }

    if (!controlling) {
      controlling = true;
      term.options.disableStdin = offline;
      term.options.cursorBlink = true;
      inputSubscriptions.push(
        term.onData((data) => {
          if (!extraKeys.consume(data)) {
            shell.sendInput(input.text(data));
          }
        }),
        term.onBinary((data) => shell.sendInput(input.binary(data))));
    }

    if (role === 'controller') {
      if (!fitAddon) {
        fitAddon = new FitAddon();
        term.loadAddon(fitAddon);
      }

      if (term.options.fontSize !== terminalOptions.fontSize) {
        term.options.fontSize = terminalOptions.fontSize;
      }

      fitNow(true);
    } else {
      scheduleLayout();
    }

    showTouchRow();
    term.focus();
  }

  /** Fits the Controller's terminal to its box; asks the device to follow when the size changed. */
  function fitNow(always = false) {
    if (role !== 'controller' || !fitAddon || shell.isEnded() || disposed) {
      return;
    }

    const proposed = fitAddon.proposeDimensions();
    if (!proposed || !Number.isFinite(proposed.cols) || !Number.isFinite(proposed.rows)) {
      return; // not laid out (hidden, zero size)
    }

    const cols = Math.min(MAX_DIMENSION, Math.max(2, proposed.cols));
    const rows = Math.min(MAX_DIMENSION, Math.max(1, proposed.rows));
    const changed = cols !== term.cols || rows !== term.rows;
    if (changed) {
      term.resize(cols, rows);
    }

    if (changed || always) {
      shell.send(input.resize(cols, rows));
    }
  }

  /**
   * Shrinks (or grows back, up to the normal size) a Viewer's font so the session's columns and rows fit
   * the window. Cell size follows font size closely enough that one step lands on the right size; a
   * second pass corrects rounding.
   */
  function scaleToHost(pass = 0) {
    if (role === 'controller' || disposed) {
      return;
    }

    const screen = term.element?.querySelector('.xterm-screen');
    const width = screen?.offsetWidth ?? 0;
    const height = screen?.offsetHeight ?? 0;
    const availableWidth = host.clientWidth - SCROLLBAR_WIDTH;
    const availableHeight = host.clientHeight;
    if (!width || !height || availableWidth <= 0 || availableHeight <= 0) {
      return;
    }

    const current = term.options.fontSize;
    const ratio = Math.min(availableWidth / width, availableHeight / height);
    let next = Math.floor(current * ratio);
    if (pass > 0 && ratio < 1 && next >= current) {
      next = current - 1;
    }

    next = Math.min(terminalOptions.fontSize, Math.max(MIN_VIEWER_FONT_SIZE, next));
    if (next !== current) {
      term.options.fontSize = next;
      if (pass < 2) {
        requestAnimationFrame(() => scaleToHost(pass + 1));
      }
    }
  }

  function scheduleLayout() {
    if (layoutScheduled || disposed) {
      return;
    }

    layoutScheduled = requestAnimationFrame(() => {
      layoutScheduled = 0;
      if (role === 'controller') {
        fitNow();
      } else if (role !== null) {
        scaleToHost();
      }
    });
  }

  function resizeTo(cols, rows) {
    if (cols !== term.cols || rows !== term.rows) {
      term.resize(cols, rows);
    }
  }

  function stopInput() {
    controlling = false;
    term.options.disableStdin = true;
    term.options.cursorBlink = false;
    for (const subscription of inputSubscriptions.splice(0)) {
      subscription.dispose();
    }

    showTouchRow();
    term.blur();
  }

  return {
    element: host,
    below: [extraKeys.element, viewOnly],
    toolbar: [],
    get controlling() {
      return controlling;
    },
    mount,
    onFrame,
    setRole,
    stopInput,
    /** A new stream: input sequence numbers count from 0, and nothing queued from the old one applies. */
    onConnect() {
      input = new InputEncoder();
      pending.length = 0;
      role = null;
      showTouchRow();
    },
    onHello() {},
    setStale(stale) {
      host.classList.toggle('terminal-stale', stale);
    },
    setOffline(value) {
      offline = value;
      if (controlling) {
        term.options.disableStdin = offline;
      }
    },
    dispose() {
      disposed = true;
      cancelAnimationFrame(layoutScheduled);
      resizeObserver.disconnect();
      touch.removeEventListener('change', showTouchRow);
      for (const subscription of inputSubscriptions.splice(0)) {
        subscription.dispose();
      }

      term.dispose();
    },
  };
}
