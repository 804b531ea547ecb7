namespace EdgeGateway.Appliance.Sessions.Terminal;

/// <summary>
/// SGR for the two terminals a pen is written to: a viewer's xterm.js (<see cref="WriteForViewer"/>, every attribute it
/// draws) and the appliance's own libvterm 0.1.4 (<see cref="WriteForLibvterm"/>), which has no cell bits for faint,
/// concealed, overline or the dotted and dashed underlines. Those ride in libvterm's alternative-font field (SGR 10-19,
/// which xterm.js does not draw, so device fonts are dropped) and, for dotted and dashed, its underline field:
/// <list type="bullet">
/// <item>underline none/straight/double/curly: underline = the style, font = faint | concealed &lt;&lt; 1 | overline &lt;&lt; 2 (0-7);</item>
/// <item>dotted/dashed without overline: font = 8/9, underline = faint | concealed &lt;&lt; 1;</item>
/// <item>dotted/dashed with overline does not fit in the ten fonts: kept as a straight underline.</item>
/// </list>
/// libvterm moves, saves and restores these fields with the cell and the pen like any attribute, so no shadow state is
/// needed; <see cref="Decode"/> reads them back.
/// </summary>
internal static class Sgr
{
    /// <summary>Longest output of either writer.</summary>
    public const int MaxBytes = 192;

    /// <summary>
    /// SGR sequences that turn a viewer's pen <paramref name="from"/> into <paramref name="to"/> (after SGR 0 when
    /// <paramref name="reset"/>): more than one when the parameters exceed libvterm's 16 per sequence (the viewer in
    /// tests is libvterm too). Returns the byte count.
    /// </summary>
    public static int WriteForViewer(Span<byte> destination, CellStyle from, CellStyle to, bool reset)
    {
        var sgr = new SgrWriter(destination);
        if (reset)
        {
            sgr.Add("0"u8);
        }

        // SGR 22 clears bold and faint together.
        const CellAttributes BoldOrDim = CellAttributes.Bold | CellAttributes.Dim;
        var current = from.Attributes;
        if ((current & BoldOrDim & ~to.Attributes) != 0)
        {
            sgr.Add("22"u8);
            current &= ~BoldOrDim;
        }

        var added = to.Attributes & ~current;
        var removed = current & ~to.Attributes;
        Flag(ref sgr, added, removed, CellAttributes.Bold, "1"u8, "22"u8);
        Flag(ref sgr, added, removed, CellAttributes.Dim, "2"u8, "22"u8);
        Flag(ref sgr, added, removed, CellAttributes.Italic, "3"u8, "23"u8);
        if (from.Underline != to.Underline)
        {
            sgr.Add(to.Underline switch
            {
                UnderlineStyle.None => "24"u8,
                UnderlineStyle.Straight => "4"u8,
                UnderlineStyle.Doubled => "4:2"u8,
                UnderlineStyle.Curly => "4:3"u8,
                UnderlineStyle.Dotted => "4:4"u8,
                _ => "4:5"u8,
            });
        }

        Flag(ref sgr, added, removed, CellAttributes.Blink, "5"u8, "25"u8);
        Flag(ref sgr, added, removed, CellAttributes.Reverse, "7"u8, "27"u8);
        Flag(ref sgr, added, removed, CellAttributes.Conceal, "8"u8, "28"u8);
        Flag(ref sgr, added, removed, CellAttributes.Strike, "9"u8, "29"u8);
        Flag(ref sgr, added, removed, CellAttributes.Overline, "53"u8, "55"u8);
        if (from.Foreground != to.Foreground)
        {
            sgr.AddColor(to.Foreground, foreground: true);
        }

        if (from.Background != to.Background)
        {
            sgr.AddColor(to.Background, foreground: false);
        }

        return sgr.Finish();
    }

    /// <summary>The whole pen for libvterm, encoded as described on <see cref="Sgr"/>. Returns the byte count.</summary>
    public static int WriteForLibvterm(Span<byte> destination, CellStyle pen)
    {
        var sgr = new SgrWriter(destination);
        sgr.Add("0"u8);
        var attributes = pen.Attributes;
        Flag(ref sgr, attributes, CellAttributes.None, CellAttributes.Bold, "1"u8, default);
        Flag(ref sgr, attributes, CellAttributes.None, CellAttributes.Italic, "3"u8, default);
        Flag(ref sgr, attributes, CellAttributes.None, CellAttributes.Blink, "5"u8, default);
        Flag(ref sgr, attributes, CellAttributes.None, CellAttributes.Reverse, "7"u8, default);
        Flag(ref sgr, attributes, CellAttributes.None, CellAttributes.Strike, "9"u8, default);
        var (underline, font) = Encode(attributes, pen.Underline);
        switch (underline)
        {
            case 1:
                sgr.Add("4"u8);
                break;
            case 2:
                sgr.Add("4:2"u8);
                break;
            case 3:
                sgr.Add("4:3"u8);
                break;
        }

        if (font != 0)
        {
            sgr.Add(10 + font);
        }

        if (pen.Foreground != TerminalColor.Default)
        {
            sgr.AddColor(pen.Foreground, foreground: true);
        }

        if (pen.Background != TerminalColor.Default)
        {
            sgr.AddColor(pen.Background, foreground: false);
        }

        return sgr.Finish();
    }

    /// <summary>libvterm's underline (0-3) and font (0-9) fields for what libvterm cannot hold itself.</summary>
    public static (int Underline, int Font) Encode(CellAttributes attributes, UnderlineStyle underline)
    {
        var extras = ((attributes & CellAttributes.Dim) != 0 ? 1 : 0)
            | ((attributes & CellAttributes.Conceal) != 0 ? 2 : 0)
            | ((attributes & CellAttributes.Overline) != 0 ? 4 : 0);
        if (underline <= UnderlineStyle.Curly)
        {
            return ((int)underline, extras);
        }

        return (attributes & CellAttributes.Overline) == 0
            ? (extras & 3, underline == UnderlineStyle.Dotted ? 8 : 9)
            : (1, extras);
    }

    /// <summary>The faint, concealed and overline flags and the underline style held in libvterm's two fields.</summary>
    public static (CellAttributes Attributes, UnderlineStyle Underline) Decode(int underline, int font)
    {
        if (font >= 8)
        {
            var attributes = ((underline & 1) != 0 ? CellAttributes.Dim : 0) | ((underline & 2) != 0 ? CellAttributes.Conceal : 0);
            return (attributes, font == 8 ? UnderlineStyle.Dotted : UnderlineStyle.Dashed);
        }

        return (
            ((font & 1) != 0 ? CellAttributes.Dim : 0) | ((font & 2) != 0 ? CellAttributes.Conceal : 0) | ((font & 4) != 0 ? CellAttributes.Overline : 0),
            (UnderlineStyle)(underline & 3));
    }

    private static void Flag(ref SgrWriter sgr, CellAttributes added, CellAttributes removed, CellAttributes flag, ReadOnlySpan<byte> on, ReadOnlySpan<byte> off)
    {
        if ((added & flag) != 0)
        {
            sgr.Add(on);
        }
        else if ((removed & flag) != 0 && flag is not (CellAttributes.Bold or CellAttributes.Dim))
        {
            sgr.Add(off);
        }
    }
}

/// <summary>Writes SGR parameters, closing the sequence and opening another before it would pass 16.</summary>
internal ref struct SgrWriter(Span<byte> destination)
{
    private const int MaxParameters = 16;
    private const byte Esc = 0x1B;
    private readonly Span<byte> _destination = destination;
    private int _length;
    private int _parameters;
    private bool _open;

    public void Add(ReadOnlySpan<byte> parameter)
    {
        // "4:3" is two parameters to libvterm.
        Begin(parameter.Count((byte)':') + 1);
        parameter.CopyTo(_destination[_length..]);
        _length += parameter.Length;
    }

    public void Add(int value)
    {
        Begin(1);
        value.TryFormat(_destination[_length..], out var written);
        _length += written;
    }

    public void AddColor(TerminalColor color, bool foreground)
    {
        var basis = foreground ? 30 : 40;
        switch (color.Kind)
        {
            case TerminalColorKind.Default:
                Add(basis + 9);
                break;
            case TerminalColorKind.Indexed when color.Index < 8:
                Add(basis + color.Index);
                break;
            case TerminalColorKind.Indexed when color.Index < 16:
                Add(basis + 60 + color.Index - 8);
                break;
            case TerminalColorKind.Indexed:
                Begin(3);
                Number(basis + 8, 5, color.Index);
                break;
            default:
                Begin(5);
                Number(basis + 8, 2, color.Red, color.Green, color.Blue);
                break;
        }
    }

    public int Finish()
    {
        if (_open)
        {
            _destination[_length++] = (byte)'m';
        }

        return _length;
    }

    private void Number(params ReadOnlySpan<int> values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            if (i > 0)
            {
                _destination[_length++] = (byte)';';
            }

            values[i].TryFormat(_destination[_length..], out var written);
            _length += written;
        }
    }

    private void Begin(int parameters)
    {
        if (_open && _parameters + parameters > MaxParameters)
        {
            _destination[_length++] = (byte)'m';
            _open = false;
        }

        if (_open)
        {
            _destination[_length++] = (byte)';';
        }
        else
        {
            _destination[_length++] = Esc;
            _destination[_length++] = (byte)'[';
            _open = true;
            _parameters = 0;
        }

        _parameters += parameters;
    }
}
