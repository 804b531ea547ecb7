// Renders VT bytes with @xterm/headless (the page's xterm.js, same version, same Unicode 11 widths) and prints what
// a viewer would see. Driven by ScreenParityTests: one JSON request per stdin line, one JSON answer per stdout line.
//
//   request:  {"id": 1, "cols": 80, "rows": 6, "writes": ["<base64>", ...]}   each write is one term.write()
//   answer:   {"id": 1, "screen": {"cursor": [x, y], "alt": false, "modes": "...", "rows": [["cell", ...], ...]}}
//             or {"id": 1, "error": "..."}
//   request:  {"id": 2, "widths": true}
//   answer:   {"id": 2, "widths": "-...1112..."}   the width of every code point (see widths())
//
// A cell is "chars|width|attributes". For a cell that shows no glyph only what still shows is kept: the background,
// or, when inverse or a line (underline, strikethrough, overline) is drawn over it, the colours and what changes them;
// an erased cell and a printed space look the same.
'use strict';

const path = require('node:path');
const readline = require('node:readline');

const modules = path.resolve(process.argv[2] ?? path.join(__dirname, '../../../../cloud/web/node_modules'));
const { Terminal } = require(path.join(modules, '@xterm/headless'));
const { Unicode11Addon } = require(path.join(modules, '@xterm/addon-unicode11'));

function colour(mode, value) {
  // getFgColorMode: 0 default, 0x1000000 P16, 0x2000000 P256, 0x3000000 RGB
  if (mode === 0) {
    return 'd';
  }

  if (mode === 0x3000000) {
    return '#' + value.toString(16).padStart(6, '0');
  }

  return 'p' + value;
}

function describe(cell, ext) {
  const chars = cell.getChars();
  const blank = chars === '' || chars === ' ';
  const inverse = cell.isInverse() !== 0;

  // The underline flag with style 0 (DECRC restores the flag but not the style) draws nothing.
  const underline = cell.isUnderline() ? (ext ? ext.underlineStyle : 1) : 0;
  const decorated = underline !== 0 || cell.isStrikethrough() !== 0 || cell.isOverline() !== 0;
  const drawn = !blank || inverse || decorated; // without a glyph only the background shows, unless drawn over
  const attrs = ['bg=' + colour(cell.getBgColorMode(), cell.getBgColor())];
  if (drawn) {
    attrs.push('fg=' + colour(cell.getFgColorMode(), cell.getFgColor()));
    if (inverse) attrs.push('inverse');
    if (cell.isBold()) attrs.push('bold');
    if (cell.isDim()) attrs.push('dim');
    if (cell.isInvisible()) attrs.push('invisible');
    if (!blank && cell.isItalic()) attrs.push('italic');
    if (!blank && cell.isBlink()) attrs.push('blink');
  }

  // Not compared: the underline colour (SGR 58), which the appliance does not keep (docs/ARCHITECTURE.md).
  if (underline !== 0) attrs.push('underline:' + underline);
  if (cell.isStrikethrough()) attrs.push('strike');
  if (cell.isOverline()) attrs.push('overline');
  return `${blank ? '' : chars}|${cell.getWidth()}|${attrs.join(',')}`;
}

function dump(term) {
  const buffer = term.buffer.active;
  const core = term._core;
  const rows = [];
  for (let y = 0; y < term.rows; y++) {
    const line = buffer.getLine(buffer.baseY + y);
    const row = [];
    for (let x = 0; x < term.cols; x++) {
      const cell = line.getCell(x);
      row.push(describe(cell, cell.extended && cell.hasExtendedAttrs() ? cell.extended : null));
    }

    rows.push(row);
  }

  const m = term.modes;
  const modes = [
    'ckm=' + m.applicationCursorKeysMode, 'kpam=' + m.applicationKeypadMode, 'paste=' + m.bracketedPasteMode,
    'insert=' + m.insertMode, 'mouse=' + m.mouseTrackingMode, 'origin=' + m.originMode, 'wrap=' + m.wraparoundMode,
    'focus=' + m.sendFocusMode, 'hidden=' + core.coreService.isCursorHidden,
  ].join(' ');
  return { cursor: [buffer.cursorX, buffer.cursorY], alt: buffer.type === 'alternate', modes, rows };
}

function render(request) {
  return new Promise((resolve) => {
    const term = new Terminal({ cols: request.cols, rows: request.rows, allowProposedApi: true, scrollback: 0 });
    term.loadAddon(new Unicode11Addon());
    term.unicode.activeVersion = '11';
    for (const write of request.writes) {
      term.write(Buffer.from(write, 'base64'));
    }

    term.write('', () => {
      const screen = dump(term);
      term.dispose();
      resolve(screen);
    });
  });
}

// The Unicode 11 width of every code point from U+0000 to U+10FFFF, one digit each ('-' for controls and surrogates).
function widths() {
  const term = new Terminal({ cols: 10, rows: 1, allowProposedApi: true });
  term.loadAddon(new Unicode11Addon());
  term.unicode.activeVersion = '11';
  const service = term._core.unicodeService;
  const out = new Array(0x110000);
  for (let cp = 0; cp < 0x110000; cp++) {
    const control = cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || (cp >= 0xd800 && cp <= 0xdfff);
    out[cp] = control ? '-' : String(service.wcwidth(cp));
  }

  term.dispose();
  return out.join('');
}

const lines = readline.createInterface({ input: process.stdin, terminal: false });
let queue = Promise.resolve();
lines.on('line', (line) => {
  if (!line.trim()) {
    return;
  }

  queue = queue.then(async () => {
    let request;
    try {
      request = JSON.parse(line);
      if (request.widths) {
        process.stdout.write(JSON.stringify({ id: request.id, widths: widths() }) + '\n');
        return;
      }

      const screen = await render(request);
      process.stdout.write(JSON.stringify({ id: request.id, screen }) + '\n');
    } catch (error) {
      process.stdout.write(JSON.stringify({ id: request?.id ?? -1, error: String(error?.stack ?? error) }) + '\n');
    }
  });
});
