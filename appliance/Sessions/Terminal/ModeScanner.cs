using System.Buffers;

namespace EdgeGateway.Appliance.Sessions.Terminal;

/// <summary>
/// Follows the escape sequences in terminal output to track the modes libvterm 0.1.4 keeps to itself (or does not
/// know): DECCKM, keypad, bracketed paste, mouse, focus, origin, wrap, insert, new-line, scroll region and character
/// sets — and the pen (SGR) as xterm.js applies it, which libvterm 0.1.4 only partly knows (see <see cref="Sgr"/>).
/// Incremental: a sequence may be split across <see cref="Scan"/> calls; memory is bounded (32 parameters).
/// </summary>
/// <remarks>
/// Modes that change where output lands (origin, wrap, insert, new-line, scroll region, character sets) follow
/// libvterm, which renders the screen: only the first parameter of SM/RM/DECSET counts and DECSTR is ignored, as in
/// 0.1.4. Input modes (keys, paste, mouse, focus) follow xterm.js, which the viewers run: every parameter counts and
/// DECSTR resets them. The pen and strings (OSC, DCS, SOS/PM/APC: where they end) follow xterm.js too: the caller
/// keeps strings from libvterm entirely and gives it the pen whole after each SGR.
/// </remarks>
internal sealed class ModeScanner
{
    private const int MaxParams = 32; // xterm.js keeps 32 parameters
    private const int MaxParamValue = 99_999;

    // libvterm 0.1.4 stores CSI parameters in a 16-slot array without a bound check: a 16th separator (';' or ':')
    // writes past it and corrupts the parser (a crash). Parameters after the 16th are kept from it.
    private const int LibvtermMaxSeparators = 15;
    private const byte Esc = 0x1B;
    private const byte Can = 0x18;
    private const byte Sub = 0x1A;
    private const byte ShiftOutByte = 0x0E;
    private const byte ShiftInByte = 0x0F;
    private const byte Bel = 0x07;

    private static readonly SearchValues<byte> GroundSpecial = SearchValues.Create([Esc, ShiftOutByte, ShiftInByte]);
    private static readonly SearchValues<byte> StringSpecial = SearchValues.Create([Esc, Bel, Can, Sub]);
    private static readonly SearchValues<byte> StringSpecialNoBel = SearchValues.Create([Esc, Can, Sub]);

    private readonly int[] _params = new int[MaxParams];
    private readonly bool[] _subParams = new bool[MaxParams]; // the parameter followed a ':'
    private CellStyle _pen;
    private byte _stringIntroducer;
    private int _sequenceStart;
    private ScanState _state;
    private byte _leader;
    private byte _intermediate;
    private bool _extraIntermediates;
    private bool _invalid;
    private int _paramCount;
    private int _separators;
    private bool _truncating;
    private TerminalModes _modes;
    private int _rows;
    private ScanStop _stop;
    private int _repeatCount;
    private readonly byte[] _lastGraphic = new byte[4];
    private int _lastGraphicLength;

    public ModeScanner(int rows) => _rows = rows;

    private enum ScanState : byte
    {
        Ground,
        Escape,
        EscapeIntermediate,
        Csi,
        String,
        StringEscape,
    }

    /// <summary>The modes so far (the libvterm-owned ones, cursor and alternate screen, are left at their defaults).</summary>
    public TerminalModes Modes => _modes;

    /// <summary>True between sequences: the next byte starts text or a new sequence.</summary>
    public bool IsGround => _state == ScanState.Ground;

    /// <summary>Inside an OSC, DCS, SOS, PM or APC string (whose bytes libvterm never sees).</summary>
    public bool InString => _state is ScanState.String or ScanState.StringEscape;

    /// <summary>Inside a string, just after an ESC that may start its ST.</summary>
    public bool InStringEscape => _state == ScanState.StringEscape;

    /// <summary>The byte after ESC that opened the current string (']', 'P', 'X', '^' or '_').</summary>
    public byte StringIntroducer => _stringIntroducer;

    /// <summary>
    /// Where, in the data of the last <see cref="Scan"/>, the unfinished sequence it ended in began (its ESC); -1 when it
    /// began in an earlier call.
    /// </summary>
    public int SequenceStart => _sequenceStart;

    /// <summary>
    /// Stop with <see cref="ScanStop.SequenceEnd"/> as soon as the sequence in progress ends (the caller holds its
    /// start and joins it with the rest).
    /// </summary>
    public bool StopAtGround { get; set; }

    /// <summary>The last <see cref="ScanStop.StringEnded"/> was an ESC that starts the next sequence, not ST: that ESC was seen in an earlier call.</summary>
    public bool StringEndedByEscape { get; private set; }

    /// <summary>After <see cref="ScanStop.Sgr"/>: the pen is not what it was before that sequence.</summary>
    public bool PenChanged { get; private set; }

    /// <summary>The pen after the sequences so far, as xterm.js applies SGR; set it after libvterm restored one (DECRC).</summary>
    public CellStyle Pen
    {
        get => _pen;
        set => _pen = value;
    }

    /// <summary>DECDWL/DECDHL (<c>ESC # 3/4/6</c>) has been seen: some line may be double width.</summary>
    public bool LineAttributesUsed { get; private set; }

    /// <summary>DECLRMM (<c>?69</c>) is on: left/right margins may confine scrolling.</summary>
    public bool LeftRightMarginMode { get; private set; }

    /// <summary>
    /// The terminal was resized. The caller resets libvterm's margins (as xterm.js does on resize, and as libvterm
    /// 0.1.4 needs to stay in bounds); so does this.
    /// </summary>
    public void Resize(int rows)
    {
        _rows = rows;
        _modes.ScrollTop = 0;
        _modes.ScrollBottom = 0;
    }

    /// <summary>
    /// Follows <paramref name="data"/> and returns how many bytes it took: all of them, or fewer when a sequence the
    /// caller must act on ends there (<paramref name="stop"/>): a cursor save (read what libvterm saved at that very
    /// point), a cursor restore, or REP (which the caller performs itself; see <see cref="RepeatCount"/>).
    /// </summary>
    public int Scan(ReadOnlySpan<byte> data, out ScanStop stop)
    {
        _stop = ScanStop.None;
        _sequenceStart = -1;
        StringEndedByEscape = false;
        var i = 0;
        while (i < data.Length && _stop == ScanStop.None)
        {
            switch (_state)
            {
                case ScanState.Ground:
                {
                    var next = data[i..].IndexOfAny(GroundSpecial);
                    var text = next < 0 ? data[i..] : data[i..(i + next)];
                    if (!text.IsEmpty)
                    {
                        RememberLastGraphic(text);
                    }

                    if (next < 0)
                    {
                        i = data.Length;
                        break;
                    }

                    i += next;
                    var b = data[i++];
                    if (b == Esc)
                    {
                        _state = ScanState.Escape;
                        _sequenceStart = i - 1;
                    }
                    else
                    {
                        _modes.ShiftOut = b == ShiftOutByte;
                        _lastGraphicLength = 0;
                    }

                    break;
                }

                case ScanState.String:
                {
                    // xterm.js ends an OSC with BEL too, other strings only with ST; CAN and SUB abort any.
                    var next = data[i..].IndexOfAny(_stringIntroducer == (byte)']' ? StringSpecial : StringSpecialNoBel);
                    if (next < 0)
                    {
                        i = data.Length;
                        break;
                    }

                    i += next;
                    if (data[i] != Esc)
                    {
                        i++;
                        EndString();
                    }
                    else if (i + 1 == data.Length)
                    {
                        i++;
                        _state = ScanState.StringEscape;
                    }
                    else if (data[i + 1] == (byte)'\\')
                    {
                        i += 2;
                        EndString();
                    }
                    else
                    {
                        // ESC followed by anything else ends the string and starts a new sequence: leave it to Ground.
                        EndString();
                    }

                    break;
                }

                case ScanState.StringEscape:
                    EndString();
                    if (data[i] == (byte)'\\')
                    {
                        i++;
                    }
                    else
                    {
                        // ESC (in an earlier call) followed by anything else ends the string and starts a new sequence.
                        _state = ScanState.Escape;
                        StringEndedByEscape = true;
                    }

                    break;

                default:
                    if (_state == ScanState.Csi && _intermediate == 0 && data[i] is >= (byte)'0' and <= (byte)';' && (_truncating || (data[i] >= (byte)':' && _separators == LibvtermMaxSeparators)))
                    {
                        // The caller keeps this and the rest of the parameters from libvterm (SkipParameters).
                        _truncating = true;
                        _stop = ScanStop.SkipParameters;
                        break;
                    }

                    var current = data[i++];
                    Step(current);
                    if (current == Esc)
                    {
                        _sequenceStart = i - 1;
                    }
                    else if (StopAtGround && _state == ScanState.Ground && _stop == ScanStop.None)
                    {
                        _stop = ScanStop.SequenceEnd;
                    }

                    break;
            }
        }

        stop = _stop;
        return i;
    }

    private void EndString()
    {
        _state = ScanState.Ground;
        _stop = ScanStop.StringEnded;
    }

    /// <summary>
    /// After <see cref="ScanStop.SkipParameters"/>: how many of the bytes at the start of <paramref name="data"/> are
    /// parameters past libvterm's sixteenth (to leave out of its input). The scanner itself takes them (SGR needs them,
    /// as xterm.js reads up to 32); the sequence still ends normally.
    /// </summary>
    public int SkipParameters(ReadOnlySpan<byte> data)
    {
        var count = 0;
        while (count < data.Length && data[count] is >= (byte)'0' and <= (byte)';')
        {
            CsiByte(data[count]);
            count++;
        }

        return count;
    }

    /// <summary>After REP: how many times to print <see cref="LastGraphic"/> (at least 1, at most 65 535).</summary>
    public int RepeatCount => _repeatCount;

    /// <summary>After REP: the UTF-8 bytes of the character printed just before it; empty when there was none.</summary>
    public ReadOnlySpan<byte> LastGraphic => _lastGraphic.AsSpan(0, _lastGraphicLength);

    /// <summary>The caller wrote ESC into libvterm on its own: any sequence in progress is gone for both.</summary>
    public void AbortSequence()
    {
        _state = ScanState.Ground;
        _sequenceStart = -1;
        _lastGraphicLength = 0;
    }

    // Keeps the last complete UTF-8 character of a run of text, or nothing when the run ends in a control.
    private void RememberLastGraphic(ReadOnlySpan<byte> text)
    {
        _lastGraphicLength = 0;
        var start = text.Length - 1;
        while (start > 0 && start > text.Length - 4 && (text[start] & 0xC0) == 0x80)
        {
            start--;
        }

        var lead = text[start];
        var length = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 0;
        if (length == 0 || start + length != text.Length || lead < 0x20 || lead == 0x7F)
        {
            return;
        }

        text[start..].CopyTo(_lastGraphic);
        _lastGraphicLength = length;
    }

    private void Step(byte b)
    {
        if (b < 0x20)
        {
            Control(b);
            return;
        }

        switch (_state)
        {
            case ScanState.Escape:
                EscapeByte(b);
                break;
            case ScanState.EscapeIntermediate:
                if (b < 0x30)
                {
                    _extraIntermediates = true;
                }
                else if (b != 0x7F)
                {
                    if (b < 0x7F && !_extraIntermediates)
                    {
                        Designate(_intermediate, b);
                        LineAttributesUsed |= _intermediate == (byte)'#' && b is (byte)'3' or (byte)'4' or (byte)'6';
                    }

                    _state = ScanState.Ground;
                }

                break;
            case ScanState.Csi:
                CsiByte(b);
                break;
        }
    }

    // C0 controls are executed in the middle of a sequence; CAN and SUB abort it, ESC restarts.
    private void Control(byte b)
    {
        switch (b)
        {
            case Esc:
                _state = ScanState.Escape;
                break;
            case Can or Sub:
                _state = ScanState.Ground;
                break;
            case ShiftOutByte:
                _modes.ShiftOut = true;
                break;
            case ShiftInByte:
                _modes.ShiftOut = false;
                break;
        }
    }

    private void EscapeByte(byte b)
    {
        // REP repeats the character before it; any sequence but a CSI (which may be the REP) forgets it.
        if (b != (byte)'[')
        {
            _lastGraphicLength = 0;
        }

        switch (b)
        {
            case (byte)'[':
                _state = ScanState.Csi;
                _leader = 0;
                _intermediate = 0;
                _extraIntermediates = false;
                _invalid = false;
                _paramCount = 0;
                _separators = 0;
                _truncating = false;
                break;
            case (byte)']' or (byte)'P' or (byte)'X' or (byte)'^' or (byte)'_':
                // OSC, DCS, SOS, PM, APC: strings to xterm.js (libvterm 0.1.4 treats the last three as text).
                _state = ScanState.String;
                _stringIntroducer = b;
                _stop = ScanStop.StringStarted;
                break;
            case < 0x30:
                _intermediate = b;
                _extraIntermediates = false;
                _state = ScanState.EscapeIntermediate;
                break;
            case (byte)'7':
                _stop = ScanStop.CursorSaved;
                _state = ScanState.Ground;
                break;
            case (byte)'8':
                _stop = ScanStop.CursorRestored;
                _state = ScanState.Ground;
                break;
            case (byte)'=':
                _modes.ApplicationKeypad = true;
                _state = ScanState.Ground;
                break;
            case (byte)'>':
                _modes.ApplicationKeypad = false;
                _state = ScanState.Ground;
                break;
            case (byte)'c':
                _modes = default;
                _pen = default;
                LeftRightMarginMode = false;
                LineAttributesUsed = false;
                _state = ScanState.Ground;
                break;
            case 0x7F:
                break;
            default:
                _state = ScanState.Ground;
                break;
        }
    }

    private void Designate(byte intermediate, byte final)
    {
        // libvterm 0.1.4 knows these 94-character sets; it ignores the rest, and so do we.
        if (final is not ((byte)'0' or (byte)'A' or (byte)'B'))
        {
            return;
        }

        var value = final == (byte)'B' ? (byte)0 : final;
        if (intermediate == (byte)'(')
        {
            _modes.CharsetG0 = value;
        }
        else if (intermediate == (byte)')')
        {
            _modes.CharsetG1 = value;
        }
    }

    // Mirrors libvterm's CSI grammar: leader bytes first, then parameters, then intermediates, then the final
    // byte; anything out of that order ends the sequence unhandled.
    private void CsiByte(byte b)
    {
        if (b == 0x7F)
        {
            return;
        }

        if (b is >= (byte)'0' and <= (byte)'9' && _intermediate == 0)
        {
            if (_paramCount == 0)
            {
                _paramCount = 1;
                _params[0] = -1;
                _subParams[0] = false;
            }

            ref var value = ref _params[_paramCount - 1];
            value = Math.Min(MaxParamValue, (value < 0 ? 0 : value * 10) + (b - '0'));
        }
        else if (b is (byte)';' or (byte)':' && _intermediate == 0)
        {
            _separators++;
            if (_paramCount == 0)
            {
                _paramCount = 1;
                _params[0] = -1;
                _subParams[0] = false;
            }

            if (_paramCount < MaxParams)
            {
                _subParams[_paramCount] = b == (byte)':';
                _params[_paramCount++] = -1;
            }
        }
        else if (b is >= (byte)'<' and <= (byte)'?' && _paramCount == 0 && _intermediate == 0)
        {
            // A second leader byte is legal but no sequence we track has one.
            _invalid |= _leader != 0;
            _leader = b;
        }
        else if (b is >= 0x20 and < 0x30)
        {
            _extraIntermediates |= _intermediate != 0;
            _intermediate = b;
        }
        else
        {
            if (b is >= 0x40 and < 0x7F && !_invalid && !_extraIntermediates)
            {
                Dispatch(b);
            }

            _state = ScanState.Ground;
        }
    }

    private int Param(int index) => index < _paramCount ? _params[index] : -1;

    private void Dispatch(byte final)
    {
        var repeatable = _lastGraphicLength;
        _lastGraphicLength = 0;
        switch (final)
        {
            case (byte)'h' or (byte)'l' when _intermediate == 0:
                var on = final == (byte)'h';
                if (_leader == (byte)'?')
                {
                    for (var i = 0; i < _paramCount; i++)
                    {
                        SetPrivateMode(_params[i], on, first: i == 0);
                    }
                }
                else if (_leader == 0)
                {
                    SetAnsiMode(Param(0), on);
                }

                break;

            case (byte)'r' when _leader == 0 && _intermediate == 0:
                SetScrollRegion();
                break;

            case (byte)'b' when _leader == 0 && _intermediate == 0:
                // REP. libvterm 0.1.4's own loops forever or writes out of bounds in some states: the caller
                // prints the character itself (wrapping, as xterm.js does).
                _repeatCount = Math.Clamp(Param(0), 1, 65_535);
                _lastGraphicLength = repeatable;
                _stop = ScanStop.Repeat;
                return;

            case (byte)'p' when _leader == 0 && _intermediate == (byte)'!':
                // DECSTR: xterm.js resets its input modes and the pen; libvterm 0.1.4 does not recognise it.
                _modes.ApplicationCursorKeys = false;
                _modes.ApplicationKeypad = false;
                _modes.BracketedPaste = false;
                _modes.FocusEvents = false;
                PenChanged = !_pen.IsDefault;
                _pen = default;
                _stop = ScanStop.Sgr;
                break;

            case (byte)'m' when _leader == 0 && _intermediate == 0:
                var before = _pen;
                ApplySgr();
                PenChanged = _pen != before;
                _stop = ScanStop.Sgr;
                break;
        }
    }

    /// <summary>
    /// SGR as xterm.js 6 applies it (InputHandler.charAttributes): parameters left to right, sub-parameters after ':'
    /// (an empty one is -1), unknown ones ignored; 38/48/58 take their colour from sub-parameters or the parameters
    /// that follow (see <see cref="ExtendedColor"/>). 58 (underline colour) is read past but not kept.
    /// </summary>
    private void ApplySgr()
    {
        if (_paramCount == 0)
        {
            _pen = default;
            return;
        }

        var pen = _pen;
        for (var i = 0; i < _paramCount; i++)
        {
            if (_subParams[i])
            {
                continue;
            }

            var p = Math.Max(0, _params[i]);
            var hasSub = i + 1 < _paramCount && _subParams[i + 1];
            switch (p)
            {
                case >= 30 and <= 37:
                    pen = pen with { Foreground = TerminalColor.FromIndex((byte)(p - 30)) };
                    break;
                case >= 40 and <= 47:
                    pen = pen with { Background = TerminalColor.FromIndex((byte)(p - 40)) };
                    break;
                case >= 90 and <= 97:
                    pen = pen with { Foreground = TerminalColor.FromIndex((byte)(p - 90 + 8)) };
                    break;
                case >= 100 and <= 107:
                    pen = pen with { Background = TerminalColor.FromIndex((byte)(p - 100 + 8)) };
                    break;
                case 0:
                    pen = default;
                    break;
                case 1:
                    pen = pen with { Attributes = pen.Attributes | CellAttributes.Bold };
                    break;
                case 2:
                    pen = pen with { Attributes = pen.Attributes | CellAttributes.Dim };
                    break;
                case 3:
                    pen = pen with { Attributes = pen.Attributes | CellAttributes.Italic };
                    break;
                case 4:
                    var style = hasSub ? _params[i + 1] : 1;
                    pen = pen with { Underline = style is < 0 or > 5 ? UnderlineStyle.Straight : (UnderlineStyle)style };
                    break;
                case 5:
                    pen = pen with { Attributes = pen.Attributes | CellAttributes.Blink };
                    break;
                case 7:
                    pen = pen with { Attributes = pen.Attributes | CellAttributes.Reverse };
                    break;
                case 8:
                    pen = pen with { Attributes = pen.Attributes | CellAttributes.Conceal };
                    break;
                case 9:
                    pen = pen with { Attributes = pen.Attributes | CellAttributes.Strike };
                    break;
                case 21:
                    pen = pen with { Underline = UnderlineStyle.Doubled };
                    break;
                case 22:
                    pen = pen with { Attributes = pen.Attributes & ~(CellAttributes.Bold | CellAttributes.Dim) };
                    break;
                case 23:
                    pen = pen with { Attributes = pen.Attributes & ~CellAttributes.Italic };
                    break;
                case 24:
                    pen = pen with { Underline = UnderlineStyle.None };
                    break;
                case 25:
                    pen = pen with { Attributes = pen.Attributes & ~CellAttributes.Blink };
                    break;
                case 27:
                    pen = pen with { Attributes = pen.Attributes & ~CellAttributes.Reverse };
                    break;
                case 28:
                    pen = pen with { Attributes = pen.Attributes & ~CellAttributes.Conceal };
                    break;
                case 29:
                    pen = pen with { Attributes = pen.Attributes & ~CellAttributes.Strike };
                    break;
                case 39:
                    pen = pen with { Foreground = TerminalColor.Default };
                    break;
                case 49:
                    pen = pen with { Background = TerminalColor.Default };
                    break;
                case 53:
                    pen = pen with { Attributes = pen.Attributes | CellAttributes.Overline };
                    break;
                case 55:
                    pen = pen with { Attributes = pen.Attributes & ~CellAttributes.Overline };
                    break;
                case 38 or 48 or 58:
                    var advance = ExtendedColor(i, out var color);
                    if (color is { } chosen)
                    {
                        pen = p == 38 ? pen with { Foreground = chosen } : p == 48 ? pen with { Background = chosen } : pen;
                    }

                    // Skip the parameters the colour took (its sub-parameters are skipped by the loop).
                    for (var taken = 0; taken < advance && i + 1 < _paramCount; i++)
                    {
                        if (!_subParams[i + 1])
                        {
                            taken++;
                        }
                    }

                    break;
            }
        }

        _pen = pen;
    }

    /// <summary>
    /// The colour of 38/48/58 at parameter <paramref name="at"/>, read the way xterm.js reads it: into the slots
    /// [target, mode, colour space, c1, c2, c3], from its sub-parameters (the colour space slot is the third of
    /// "2:cs:r:g:b" and of "2:r:g:b" alike, so the latter reads as g, b, 0) or from the parameters after it (which have
    /// no colour space); mode 2 is RGB (c1-c3), 5 a palette index (c1); empty values are 0. Returns how many
    /// parameters after <paramref name="at"/> it took; <paramref name="color"/> is null for another mode.
    /// </summary>
    private int ExtendedColor(int at, out TerminalColor? color)
    {
        Span<int> slots = [0, 0, -1, 0, 0, 0];
        Span<int> main = stackalloc int[MaxParams];
        var mainCount = 0;
        var mainIndex = 0;
        for (var i = 0; i < _paramCount; i++)
        {
            if (!_subParams[i])
            {
                if (i == at)
                {
                    mainIndex = mainCount;
                }

                main[mainCount++] = i;
            }
        }

        var colorSpace = 0;
        var advance = 0;
        do
        {
            var slot = main[mainIndex + advance];
            slots[advance + colorSpace] = Math.Max(0, _params[slot]);
            if (slot + 1 < _paramCount && _subParams[slot + 1])
            {
                var sub = 0;
                do
                {
                    if (slots[1] == 5)
                    {
                        colorSpace = 1;
                    }

                    slots[advance + sub + 1 + colorSpace] = _params[slot + 1 + sub];
                }
                while (++sub + slot + 1 < _paramCount && _subParams[slot + 1 + sub] && sub + advance + 1 + colorSpace < slots.Length);

                break;
            }

            if ((slots[1] == 5 && advance + colorSpace >= 2) || (slots[1] == 2 && advance + colorSpace >= 5))
            {
                break;
            }

            if (slots[1] != 0)
            {
                colorSpace = 1;
            }
        }
        while (++advance + mainIndex < mainCount && advance + colorSpace < slots.Length);

        for (var i = 2; i < slots.Length; i++)
        {
            if (slots[i] == -1)
            {
                slots[i] = 0;
            }
        }

        color = slots[1] switch
        {
            2 => TerminalColor.FromRgb((byte)slots[3], (byte)slots[4], (byte)slots[5]),
            5 => TerminalColor.FromIndex((byte)slots[3]),
            _ => null,
        };
        return advance;
    }

    private void SetAnsiMode(int mode, bool on)
    {
        switch (mode)
        {
            case 4:
                _modes.InsertMode = on;
                break;
            case 20:
                _modes.NewLineMode = on;
                break;
        }
    }

    private void SetPrivateMode(int mode, bool on, bool first)
    {
        switch (mode)
        {
            case 1:
                _modes.ApplicationCursorKeys = on;
                break;
            case 66:
                _modes.ApplicationKeypad = on;
                break;
            case 2004:
                _modes.BracketedPaste = on;
                break;
            case 1004:
                _modes.FocusEvents = on;
                break;
            case 9 or 1000 or 1002 or 1003:
                _modes.MouseTracking = !on ? MouseTracking.None : mode switch
                {
                    9 => MouseTracking.X10,
                    1000 => MouseTracking.Normal,
                    1002 => MouseTracking.ButtonEvent,
                    _ => MouseTracking.AnyEvent,
                };
                break;
            case 1005 or 1006 or 1015:
                _modes.MouseEncoding = !on ? MouseEncoding.Default : mode switch
                {
                    1005 => MouseEncoding.Utf8,
                    1006 => MouseEncoding.Sgr,
                    _ => MouseEncoding.Urxvt,
                };
                break;
            case 6 when first:
                _modes.OriginMode = on;
                break;
            case 7 when first:
                _modes.AutoWrap = on;
                break;
            case 69 when first:
                LeftRightMarginMode = on;
                break;
            case 1048 or 1049 when first:
                _stop = on ? ScanStop.CursorSaved : ScanStop.CursorRestored;
                break;
        }
    }

    // DECSTBM as libvterm 0.1.4 applies it (state.c), the full screen stored as (0, 0). (libvterm tells a bottom
    // margin that reaches the last row from the default one, a difference only a resize shows; resizes reset both.)
    private void SetScrollRegion()
    {
        var top = Math.Clamp((Param(0) < 0 ? 1 : Param(0)) - 1, 0, _rows);
        var bottom = _paramCount < 2 || Param(1) < 0 ? _rows : Math.Min(Param(1), _rows);
        if (bottom <= top)
        {
            top = 0;
            bottom = _rows;
        }

        _modes.ScrollTop = top;
        _modes.ScrollBottom = top == 0 && bottom == _rows ? 0 : bottom;
    }
}

/// <summary>Why <see cref="ModeScanner.Scan"/> stopped before the end of its input.</summary>
internal enum ScanStop
{
    None,
    CursorSaved,
    CursorRestored,
    Repeat,
    SkipParameters,

    /// <summary>After SGR's final byte (or DECSTR): <see cref="ModeScanner.Pen"/> is the new pen.</summary>
    Sgr,

    /// <summary>After the two bytes that open a string (ESC and its introducer).</summary>
    StringStarted,

    /// <summary>After the string's terminator (or before the ESC that ended it).</summary>
    StringEnded,

    /// <summary>With <see cref="ModeScanner.StopAtGround"/>: the sequence in progress has ended.</summary>
    SequenceEnd,
}
