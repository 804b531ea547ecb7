namespace EdgeGateway.Appliance.Sessions.Rdp;

/// <summary>
/// One RDP keyboard event: a scancode (MS-RDPBCGR 2.2.8.1.1.3.1.1.1, set 1, with <see cref="RdpKeyboard.Extended"/> for
/// the E0-prefixed keys) or a UTF-16 code unit (2.2.8.1.1.3.1.1.2); <see cref="RdpKeyboard.Release"/> in
/// <paramref name="Flags"/> for a key going up.
/// </summary>
internal readonly record struct RdpKeyEvent(bool Unicode, ushort Flags, ushort Code)
{
    public static RdpKeyEvent Scan(ushort code, bool extended, bool down) =>
        new(false, (ushort)((extended ? RdpKeyboard.Extended : 0) | (down ? 0 : RdpKeyboard.Release)), code);

    public static RdpKeyEvent Text(char unit, bool down) => new(true, down ? (ushort)0 : RdpKeyboard.Release, unit);
}

/// <summary>
/// X keysyms from the page (<c>KeyInput</c>) to RDP keyboard events, for one session (it tracks which modifiers are down).
/// Printable characters go as Unicode events when the server takes them and no Ctrl, Alt or Super is held (so any
/// layout types what the user typed); otherwise as US-layout scancodes, with Shift pressed or released around the key
/// as the character needs. Named keys (Return, arrows, F1–F12, modifiers, …) always go as scancodes, with the extended
/// flag where the PC keyboard sends E0. Ctrl+Alt+Del from the page's button (Control_L, Alt_L, Delete) is three
/// scancodes. Not thread-safe: the session's one input pump calls it.
/// </summary>
internal sealed class RdpKeyboard
{
    /// <summary>KBD_FLAGS_EXTENDED.</summary>
    public const ushort Extended = 0x0100;

    /// <summary>KBD_FLAGS_RELEASE.</summary>
    public const ushort Release = 0x8000;

    private const ushort LeftShift = 0x2A;
    private const ushort RightShift = 0x36;

    // Named keysyms → (scancode, extended).
    private static readonly Dictionary<uint, (ushort Code, bool Extended)> Named = new()
    {
        [0xFF08] = (0x0E, false), // BackSpace
        [0xFF09] = (0x0F, false), // Tab
        [0xFE20] = (0x0F, false), // ISO_Left_Tab (Shift+Tab)
        [0xFF0D] = (0x1C, false), // Return
        [0xFF8D] = (0x1C, true),  // KP_Enter
        [0xFF1B] = (0x01, false), // Escape
        [0xFFFF] = (0x53, true),  // Delete
        [0xFF63] = (0x52, true),  // Insert
        [0xFF50] = (0x47, true),  // Home
        [0xFF57] = (0x4F, true),  // End
        [0xFF55] = (0x49, true),  // Page_Up
        [0xFF56] = (0x51, true),  // Page_Down
        [0xFF51] = (0x4B, true),  // Left
        [0xFF52] = (0x48, true),  // Up
        [0xFF53] = (0x4D, true),  // Right
        [0xFF54] = (0x50, true),  // Down
        [0xFFBE] = (0x3B, false), // F1 … F10: 0x3B … 0x44
        [0xFFBF] = (0x3C, false),
        [0xFFC0] = (0x3D, false),
        [0xFFC1] = (0x3E, false),
        [0xFFC2] = (0x3F, false),
        [0xFFC3] = (0x40, false),
        [0xFFC4] = (0x41, false),
        [0xFFC5] = (0x42, false),
        [0xFFC6] = (0x43, false),
        [0xFFC7] = (0x44, false),
        [0xFFC8] = (0x57, false), // F11
        [0xFFC9] = (0x58, false), // F12
        [0xFFE1] = (LeftShift, false), // Shift_L
        [0xFFE2] = (RightShift, false), // Shift_R
        [0xFFE3] = (0x1D, false), // Control_L
        [0xFFE4] = (0x1D, true),  // Control_R
        [0xFFE9] = (0x38, false), // Alt_L
        [0xFFEA] = (0x38, true),  // Alt_R
        [0xFFE7] = (0x5B, true),  // Meta_L → left Windows key
        [0xFFE8] = (0x5C, true),  // Meta_R
        [0xFFEB] = (0x5B, true),  // Super_L
        [0xFFEC] = (0x5C, true),  // Super_R
        [0xFF67] = (0x5D, true),  // Menu (application key)
        [0xFFE5] = (0x3A, false), // Caps_Lock
        [0xFF7F] = (0x45, false), // Num_Lock
        [0xFF14] = (0x46, false), // Scroll_Lock
        [0xFF61] = (0x37, true),  // Print
    };

    // US layout, printable ASCII 0x20–0x7E → (scancode, shift).
    private static readonly (ushort Code, bool Shift)[] Ascii = BuildAscii();

    private bool _leftShift;
    private bool _rightShift;
    private int _ctrl;
    private int _alt;
    private int _super;

    /// <summary>True while a Ctrl, Alt or Super key is down: characters then go as scancodes (shortcuts).</summary>
    public bool ShortcutHeld => _ctrl > 0 || _alt > 0 || _super > 0;

    /// <summary>
    /// The events for one key going down or up. Empty when the keysym has no RDP form here (a character outside US
    /// ASCII on a server without Unicode input, keysyms this mapping does not know, AltGr: the characters it makes
    /// arrive as their own keysyms).
    /// </summary>
    /// <param name="keysym">X keysym (X11 keysymdef.h; Unicode characters as 0x01000000 + code point).</param>
    /// <param name="down">True for a press.</param>
    /// <param name="unicodeInput">The server takes Unicode keyboard events.</param>
    public IReadOnlyList<RdpKeyEvent> Map(uint keysym, bool down, bool unicodeInput)
    {
        if (Named.TryGetValue(keysym, out var named))
        {
            Track(keysym, down);
            return [RdpKeyEvent.Scan(named.Code, named.Extended, down)];
        }

        var codePoint = CodePoint(keysym);
        if (codePoint < 0)
        {
            return [];
        }

        if (unicodeInput && !ShortcutHeld)
        {
            var text = char.ConvertFromUtf32(codePoint);
            return text.Length == 1 ? [RdpKeyEvent.Text(text[0], down)] : [RdpKeyEvent.Text(text[0], down), RdpKeyEvent.Text(text[1], down)];
        }

        if (codePoint is < 0x20 or > 0x7E)
        {
            return [];
        }

        var (code, shift) = Ascii[codePoint - 0x20];
        if (!down)
        {
            return [RdpKeyEvent.Scan(code, false, false)];
        }

        var shiftHeld = _leftShift || _rightShift;
        if (shift == shiftHeld || (char.IsAsciiLetter((char)codePoint) && ShortcutHeld && !shiftHeld))
        {
            // Ctrl+C arrives as keysym 'c' or 'C' depending on the page; without Shift held, a letter is the plain key.
            return [RdpKeyEvent.Scan(code, false, true)];
        }

        if (shift)
        {
            return [RdpKeyEvent.Scan(LeftShift, false, true), RdpKeyEvent.Scan(code, false, true), RdpKeyEvent.Scan(LeftShift, false, false)];
        }

        // A character typed without Shift while a Shift is held: let go of the held Shift(s) around it.
        var events = new List<RdpKeyEvent>(5);
        if (_leftShift)
        {
            events.Add(RdpKeyEvent.Scan(LeftShift, false, false));
        }

        if (_rightShift)
        {
            events.Add(RdpKeyEvent.Scan(RightShift, false, false));
        }

        events.Add(RdpKeyEvent.Scan(code, false, true));
        if (_leftShift)
        {
            events.Add(RdpKeyEvent.Scan(LeftShift, false, true));
        }

        if (_rightShift)
        {
            events.Add(RdpKeyEvent.Scan(RightShift, false, true));
        }

        return events;
    }

    /// <summary>The Unicode code point a keysym types, or -1 (X11: Latin-1 keysyms are their code points; 0x01000000 + code point for the rest).</summary>
    public static int CodePoint(uint keysym) => keysym switch
    {
        >= 0x20 and <= 0x7E or >= 0xA0 and <= 0xFF => (int)keysym,
        >= 0x01000020 and <= 0x0110FFFF when !IsSurrogateOrControl(keysym - 0x01000000) => (int)(keysym - 0x01000000),
        0x20AC => 0x20AC, // EuroSign
        _ => -1,
    };

    private static bool IsSurrogateOrControl(uint codePoint) => codePoint is >= 0xD800 and <= 0xDFFF or >= 0x7F and < 0xA0;

    private void Track(uint keysym, bool down)
    {
        var step = down ? 1 : -1;
        switch (keysym)
        {
            case 0xFFE1:
                _leftShift = down;
                break;
            case 0xFFE2:
                _rightShift = down;
                break;
            case 0xFFE3 or 0xFFE4:
                _ctrl = Math.Clamp(_ctrl + step, 0, 2);
                break;
            case 0xFFE9 or 0xFFEA:
                _alt = Math.Clamp(_alt + step, 0, 2);
                break;
            case 0xFFE7 or 0xFFE8 or 0xFFEB or 0xFFEC:
                _super = Math.Clamp(_super + step, 0, 4);
                break;
        }
    }

    private static (ushort, bool)[] BuildAscii()
    {
        var table = new (ushort, bool)[0x7F - 0x20];
        void Row(string plain, string shifted, ushort first)
        {
            for (var i = 0; i < plain.Length; i++)
            {
                table[plain[i] - 0x20] = ((ushort)(first + i), false);
                table[shifted[i] - 0x20] = ((ushort)(first + i), true);
            }
        }

        Row("1234567890-=", "!@#$%^&*()_+", 0x02);
        Row("qwertyuiop[]", "QWERTYUIOP{}", 0x10);
        Row("asdfghjkl;'`", "ASDFGHJKL:\"~", 0x1E);
        Row("zxcvbnm,./", "ZXCVBNM<>?", 0x2C);
        table['\\' - 0x20] = (0x2B, false);
        table['|' - 0x20] = (0x2B, true);
        table[0] = (0x39, false); // space
        return table;
    }
}

/// <summary>
/// The page's pointer (an RFB button mask: 1 left, 2 middle, 4 right, 8/16 wheel up/down, 32/64 wheel left/right, as
/// <c>display.js</c> sends it) to RDP pointer events (MS-RDPBCGR 2.2.8.1.1.3.1.1.3): a move, then one event per button
/// that changed, then a wheel notch per wheel bit that went down.
/// </summary>
internal static class RdpPointer
{
    /// <summary>PTR_FLAGS_MOVE.</summary>
    public const ushort Move = 0x0800;

    /// <summary>PTR_FLAGS_DOWN.</summary>
    public const ushort Down = 0x8000;

    /// <summary>PTR_FLAGS_BUTTON1 (left).</summary>
    public const ushort Button1 = 0x1000;

    /// <summary>PTR_FLAGS_BUTTON2 (right).</summary>
    public const ushort Button2 = 0x2000;

    /// <summary>PTR_FLAGS_BUTTON3 (middle).</summary>
    public const ushort Button3 = 0x4000;

    /// <summary>PTR_FLAGS_WHEEL.</summary>
    public const ushort Wheel = 0x0200;

    /// <summary>PTR_FLAGS_HWHEEL.</summary>
    public const ushort HorizontalWheel = 0x0400;

    /// <summary>PTR_FLAGS_WHEEL_NEGATIVE: the 9-bit rotation is negative.</summary>
    public const ushort WheelNegative = 0x0100;

    /// <summary>One notch (WHEEL_DELTA, 120), as the low bits of the flags.</summary>
    public const ushort Notch = 0x0078;

    /// <summary>Events for a pointer frame: <paramref name="previous"/> is the mask of the frame before.</summary>
    public static IReadOnlyList<ushort> Events(byte previous, byte mask)
    {
        var events = new List<ushort>(3) { Move };
        Button(1, Button1);
        Button(2, Button3);
        Button(4, Button2);
        Notches(8, Wheel | Notch);
        Notches(16, Wheel | WheelNegative | (0x100 - Notch));
        Notches(32, HorizontalWheel | WheelNegative | (0x100 - Notch)); // left: negative horizontal rotation
        Notches(64, HorizontalWheel | Notch);
        return events;

        void Button(byte bit, ushort flag)
        {
            if ((previous & bit) != (mask & bit))
            {
                events.Add((ushort)(flag | ((mask & bit) != 0 ? Down : 0)));
            }
        }

        void Notches(byte bit, int flags)
        {
            if ((mask & bit) != 0 && (previous & bit) == 0)
            {
                events.Add((ushort)flags);
            }
        }
    }
}
