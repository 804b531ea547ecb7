namespace EdgeGateway.Appliance.Sessions.Terminal;

/// <summary>
/// Terminal state beyond the cells that a browser terminal must share with the device's idea of the terminal,
/// so that it behaves the same after a keyframe: input modes (how keys, paste and mouse are reported), modes that
/// change how later output lands (scroll region, origin, wrap, insert, character sets), and the cursor's looks.
/// The default value is a freshly reset terminal.
/// </summary>
public record struct TerminalModes
{
    private bool _noAutoWrap;
    private bool _cursorHidden;
    private bool _cursorSteady;

    /// <summary>DECCKM (<c>CSI ?1 h</c>): cursor keys send <c>ESC O A</c> rather than <c>CSI A</c>.</summary>
    public bool ApplicationCursorKeys { get; set; }

    /// <summary>DECKPAM (<c>ESC =</c>) / DECKPNM (<c>ESC &gt;</c>).</summary>
    public bool ApplicationKeypad { get; set; }

    /// <summary><c>CSI ?2004 h</c>: pastes are wrapped in <c>CSI 200~</c> ... <c>CSI 201~</c>.</summary>
    public bool BracketedPaste { get; set; }

    /// <summary>Which mouse events are reported (<c>?9</c>, <c>?1000</c>, <c>?1002</c>, <c>?1003</c>).</summary>
    public MouseTracking MouseTracking { get; set; }

    /// <summary>How mouse events are encoded (<c>?1005</c>, <c>?1006</c>, <c>?1015</c>).</summary>
    public MouseEncoding MouseEncoding { get; set; }

    /// <summary><c>CSI ?1004 h</c>: focus in/out is reported.</summary>
    public bool FocusEvents { get; set; }

    /// <summary>DECOM (<c>CSI ?6 h</c>): cursor addressing is relative to the scroll region.</summary>
    public bool OriginMode { get; set; }

    /// <summary>DECAWM (<c>CSI ?7 h</c>, on by default): printing past the last column wraps.</summary>
    public bool AutoWrap
    {
        readonly get => !_noAutoWrap;
        set => _noAutoWrap = !value;
    }

    /// <summary>IRM (<c>CSI 4 h</c>): printed characters push the rest of the line right.</summary>
    public bool InsertMode { get; set; }

    /// <summary>LNM (<c>CSI 20 h</c>): line feed also returns the carriage.</summary>
    public bool NewLineMode { get; set; }

    /// <summary>First row (0-based) of the scroll region (DECSTBM).</summary>
    public int ScrollTop { get; set; }

    /// <summary>Row after the last of the scroll region (0-based); 0 for the whole screen.</summary>
    public int ScrollBottom { get; set; }

    /// <summary>Character set designated to G0 (<c>ESC ( X</c>): the final byte ('0' = DEC line drawing, 'A' = UK), 0 for ASCII.</summary>
    public byte CharsetG0 { get; set; }

    /// <summary>Character set designated to G1 (<c>ESC ) X</c>); 0 for ASCII.</summary>
    public byte CharsetG1 { get; set; }

    /// <summary>SO (0x0E) is in effect: G1 is the active set until SI (0x0F).</summary>
    public bool ShiftOut { get; set; }

    /// <summary>The alternate screen is shown (<c>?1049</c>, <c>?1047</c>).</summary>
    public bool AltScreen { get; set; }

    /// <summary>DECTCEM (<c>CSI ?25 h</c>, on by default).</summary>
    public bool CursorVisible
    {
        readonly get => !_cursorHidden;
        set => _cursorHidden = !value;
    }

    /// <summary>The cursor blinks (DECSCUSR odd values, <c>?12</c>; on by default).</summary>
    public bool CursorBlink
    {
        readonly get => !_cursorSteady;
        set => _cursorSteady = !value;
    }

    /// <summary>Cursor shape (DECSCUSR).</summary>
    public CursorShape CursorShape { get; set; }

    /// <summary>DECSCNM (<c>CSI ?5 h</c>): the whole screen in reverse video.</summary>
    public bool ReverseVideo { get; set; }

    /// <summary>True when the scroll region is the whole screen.</summary>
    public readonly bool HasFullScrollRegion => ScrollTop == 0 && ScrollBottom == 0;
}

/// <summary>Mouse reporting (xterm's private modes 9, 1000, 1002, 1003; one at a time).</summary>
public enum MouseTracking : byte
{
    None = 0,

    /// <summary><c>?9</c>: presses only.</summary>
    X10 = 9,

    /// <summary><c>?1000</c>: presses and releases.</summary>
    Normal = 1,

    /// <summary><c>?1002</c>: also motion with a button down.</summary>
    ButtonEvent = 2,

    /// <summary><c>?1003</c>: all motion.</summary>
    AnyEvent = 3,
}

/// <summary>Mouse report encoding.</summary>
public enum MouseEncoding : byte
{
    /// <summary>Legacy <c>CSI M Cb Cx Cy</c>.</summary>
    Default = 0,

    /// <summary><c>?1005</c>.</summary>
    Utf8 = 1,

    /// <summary><c>?1006</c>: <c>CSI &lt; b ; x ; y M/m</c>.</summary>
    Sgr = 2,

    /// <summary><c>?1015</c>.</summary>
    Urxvt = 3,
}

/// <summary>Cursor shape (DECSCUSR).</summary>
public enum CursorShape : byte
{
    Block = 0,
    Underline = 1,
    Bar = 2,
}
