using System.Text;
using EdgeGateway.Appliance.Sessions;
using EdgeGateway.Appliance.Sessions.Terminal;
using EdgeGateway.Protocol.Stream;
using EdgeGateway.Testing;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGateway.Appliance.Tests.Sessions.Terminal;

/// <summary>
/// The screen a late joiner or a throttled viewer gets is the screen the device drew: each output below goes through
/// the appliance's terminal path (<see cref="TerminalStreamer"/>) and what a viewer then shows in xterm.js 6 (the
/// page's terminal, Unicode 11 widths) — from (a) the raw frames, (b) a keyframe taken after the output, (c) screen
/// updates under a tiny budget, entered before the output or in its middle — is compared, cell by cell (text, width,
/// every attribute xterm.js draws), with cursor and modes, against the same bytes written straight to xterm.js.
/// A final "Z" written to both shows that the pen (and a pending wrap) carried over too.
/// </summary>
[Trait("Area", "SshField")]
public sealed class ScreenParityTests(XtermHeadless xterm) : IClassFixture<XtermHeadless>
{
    private static readonly TerminalSize DefaultSize = new(80, 6);
    private static readonly byte[] Probe = "Z"u8.ToArray();

    // Pen-neutral bytes (NUL is ignored by every terminal) that exceed the smallest burst: screen updates take over.
    private static readonly byte[] Flood = new byte[1_200];

    private static readonly Dictionary<string, (byte[] Output, TerminalSize Size)> Cases = BuildCases();

    private static readonly string[] SplitCaseNames =
    [
        "utf8 2-byte", "utf8 3-byte euro", "utf8 4-byte emoji", "utf8 wide cjk", "osc title bel", "osc title st", "dcs", "csi sgr",
        "csi cup", "esc save restore", "colon truecolor", "combining mark", "not utf8",
    ];

    public static TheoryData<string> AllCases => new(Cases.Keys.Order(StringComparer.Ordinal));

    public static TheoryData<string> SplitCases => new(SplitCaseNames);

    [Theory]
    [MemberData(nameof(AllCases))]
    public async Task Viewers_show_what_xterm_shows_for_the_raw_output(string name)
    {
        var (output, size) = Cases[name];
        await CheckAsync(size, [output], name);
    }

    [Theory]
    [MemberData(nameof(SplitCases))]
    public async Task Output_split_at_any_byte_shows_the_same(string name)
    {
        var (bytes, size) = Cases[name];
        for (var at = 1; at < bytes.Length; at++)
        {
            await CheckAsync(size, [bytes[..at], bytes[at..]], $"{name}, split at byte {at}");
        }
    }

    [Fact]
    public async Task Output_split_into_single_bytes_shows_the_same()
    {
        foreach (var name in SplitCaseNames)
        {
            var (bytes, size) = Cases[name];
            await CheckAsync(size, bytes.Select(b => new[] { b }).ToArray(), $"{name}, byte by byte");
        }
    }

    [Fact]
    public async Task Every_code_point_is_as_wide_as_xterm_js_makes_it()
    {
        var widths = await xterm.WidthsAsync();
        using var terminal = new VirtualTerminal(new TerminalSize(8, 1));
        Span<byte> input = stackalloc byte[16];
        "\r\e[Ka"u8.CopyTo(input);
        var wrong = new List<string>();
        for (var codePoint = 0xA0; codePoint < widths.Length; codePoint++)
        {
            if (widths[codePoint] < 0)
            {
                continue;
            }

            var length = 5 + new Rune(codePoint).EncodeToUtf8(input[5..]);
            terminal.Write(input[..length]);
            var width = terminal.CursorColumn - 1;
            if (width != widths[codePoint] && wrong.Count < 20)
            {
                wrong.Add($"U+{codePoint:X4}: {width} instead of {widths[codePoint]}");
            }

            if (codePoint % 4099 == 0 || (width != 1 && codePoint % 97 == 0))
            {
                // The cell holds the character itself (not the stand-in libvterm laid it out with).
                using var state = terminal.Capture();
                var cell = width == 0 ? state[0, 0] : state[0, 1];
                var expected = width == 0 ? "a" + char.ConvertFromUtf32(codePoint) : char.ConvertFromUtf32(codePoint);
                if (cell.Text != expected && wrong.Count < 20)
                {
                    wrong.Add($"U+{codePoint:X4}: cell holds '{cell.Text}'");
                }
            }
        }

        Assert.True(wrong.Count == 0, string.Join('\n', wrong));
    }

    private async Task CheckAsync(TerminalSize size, byte[][] chunks, string context)
    {
        var expected = await xterm.RenderAsync(size, [.. chunks, Probe]);

        // (a) the raw frames, (b) a late joiner's keyframe.
        var (raw, keyframe) = await RunAsync(size, chunks, new TerminalStreamOptions(), floodFirst: false, lateJoiner: true);
        await AssertSameAsync(expected, size, raw, $"{context}: raw frames");
        await AssertSameAsync(expected, size, keyframe, $"{context}: keyframe for a late joiner");

        // (c) screen updates: from before the output, and from its last chunk on.
        var tiny = new TerminalStreamOptions { BudgetBytesPerSecond = 1_000, BurstBytes = 1_024 };
        var (syncFirst, _) = await RunAsync(size, [[.. Flood, .. chunks[0]], .. chunks[1..]], tiny, floodFirst: true, lateJoiner: false);
        await AssertSameAsync(await xterm.RenderAsync(size, [Flood, .. chunks, Probe]), size, syncFirst, $"{context}: screen updates from the start");
        var (syncLast, _) = await RunAsync(size, [.. chunks[..^1], [.. chunks[^1], .. Flood]], tiny, floodFirst: false, lateJoiner: false);
        await AssertSameAsync(await xterm.RenderAsync(size, [.. chunks, Flood, Probe]), size, syncLast, $"{context}: screen updates from the last chunk");
    }

    private async Task AssertSameAsync(XtermScreen expected, TerminalSize size, List<byte[]> writes, string context)
    {
        var actual = await xterm.RenderAsync(size, [.. writes, Probe]);
        if (expected.Difference(actual) is { } difference)
        {
            Assert.Fail($"{context}: {difference}");
        }
    }

    /// <summary>
    /// Streams the chunks (time passing between them when <paramref name="floodFirst"/>, so updates go up with a
    /// sequence half-received) until screen updates are over; returns what a viewer that joined at the start writes
    /// into its terminal, and a late joiner's keyframe.
    /// </summary>
    private static async Task<(List<byte[]> Viewer, List<byte[]> LateJoiner)> RunAsync(TerminalSize size, byte[][] chunks, TerminalStreamOptions options, bool floodFirst, bool lateJoiner)
    {
        var time = new FakeTimeProvider();
        var sink = new RecordingSink();
        var streamer = new TerminalStreamer(size, sink, options, time, new RecordingLogger<TerminalStreamer>());
        await using (streamer)
        {
            await streamer.StartAsync(default);
            foreach (var chunk in chunks)
            {
                await streamer.OnOutputAsync(chunk, default);
                if (floodFirst)
                {
                    time.Advance(options.SyncInterval);
                }
            }

            for (var ticks = 0; streamer.InSyncMode; ticks++)
            {
                Assert.True(ticks < 600, "Screen updates never ended.");
                time.Advance(options.SyncInterval);
            }

            var viewer = Writes(sink.Frames);
            List<byte[]> joiner = [];
            if (lateJoiner)
            {
                await streamer.SendKeyframeAsync(default);
                joiner = Writes(sink.Frames);
            }

            return (viewer, joiner);
        }
    }

    // A viewer starts at the newest keyframe and writes every output frame after it.
    private static List<byte[]> Writes(List<SentFrame> frames)
    {
        var start = frames.FindLastIndex(f => f.Type == FrameType.TerminalSnapshot);
        Assert.True(start >= 0, "No keyframe was sent.");
        var writes = new List<byte[]> { frames[start].Payload[TerminalSize.EncodedSize..] };
        foreach (var frame in frames.Skip(start + 1))
        {
            Assert.Equal(FrameType.TerminalOutput, frame.Type);
            writes.Add(frame.Payload);
        }

        return writes;
    }

    private static Dictionary<string, (byte[], TerminalSize)> BuildCases()
    {
        var cases = new Dictionary<string, (byte[], TerminalSize)>();
        void Add(string name, string output, TerminalSize? size = null) => cases.Add(name, (Encoding.UTF8.GetBytes(output), size ?? DefaultSize));

        // The reported ones.
        Add("dim and concealed", "\e[2mdim\e[0m \e[8mhidden\e[0m\n");
        Add("utf8 3-byte euro", "A\u20ac|\r\n");
        Add("colon truecolor", "\e[38:2::255:128:0mB\e[0m\r\n");
        Add("emoji in the last column", new string(' ', 78) + "y\U0001F600|\r\n");

        // Every SGR attribute xterm.js draws, set, combined and reset.
        foreach (var (attribute, set, reset) in new[]
        {
            ("bold", "1", "22"), ("dim", "2", "22"), ("italic", "3", "23"), ("underline", "4", "24"), ("blink", "5", "25"),
            ("inverse", "7", "27"), ("conceal", "8", "28"), ("strike", "9", "29"), ("overline", "53", "55"),
            ("double underline", "21", "24"), ("underline 4:1", "4:1", "4:0"), ("underline 4:2", "4:2", "24"),
            ("curly underline", "4:3", "24"), ("dotted underline", "4:4", "24"), ("dashed underline", "4:5", "24"),
        })
        {
            Add($"sgr {attribute}", $"a\e[{set}mb c\e[{reset}md \e[{set}me\e[0mf\r\n\e[{set}m");
        }

        Add("sgr bold and dim, 22 clears both", "\e[1;2mA\e[22mB\e[2mC\e[1mD\e[0m\r\n");
        Add("sgr everything at once", "\e[1;2;3;4;5;7;8;9;53mX\e[0mY\e[1;2;3;4;5;7;9;53;31;42mW\e[m\r\n");
        Add("sgr more than 16 parameters", "\e[1;2;3;4;5;7;9;53;31;42;22;23;24;25;27;29;55;2;8;35;46mX\e[m\r\n");
        Add("sgr reset by empty and 0", "\e[2;8;53mA\e[mB\e[2;53mC\e[0mD\r\n");
        Add("sgr rapid blink and unknown", "\e[6mA\e[m\e[73mB\e[m\e[26;50;60;65mC\e[m\r\n");
        Add("sgr fonts are not drawn", "\e[11mA\e[12;2mB\e[10mC\e[m\r\n");
        Add("16 colours", string.Concat(Enumerable.Range(0, 8).Select(i => $"\e[3{i}mf\e[4{i}mb\e[9{i}mF\e[10{i}mB")) + "\e[39mx\e[49my\e[m\r\n");
        Add("256 colours", string.Concat(new[] { 0, 7, 8, 15, 16, 100, 231, 232, 255 }.Select(i => $"\e[38;5;{i}mf\e[48;5;{i}mb")) + "\e[m\r\n");
        Add("truecolor", "\e[38;2;255;128;0mA\e[48;2;1;2;3mB\e[38;2;0;0;0mC\e[m\r\n");
        Add("colon colours", "\e[38:5:196mA\e[48:5:21mB\e[38:2:10:20:30mC\e[48:2::40:50:60mD\e[38:2:0:1:2:3mE\e[m\r\n");
        Add("underline colour", "\e[4;58:2::255:0:0mA\e[58;5;34mB\e[58;2;1;2;3mC\e[59mD\e[58:5:200;4:3mE\e[m\r\n");
        Add("underline colour does not leak", "\e[58;5;5mA\e[58;2;9;9;9mB\e[m\r\n");
        Add("erase keeps only the background", "\e[1;2;3;4;7;8;9;53;31;42mX\e[K\e[m\r\n\e[4;53;44mY\e[3X\e[m\r\n");
        Add("erase screen in inverse", "A\e[7;33;44m\e[2J\e[m\e[HB");
        Add("printed spaces keep their attributes", "\e[4m   \e[7m  \e[53m  \e[9m  \e[2;8m  \e[41m  \e[m|\r\n");
        Add("scrolled in lines take the background", "\e[44;4m\r\n\n\n\n\n\n\e[m|");
        Add("saved cursor keeps dim and conceal", "\e[2;8;53;4:3m\e7\e[0mA\e8B\e[m\r\n");
        Add("alternate screen and back", "\e[2mA\e[?1049h\e[8mB\e[?1049lC\e[m\r\n");
        Add("insert and delete keep attributes", "\e[2;53mABCDEF\e[m\e[1;3H\e[2@\e[2P\e[m\r\n");

        // Sequences that arrive in pieces.
        Add("utf8 2-byte", "A\u00e9|\r\n");
        Add("utf8 4-byte emoji", "A\U0001F600|\r\n");
        Add("utf8 wide cjk", "A\u4e2d\u6587|\r\n");
        Add("osc title bel", "A\e]0;my title\aB\r\n");
        Add("osc title st", "A\e]2;title\e\\B\r\n");
        Add("dcs", "A\eP$q m\e\\B\r\n");
        Add("csi sgr", "A\e[1;31mR\e[0mB\r\n");
        Add("csi cup", "A\e[2;5H*\e[10GB");
        Add("esc save restore", "AB\e7\r\nCD\e8E");
        Add("combining mark", "e\u0301x\u0308\u0304|\r\n");

        // Bytes that are not UTF-8: Latin-1 from an old device, broken, overlong, surrogate and out-of-range sequences.
        cases.Add("not utf8", ([.. "Temp"u8, 0xE9, .. "rature A"u8, 0xE2, 0x82, .. "B "u8, 0x82, 0xFF, 0xC0, 0xAF, 0xED, 0xA0, 0x80, 0xF4, 0x90, 0x80, 0x80, .. "|\r\n"u8], DefaultSize));

        // Every width class, with Unicode 11 widths as the page uses them.
        Add("wide cjk in the last column", new string(' ', 79) + "\u4e2d|\r\n");
        Add("wide cjk", "\u4e2d\u6587\uac00\u3042\uff21|\uff71|\U00020000|\r\n");
        Add("emoji", "\U0001F600\u231a\u2614\u26a1\U0001F970|\U0001F971|\U0001FA70|\r\n");
        Add("emoji with variation selectors", "\u2764\ufe0f|\u263a\ufe0f|#\ufe0f\u20e3|\U0001F600\ufe0e|\r\n");
        Add("emoji sequences", "\U0001F468\u200d\U0001F469\u200d\U0001F467|\U0001F44D\U0001F3FD|\U0001F1E9\U0001F1EA|\r\n");
        Add("combining marks", "a\u0300\u0301b\u0488c\u1ab0d\u20dd\u4e2d\u0301|\r\n");
        Add("zero width", "a\u200bb\u200cc\u200dd\u2060e\ufeff|\u00ad|\r\n");
        Add("ambiguous", "\u00a7\u03b1\u2460\u25a0\u2192\u00b1\u2500|\r\n");
        Add("hangul jamo", "\u1100\u1161\u11a8|\u1160|\r\n");
        Add("wide at the last column wraps, narrow does not", new string('x', 79) + "\u00e9\u4e2d|\r\n");
        return cases;
    }

    private sealed class RecordingSink : IFrameSink
    {
        public List<SentFrame> Frames { get; } = [];

        public ValueTask SendAsync(FrameType type, FrameFlags flags, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
        {
            Frames.Add(new SentFrame(type, flags, payload.ToArray()));
            return ValueTask.CompletedTask;
        }
    }
}
