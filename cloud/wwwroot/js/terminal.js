// Terminal appearance shared by the session view and the size estimate made before a session exists.

import { MAX_DIMENSION } from './frames.js';

export const terminalOptions = Object.freeze({
  fontFamily: '"Cascadia Mono", "DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, monospace',
  fontSize: 14,
  lineHeight: 1,
  scrollback: 5000,
  theme: {
    background: '#11161c',
    foreground: '#e6e9ed',
    cursor: '#f2b705',
    cursorAccent: '#11161c',
    selectionBackground: '#3a4b5e',
  },
});

/** Width xterm reserves for its scroll bar when there is scrollback (addon-fit subtracts the same). */
const SCROLLBAR_WIDTH = 14;

/**
 * The columns and rows the Controller's terminal will have once the session view fits it, so that the
 * device starts its shell at about the right size. The view fits exactly and asks for a resize anyway.
 */
export function estimateTerminalSize() {
  const fallback = { cols: 120, rows: 32 };
  try {
    const style = getComputedStyle(document.documentElement);
    const px = (name) => Number.parseFloat(style.getPropertyValue(name)) || 0;
    const cell = measureCell();
    if (!cell) {
      return fallback;
    }

    const width = window.innerWidth - 2 * px('--terminal-padding') - SCROLLBAR_WIDTH;
    const height = window.innerHeight - px('--header-height') - px('--toolbar-height') - 2 * px('--terminal-padding');
    return {
      cols: clamp(Math.floor(width / cell.width), 20, MAX_DIMENSION),
      rows: clamp(Math.floor(height / cell.height), 5, MAX_DIMENSION),
    };
  } catch {
    return fallback;
  }
}

function measureCell() {
  const repeat = 64;
  const probe = document.createElement('span');
  probe.textContent = 'W'.repeat(repeat);
  probe.setAttribute('aria-hidden', 'true');
  Object.assign(probe.style, {
    position: 'absolute',
    visibility: 'hidden',
    whiteSpace: 'pre',
    fontFamily: terminalOptions.fontFamily,
    fontSize: `${terminalOptions.fontSize}px`,
    lineHeight: 'normal',
  });
  document.body.appendChild(probe);
  const rect = probe.getBoundingClientRect();
  probe.remove();
  if (!rect.width || !rect.height) {
    return null;
  }

  return { width: rect.width / repeat, height: Math.ceil(rect.height) * terminalOptions.lineHeight };
}

function clamp(value, low, high) {
  return Number.isFinite(value) ? Math.min(high, Math.max(low, value)) : low;
}
