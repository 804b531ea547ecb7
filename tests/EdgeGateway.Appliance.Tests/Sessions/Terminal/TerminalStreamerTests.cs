using System.Text;
using EdgeGateway.Appliance.Sessions;
using EdgeGateway.Appliance.Sessions.Terminal;
using EdgeGateway.Protocol.Stream;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGateway.Appliance.Tests.Sessions.Terminal;

/// <summary>
/// The streamer forwards output unchanged while the budget allows, switches to screen updates under a burst, and
/// after every frame a viewer that applied all frames shows exactly the emulator's screen.
/// </summary>
[Trait("Area", "Ssh")]
public sealed class TerminalStreamerTests : IAsyncLifetime
{
    private static readonly TerminalSize Size = new(80, 24);
    private readonly FakeTimeProvider _time = new();
    private readonly RecordingLogger<TerminalStreamer> _logger = new();
    private readonly CheckingSink _sink = new(Size);
    private TerminalStreamer _streamer = null!;

    public Task InitializeAsync()
    {
        _streamer = new TerminalStreamer(Size, _sink, new TerminalStreamOptions(), _time, _logger);
        _sink.Streamer = _streamer;
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _streamer.DisposeAsync();
        _sink.Dispose();
        _logger.AssertNoWarnings();
    }

    [Fact]
    public async Task Start_sends_a_keyframe_with_what_was_printed_before()
    {
        await _streamer.OnOutputAsync("\e[1;32mlogin banner\e[m\r\n$ "u8.ToArray(), default);
        Assert.Empty(_sink.Frames);

        await _streamer.StartAsync(default);

        var frame = Assert.Single(_sink.Frames);
        Assert.Equal((FrameType.TerminalSnapshot, FrameFlags.Keyframe), (frame.Type, frame.Flags));
        Assert.True(TerminalSize.TryRead(frame.Payload, out var size));
        Assert.Equal(Size, size);
        Assert.Equal(1, _sink.Checked);
        Assert.Equal(frame.Payload.Length, _streamer.KeyframeBytesSent);
    }

    [Fact]
    public async Task Small_output_is_forwarded_at_once_and_unchanged()
    {
        await _streamer.StartAsync(default);
        var chunks = new List<byte[]>();
        foreach (var text in new[] { "l", "s", " ", "-", "l", "\r\n", "total 0\r\n\e[01;34mdir\e[0m  file\r\n$ ", "\e[?2004h", "v", "\b\e[K" })
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            chunks.Add(bytes);
            await _streamer.OnOutputAsync(bytes, default);
            Assert.False(_streamer.InSyncMode);
        }

        var output = _sink.Frames.Skip(1).ToList();
        Assert.All(output, f => Assert.Equal((FrameType.TerminalOutput, FrameFlags.None), (f.Type, f.Flags)));
        Assert.Equal(chunks.Select(Convert.ToHexString), output.Select(f => Convert.ToHexString(f.Payload)));
        Assert.Equal(chunks.Sum(c => c.Length), _streamer.RawBytesSent);
        Assert.Equal(0, _streamer.SyncBytesSent);
        Assert.Equal(11, _streamer.FramesSent);
        Assert.Equal(11, _sink.Checked);
    }

    [Fact]
    public async Task Keystroke_echoes_are_forwarded_and_never_switch_to_screen_updates()
    {
        await _streamer.StartAsync(default);
        await _streamer.OnOutputAsync("warm up\r\n"u8.ToArray(), default);
        _sink.CheckEveryFrame = false;
        const int Keystrokes = 2_000;
        for (var i = 0; i < Keystrokes; i++)
        {
            _streamer.OnInput("x"u8);
            await _streamer.OnOutputAsync("x"u8.ToArray(), default);
            _time.Advance(TimeSpan.FromMilliseconds(1)); // a fast typist, a thousand keys a second
        }

        Assert.False(_streamer.InSyncMode);
        Assert.Equal(2 + Keystrokes, _streamer.FramesSent);
        Assert.Equal(0, _streamer.SyncBytesSent);
    }

    [Fact]
    public async Task In_a_flood_the_Controllers_echo_goes_up_at_once_not_on_the_next_tick()
    {
        await FloodIntoSyncModeAsync();
        var frames = _sink.Frames.Count;

        // The key is typed; the device echoes it in the middle of its flood: 250 lines before, 250 after.
        _streamer.OnInput("q"u8);
        await _streamer.OnOutputAsync(Lines(300_001, 250, then: "q").Concat(Lines(300_251, 250, then: "")).ToArray(), default);

        Assert.Equal(frames + 1, _sink.Frames.Count); // no tick has passed (fake time)
        using (var shown = _sink.Terminal.Capture())
        {
            Assert.Equal(("300250", "q"), (RowText(shown, Size.Rows - 2), RowText(shown, Size.Rows - 1)));
        }

        // One update per keystroke: the next 'q' in the flood is just output.
        await _streamer.OnOutputAsync(Lines(300_501, 250, then: "q"), default);
        Assert.Equal(frames + 1, _sink.Frames.Count);
        Assert.True(_streamer.InSyncMode);
    }

    [Fact]
    public async Task A_key_typed_as_a_burst_starts_shows_its_echo_in_the_first_screen_update()
    {
        await _streamer.StartAsync(default);
        var bottomRows = new List<string>();
        _sink.Applied = shown => bottomRows.Add(RowText(shown, Size.Rows - 1));

        _streamer.OnInput("q"u8); // still forwarding
        await _streamer.OnOutputAsync(Lines(1, 2_000, then: "q").Concat(Lines(2_001, 2_000, then: "")).ToArray(), default);

        Assert.True(_streamer.InSyncMode);
        Assert.Equal(["q", string.Empty], bottomRows); // the echo's screen, then the end of the chunk
    }

    [Fact]
    public async Task In_a_flood_a_control_key_shows_with_the_next_output()
    {
        await FloodIntoSyncModeAsync();
        var frames = _sink.Frames.Count;

        _streamer.OnInput("\u0003"u8);
        await _streamer.OnOutputAsync(Lines(400_001, 100, then: "^C\r\n$ "), default);

        Assert.Equal(frames + 1, _sink.Frames.Count);
        using var shown = _sink.Terminal.Capture();
        Assert.Equal("$", RowText(shown, Size.Rows - 1));
    }

    [Fact]
    public async Task In_a_flood_input_whose_echo_never_comes_is_forgotten()
    {
        await FloodIntoSyncModeAsync();
        _streamer.OnInput("secret"u8); // echo off: a password prompt
        await FloodAsync(TimeSpan.FromMilliseconds(300));
        var frames = _sink.Frames.Count;

        await _streamer.OnOutputAsync(Lines(500_001, 100, then: "secret"), default);

        Assert.Equal(frames, _sink.Frames.Count); // shown on the next tick like the rest
    }

    [Fact]
    public async Task A_burst_switches_to_screen_updates_within_the_budget_then_back_to_forwarding()
    {
        await _streamer.StartAsync(default);
        await _streamer.OnOutputAsync("$ seq 1 200000\r\n"u8.ToArray(), default);
        var seq = Seq(200_000);
        Assert.InRange(seq.Length, 1_300_000, 1_500_000);

        // The whole burst arrives within one second, in 4 KiB reads.
        const int ReadSize = 4096;
        var reads = (seq.Length + ReadSize - 1) / ReadSize;
        var step = TimeSpan.FromSeconds(1) / reads;
        var sawSyncMode = false;
        for (var offset = 0; offset < seq.Length; offset += ReadSize)
        {
            await _streamer.OnOutputAsync(seq.AsMemory(offset, Math.Min(ReadSize, seq.Length - offset)), default);
            sawSyncMode |= _streamer.InSyncMode;
            _time.Advance(step);
        }

        Assert.True(sawSyncMode);
        Assert.True(_streamer.InSyncMode);

        // The screen catches up on the next update, then forwarding resumes once output is quiet.
        await _streamer.OnOutputAsync("$ "u8.ToArray(), default);
        _time.Advance(TimeSpan.FromMilliseconds(100));
        using (var screen = _streamer.CaptureScreen())
        using (var viewer = _sink.Terminal.Capture())
        {
            TerminalAssert.SameScreen(screen, viewer);
            Assert.Equal("200000", string.Concat(Enumerable.Range(0, 6).Select(c => screen[22, c].Text)));
        }

        _time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.False(_streamer.InSyncMode);

        var total = _sink.PayloadBytes;
        Assert.True(total < 24_000, $"{total} bytes went up for a {seq.Length}-byte burst");
        Assert.True(_streamer.SyncBytesSent < 10_000, $"{_streamer.SyncBytesSent} bytes of screen updates");

        // Forwarding again: the next bytes go up unchanged.
        var echo = "echo done\r\n"u8.ToArray();
        await _streamer.OnOutputAsync(echo, default);
        Assert.Equal(echo, _sink.Frames[^1].Payload);
        Assert.Equal(FrameType.TerminalOutput, _sink.Frames[^1].Type);
        Assert.True(_sink.Checked >= 3);
    }

    [Fact]
    public void The_emulator_follows_the_burst_to_its_last_line()
    {
        var seq = Seq(200_000);
        using var terminal = new VirtualTerminal(new TerminalSize(200, 50));
        for (var offset = 0; offset < seq.Length; offset += 4096)
        {
            terminal.Write(seq.AsSpan(offset, Math.Min(4096, seq.Length - offset)));
        }

        using var screen = terminal.Capture();
        Assert.Equal("200000", string.Concat(Enumerable.Range(0, 6).Select(c => screen[48, c].Text)));
    }

    [Fact]
    public void Skipping_scrolled_off_output_leaves_the_same_screen()
    {
        var random = new Random(42);
        var text = new StringBuilder();
        for (var i = 0; i < 5_000; i++)
        {
            text.Append(random.Next(6) switch
            {
                0 => "\e[1;31merror\e[m: valve 7 stuck\r\n",
                1 => "日本語 line with wide glyphs " + i + "\r\n",
                2 => new string('w', random.Next(1, 200)) + "\r\n",
                3 => "tab\tseparated\tcolumns\r\n",
                4 => "e\u0301\u0323 combining " + i + "\r\n",
                _ => i + "\r\n",
            });
        }

        var bytes = Encoding.UTF8.GetBytes(text.ToString());
        using var fast = new VirtualTerminal(Size);
        using var slow = new VirtualTerminal(Size) { FastForwardEnabled = false };
        for (var offset = 0; offset < bytes.Length;)
        {
            var length = Math.Min(random.Next(1, 40_000), bytes.Length - offset);
            fast.Write(bytes.AsSpan(offset, length));
            slow.Write(bytes.AsSpan(offset, length));
            offset += length;
            using var expected = slow.Capture();
            using var actual = fast.Capture();
            TerminalAssert.SameScreen(expected, actual, $"after {offset} bytes");
        }
    }

    [Fact]
    public async Task Resize_is_forwarded_and_the_viewer_follows()
    {
        await _streamer.StartAsync(default);
        await _streamer.OnOutputAsync(Encoding.UTF8.GetBytes(SnapshotRoundTripTests.Top()), default);

        await _streamer.ResizeAsync(new TerminalSize(100, 30), default);

        var resize = _sink.Frames.Single(f => f.Type == FrameType.TerminalResize);
        Assert.True(TerminalSize.TryRead(resize.Payload, out var size));
        Assert.Equal(new TerminalSize(100, 30), size);
        Assert.Equal(FrameType.TerminalOutput, _sink.Frames[^1].Type);
        using var screen = _streamer.CaptureScreen();
        using var viewer = _sink.Terminal.Capture();
        TerminalAssert.SameScreen(screen, viewer);
    }

    [Fact]
    public async Task A_late_joiner_on_the_alternate_screen_gets_the_normal_screen_back()
    {
        await _streamer.StartAsync(default);
        await _streamer.OnOutputAsync("$ ls\r\nfile-a  file-b\r\n$ vim notes.txt\r\n"u8.ToArray(), default);
        await _streamer.OnOutputAsync(Encoding.UTF8.GetBytes(SnapshotRoundTripTests.Vim()), default);

        // Joins now: its keyframe has the alternate screen only.
        using var lateJoiner = new ViewerSink(Size, joined: false);
        _sink.Others.Add(lateJoiner);
        await _streamer.SendKeyframeAsync(default);

        await _streamer.OnOutputAsync("\e[2J\e[?1049l\e[23;1H\e[?1l\e>\e[?2004l\e[?1000l\e[?1006l\e[0 q$ "u8.ToArray(), default);

        using var screen = _streamer.CaptureScreen();
        using var late = lateJoiner.Terminal.Capture();
        TerminalAssert.SameScreen(screen, late);
        Assert.Equal("file-a", string.Concat(Enumerable.Range(0, 6).Select(c => late[1, c].Text)));
    }

    [Fact]
    public async Task Screen_updates_into_the_alternate_screen_and_back_keep_the_viewer_exact()
    {
        await _streamer.StartAsync(default);
        await _streamer.OnOutputAsync("$ make && vim\r\n"u8.ToArray(), default);

        // A burst that ends in vim's alternate screen: the viewer gets there through a screen update.
        var burst = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 2000).Select(i => $"cc -c module{i}.c -o module{i}.o\r\n")) + SnapshotRoundTripTests.Vim());
        await _streamer.OnOutputAsync(burst, default);
        Assert.True(_streamer.InSyncMode);
        _time.Advance(TimeSpan.FromMilliseconds(100));
        _time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.False(_streamer.InSyncMode);

        // Back to forwarding; leaving vim shows the compiler output again.
        await _streamer.OnOutputAsync("\e[?1049l\e[?1l\e>\e[?2004l\e[?1000l\e[?1006l\e[0 q\r$ "u8.ToArray(), default);
        using var screen = _streamer.CaptureScreen();
        using var viewer = _sink.Terminal.Capture();
        TerminalAssert.SameScreen(screen, viewer);
        Assert.Contains("module1999.o", TerminalAssert.Dump(viewer), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_keyframe_during_screen_updates_resets_what_viewers_have()
    {
        await _streamer.StartAsync(default);
        await _streamer.OnOutputAsync(Seq(20_000), default);
        Assert.True(_streamer.InSyncMode);
        await _streamer.SendKeyframeAsync(default);
        await _streamer.OnOutputAsync("more\r\n"u8.ToArray(), default);
        _time.Advance(TimeSpan.FromMilliseconds(100));
        _time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.False(_streamer.InSyncMode);
        using var screen = _streamer.CaptureScreen();
        using var viewer = _sink.Terminal.Capture();
        TerminalAssert.SameScreen(screen, viewer);
    }

    [Fact]
    public async Task Concurrent_calls_keep_frames_in_order_and_the_viewer_exact()
    {
        await _streamer.StartAsync(default);
        using var stop = new CancellationTokenSource();
        var output = Task.Run(async () =>
        {
            var random = new Random(7);
            for (var i = 0; i < 400; i++)
            {
                var chunk = random.Next(10) == 0 ? Seq(random.Next(1_000, 5_000)) : RandomOutput.Next(random, Size, random.Next(1, 10));
                await _streamer.OnOutputAsync(chunk, default);
            }
        });
        var control = Task.Run(async () =>
        {
            var random = new Random(8);
            while (!output.IsCompleted)
            {
                if (random.Next(2) == 0)
                {
                    await _streamer.SendKeyframeAsync(default);
                }
                else
                {
                    await _streamer.ResizeAsync(new TerminalSize(random.Next(60, 100), random.Next(20, 30)), default);
                }

                await Task.Yield();
            }
        });
        while (!output.IsCompleted)
        {
            _time.Advance(TimeSpan.FromMilliseconds(20));
            await Task.Yield();
        }

        await Task.WhenAll(output, control);
        for (var i = 0; i < 20; i++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(100));
        }

        Assert.False(_streamer.InSyncMode);
        using var screen = _streamer.CaptureScreen();
        using var viewer = _sink.Terminal.Capture();
        TerminalAssert.SameScreen(screen, viewer);
        Assert.Equal(_sink.Frames.Count(f => f.Type != FrameType.TerminalResize), _sink.Checked);
    }

    [Fact]
    public async Task After_dispose_calls_fail_and_the_timer_is_gone()
    {
        await _streamer.StartAsync(default);
        await _streamer.OnOutputAsync(Seq(20_000), default);
        Assert.True(_streamer.InSyncMode);
        await _streamer.DisposeAsync();
        var frames = _sink.Frames.Count;
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(frames, _sink.Frames.Count);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => _streamer.OnOutputAsync("x"u8.ToArray(), default).AsTask());
    }

    /// <summary>Starts the streamer and floods it for 150 ms (a 4 KiB read per millisecond, 16× the budget).</summary>
    private async Task FloodIntoSyncModeAsync()
    {
        await _streamer.StartAsync(default);
        await FloodAsync(TimeSpan.FromMilliseconds(150));
        Assert.True(_streamer.InSyncMode);
    }

    private async Task FloodAsync(TimeSpan duration)
    {
        var seq = Seq(100_000);
        for (var ms = 0; ms < duration.TotalMilliseconds; ms++)
        {
            await _streamer.OnOutputAsync(seq.AsMemory(ms * 4096 % (seq.Length - 4096), 4096), default);
            _time.Advance(TimeSpan.FromMilliseconds(1));
        }
    }

    private static byte[] Lines(int first, int count, string then) =>
        Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(first, count).Select(i => $"{i}\r\n")) + then);

    private static string RowText(ScreenState screen, int row) =>
        string.Concat(Enumerable.Range(0, screen.Size.Columns).Select(c => screen[row, c].Text)).TrimEnd();

    private static byte[] Seq(int count)
    {
        var text = new StringBuilder();
        for (var i = 1; i <= count; i++)
        {
            text.Append(i).Append("\r\n");
        }

        return Encoding.ASCII.GetBytes(text.ToString());
    }

    /// <summary>A viewer that, after applying each frame, checks it shows exactly the emulator's screen.</summary>
    private sealed class CheckingSink(TerminalSize size) : IFrameSink, IDisposable
    {
        private readonly ViewerSink _viewer = new(size);

        public TerminalStreamer? Streamer { get; set; }

        public bool CheckEveryFrame { get; set; } = true;

        /// <summary>Called with the viewer's screen after each checked frame.</summary>
        public Action<ScreenState>? Applied { get; set; }

        public int Checked { get; private set; }

        public List<SentFrame> Frames => _viewer.Frames;

        public List<IFrameSink> Others => _viewer.Others;

        public VirtualTerminal Terminal => _viewer.Terminal;

        public long PayloadBytes => _viewer.PayloadBytes;

        public async ValueTask SendAsync(FrameType type, FrameFlags flags, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
        {
            await _viewer.SendAsync(type, flags, payload, cancellationToken);
            // A TerminalResize frame is completed by the repaint (raw mode) or the next screen update (sync mode)
            // that follows it: a viewer's own reflow in between is not the emulator's screen, by design.
            if (CheckEveryFrame && type != FrameType.TerminalResize && Streamer is { } streamer)
            {
                using var screen = streamer.CaptureWhileSending();
                using var shown = _viewer.Terminal.Capture();
                TerminalAssert.SameScreen(screen, shown, $"after frame {Frames.Count} ({type})");
                Checked++;
                Applied?.Invoke(shown);
            }
        }

        public void Dispose() => _viewer.Dispose();
    }
}
