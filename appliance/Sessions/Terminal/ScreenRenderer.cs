using System.Buffers;
using EdgeGateway.Protocol.Stream;

namespace EdgeGateway.Appliance.Sessions.Terminal;

/// <summary>
/// Turns <see cref="ScreenState"/>s into VT bytes: a snapshot for a freshly reset terminal, a diff between two
/// states, or a repaint over unknown cells. One instance per rendering; it tracks what the receiving terminal has
/// (cursor, pen, modes) so that it emits only what changes: SGR on change, CUP/CUF/CR LF to jump, EL/ECH for blank
/// runs, nothing for trailing blanks.
/// </summary>
/// <remarks>
/// Only sequences that xterm.js and <see cref="VirtualTerminal"/> (libvterm 0.1.4 behind its pre-scan) treat alike are
/// used, one mode per DECSET (libvterm honours only the first parameter).
/// </remarks>
internal sealed class ScreenRenderer : IDisposable
{
    private const byte Esc = 0x1B;
    private const byte Can = 0x18;

    private static readonly TerminalCell[] BlankRow = new TerminalCell[TerminalSize.MaxDimension];

    private readonly int _rows;
    private readonly int _columns;
    private byte[] _buffer;
    private int _length;

    // What the receiving terminal has now.
    private TerminalModes _viewer;
    private CellStyle _pen;
    private bool _penKnown;
    private int _row;
    private int _column; // _columns: the cursor waits to wrap after the last column.
    private bool _cursorKnown;
    private bool _wrapFromColumnZero;
    private bool _cursorLooksKnown = true;
    private bool _libvtermPens; // pens in libvterm's encoding (Sgr.WriteForLibvterm): the output goes into libvterm itself

    private ScreenRenderer(TerminalSize size, TerminalModes viewer, CellStyle pen, bool penKnown)
    {
        _rows = size.Rows;
        _columns = size.Columns;
        _viewer = viewer;
        _pen = pen;
        _penKnown = penKnown;
        _buffer = ArrayPool<byte>.Shared.Rent(4096);
    }

    private ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _length);

    private ReadOnlySpan<TerminalCell> Blank => BlankRow.AsSpan(0, _columns);

    /// <summary>The screen on a freshly reset terminal of the same size.</summary>
    public static void WriteSnapshot(ScreenState state, IBufferWriter<byte> writer)
    {
        using var renderer = new ScreenRenderer(state.Size, default, default, penKnown: true);
        renderer._cursorKnown = true;
        if (state.SavedCursor is { } saved)
        {
            // Saved on the normal screen, where xterm.js keeps what leaving the alternate screen restores.
            renderer.SaveCursor(saved);
        }

        renderer.SwitchScreen(state.Modes.AltScreen);
        for (var row = 0; row < state.Size.Rows; row++)
        {
            renderer.PaintRow(row, state.GetRow(row), renderer.Blank);
        }

        renderer.Finish(state, absolute: false);
        writer.Write(renderer.Written);
        writer.Write(state.PendingInput);
    }

    /// <summary>The whole screen over unknown cells; every mode is set explicitly.</summary>
    public static void WriteRepaint(bool viewerAltScreen, ScreenState to, IBufferWriter<byte> writer)
    {
        using var renderer = Repaint(to.Modes with { AltScreen = viewerAltScreen }, modesKnown: false, default, penKnown: false, to, viewerSaved: null);

        // The viewer may be in the middle of a sequence (CAN ends any, and is nothing otherwise).
        writer.Write([Can]);
        writer.Write(renderer.Written);
        writer.Write(to.PendingInput);
    }

    /// <summary>
    /// Brings a terminal that shows <paramref name="from"/> to <paramref name="to"/>: only the rows and cells that
    /// changed (after a scroll, when the screen scrolled), or a repaint when that is shorter or the size changed.
    /// </summary>
    public static void WriteDiff(ScreenState from, ScreenState to, IBufferWriter<byte> writer)
    {
        if (from.Size != to.Size)
        {
            // The receiver resized its terminal (and may have reflowed it or reset its scroll region).
            WriteRepaint(from.Modes.AltScreen, to, writer);
            return;
        }

        using var diff = new ScreenRenderer(to.Size, from.Modes, from.Pen, penKnown: true);
        diff.AssumeCursor(from);
        var paintedRows = diff.PaintDiff(from, to);
        if (paintedRows * 2 > to.Size.Rows)
        {
            using var repaint = Repaint(from.Modes, modesKnown: true, from.Pen, penKnown: true, to, from.SavedCursor);
            if (repaint._length < diff._length)
            {
                WriteBetweenPending(from, to, repaint.Written, writer);
                return;
            }
        }

        WriteBetweenPending(from, to, diff.Written, writer);
    }

    /// <summary>
    /// A viewer in the middle of a sequence (<paramref name="from"/>'s pending input) would take the update as the rest
    /// of it: CAN ends it first. The update ends in <paramref name="to"/>'s pending input, where the output goes on.
    /// </summary>
    private static void WriteBetweenPending(ScreenState from, ScreenState to, ReadOnlySpan<byte> update, IBufferWriter<byte> writer)
    {
        var samePending = from.PendingInput.SequenceEqual(to.PendingInput);
        if (update.IsEmpty && samePending)
        {
            return;
        }

        if (!from.PendingInput.IsEmpty)
        {
            writer.Write([Can]);
        }

        writer.Write(update);
        writer.Write(to.PendingInput);
    }

    /// <summary>
    /// Makes libvterm's DECSC slot hold <paramref name="saved"/>, then puts cursor, pen and cursor looks back to
    /// <paramref name="current"/>. Origin mode must be off or the scroll region full. Pens are in libvterm's encoding.
    /// </summary>
    public static void WriteLibvtermCursorSave(SavedCursor saved, SavedCursor current, TerminalSize size, IBufferWriter<byte> writer)
    {
        using var renderer = new ScreenRenderer(size, default, default, penKnown: false);
        renderer._libvtermPens = true;
        renderer._cursorLooksKnown = false;
        renderer.SaveCursor(saved);
        renderer._cursorKnown = false;
        renderer.MoveTo(current.Row, current.Column);
        renderer.SetPen(current.Pen);
        renderer.SetCursorLooks(current.Visible, current.Blink, current.Shape);
        writer.Write(renderer.Written);
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }

    private static ScreenRenderer Repaint(TerminalModes viewer, bool modesKnown, CellStyle pen, bool penKnown, ScreenState to, SavedCursor? viewerSaved)
    {
        var renderer = new ScreenRenderer(to.Size, viewer, pen, penKnown);
        renderer._cursorLooksKnown = modesKnown;
        renderer.ResetPaintingModes(force: !modesKnown);
        var saveNeeded = to.SavedCursor is { } saved && (!modesKnown || saved != viewerSaved);
        if (saveNeeded && to.Modes.AltScreen && !viewer.AltScreen)
        {
            renderer.SaveCursor(to.SavedCursor!.Value);
            saveNeeded = false;
        }

        renderer.SwitchScreen(to.Modes.AltScreen);
        renderer.SetPen(default);
        renderer.Append("\e[2J"u8);
        for (var row = 0; row < to.Size.Rows; row++)
        {
            renderer.PaintRow(row, to.GetRow(row), renderer.Blank);
        }

        if (saveNeeded)
        {
            renderer.SaveCursor(to.SavedCursor!.Value);
        }

        renderer.Finish(to, absolute: !modesKnown);
        return renderer;
    }

    private int PaintDiff(ScreenState from, ScreenState to)
    {
        ResetPaintingModes(force: false);
        var saveNeeded = to.SavedCursor is { } saved && saved != from.SavedCursor;
        var sourceBlank = false;
        var shift = 0;
        if (from.Modes.AltScreen != to.Modes.AltScreen)
        {
            if (saveNeeded && to.Modes.AltScreen)
            {
                SaveCursor(to.SavedCursor!.Value);
                saveNeeded = false;
            }

            SwitchScreen(to.Modes.AltScreen);
            if (!to.Modes.AltScreen)
            {
                // Back on the normal screen, whose content the receiver kept from before: not necessarily ours.
                SetPen(default);
                Append("\e[2J"u8);
            }

            sourceBlank = true;
        }
        else
        {
            shift = DetectScroll(from, to);
            if (shift > 0)
            {
                ScrollUp(shift);
            }
        }

        var painted = 0;
        for (var row = 0; row < _rows; row++)
        {
            var source = sourceBlank || row + shift >= _rows ? Blank : from.GetRow(row + shift);
            if (PaintRow(row, to.GetRow(row), source))
            {
                painted++;
            }
        }

        if (saveNeeded)
        {
            SaveCursor(to.SavedCursor!.Value);
        }

        Finish(to, absolute: false);
        return painted + (shift > 0 ? 1 : 0);
    }

    /// <summary>
    /// How far the screen scrolled up between the two states, when scrolling first makes fewer rows to paint:
    /// output that scrolls a few lines per update then costs a few line feeds and the new lines.
    /// </summary>
    private int DetectScroll(ScreenState from, ScreenState to)
    {
        if (_rows < 4)
        {
            return 0;
        }

        var changed = 0;
        var firstChanged = -1;
        for (var row = 0; row < _rows; row++)
        {
            var target = to.GetRow(row);
            if (!TerminalCell.RowsEqual(target, from.GetRow(row)))
            {
                changed++;
                if (firstChanged < 0 && !TerminalCell.RowsEqual(target, Blank))
                {
                    firstChanged = row;
                }
            }
        }

        if (changed < 3 || firstChanged < 0)
        {
            return 0;
        }

        var best = 0;
        var bestCost = changed;
        var candidates = 0;
        var wanted = to.GetRow(firstChanged);
        for (var source = firstChanged + 1; source < _rows && candidates < 3; source++)
        {
            if (!TerminalCell.RowsEqual(from.GetRow(source), wanted))
            {
                continue;
            }

            candidates++;
            var shift = source - firstChanged;
            var cost = 1;
            for (var row = 0; row < _rows && cost < bestCost; row++)
            {
                var previous = row + shift < _rows ? from.GetRow(row + shift) : Blank;
                if (!TerminalCell.RowsEqual(to.GetRow(row), previous))
                {
                    cost++;
                }
            }

            if (cost < bestCost)
            {
                best = shift;
                bestCost = cost;
            }
        }

        return best;
    }

    // Line feeds at the bottom of a full-screen region: the receiver's scrollback gets the lines, as it would have.
    private void ScrollUp(int lines)
    {
        if (!_viewer.HasFullScrollRegion)
        {
            Append("\e[r"u8);
            _viewer.ScrollTop = 0;
            _viewer.ScrollBottom = 0;
            _cursorKnown = false;
        }

        // New lines take the pen's background (BCE): blank them with the default one.
        SetPen(default);
        MoveTo(_rows - 1, 0);
        for (var i = 0; i < lines; i++)
        {
            AppendByte((byte)'\n');
        }
    }

    /// <summary>Paints the cells of <paramref name="target"/> that differ from <paramref name="source"/>; false when none do.</summary>
    private bool PaintRow(int row, ReadOnlySpan<TerminalCell> target, ReadOnlySpan<TerminalCell> source)
    {
        if (TerminalCell.RowsEqual(target, source))
        {
            return false;
        }

        var first = 0;
        while (target[first] == source[first])
        {
            first++;
        }

        var last = _columns - 1;
        while (target[last] == source[last])
        {
            last--;
        }

        // A wide glyph is painted whole, from its left half.
        if (target[first].IsContinuation && first > 0)
        {
            first--;
        }

        if (target[last].IsWide && last + 1 < _columns)
        {
            last++;
        }

        MoveTo(row, first);
        var column = first;
        while (column <= last)
        {
            var cell = target[column];
            if (cell.IsContinuation)
            {
                column++;
                continue;
            }

            if (cell == source[column])
            {
                var end = column + 1;
                while (end <= last && target[end] == source[end])
                {
                    end++;
                }

                if (end - column >= 4 || !_penKnown || _pen != cell.Style)
                {
                    MoveTo(row, end);
                    column = end;
                    continue;
                }
            }
            else if (cell.IsBlank && cell.HasErasableStyle)
            {
                var end = column + 1;
                while (end < _columns && target[end] == cell)
                {
                    end++;
                }

                if (end == _columns && _columns - column >= 3)
                {
                    // The rest of the row is this blank: EL (with the pen's colours, as libvterm and xterm erase).
                    SetPen(cell.Style);
                    Append("\e[K"u8);
                    return true;
                }

                end = Math.Min(end, last + 1);
                if (end - column > 8)
                {
                    SetPen(cell.Style);
                    Csi(end - column, (byte)'X');
                    column = end;
                    if (column <= last)
                    {
                        MoveTo(row, column);
                    }

                    continue;
                }
            }

            SetPen(cell.Style);
            if (cell.IsBlank)
            {
                AppendByte((byte)' ');
            }
            else
            {
                var span = Reserve(TerminalCell.MaxChars * 4);
                _length += cell.EncodeUtf8(span);
            }

            if (_column + cell.Width >= _columns)
            {
                // Waiting to wrap. libvterm leaves its cursor on the glyph; when that is column 0 (a wide glyph
                // in two columns) a CR does not move it and so does not end the wait.
                _wrapFromColumnZero = _column == 0;
                _column = _columns;
            }
            else
            {
                _column += cell.Width;
            }

            column++;
        }

        return true;
    }

    /// <summary>Turns off what would make painting land elsewhere: origin mode, insert mode, a shifted character set.</summary>
    private void ResetPaintingModes(bool force)
    {
        if (force || _viewer.OriginMode)
        {
            Append("\e[?6l"u8);
            _viewer.OriginMode = false;
            _cursorKnown = false;
        }

        if (force || _viewer.InsertMode)
        {
            Append("\e[4l"u8);
            _viewer.InsertMode = false;
        }

        if (force || _viewer.ShiftOut)
        {
            AppendByte(0x0F);
            _viewer.ShiftOut = false;
        }

        if (force || _viewer.CharsetG0 != 0)
        {
            Append("\e(B"u8);
            _viewer.CharsetG0 = 0;
        }

        if (force)
        {
            // Line feeds move the cursor while painting; a scroll region (kept or clipped by a resize) would scroll.
            Append("\e[r"u8);
            _viewer.ScrollTop = 0;
            _viewer.ScrollBottom = 0;
            _cursorKnown = false;
        }
    }

    // ?1047 rather than ?1049: switching screens without touching the saved cursor, which SaveCursor sets.
    private void SwitchScreen(bool altScreen)
    {
        if (_viewer.AltScreen == altScreen)
        {
            return;
        }

        if (altScreen)
        {
            // The alternate screen is cleared with the pen's background.
            SetPen(default);
            Append("\e[?1047h"u8);
        }
        else
        {
            Append("\e[?1047l"u8);
        }

        _viewer.AltScreen = altScreen;
    }

    /// <summary>Makes the receiver's DECSC slot hold <paramref name="saved"/> (position, pen, cursor looks).</summary>
    private void SaveCursor(SavedCursor saved)
    {
        MoveTo(Math.Min(saved.Row, _rows - 1), Math.Min(saved.Column, _columns - 1));
        SetPen(saved.Pen);
        SetCursorLooks(saved.Visible, saved.Blink, saved.Shape);
        Append("\e7"u8);
    }

    private void SetCursorLooks(bool visible, bool blink, CursorShape shape)
    {
        if (!_cursorLooksKnown || _viewer.CursorShape != shape || _viewer.CursorBlink != blink)
        {
            // DECSCUSR 0 (the user's default; libvterm: blinking block) when the application never chose.
            var style = shape == CursorShape.Block && blink ? 0 : ((int)shape * 2) + (blink ? 1 : 2);
            AppendByte(Esc);
            AppendByte((byte)'[');
            AppendNumber(style);
            Append(" q"u8);
        }

        if (!_cursorLooksKnown || _viewer.CursorVisible != visible)
        {
            Append(visible ? "\e[?25h"u8 : "\e[?25l"u8);
        }

        _viewer.CursorVisible = visible;
        _viewer.CursorBlink = blink;
        _viewer.CursorShape = shape;
        _cursorLooksKnown = true;
    }

    private void AssumeCursor(ScreenState from)
    {
        // In the last two columns the receiver may be waiting to wrap (after a narrow glyph in the last column, or a
        // wide one in the last two): then only CUP is safe, which libvterm always takes out of that state.
        if (from.CursorColumn < _columns - 2)
        {
            SetCursor(from.CursorRow, from.CursorColumn);
        }
    }

    /// <summary>Modes, scroll region, cursor, pen and cursor looks of <paramref name="state"/>.</summary>
    private void Finish(ScreenState state, bool absolute)
    {
        var modes = state.Modes;
        if (absolute || _viewer.CharsetG1 != modes.CharsetG1)
        {
            Append("\e)"u8);
            AppendByte(modes.CharsetG1 == 0 ? (byte)'B' : modes.CharsetG1);
        }

        if (absolute || _viewer.CharsetG0 != modes.CharsetG0)
        {
            Append("\e("u8);
            AppendByte(modes.CharsetG0 == 0 ? (byte)'B' : modes.CharsetG0);
        }

        if (absolute || _viewer.ShiftOut != modes.ShiftOut)
        {
            AppendByte(modes.ShiftOut ? (byte)0x0E : (byte)0x0F);
        }

        DecMode(1, modes.ApplicationCursorKeys, _viewer.ApplicationCursorKeys, absolute);
        if (absolute || _viewer.ApplicationKeypad != modes.ApplicationKeypad)
        {
            Append(modes.ApplicationKeypad ? "\e="u8 : "\e>"u8);
        }

        DecMode(2004, modes.BracketedPaste, _viewer.BracketedPaste, absolute);
        if (absolute || _viewer.MouseTracking != modes.MouseTracking)
        {
            if (modes.MouseTracking == MouseTracking.None)
            {
                Append("\e[?1000l"u8);
            }
            else
            {
                SetDecMode(modes.MouseTracking switch
                {
                    MouseTracking.X10 => 9,
                    MouseTracking.Normal => 1000,
                    MouseTracking.ButtonEvent => 1002,
                    _ => 1003,
                }, on: true);
            }
        }

        if (absolute || _viewer.MouseEncoding != modes.MouseEncoding)
        {
            if (modes.MouseEncoding == MouseEncoding.Default)
            {
                Append("\e[?1006l"u8);
            }
            else
            {
                SetDecMode(modes.MouseEncoding switch
                {
                    MouseEncoding.Utf8 => 1005,
                    MouseEncoding.Sgr => 1006,
                    _ => 1015,
                }, on: true);
            }
        }

        DecMode(1004, modes.FocusEvents, _viewer.FocusEvents, absolute);
        DecMode(7, modes.AutoWrap, _viewer.AutoWrap, absolute);
        DecMode(5, modes.ReverseVideo, _viewer.ReverseVideo, absolute);
        AnsiMode(4, modes.InsertMode, _viewer.InsertMode, absolute);
        AnsiMode(20, modes.NewLineMode, _viewer.NewLineMode, absolute);
        if (absolute || _viewer.ScrollTop != modes.ScrollTop || _viewer.ScrollBottom != modes.ScrollBottom)
        {
            if (modes.HasFullScrollRegion)
            {
                Append("\e[r"u8);
            }
            else
            {
                AppendByte(Esc);
                AppendByte((byte)'[');
                AppendNumber(modes.ScrollTop + 1);
                if (modes.ScrollBottom != 0 && modes.ScrollBottom != _rows)
                {
                    AppendByte((byte)';');
                    AppendNumber(modes.ScrollBottom);
                }

                AppendByte((byte)'r');
            }

            // DECSTBM homes the cursor, but libvterm does not end a pending wrap when the cursor was home already:
            // leave the next move to CUP, which always does.
            _cursorKnown = false;
        }

        if (modes.OriginMode)
        {
            Append("\e[?6h"u8);
            WriteCup(state.CursorRow - modes.ScrollTop, state.CursorColumn);
            _cursorKnown = false;
        }
        else
        {
            MoveTo(state.CursorRow, state.CursorColumn);
        }

        SetPen(state.Pen);
        if (absolute)
        {
            _cursorLooksKnown = false;
        }

        SetCursorLooks(modes.CursorVisible, modes.CursorBlink, modes.CursorShape);
        _viewer = modes;
    }

    private void DecMode(int mode, bool on, bool current, bool absolute)
    {
        if (absolute || on != current)
        {
            SetDecMode(mode, on);
        }
    }

    private void SetDecMode(int mode, bool on)
    {
        Append("\e[?"u8);
        AppendNumber(mode);
        AppendByte(on ? (byte)'h' : (byte)'l');
    }

    private void AnsiMode(int mode, bool on, bool current, bool absolute)
    {
        if (!absolute && on == current)
        {
            return;
        }

        AppendByte(Esc);
        AppendByte((byte)'[');
        AppendNumber(mode);
        AppendByte(on ? (byte)'h' : (byte)'l');
    }

    private void SetCursor(int row, int column)
    {
        _row = row;
        _column = column;
        _cursorKnown = true;
    }

    private bool LineFeedMovesDown(int row)
    {
        var regionBottom = _viewer.ScrollBottom == 0 ? _rows : _viewer.ScrollBottom;
        return row < _rows - 1 && row != regionBottom - 1;
    }

    private void MoveTo(int row, int column)
    {
        if (_cursorKnown && _row == row && _column < _columns)
        {
            if (_column == column)
            {
                return;
            }

            if (column > _column)
            {
                var distance = column - _column;
                if (distance == 1)
                {
                    Append("\e[C"u8);
                }
                else
                {
                    Csi(distance, (byte)'C');
                }

                SetCursor(row, column);
                return;
            }
        }

        if (_cursorKnown && column == 0 && !(_column == _columns && _wrapFromColumnZero))
        {
            if (_row == row)
            {
                AppendByte((byte)'\r');
                SetCursor(row, 0);
                return;
            }

            if (_row + 1 == row && LineFeedMovesDown(_row))
            {
                Append("\r\n"u8);
                SetCursor(row, 0);
                return;
            }
        }

        WriteCup(row, column);
        SetCursor(row, column);
    }

    private void WriteCup(int row, int column)
    {
        AppendByte(Esc);
        AppendByte((byte)'[');
        if (row != 0 || column != 0)
        {
            AppendNumber(row + 1);
            if (column != 0)
            {
                AppendByte((byte)';');
                AppendNumber(column + 1);
            }
        }

        AppendByte((byte)'H');
    }

    private void SetPen(CellStyle target)
    {
        if (_penKnown && _pen == target)
        {
            return;
        }

        if (target.IsDefault)
        {
            Append("\e[m"u8);
        }
        else
        {
            Span<byte> absolute = stackalloc byte[Sgr.MaxBytes];
            if (_libvtermPens)
            {
                Append(absolute[..Sgr.WriteForLibvterm(absolute, target)]);
            }
            else
            {
                Span<byte> incremental = stackalloc byte[Sgr.MaxBytes];
                var absoluteLength = Sgr.WriteForViewer(absolute, default, target, reset: true);
                var incrementalLength = _penKnown ? Sgr.WriteForViewer(incremental, _pen, target, reset: false) : int.MaxValue;
                Append(incrementalLength <= absoluteLength ? incremental[..incrementalLength] : absolute[..absoluteLength]);
            }
        }

        _pen = target;
        _penKnown = true;
    }

    private void Csi(int number, byte final)
    {
        AppendByte(Esc);
        AppendByte((byte)'[');
        AppendNumber(number);
        AppendByte(final);
    }

    private void AppendNumber(int value)
    {
        value.TryFormat(Reserve(11), out var written);
        _length += written;
    }

    private void AppendByte(byte value)
    {
        Reserve(1)[0] = value;
        _length++;
    }

    private void Append(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(Reserve(bytes.Length));
        _length += bytes.Length;
    }

    private Span<byte> Reserve(int count)
    {
        if (_buffer.Length - _length < count)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + count));
            Written.CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }

        return _buffer.AsSpan(_length);
    }
}
