using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace EdgeGateway.Appliance.Sessions.Terminal;

/// <summary>
/// One screen cell as the appliance keeps it: up to <see cref="MaxChars"/> code points (a base character and its
/// combining marks), wide-glyph flags and a <see cref="CellStyle"/>. 36 bytes with no padding, so rows compare as bytes.
/// </summary>
/// <remarks>
/// Normalised on capture: an erased cell and a cell holding a single space are the same blank cell (they look the
/// same on every terminal), and the right half of a wide glyph carries no style of its own.
/// </remarks>
[StructLayout(LayoutKind.Sequential)]
public readonly struct TerminalCell : IEquatable<TerminalCell>
{
    /// <summary>Most code points one cell holds (libvterm's limit).</summary>
    public const int MaxChars = 6;

    private const byte WideFlag = 1;
    private const byte ContinuationFlag = 2;

    private readonly CellChars _chars;
    private readonly uint _foreground;
    private readonly uint _background;
    private readonly ushort _attributes;
    private readonly byte _reserved; // keeps the struct free of padding (rows compare as bytes)
    private readonly byte _flags;

    internal TerminalCell(ReadOnlySpan<uint> chars, bool wide, CellStyle style)
    {
        var count = Math.Min(chars.Length, MaxChars);
        for (var i = 0; i < count; i++)
        {
            _chars[i] = chars[i];
        }

        _flags = wide ? WideFlag : (byte)0;
        _foreground = style.Foreground.Value;
        _background = style.Background.Value;
        _attributes = CellStyle.Pack(style.Attributes, style.Underline);
        _reserved = 0;
    }

    private TerminalCell(byte flags) => _flags = flags;

    /// <summary>The right half of a wide glyph.</summary>
    public static TerminalCell Continuation { get; } = new(ContinuationFlag);

    /// <summary>A blank cell with the default style.</summary>
    public static TerminalCell Blank => default;

    /// <summary>Columns this cell's glyph takes: 2 for a wide glyph, 0 for its right half, else 1.</summary>
    public int Width => (_flags & ContinuationFlag) != 0 ? 0 : (_flags & WideFlag) != 0 ? 2 : 1;

    /// <summary>True for the left half of a wide glyph.</summary>
    public bool IsWide => (_flags & WideFlag) != 0;

    /// <summary>True for the right half of a wide glyph (it has no characters of its own).</summary>
    public bool IsContinuation => (_flags & ContinuationFlag) != 0;

    /// <summary>True when the cell shows no character (erased, or a space).</summary>
    public bool IsBlank => _chars[0] == 0 && _flags == 0;

    /// <summary>The cell's style. A blank cell's style still shows (background colour, reverse video).</summary>
    public CellStyle Style => new(
        CellStyle.UnpackAttributes(_attributes), CellStyle.UnpackUnderline(_attributes),
        new TerminalColor(_foreground), new TerminalColor(_background));

    /// <summary>Number of code points (0 for a blank cell).</summary>
    public int CharCount
    {
        get
        {
            var count = 0;
            while (count < MaxChars && _chars[count] != 0)
            {
                count++;
            }

            return IsContinuation ? 0 : count;
        }
    }

    /// <summary>The <paramref name="index"/>th code point; index below <see cref="CharCount"/>.</summary>
    public uint GetChar(int index) => _chars[index];

    /// <summary>The characters as a string ("" when blank). Allocates: for tests and diagnostics.</summary>
    public string Text
    {
        get
        {
            var builder = new StringBuilder();
            for (var i = 0; i < CharCount; i++)
            {
                builder.Append(Rune.IsValid(_chars[i]) ? new Rune(_chars[i]).ToString() : "\uFFFD");
            }

            return builder.ToString();
        }
    }

    internal bool HasDefaultStyle => _foreground == 0 && _background == 0 && _attributes == 0;

    /// <summary>
    /// True when only the background is set: what an erase (EL, ECH) leaves behind with that pen (xterm.js erases with
    /// the pen's background alone).
    /// </summary>
    internal bool HasErasableStyle => _attributes == 0 && _foreground == 0;

    /// <summary>The same cell with no characters, its style down to what shows without a glyph.</summary>
    internal TerminalCell WithoutText() => new([], wide: false, CellStyle.ForBlank(Style));

    /// <summary>The same characters and style, one column wide.</summary>
    internal TerminalCell AsNarrow()
    {
        Span<uint> chars = stackalloc uint[MaxChars];
        var count = CharCount;
        for (var i = 0; i < count; i++)
        {
            chars[i] = _chars[i];
        }

        return new TerminalCell(chars[..count], wide: false, Style);
    }

    /// <summary>Writes the cell's characters as UTF-8; returns the byte count (at most 24).</summary>
    internal int EncodeUtf8(Span<byte> destination)
    {
        var written = 0;
        for (var i = 0; i < MaxChars && _chars[i] != 0; i++)
        {
            var rune = Rune.IsValid(_chars[i]) ? new Rune(_chars[i]) : Rune.ReplacementChar;
            written += rune.EncodeToUtf8(destination[written..]);
        }

        return written;
    }

    internal static bool RowsEqual(ReadOnlySpan<TerminalCell> a, ReadOnlySpan<TerminalCell> b) =>
        MemoryMarshal.AsBytes(a).SequenceEqual(MemoryMarshal.AsBytes(b));

    public bool Equals(TerminalCell other) =>
        MemoryMarshal.AsBytes(new ReadOnlySpan<TerminalCell>(in this)).SequenceEqual(MemoryMarshal.AsBytes(new ReadOnlySpan<TerminalCell>(in other)));

    public override bool Equals(object? obj) => obj is TerminalCell other && Equals(other);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(MemoryMarshal.AsBytes(new ReadOnlySpan<TerminalCell>(in this)));
        return hash.ToHashCode();
    }

    public override string ToString() => IsContinuation ? "<continuation>" : $"'{Text}' w{Width} {Style}";

    public static bool operator ==(TerminalCell left, TerminalCell right) => left.Equals(right);

    public static bool operator !=(TerminalCell left, TerminalCell right) => !left.Equals(right);

    [InlineArray(MaxChars)]
    private struct CellChars
    {
        private uint _element0;
    }
}

/// <summary>SGR attributes other than underline and colours: every one xterm.js draws.</summary>
[Flags]
public enum CellAttributes : byte
{
    None = 0,
    Bold = 1,
    Italic = 2,
    Blink = 4,
    Reverse = 8,
    Strike = 16,

    /// <summary>Faint (SGR 2; 22 clears it with bold).</summary>
    Dim = 32,

    /// <summary>Concealed (SGR 8, 28): drawn invisible.</summary>
    Conceal = 64,

    /// <summary>Overline (SGR 53, 55).</summary>
    Overline = 128,
}

/// <summary>Underline style (SGR 4, 4:1-4:5, 21), as xterm.js draws them.</summary>
public enum UnderlineStyle : byte
{
    None = 0,
    Straight = 1,
    Doubled = 2,
    Curly = 3,
    Dotted = 4,
    Dashed = 5,
}

/// <summary>
/// How a cell is drawn: what SGR sets, as far as xterm.js draws it (alternative fonts, SGR 10-19, are not drawn and not
/// kept; nor is the underline colour, SGR 58: see docs/ARCHITECTURE.md). The default value is the default pen.
/// </summary>
/// <param name="Attributes">Bold, faint, italic, blink, reverse, concealed, strike, overline.</param>
/// <param name="Underline">Underline style.</param>
/// <param name="Foreground">Text colour.</param>
/// <param name="Background">Cell colour.</param>
public readonly record struct CellStyle(CellAttributes Attributes, UnderlineStyle Underline, TerminalColor Foreground, TerminalColor Background)
{
    /// <summary>True for the default pen (SGR 0).</summary>
    public bool IsDefault => this == default;

    /// <summary>
    /// The style of a cell without a glyph, down to what shows: the background, unless reverse video or a line
    /// (underline, strike, overline) is drawn across it — then colours and the flags that change them stay. An erase
    /// and a written space then compare alike wherever they look alike.
    /// </summary>
    internal static CellStyle ForBlank(CellStyle style)
    {
        const CellAttributes Drawn = CellAttributes.Reverse | CellAttributes.Strike | CellAttributes.Overline;
        if ((style.Attributes & Drawn) == 0 && style.Underline == UnderlineStyle.None)
        {
            return new CellStyle(CellAttributes.None, UnderlineStyle.None, TerminalColor.Default, style.Background);
        }

        return style with { Attributes = style.Attributes & ~(CellAttributes.Italic | CellAttributes.Blink) };
    }

    internal static ushort Pack(CellAttributes attributes, UnderlineStyle underline) =>
        (ushort)((int)attributes | ((int)underline << 8));

    internal static CellAttributes UnpackAttributes(ushort packed) => (CellAttributes)(packed & 0xFF);

    internal static UnderlineStyle UnpackUnderline(ushort packed) => (UnderlineStyle)((packed >> 8) & 0x7);
}

/// <summary>What kind of colour a <see cref="TerminalColor"/> is.</summary>
public enum TerminalColorKind : byte
{
    /// <summary>The terminal's default foreground or background (SGR 39 / 49).</summary>
    Default = 0,

    /// <summary>An index into the 256-colour palette (0-15 are the ANSI colours).</summary>
    Indexed = 1,

    /// <summary>24-bit colour (SGR 38;2 / 48;2).</summary>
    Rgb = 2,
}

/// <summary>A cell colour, kept as the application chose it: default, palette index, or RGB.</summary>
public readonly record struct TerminalColor
{
    internal TerminalColor(uint value) => Value = value;

    /// <summary>The default colour.</summary>
    public static TerminalColor Default => default;

    /// <summary>Palette colour <paramref name="index"/>.</summary>
    public static TerminalColor FromIndex(byte index) => new(((uint)TerminalColorKind.Indexed << 24) | index);

    /// <summary>A 24-bit colour.</summary>
    public static TerminalColor FromRgb(byte red, byte green, byte blue) =>
        new(((uint)TerminalColorKind.Rgb << 24) | ((uint)red << 16) | ((uint)green << 8) | blue);

    internal uint Value { get; }

    /// <summary>Default, indexed or RGB.</summary>
    public TerminalColorKind Kind => (TerminalColorKind)(Value >> 24);

    /// <summary>The palette index, when <see cref="Kind"/> is <see cref="TerminalColorKind.Indexed"/>.</summary>
    public byte Index => (byte)Value;

    /// <summary>Red, when <see cref="Kind"/> is <see cref="TerminalColorKind.Rgb"/>.</summary>
    public byte Red => (byte)(Value >> 16);

    /// <summary>Green, when <see cref="Kind"/> is <see cref="TerminalColorKind.Rgb"/>.</summary>
    public byte Green => (byte)(Value >> 8);

    /// <summary>Blue, when <see cref="Kind"/> is <see cref="TerminalColorKind.Rgb"/>.</summary>
    public byte Blue => (byte)Value;

    public override string ToString() => Kind switch
    {
        TerminalColorKind.Default => "default",
        TerminalColorKind.Indexed => $"#{Index}",
        _ => $"rgb({Red},{Green},{Blue})",
    };
}
