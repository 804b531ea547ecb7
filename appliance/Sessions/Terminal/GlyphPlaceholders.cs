namespace EdgeGateway.Appliance.Sessions.Terminal;

/// <summary>
/// Makes libvterm 0.1.4 lay out characters with Unicode 11 widths, as the page's xterm.js does. libvterm decides a
/// character's width from its own table (no API to change it), so a character whose width differs
/// (<see cref="UnicodeWidths"/>) reaches libvterm as a stand-in of the right width, and captured cells map it back:
/// <list type="bullet">
/// <item>width 2: a code point of U+3F000-U+3FFFD (unassigned, wide to libvterm);</item>
/// <item>width 1: U+10F000-U+10FFFD (private use, narrow to libvterm);</item>
/// <item>width 0: U+E0100-U+E01EF (variation selectors, zero-width to libvterm: joined to the glyph before).</item>
/// </list>
/// Device output in those ranges is itself routed through a stand-in, so every stand-in in libvterm's cells is one
/// this table handed out. Stand-ins are given out per terminal as characters come and reused oldest first when a pool
/// runs out (4094, 4094 and 240 distinct characters): a screen that shows more distinct such characters at once than
/// a pool holds may show an older one wrongly. Memory: a pool is allocated on first use.
/// </summary>
internal sealed class GlyphPlaceholders
{
    private const uint WideBase = 0x3F000;
    private const uint NarrowBase = 0x10F000;
    private const uint ZeroBase = 0xE0100;
    private const int WideCount = 4094;
    private const int NarrowCount = 4094;
    private const int ZeroCount = 240;

    private readonly Pool[] _pools = [new(ZeroBase, ZeroCount), new(NarrowBase, NarrowCount), new(WideBase, WideCount)];
    private readonly Dictionary<uint, uint> _placeholders = [];

    /// <summary>The Unicode 11 width to lay <paramref name="codePoint"/> out with when it needs a stand-in; else -1.</summary>
    public static int RoutedWidth(uint codePoint) => codePoint switch
    {
        >= WideBase and < WideBase + WideCount => 2,
        >= NarrowBase and < NarrowBase + NarrowCount => 1,
        >= ZeroBase and < ZeroBase + ZeroCount => 0,
        _ => UnicodeWidths.Override(codePoint),
    };

    /// <summary>The stand-in for <paramref name="codePoint"/>, whose width is <paramref name="width"/> (see <see cref="RoutedWidth"/>).</summary>
    public uint PlaceholderFor(uint codePoint, int width)
    {
        if (_placeholders.TryGetValue(codePoint, out var placeholder))
        {
            return placeholder;
        }

        var pool = _pools[width];
        var slot = pool.Next;
        pool.Next = (pool.Next + 1) % pool.Count;
        pool.Chars ??= new uint[pool.Count];
        if (pool.Chars[slot] != 0)
        {
            _placeholders.Remove(pool.Chars[slot]);
        }

        pool.Chars[slot] = codePoint;
        placeholder = pool.Base + (uint)slot;
        _placeholders[codePoint] = placeholder;
        return placeholder;
    }

    /// <summary>The character a code point read from libvterm stands for.</summary>
    public uint Resolve(uint codePoint)
    {
        foreach (var pool in _pools)
        {
            if (codePoint >= pool.Base && codePoint < pool.Base + (uint)pool.Count)
            {
                var original = pool.Chars?[codePoint - pool.Base] ?? 0;
                return original != 0 ? original : 0xFFFD;
            }
        }

        return codePoint;
    }

    private sealed class Pool(uint @base, int count)
    {
        public uint Base { get; } = @base;

        public int Count { get; } = count;

        public int Next { get; set; }

        public uint[]? Chars { get; set; }
    }
}
