using System.Buffers;
using System.Text;
using EdgeGateway.Appliance.Sessions.Terminal;
using EdgeGateway.Protocol.Stream;

namespace EdgeGateway.Appliance.Tests.Sessions.Terminal;

/// <summary>
/// Property: a terminal at state s1 that receives RenderDiff(s1, s2) is at s2 (cells, cursor, pen, modes), and then
/// behaves like the original: the same further output leaves both at the same state.
/// </summary>
[Trait("Area", "Ssh")]
public sealed class DiffRoundTripTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public void Diff_brings_the_receiver_to_the_new_state(int seed)
    {
        var random = new Random(seed);
        for (var run = 0; run < 40; run++)
        {
            var size = new TerminalSize(random.Next(1, 41), random.Next(1, 13));
            using var original = new VirtualTerminal(size);
            size = original.Size;
            original.Write(RandomOutput.Next(random, size, edits: random.Next(1, 30)));
            using var receiver = TerminalAssert.ReplaySnapshot(original, out _);
            var from = original.Capture();
            try
            {
                for (var step = 0; step < 8; step++)
                {
                    var context = $"seed {seed} run {run} step {step}";
                    if (random.Next(12) == 0)
                    {
                        size = new TerminalSize(random.Next(1, 41), random.Next(1, 13));
                        original.Resize(size);
                        receiver.Resize(size);
                        size = original.Size;
                    }

                    original.Write(RandomOutput.Next(random, size, edits: random.Next(1, 40)));
                    var to = original.Capture();
                    var diff = new ArrayBufferWriter<byte>();
                    VirtualTerminal.RenderDiff(from, to, diff);
                    receiver.Write(diff.WrittenSpan);
                    using (var actual = receiver.Capture())
                    {
                        TerminalAssert.SameScreen(to, actual, context);
                    }

                    from.Dispose();
                    from = to;

                    // The receiver's hidden state (pen, modes, scroll region, character sets) matches too: the same
                    // output keeps both equal. It starts with an absolute move: a pending wrap is not reproduced.
                    if (random.Next(2) == 0)
                    {
                        var more = Encoding.UTF8.GetBytes($"\e[{random.Next(1, size.Rows + 1)};{random.Next(1, size.Columns + 1)}H")
                            .Concat(RandomOutput.Next(random, size, edits: random.Next(1, 20))).ToArray();
                        var exits = original.AltScreenExits;
                        original.Write(more);
                        receiver.Write(more);
                        from.Dispose();
                        from = original.Capture();
                        if (original.AltScreenExits != exits && !original.AltScreen)
                        {
                            // Back on a normal screen the receiver kept from before it was brought to the alternate
                            // one by a diff: what the streamer does then is repaint.
                            var repaint = new ArrayBufferWriter<byte>();
                            VirtualTerminal.RenderRepaint(viewerAltScreen: false, from, repaint);
                            receiver.Write(repaint.WrittenSpan);
                        }

                        using var actual = receiver.Capture();
                        TerminalAssert.SameScreen(from, actual, context + " (then raw)");
                    }
                }
            }
            finally
            {
                from.Dispose();
            }
        }
    }

    [Fact]
    public void Scrolled_output_costs_the_new_lines_only()
    {
        var size = new TerminalSize(80, 24);
        using var terminal = new VirtualTerminal(size);
        for (var i = 0; i < 40; i++)
        {
            terminal.Write(Encoding.UTF8.GetBytes($"log line {i}: something happened on the plant floor\r\n"));
        }

        using var from = terminal.Capture();
        terminal.Write("log line 40: one more\r\nlog line 41: and another\r\n"u8);
        using var to = terminal.Capture();
        var diff = new ArrayBufferWriter<byte>();
        VirtualTerminal.RenderDiff(from, to, diff);

        Assert.True(diff.WrittenCount < 80, $"{diff.WrittenCount} bytes: {Encoding.UTF8.GetString(diff.WrittenSpan)}");
        using var receiver = new VirtualTerminal(size);
        using (var replica = TerminalAssert.ReplaySnapshot(terminal, out _))
        {
        }
    }

    [Fact]
    public void Identical_states_need_no_bytes()
    {
        using var terminal = new VirtualTerminal(new TerminalSize(80, 24));
        terminal.Write(Encoding.UTF8.GetBytes(SnapshotRoundTripTests.Vim()));
        using var a = terminal.Capture();
        using var b = terminal.Capture();
        var diff = new ArrayBufferWriter<byte>();
        VirtualTerminal.RenderDiff(a, b, diff);
        Assert.Equal(0, diff.WrittenCount);
    }

    [Fact]
    public void Full_change_falls_back_to_a_repaint_no_larger_than_a_snapshot()
    {
        var size = new TerminalSize(80, 24);
        using var terminal = new VirtualTerminal(size);
        terminal.Write(Encoding.UTF8.GetBytes(SnapshotRoundTripTests.Colours()));
        using var from = terminal.Capture();
        terminal.Write(Encoding.UTF8.GetBytes("\e[H\e[2J" + SnapshotRoundTripTests.Top()));
        using var to = terminal.Capture();

        var diff = new ArrayBufferWriter<byte>();
        VirtualTerminal.RenderDiff(from, to, diff);
        var snapshot = new ArrayBufferWriter<byte>();
        VirtualTerminal.RenderSnapshot(to, snapshot);
        Assert.True(diff.WrittenCount <= snapshot.WrittenCount + 16, $"diff {diff.WrittenCount}, snapshot {snapshot.WrittenCount}");

        using var receiver = new VirtualTerminal(size);
        receiver.Write(Encoding.UTF8.GetBytes(SnapshotRoundTripTests.Colours()));
        receiver.Write(diff.WrittenSpan);
        using var actual = receiver.Capture();
        TerminalAssert.SameScreen(to, actual);
    }
}

/// <summary>Random but well-formed terminal output: text, moves, styles, erases, scrolls and mode changes.</summary>
internal static class RandomOutput
{
    private static readonly string[] Words = ["plant", "valve", "ok", "PLC", "høj", "naïve", "température", "x", "--", "|", "0123456789"];
    private static readonly string[] Wide = ["中", "文", "日本", "한", "😀", "ｆ", "🎉"];
    private static readonly string[] Combining = ["\u0301", "\u0308", "\u0323\u0302"];

    public static byte[] Next(Random random, TerminalSize size, int edits)
    {
        var text = new StringBuilder();
        for (var i = 0; i < edits; i++)
        {
            Append(random, size, text);
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static void Append(Random random, TerminalSize size, StringBuilder text)
    {
        var row = random.Next(1, size.Rows + 1);
        var column = random.Next(1, size.Columns + 1);
        switch (random.Next(27))
        {
            case 0 or 1 or 2 or 3:
                text.Append(Words[random.Next(Words.Length)]).Append(' ');
                break;
            case 4:
                text.Append(Wide[random.Next(Wide.Length)]);
                break;
            case 5:
                // After a non-ASCII base: libvterm decodes an ASCII base separately once a G0 set is designated, and
                // then drops a mark that follows it in the last column (a libvterm-only quirk, see the report).
                text.Append("éüøñ"[random.Next(4)]).Append(Combining[random.Next(Combining.Length)]);
                break;
            case 6 or 7:
                text.Append($"\e[{row};{column}H");
                break;
            case 8:
                text.Append(random.Next(4) switch { 0 => "\r\n", 1 => "\n", 2 => "\t", _ => "\b" });
                break;
            case 9 or 10:
                text.Append(Sgr(random));
                break;
            case 11:
                text.Append($"\e[{random.Next(3)}K");
                break;
            case 12:
                text.Append(random.Next(8) == 0 ? "\e[2J" : $"\e[{random.Next(2)}J");
                break;
            case 13:
                text.Append($"\e[{random.Next(1, 6)}{"X@PLM"[random.Next(5)]}");
                break;
            case 14:
                text.Append(random.Next(3) switch { 0 => $"\e[{random.Next(1, 4)}S", 1 => $"\e[{random.Next(1, 4)}T", _ => "\eM" });
                break;
            case 15:
                text.Append(random.Next(3) == 0 ? "\e[r" : $"\e[{random.Next(1, size.Rows)};{random.Next(2, size.Rows + 1)}r");
                break;
            case 16:
                text.Append($"\e[?{PrivateModes[random.Next(PrivateModes.Length)]}{(random.Next(2) == 0 ? 'h' : 'l')}");
                break;
            case 17:
                text.Append(random.Next(4) switch
                {
                    0 => $"\e[{(random.Next(2) == 0 ? 4 : 20)}{(random.Next(2) == 0 ? 'h' : 'l')}",
                    1 => random.Next(2) == 0 ? "\e=" : "\e>",
                    2 => $"\e[{random.Next(7)} q",
                    _ => random.Next(20) == 0 ? "\ec" : "\e[m",
                });
                break;
            case 18:
                text.Append(random.Next(5) switch
                {
                    0 => "\e(0",
                    1 => "\e(B",
                    2 => "\e)0",
                    3 => "\x0e",
                    _ => "\x0f",
                }).Append("lqk");
                break;
            case 19:
                text.Append(random.Next(2) == 0 ? "\e[?1049h" : "\e[?1049l");
                break;
            case 20:
                text.Append(new string((char)random.Next('A', 'Z' + 1), random.Next(1, size.Columns * 2)));
                break;
            case 21:
                text.Append(random.Next(4) switch
                {
                    0 => "\e7",
                    1 => "\e8",
                    2 => "\e[?1048h",
                    _ => "\e[?1048l",
                });
                break;
            case 22:
                // REP after a character (ncurses uses it when terminfo has "rep").
                text.Append(random.Next(2) == 0 ? "=" : "文").Append($"\e[{random.Next(0, 3 * size.Columns)}b");
                break;
            case 23:
                text.Append(random.Next(4) switch
                {
                    0 => "\e]0;a title\a",
                    1 => "\eP$qr\e\\",
                    2 => "\e[6n\e[c\e[>c",
                    _ => "\e[!p",
                });
                break;
            default:
                text.Append(Words[random.Next(Words.Length)]);
                break;
        }
    }

    private static readonly int[] PrivateModes = [1, 5, 6, 7, 9, 12, 25, 1000, 1002, 1003, 1004, 1005, 1006, 1015, 1047, 2004];

    private static string Sgr(Random random) => random.Next(9) switch
    {
        0 => "\e[0m",
        1 => $"\e[{random.Next(30, 38)}m",
        2 => $"\e[{random.Next(90, 98)};{random.Next(40, 48)}m",
        3 => $"\e[38;5;{random.Next(256)}m",
        4 => $"\e[48;2;{random.Next(256)};{random.Next(256)};{random.Next(256)}m",
        5 => $"\e[{new[] { 1, 3, 4, 5, 7, 9, 21, 22, 23, 24, 25, 27, 29, 39, 49, 11, 10 }[random.Next(17)]}m",
        6 => "\e[4:3m",
        7 => random.Next(3) == 0
            ? $"\e[{string.Join(';', Enumerable.Range(0, random.Next(14, 40)).Select(_ => random.Next(0, 10)))}m"
            : $"\e[38;2;{random.Next(256)};{random.Next(256)};{random.Next(256)};48;5;{random.Next(256)}m",
        _ => "\e[1;7;32;44m",
    };
}
