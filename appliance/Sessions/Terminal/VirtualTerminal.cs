using System.Buffers;
using System.Text;
using System.Text.Unicode;
using EdgeGateway.Appliance.Interop;
using EdgeGateway.Protocol.Stream;

namespace EdgeGateway.Appliance.Sessions.Terminal;

/// <summary>
/// A terminal emulator (libvterm, UTF-8, alternate screen enabled) fed with a session's output, so that the
/// appliance always knows the exact screen: it renders keyframes (<see cref="RenderSnapshot(IBufferWriter{byte})"/>) and screen updates
/// (<see cref="Capture"/>, <see cref="RenderDiff"/>). Not thread-safe; answers to device queries are discarded
/// (the Controller's browser terminal answers those).
/// </summary>
public sealed class VirtualTerminal : IDisposable
{
    // Plain output may hold only these controls for the fast-forward below (CR, LF, TAB, BS, BEL).
    private static readonly SearchValues<byte> NotPlainText = SearchValues.Create(
        [0, 1, 2, 3, 4, 5, 6, 0x0B, 0x0C, 0x0E, 0x0F, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F]);

    // A space (to finish any half-decoded UTF-8 sequence), then home and erase the screen (with the pen's colours,
    // as scrolling erases new lines).
    private static readonly byte[] FastForwardFiller = " \e[H\e[2J"u8.ToArray();

    private readonly VTermHandle _vt;
    private readonly nint _screen;
    private readonly nint _state;
    private readonly ModeScanner _scanner;
    private readonly TerminalProperties _properties = new();
    private const int MaxHeldBack = 256;

    private GlyphWidthProbe? _widthProbe;
    private GlyphPlaceholders? _placeholders;
    private byte[]? _held;
    private int _heldLength;
    private int _utf8Needed;
    private SavedCursor? _savedCursor;
    private TerminalSize _size;

    /// <summary>Creates a terminal of <paramref name="size"/> (at least two columns; see <see cref="Size"/>), freshly reset.</summary>
    public VirtualTerminal(TerminalSize size)
    {
        if (!size.IsValid)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "Terminal size out of range.");
        }

        size = Emulated(size);
        _size = size;
        _scanner = new ModeScanner(size.Rows);
        _vt = LibVterm.vterm_new(size.Rows, size.Columns);
        if (_vt.IsInvalid)
        {
            throw new InvalidOperationException("libvterm could not create a terminal.");
        }

        LibVterm.vterm_set_utf8(_vt, 1);
        _screen = LibVterm.vterm_obtain_screen(_vt);
        _state = LibVterm.vterm_obtain_state(_vt);
        LibVterm.vterm_screen_enable_altscreen(_screen, 1);
        unsafe
        {
            LibVterm.vterm_screen_set_callbacks(_screen, LibVterm.PropertyCallbacks, _vt.SetCallbackTarget(_properties));
        }

        LibVterm.vterm_screen_reset(_screen, 1);
    }

    /// <summary>
    /// Current size. A one-column request is emulated with two columns: libvterm 0.1.4 writes past the end of a row
    /// for a wide glyph in a one-column screen.
    /// </summary>
    public TerminalSize Size => _size;

    /// <summary>Cursor row, 0-based.</summary>
    public int CursorRow => GetCursor().Row;

    /// <summary>Cursor column, 0-based.</summary>
    public int CursorColumn => GetCursor().Col;

    /// <summary>DECTCEM: the cursor is shown.</summary>
    public bool CursorVisible => _properties.CursorVisible;

    /// <summary>The alternate screen is shown.</summary>
    public bool AltScreen => _properties.AltScreen;

    /// <summary>Modes tracked beside the cells (see <see cref="TerminalModes"/>).</summary>
    public TerminalModes Modes
    {
        get
        {
            var modes = _scanner.Modes;
            modes.AltScreen = _properties.AltScreen;
            modes.CursorVisible = _properties.CursorVisible;
            modes.CursorBlink = _properties.CursorBlink;
            modes.CursorShape = _properties.CursorShape;
            modes.ReverseVideo = _properties.ReverseVideo;
            return modes;
        }
    }

    /// <summary>How many times the terminal has left the alternate screen (lets a caller notice it in a chunk).</summary>
    internal int AltScreenExits => _properties.AltScreenExits;

    /// <summary>
    /// Skip plain text that a chunk itself scrolls off the screen before libvterm sees it (off only to prove, in
    /// tests, that the screen comes out the same).
    /// </summary>
    internal bool FastForwardEnabled { get; set; } = true;

    /// <summary>
    /// Feeds terminal output. Sequences may be split across calls anywhere: libvterm 0.1.4 loses a UTF-8 character or
    /// string split across its writes, so an unfinished character or escape sequence at the end of a call is held back
    /// (at most <see cref="MaxHeldBack"/> bytes) and given to libvterm together with its end; strings (OSC, DCS, ...)
    /// never reach libvterm at all (nothing on the screen depends on them).
    /// </summary>
    public void Write(ReadOnlySpan<byte> data)
    {
        ObjectDisposedException.ThrowIf(_vt.IsClosed, this);
        if (data.IsEmpty)
        {
            return;
        }

        if (_utf8Needed > 0)
        {
            data = CompleteUtf8(data);
        }

        if (FastForwardEnabled && _heldLength == 0 && _scanner.IsGround && TryFindFastForward(data, out var skip))
        {
            // The skipped part holds no escape sequence: the scanner has nothing to stop at in it.
            _scanner.Scan(data[..skip], out _);
            Input(FastForwardFiller);
            data = data[skip..];
        }

        while (!data.IsEmpty)
        {
            _scanner.StopAtGround = _heldLength > 0;
            var consumed = _scanner.Scan(data, out var stop);
            switch (stop)
            {
                case ScanStop.CursorSaved:
                    Feed(data[..consumed]);

                    // What DECSC saved is not readable later; read it now, at the same point of the stream.
                    var cursor = GetCursor();
                    _savedCursor = new SavedCursor(cursor.Row, cursor.Col, ReadPen(), _properties.CursorVisible, _properties.CursorBlink, _properties.CursorShape);
                    break;
                case ScanStop.CursorRestored:
                    Feed(data[..consumed]);

                    // A position saved before the screen shrank is restored as it is, off the screen, and libvterm
                    // 0.1.4 then indexes its line table with it (heap corruption). Any CSI brings the cursor back on
                    // screen; a status request (answer discarded) changes nothing else.
                    Input("\e[5n"u8);
                    RestorePen();
                    break;
                case ScanStop.SkipParameters:
                    Feed(data[..consumed]);
                    consumed += _scanner.SkipParameters(data[consumed..]);
                    break;
                case ScanStop.Repeat:
                    // Everything but REP's final byte, then CAN to drop the sequence, then the repeated character.
                    Feed(data[..(consumed - 1)]);
                    Input([0x18]);
                    Repeat(_scanner.LastGraphic, _scanner.RepeatCount);
                    break;
                case ScanStop.Sgr:
                    // libvterm gets the pen as xterm.js applied it, in its own encoding (see Sgr), instead of the SGR.
                    if (_scanner.SequenceStart >= 0)
                    {
                        Feed(data[.._scanner.SequenceStart]);
                    }
                    else if (_heldLength > 0)
                    {
                        _heldLength = 0; // the SGR's beginning, held from the last call
                    }
                    else
                    {
                        // Part of it reached libvterm (after SkipParameters): CAN drops the rest.
                        Input(data[..(consumed - 1)]);
                        Input([0x18]);
                    }

                    if (_scanner.PenChanged)
                    {
                        // libvterm's pen is the scanner's pen before this sequence (set here, by DECRC, or by RIS).
                        InputPen(_scanner.Pen);
                    }

                    break;
                case ScanStop.StringStarted:
                    // libvterm never sees the string, nor the ESC that opened it (held back when it ended a call).
                    if (consumed >= 2)
                    {
                        Feed(data[..(consumed - 2)]);
                    }

                    // CAN: a sequence that the string's ESC interrupted ends for libvterm too.
                    _heldLength = 0;
                    Input([0x18]);
                    break;
                case ScanStop.StringEnded:
                    if (_scanner.StringEndedByEscape)
                    {
                        // That ESC (in an earlier call) starts the next sequence: hold it as that sequence's start.
                        Hold([0x1B]);
                    }

                    break;
                case ScanStop.SequenceEnd:
                    Feed(data[..consumed]);
                    break;
                default:
                    HoldBackUnfinished(data[..consumed]);
                    break;
            }

            data = data[consumed..];
        }

        DrainOutput();
    }

    /// <summary>The end of a call: give libvterm everything but an unfinished sequence or character, which is held.</summary>
    private void HoldBackUnfinished(ReadOnlySpan<byte> data)
    {
        if (_scanner.InString)
        {
            return; // string content: never given to libvterm
        }

        if (!_scanner.IsGround)
        {
            var start = _scanner.SequenceStart;
            if (start >= 0)
            {
                Feed(data[..start]);
                Hold(data[start..]);
            }
            else if (_heldLength > 0)
            {
                Hold(data);
            }
            else
            {
                Input(data); // began before what could be held (after SkipParameters): libvterm keeps a CSI across writes
            }

            return;
        }

        var partial = IncompleteUtf8Tail(data, out var needed);
        Feed(data[..^partial]);
        if (partial > 0)
        {
            Hold(data[^partial..]);
            _utf8Needed = needed;
        }
    }

    /// <summary>Continues a held UTF-8 character: complete, give it to libvterm; broken, drop it as xterm.js does.</summary>
    private ReadOnlySpan<byte> CompleteUtf8(ReadOnlySpan<byte> data)
    {
        var continuation = 0;
        while (continuation < data.Length && continuation < _utf8Needed && (data[continuation] & 0xC0) == 0x80)
        {
            continuation++;
        }

        // Continuation bytes are text to the scanner: no sequence starts in them.
        _scanner.Scan(data[..continuation], out _);
        if (continuation == _utf8Needed)
        {
            _utf8Needed = 0;
            Feed(data[..continuation]);
        }
        else if (continuation == data.Length)
        {
            _utf8Needed -= continuation;
            Hold(data);
        }
        else
        {
            _utf8Needed = 0;
            _heldLength = 0;
        }

        return data[continuation..];
    }

    /// <summary>How many bytes at the end of <paramref name="text"/> begin a UTF-8 character that is not complete yet.</summary>
    private static int IncompleteUtf8Tail(ReadOnlySpan<byte> text, out int needed)
    {
        needed = 0;
        for (var back = 1; back <= Math.Min(3, text.Length); back++)
        {
            var b = text[^back];
            if ((b & 0xC0) == 0x80)
            {
                continue;
            }

            var length = b switch
            {
                >= 0xC2 and <= 0xDF => 2,
                >= 0xE0 and <= 0xEF => 3,
                >= 0xF0 and <= 0xF4 => 4,
                _ => 0,
            };
            needed = length - back;
            return needed > 0 ? back : 0;
        }

        return 0;
    }

    /// <summary>Gives libvterm <paramref name="data"/>, preceded by what was held back for it (in one write).</summary>
    private void Feed(ReadOnlySpan<byte> data)
    {
        if (_heldLength == 0)
        {
            Input(data);
            return;
        }

        var held = _held!;
        if (_heldLength + data.Length <= held.Length)
        {
            data.CopyTo(held.AsSpan(_heldLength));
            Input(held.AsSpan(0, _heldLength + data.Length));
        }
        else
        {
            Input(held.AsSpan(0, _heldLength));
            Input(data);
        }

        _heldLength = 0;
    }

    /// <summary>Holds bytes back from libvterm; past <see cref="MaxHeldBack"/> they go to it after all (a bound, not a loss of order).</summary>
    private void Hold(ReadOnlySpan<byte> data)
    {
        _held ??= new byte[MaxHeldBack];
        if (_heldLength + data.Length > _held.Length)
        {
            Input(_held.AsSpan(0, _heldLength));
            Input(data);
            _heldLength = 0;
            _utf8Needed = 0;
            return;
        }

        data.CopyTo(_held.AsSpan(_heldLength));
        _heldLength += data.Length;
    }

    /// <summary>
    /// What a terminal that received this output as it came is in the middle of (empty when between sequences): the
    /// held-back bytes, or the opening of a string. A keyframe ends with it, so that output after the keyframe continues
    /// on the joiner's terminal as on everyone else's.
    /// </summary>
    private byte[] PendingInput()
    {
        if (_heldLength > 0)
        {
            return _held.AsSpan(0, _heldLength).ToArray();
        }

        return !_scanner.InString ? [] : _scanner.InStringEscape ? [0x1B, _scanner.StringIntroducer, 0x1B] : [0x1B, _scanner.StringIntroducer];
    }

    /// <summary>
    /// DECRC restored libvterm's saved pen. xterm.js saves and restores only its two colour words, not the extended
    /// attributes (underline style): the underline stays on or off as saved, in the style the pen has now.
    /// </summary>
    private void RestorePen()
    {
        var restored = ReadPen();
        var current = _scanner.Pen;
        var underline = restored.Underline == UnderlineStyle.None ? UnderlineStyle.None : current.Underline;
        if (underline != restored.Underline)
        {
            restored = restored with { Underline = underline };
            InputPen(restored);
        }

        _scanner.Pen = restored;
    }

    private void InputPen(CellStyle pen)
    {
        Span<byte> sgr = stackalloc byte[Sgr.MaxBytes];
        Input(sgr[..Sgr.WriteForLibvterm(sgr, pen)]);
    }

    /// <summary>Resizes the terminal (libvterm keeps the top-left of the screen; no reflow).</summary>
    public void Resize(TerminalSize size)
    {
        ObjectDisposedException.ThrowIf(_vt.IsClosed, this);
        if (!size.IsValid)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "Terminal size out of range.");
        }

        size = Emulated(size);
        if (size == _size)
        {
            return;
        }

        LibVterm.vterm_set_size(_vt, size.Rows, size.Columns);
        _size = size;
        _scanner.Resize(size.Rows);

        // libvterm 0.1.4 clips the bottom and right margins to the new size but not the top and left ones; its next
        // scroll then writes out of bounds (heap corruption). Reset both (xterm.js resets them on resize too;
        // applications set them again when they redraw), then put the cursor back where DECSTBM and DECSLRM homed
        // it from. ESC aborts any sequence the output was in the middle of, for libvterm and the scanner alike.
        var cursor = GetCursor();
        Span<byte> reset = stackalloc byte[32];
        "\e[r\e[s\e["u8.CopyTo(reset);
        var length = 8;
        (cursor.Row + 1).TryFormat(reset[length..], out var written);
        length += written;
        reset[length++] = (byte)';';
        (cursor.Col + 1).TryFormat(reset[length..], out written);
        length += written;
        reset[length++] = (byte)'H';
        Input(reset[..length]);
        if (!_scanner.IsGround && !_scanner.InString && _heldLength == 0)
        {
            // The sequence in progress had reached libvterm (it outgrew what is held back): ESC ended it there.
            _scanner.AbortSequence();
        }

        if (_savedCursor is { } saved && (saved.Row >= size.Rows || saved.Column >= size.Columns))
        {
            // libvterm keeps a saved position that is now off the screen; DECRC would restore it as it is. Save it
            // again, clipped (as xterm.js clips it).
            var clipped = saved with { Row = Math.Min(saved.Row, size.Rows - 1), Column = Math.Min(saved.Column, size.Columns - 1) };
            var current = new SavedCursor(cursor.Row, cursor.Col, ReadPen(), _properties.CursorVisible, _properties.CursorBlink, _properties.CursorShape);
            var bytes = new ArrayBufferWriter<byte>(64);
            ScreenRenderer.WriteLibvtermCursorSave(clipped, current, size, bytes);
            Input(bytes.WrittenSpan);
            _savedCursor = clipped;
        }
    }

    /// <summary>
    /// Writes VT bytes that, written to a freshly reset xterm-compatible terminal of the same size, reproduce this
    /// screen: alternate screen, every cell with its style, the modes of <see cref="TerminalModes"/>, the pen, and
    /// the cursor's position, shape and visibility.
    /// </summary>
    public void RenderSnapshot(IBufferWriter<byte> writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        using var state = Capture();
        ScreenRenderer.WriteSnapshot(state, writer);
    }

    /// <summary>Writes the snapshot (see <see cref="RenderSnapshot(IBufferWriter{byte})"/>) of a captured state.</summary>
    public static void RenderSnapshot(ScreenState state, IBufferWriter<byte> writer)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(writer);
        ScreenRenderer.WriteSnapshot(state, writer);
    }

    /// <summary>Writes the VT bytes that bring a terminal showing <paramref name="from"/> to <paramref name="to"/>.</summary>
    public static void RenderDiff(ScreenState from, ScreenState to, IBufferWriter<byte> writer)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        ArgumentNullException.ThrowIfNull(writer);
        ScreenRenderer.WriteDiff(from, to, writer);
    }

    /// <summary>
    /// Writes VT bytes that repaint the whole screen of <paramref name="to"/> on a terminal whose cells are unknown
    /// but whose alternate-screen state is <paramref name="viewerAltScreen"/>; every tracked mode is set explicitly.
    /// </summary>
    public static void RenderRepaint(bool viewerAltScreen, ScreenState to, IBufferWriter<byte> writer)
    {
        ArgumentNullException.ThrowIfNull(to);
        ArgumentNullException.ThrowIfNull(writer);
        ScreenRenderer.WriteRepaint(viewerAltScreen, to, writer);
    }

    /// <summary>An immutable copy of the screen: cells, cursor, pen and modes. Dispose it to return its buffer.</summary>
    public ScreenState Capture()
    {
        ObjectDisposedException.ThrowIf(_vt.IsClosed, this);
        var rows = _size.Rows;
        var columns = _size.Columns;
        var cells = ArrayPool<TerminalCell>.Shared.Rent(rows * columns);

        // libvterm reports cells with DECSCNM already applied; keep each cell's own attribute.
        var globalReverse = _properties.ReverseVideo ? VTermCellAttrs.Reverse : 0;
        for (var row = 0; row < rows; row++)
        {
            var line = cells.AsSpan(row * columns, columns);
            ReadRow(row, line, globalReverse);
            NormaliseRow(line);
        }

        var cursor = GetCursor();
        return new ScreenState(_size, cells, cursor.Row, cursor.Col, Modes, ReadPen(), _savedCursor, PendingInput());
    }

    /// <summary>libvterm's own cell, unnormalised (tests check the struct mirror with it).</summary>
    internal unsafe VTermScreenCell GetRawCell(int row, int column)
    {
        ObjectDisposedException.ThrowIf(_vt.IsClosed, this);
        VTermScreenCell cell = default;
        if (LibVterm.vterm_screen_get_cell(_screen, new VTermPos(row, column), &cell) == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(row), $"No cell at {row},{column}.");
        }

        return cell;
    }

    public void Dispose()
    {
        _vt.Dispose();
        _widthProbe?.Dispose();
    }

    /// <summary>
    /// Writes into libvterm as xterm.js decodes UTF-8: bytes that do not decode (Latin-1 text from an old device, a
    /// broken or overlong sequence) are dropped, where libvterm would print U+FFFD; and each character whose width
    /// libvterm would get wrong is replaced by a stand-in of the right width (see <see cref="GlyphPlaceholders"/>).
    /// ASCII, and valid UTF-8 below U+0487 (the first width difference; lead bytes below 0xD2), pass in one piece.
    /// </summary>
    private void Input(ReadOnlySpan<byte> data)
    {
        var next = data.IndexOfAnyInRange((byte)0x80, (byte)0xFF);
        if (next < 0 || (Utf8.IsValid(data[next..]) && !data[next..].ContainsAnyInRange((byte)0xD2, (byte)0xF4)))
        {
            InputRaw(data);
            return;
        }

        Span<byte> standIn = stackalloc byte[4];
        var start = 0;
        var i = next;
        while (true)
        {
            if (Rune.DecodeFromUtf8(data[i..], out var rune, out var length) != OperationStatus.Done)
            {
                InputRaw(data[start..i]);
                start = i + length;
            }
            else if (GlyphPlaceholders.RoutedWidth((uint)rune.Value) is var width and >= 0)
            {
                InputRaw(data[start..i]);
                var placeholder = (_placeholders ??= new GlyphPlaceholders()).PlaceholderFor((uint)rune.Value, width);
                InputRaw(standIn[..new Rune(placeholder).EncodeToUtf8(standIn)]);
                start = i + length;
            }

            i += length;
            next = i < data.Length ? data[i..].IndexOfAnyInRange((byte)0x80, (byte)0xFF) : -1;
            if (next < 0)
            {
                break;
            }

            i += next;
        }

        InputRaw(data[start..]);
    }

    private unsafe void InputRaw(ReadOnlySpan<byte> data)
    {
        fixed (byte* bytes = data)
        {
            LibVterm.vterm_input_write(_vt, bytes, (nuint)data.Length);
        }
    }

    private static TerminalSize Emulated(TerminalSize size) => size with { Columns = Math.Max(2, size.Columns) };

    private void Repeat(ReadOnlySpan<byte> glyph, int count)
    {
        if (glyph.IsEmpty)
        {
            return;
        }

        count = Math.Min(count, _size.Rows * _size.Columns);
        Span<byte> batch = stackalloc byte[1024];
        var perBatch = batch.Length / glyph.Length;
        for (var i = 0; i < perBatch; i++)
        {
            glyph.CopyTo(batch[(i * glyph.Length)..]);
        }

        while (count > 0)
        {
            var n = Math.Min(count, perBatch);
            Input(batch[..(n * glyph.Length)]);
            count -= n;
        }
    }

    private unsafe void DrainOutput()
    {
        var buffer = stackalloc byte[256];
        while (LibVterm.vterm_output_read(_vt, buffer, 256) != 0)
        {
        }
    }

    private unsafe VTermPos GetCursor()
    {
        ObjectDisposedException.ThrowIf(_vt.IsClosed, this);
        VTermPos position;
        LibVterm.vterm_state_get_cursorpos(_state, &position);
        return position;
    }

    /// <summary>
    /// A chunk of plain text (no escape sequence, only CR/LF/TAB/BS/BEL as controls) that ends with more than a
    /// screenful of line feeds leaves on a full-screen scroll region only those last lines: everything before them
    /// scrolls off. libvterm scrolls its whole screen per line, so for `seq 1 200000` nearly all the work would go
    /// into lines nobody sees. When the part before the last rows+2 line feeds ends in "text CR LF", it is replaced
    /// by "erase the screen, cursor home": the rest then prints from column 0 as it would have, and scrolls
    /// everything else out as it would have (line attributes aside, hence not after DECDWL). Cursor, pen, modes and
    /// the UTF-8 decoder end up the same.
    /// </summary>
    private bool TryFindFastForward(ReadOnlySpan<byte> data, out int skip)
    {
        skip = 0;
        var rows = _size.Rows;
        var modes = _scanner.Modes;
        if (!modes.HasFullScrollRegion || _scanner.LeftRightMarginMode || _scanner.LineAttributesUsed || data.Length < 2 * rows + 64)
        {
            return false;
        }

        var plain = data.IndexOfAny(NotPlainText);
        if (plain >= 0)
        {
            data = data[..plain];
        }

        // The line feed with rows+1 more line feeds after it.
        var cut = data.Length;
        for (var i = 0; i < rows + 2; i++)
        {
            cut = data[..cut].LastIndexOf((byte)'\n');
            if (cut < 0)
            {
                return false;
            }
        }

        for (var tries = 0; tries < 4 && cut >= 2; tries++)
        {
            if (data[cut - 1] == (byte)'\r' && EndsWithAsciiText(data[..(cut - 1)]))
            {
                // Worth it only when the skipped part would scroll at least a screenful.
                if (data[..cut].Count((byte)'\n') >= rows)
                {
                    skip = cut + 1;
                    return true;
                }

                return false;
            }

            cut = data[..cut].LastIndexOf((byte)'\n');
        }

        return false;
    }

    private static bool EndsWithAsciiText(ReadOnlySpan<byte> data)
    {
        for (var i = data.Length - 1; i >= 0; i--)
        {
            var b = data[i];
            if (b >= 0x20)
            {
                return b < 0x80;
            }
        }

        return false;
    }

    private unsafe void ReadRow(int row, Span<TerminalCell> line, uint globalReverse)
    {
        VTermScreenCell raw;
        Span<uint> chars = stackalloc uint[TerminalCell.MaxChars];
        for (var column = 0; column < line.Length; column++)
        {
            raw = default;
            if (LibVterm.vterm_screen_get_cell(_screen, new VTermPos(row, column), &raw) == 0)
            {
                line[column] = TerminalCell.Blank;
                continue;
            }

            var count = 0;
            while (count < VTermScreenCell.MaxChars && raw.Chars[count] != 0)
            {
                chars[count] = raw.Chars[count];
                count++;
            }

            if (_placeholders is { } placeholders && count > 0 && chars[0] != uint.MaxValue)
            {
                for (var i = 0; i < count; i++)
                {
                    chars[i] = placeholders.Resolve(chars[i]);
                }
            }

            if (count > 0 && chars[0] == uint.MaxValue)
            {
                line[column] = TerminalCell.Continuation;
                continue;
            }

            raw.Attrs ^= globalReverse;
            var (extra, underline) = Sgr.Decode((int)((raw.Attrs >> VTermCellAttrs.UnderlineShift) & 0x3), (int)((raw.Attrs >> VTermCellAttrs.FontShift) & 0xF));
            var style = new CellStyle(ToAttributes(raw.Attrs) | extra, underline, ToColor(raw.Foreground), ToColor(raw.Background));
            if (count == 0)
            {
                // Erased (libvterm keeps the whole pen there; xterm.js erases with the background colour alone).
                style = new CellStyle(CellAttributes.None, UnderlineStyle.None, TerminalColor.Default, style.Background);
            }
            else if (count == 1 && chars[0] == ' ')
            {
                // A written space: only what shows without a glyph counts, so that it and an erase look alike.
                count = 0;
                style = CellStyle.ForBlank(style);
            }

            line[column] = new TerminalCell(chars[..count], wide: raw.Width == 2 && count > 0, style);
        }
    }

    /// <summary>
    /// libvterm 0.1.4 does not tidy up when half of a wide glyph is overwritten: it can leave a narrow glyph that
    /// claims two columns, a wide glyph in one column, or a right half with no left half. Turn those into what an
    /// xterm shows (a blank where the broken half was), so that a rendered screen reproduces exactly.
    /// </summary>
    private void NormaliseRow(Span<TerminalCell> line)
    {
        for (var column = 0; column < line.Length; column++)
        {
            var cell = line[column];
            if (cell.IsContinuation)
            {
                if (column == 0 || !line[column - 1].IsWide)
                {
                    line[column] = TerminalCell.Blank;
                }
            }
            else if (cell.IsWide)
            {
                if (column + 1 >= line.Length || !line[column + 1].IsContinuation || !IsWideGlyph(cell.GetChar(0)))
                {
                    line[column] = cell.AsNarrow();
                }
            }
            else if (!cell.IsBlank && cell.GetChar(0) >= 0x1100 && IsWideGlyph(cell.GetChar(0)))
            {
                line[column] = cell.WithoutText();
            }
            else if (!cell.IsBlank && cell.GetChar(0) >= 0x300 && GlyphWidth(cell.GetChar(0)) == 0)
            {
                // A mark with no base (libvterm puts one there when a mark follows a glyph in the last column):
                // it cannot be redrawn alone, since a terminal joins it to the glyph before.
                line[column] = cell.WithoutText();
            }
        }
    }

    private bool IsWideGlyph(uint codePoint) => GlyphWidth(codePoint) == 2;

    /// <summary>A character's Unicode 11 width, as the page's xterm.js lays it out (and, through stand-ins, libvterm).</summary>
    private int GlyphWidth(uint codePoint)
    {
        var routed = GlyphPlaceholders.RoutedWidth(codePoint);
        return routed >= 0 ? routed : (_widthProbe ??= new GlyphWidthProbe()).Width(codePoint);
    }

    private static CellAttributes ToAttributes(uint attrs)
    {
        var result = CellAttributes.None;
        if ((attrs & VTermCellAttrs.Bold) != 0)
        {
            result |= CellAttributes.Bold;
        }

        if ((attrs & VTermCellAttrs.Italic) != 0)
        {
            result |= CellAttributes.Italic;
        }

        if ((attrs & VTermCellAttrs.Blink) != 0)
        {
            result |= CellAttributes.Blink;
        }

        if ((attrs & VTermCellAttrs.Reverse) != 0)
        {
            result |= CellAttributes.Reverse;
        }

        if ((attrs & VTermCellAttrs.Strike) != 0)
        {
            result |= CellAttributes.Strike;
        }

        return result;
    }

    internal static TerminalColor ToColor(VTermColor color)
    {
        if ((color.Type & VTermColor.TypeDefaultMask) != 0)
        {
            return TerminalColor.Default;
        }

        return (color.Type & VTermColor.TypeIndexed) != 0
            ? TerminalColor.FromIndex(color.Red)
            : TerminalColor.FromRgb(color.Red, color.Green, color.Blue);
    }

    private CellStyle ReadPen()
    {
        var attributes = CellAttributes.None;
        if (GetPen(VTermAttr.Bold).Number != 0)
        {
            attributes |= CellAttributes.Bold;
        }

        if (GetPen(VTermAttr.Italic).Number != 0)
        {
            attributes |= CellAttributes.Italic;
        }

        if (GetPen(VTermAttr.Blink).Number != 0)
        {
            attributes |= CellAttributes.Blink;
        }

        if (GetPen(VTermAttr.Reverse).Number != 0)
        {
            attributes |= CellAttributes.Reverse;
        }

        if (GetPen(VTermAttr.Strike).Number != 0)
        {
            attributes |= CellAttributes.Strike;
        }

        var (extra, underline) = Sgr.Decode(GetPen(VTermAttr.Underline).Number & 0x3, GetPen(VTermAttr.Font).Number & 0xF);
        return new CellStyle(attributes | extra, underline, ToColor(GetPen(VTermAttr.Foreground).Color), ToColor(GetPen(VTermAttr.Background).Color));
    }

    private unsafe VTermValue GetPen(VTermAttr attr)
    {
        VTermValue value = default;
        return LibVterm.vterm_state_get_penattr(_state, attr, &value) != 0 ? value : default;
    }

    /// <summary>libvterm's terminal properties, as its <c>settermprop</c> callback reports them.</summary>
    private sealed class TerminalProperties : IVTermPropertySink
    {
        public bool CursorVisible { get; private set; } = true;

        public bool CursorBlink { get; private set; } = true;

        public CursorShape CursorShape { get; private set; }

        public bool AltScreen { get; private set; }

        public bool ReverseVideo { get; private set; }

        public int AltScreenExits { get; private set; }

        public void OnPropertyChanged(VTermProp prop, int value)
        {
            switch (prop)
            {
                case VTermProp.CursorVisible:
                    CursorVisible = value != 0;
                    break;
                case VTermProp.CursorBlink:
                    CursorBlink = value != 0;
                    break;
                case VTermProp.CursorShape:
                    CursorShape = value switch { 2 => CursorShape.Underline, 3 => CursorShape.Bar, _ => CursorShape.Block };
                    break;
                case VTermProp.AltScreen:
                    if (AltScreen && value == 0)
                    {
                        AltScreenExits++;
                    }

                    AltScreen = value != 0;
                    break;
                case VTermProp.Reverse:
                    ReverseVideo = value != 0;
                    break;
            }
        }
    }

    /// <summary>
    /// Asks a one-line libvterm how wide it makes a glyph (its width table is not exported). Answers are cached;
    /// only code points from U+0300 up are ever asked about.
    /// </summary>
    private sealed class GlyphWidthProbe : IDisposable
    {
        private const int MaxCached = 4096;
        private readonly Dictionary<uint, int> _cache = [];
        private readonly nint _state;
        private readonly VTermHandle _vt;
        private readonly nint _screen;

        public GlyphWidthProbe()
        {
            _vt = LibVterm.vterm_new(1, 4);
            if (_vt.IsInvalid)
            {
                throw new InvalidOperationException("libvterm could not create a terminal.");
            }

            LibVterm.vterm_set_utf8(_vt, 1);
            _screen = LibVterm.vterm_obtain_screen(_vt);
            _state = LibVterm.vterm_obtain_state(_vt);
            LibVterm.vterm_screen_reset(_screen, 1);
        }

        /// <summary>0, 1 or 2: how far libvterm moves its cursor for the glyph after a letter.</summary>
        public unsafe int Width(uint codePoint)
        {
            if (_cache.TryGetValue(codePoint, out var width))
            {
                return width;
            }

            Span<byte> input = stackalloc byte[16];
            "\r\e[Ka"u8.CopyTo(input);
            var rune = Rune.IsValid(codePoint) ? new Rune(codePoint) : Rune.ReplacementChar;
            var length = 5 + rune.EncodeToUtf8(input[5..]);
            fixed (byte* bytes = input)
            {
                LibVterm.vterm_input_write(_vt, bytes, (nuint)length);
            }

            VTermPos cursor;
            LibVterm.vterm_state_get_cursorpos(_state, &cursor);
            width = Math.Clamp(cursor.Col - 1, 0, 2);
            if (_cache.Count >= MaxCached)
            {
                _cache.Clear();
            }

            _cache[codePoint] = width;
            return width;
        }

        public void Dispose() => _vt.Dispose();
    }
}
