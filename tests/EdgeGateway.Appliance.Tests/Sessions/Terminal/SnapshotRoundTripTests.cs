using System.Text;
using EdgeGateway.Appliance.Sessions.Terminal;
using EdgeGateway.Protocol.Stream;

namespace EdgeGateway.Appliance.Tests.Sessions.Terminal;

/// <summary>
/// A snapshot written into a fresh terminal of the same size reproduces the screen exactly: every cell (characters,
/// width, style), the cursor, the pen and the tracked modes.
/// </summary>
[Trait("Area", "Ssh")]
public sealed class SnapshotRoundTripTests
{
    private static readonly TerminalSize Standard = new(80, 24);

    public static TheoryData<string, string> Sessions => new()
    {
        { "colours", Colours() },
        { "top", Top() },
        { "vim", Vim() },
        { "wide and combining", WideAndCombining() },
        { "line drawing", "\e(0lqqqqk\r\nx    x\r\nmqqqqj\e(B ok \e)0\x0eqq\x0f done\r\n\e)0\x0e" },
        { "origin mode", "\e[5;15r\e[?6h\e[3;4Hinside\e[?7l" + new string('w', 100) + "\e[4h\e[20h" },
        { "pen left on", "\e[1;3;32mprompt$ \e[48;2;10;20;30m" },
        { "reverse video and cursor style", "\e[?5h\e[5 q\e[?2004h\e[?1004h\e[?1002h\e[?1015hreverse" },
        { "hidden cursor, DECCKM, keypad", "\e[?1h\e=\e[?25l\e[10;20Hx\e[?9h" },
        { "full last row", "\e[24;1H" + new string('z', 80) },
        { "blank", string.Empty },
    };

    [Theory]
    [MemberData(nameof(Sessions))]
    public void Snapshot_reproduces_the_screen(string name, string output)
    {
        using var original = new VirtualTerminal(Standard);
        original.Write(Encoding.UTF8.GetBytes(output));
        using var replica = TerminalAssert.ReplaySnapshot(original, out var bytes);

        using var expected = original.Capture();
        using var actual = replica.Capture();
        TerminalAssert.SameScreen(expected, actual, name);
        Assert.True(bytes < 6_000, $"{name}: {bytes} bytes");
    }

    [Theory]
    [MemberData(nameof(Sessions))]
    public void Snapshot_reproduces_the_screen_when_output_arrives_byte_by_byte(string name, string output)
    {
        using var original = new VirtualTerminal(Standard);
        foreach (var b in Encoding.UTF8.GetBytes(output))
        {
            original.Write([b]);
        }

        using var whole = new VirtualTerminal(Standard);
        whole.Write(Encoding.UTF8.GetBytes(output));
        using var replica = TerminalAssert.ReplaySnapshot(original, out _);

        using var expected = whole.Capture();
        using var split = original.Capture();
        using var actual = replica.Capture();
        TerminalAssert.SameScreen(expected, split, name + " (split)");
        TerminalAssert.SameScreen(expected, actual, name);
    }

    [Fact]
    public void Tracked_modes_are_the_ones_the_application_set()
    {
        using var terminal = new VirtualTerminal(Standard);
        terminal.Write(Encoding.UTF8.GetBytes(Vim()));
        var modes = terminal.Modes;
        Assert.True(modes.AltScreen);
        Assert.True(modes.ApplicationCursorKeys);
        Assert.True(modes.ApplicationKeypad);
        Assert.True(modes.BracketedPaste);
        Assert.Equal(MouseTracking.Normal, modes.MouseTracking);
        Assert.Equal(MouseEncoding.Sgr, modes.MouseEncoding);
        Assert.Equal((0, 23), (modes.ScrollTop, modes.ScrollBottom));
        Assert.Equal(CursorShape.Block, modes.CursorShape);
        Assert.False(modes.CursorBlink);

        terminal.Write("\e[r\e[?1049l\e[?2004l\e[?1000l\e[?1006l\e[?1l\e>\e[0 q"u8);
        Assert.Equal(default, terminal.Modes);

        terminal.Write(Encoding.UTF8.GetBytes(Top()));
        Assert.False(terminal.CursorVisible);
        Assert.True(terminal.Modes.ApplicationCursorKeys);
        terminal.Write("\ec"u8);
        Assert.Equal(default, terminal.Modes);
    }

    [Fact]
    public void Snapshot_of_a_fresh_terminal_is_empty()
    {
        using var terminal = new VirtualTerminal(Standard);
        using var replica = TerminalAssert.ReplaySnapshot(terminal, out var bytes);
        Assert.Equal(0, bytes);
    }

    [Fact]
    public void Snapshot_is_compact()
    {
        using var terminal = new VirtualTerminal(Standard);
        var top = Encoding.UTF8.GetBytes(Top());
        terminal.Write(top);
        using var replica = TerminalAssert.ReplaySnapshot(terminal, out var bytes);

        // top's own full redraw is the yardstick: the snapshot must not cost more.
        Assert.True(bytes <= top.Length, $"snapshot {bytes} bytes, top's output {top.Length} bytes");
    }

    internal static string Colours()
    {
        var text = new StringBuilder();
        for (var i = 0; i < 16; i++)
        {
            text.Append($"\e[{(i < 8 ? 30 + i : 90 + i - 8)}m{i:x}");
        }

        text.Append("\e[0m\r\n");
        for (var i = 0; i < 256; i += 5)
        {
            text.Append($"\e[48;5;{i}m \e[38;5;{255 - i}m#");
        }

        text.Append("\e[0m\r\n");
        for (var i = 0; i < 64; i++)
        {
            text.Append($"\e[38;2;{i * 4};{255 - (i * 4)};{i}m\e[48;2;0;{i};{i * 2}m*");
        }

        text.Append("\e[0m\r\n\e[1mbold\e[22m \e[3mitalic\e[23m \e[4munder\e[24m \e[4:2mdouble\e[4:3mcurly\e[24m ");
        text.Append("\e[5mblink\e[25m \e[7mreverse\e[27m \e[9mstrike\e[29m \e[1;4;7;31;43mall\e[0m\r\n");
        text.Append("\e[44m\e[Kblue to the end\r\n\e[41m\e[10Xten red\e[0m\r\n");
        text.Append("\e[7m   reverse spaces   \e[0m   plain   \e[45m   magenta   \e[0m\r\n");
        text.Append("\e[32mgreen \e[39mdefault fg \e[42mgreen bg\e[49m default bg\e[m");
        return text.ToString();
    }

    internal static string Top()
    {
        var text = new StringBuilder("\e[?1h\e=\e[?25l\e[H\e[2J");
        text.Append("top - 12:00:01 up 3 days,  4:05,  2 users,  load average: 0.52, 0.58, 0.59\e[K\r\n");
        text.Append("Tasks: \e[1m 231 \e[m\e[39;49mtotal,\e[1m   1 \e[m\e[39;49mrunning,\e[1m 230 \e[m\e[39;49msleeping\e[K\r\n");
        text.Append("%Cpu(s):\e[1m  3.1 \e[m\e[39;49mus,\e[1m  1.0 \e[m\e[39;49msy,\e[1m 95.8 \e[m\e[39;49mid\e[K\r\n");
        text.Append("MiB Mem :\e[1m  15895.2 \e[m\e[39;49mtotal,\e[1m   8123.4 \e[m\e[39;49mfree\e[K\r\n\e[K\r\n");
        text.Append("\e[7m    PID USER      PR  NI    VIRT    RES    SHR S  %CPU  %MEM     TIME+ COMMAND    \e[m\e[39;49m\e[K\r\n");
        string[] commands = ["systemd", "kthreadd", "sshd", "bash", "top", "edge-gateway", "containerd", "journald"];
        for (var i = 0; i < 17; i++)
        {
            var bold = i == 0 ? "\e[1m" : string.Empty;
            text.Append($"{bold}{1000 + (i * 37),7} root      20   0 {163_000 + (i * 11),7} {12_000 + i,6} {8_000 + i,6} S {i % 7,5:0.0} {i % 3,5:0.0} {i,5}:{i:00}.{i:00} {commands[i % commands.Length],-11}\e[m\e[39;49m\e[K");
            if (i < 16)
            {
                text.Append("\r\n");
            }
        }

        text.Append("\e[J\e[6;1H");
        return text.ToString();
    }

    internal static string Vim()
    {
        var text = new StringBuilder("\e[?1049h\e[22;0;0t\e[>4;2m\e[?1h\e=\e[H\e[2J\e[?2004h\e[?1000h\e[?1006h\e[2 q");
        text.Append("\e[1;23r\e[H");
        for (var i = 0; i < 23; i++)
        {
            text.Append(i < 12 ? $"\e[33m{i + 1,3} \e[mline {i} of the file" : "\e[94m~\e[m");
            text.Append("\e[K\r\n");
        }

        // Scroll the text region up twice (status line untouched), then draw the new lines.
        text.Append("\e[23;1H\n\n\e[22;1H\e[33m 13 \e[mnew line 13\e[K\e[23;1H\e[33m 14 \e[mnew line 14\e[K");
        text.Append("\e[24;1H\e[7m file.txt [+]                                        14,5           All\e[m");
        text.Append("\e[12;5H");
        return text.ToString();
    }

    internal static string WideAndCombining() =>
        "日本語のテキスト 中文 한국어\r\n" +
        "emoji: 😀 🎉 ✓ – and ｆｕｌｌｗｉｄｔｈ\r\n" +
        "cafe\u0301 nai\u0308ve e\u0301\u0302\u0323 z\u0335\u0336\r\n" +
        "\e[31m红\e[42m绿\e[0m|\e[5;79H宽\e[6;78H宽x\e[7;1H\e[1;35mé\e[0m";
}
