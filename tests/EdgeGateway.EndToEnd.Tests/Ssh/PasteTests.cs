using System.Diagnostics;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using EdgeGateway.Cloud.Sessions;
using EdgeGateway.Protocol.Stream;
using EdgeGateway.Testing;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace EdgeGateway.EndToEnd.Tests.Ssh;

/// <summary>
/// Issue 8, section 3: large pastes arrive byte for byte, a paste over the limit is refused with a message (the
/// connection stays), the echo of a paste does not stall anyone, and the WebSocket close handshake completes.
/// The device side is real: sshd, a pty, <c>cat</c> / <c>head</c>, <c>wc</c> and <c>md5sum</c>, read off the
/// Controller's rendered screen.
/// </summary>
[Trait("Area", "SshField")]
[Collection(SshCollection.Name)]
public sealed partial class PasteTests(SshStackFixture fixture, ITestOutputHelper output) : IDisposable
{
    private const int MiB = 1024 * 1024;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    private readonly List<string> _directories = [];

    private EdgeGatewayStack Stack => fixture.Stack;

    /// <summary>The device account's files are removed by the test process (root), whatever the test's outcome.</summary>
    public void Dispose()
    {
        foreach (var directory in _directories.Where(Directory.Exists))
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>
    /// A 1 MiB paste of random printable lines into <c>cat &gt; f</c> with the terminal's echo on, as a browser
    /// sends it: one message, lines ended by CR (xterm.js turns a pasted newline into CR, as every terminal does).
    /// The pty's ICRNL makes each CR the newline cat writes, so the file must be the paste with CR → LF: compared
    /// by <c>wc -c</c> and <c>md5sum</c> on the device against the same figures computed here. Lines stay under the
    /// canonical line discipline's 4,095-byte line limit, as any pasted text file's do. The viewer watches
    /// throughout and must get the echo while the device is still taking the paste, and the Controller's typing
    /// afterwards must work.
    /// </summary>
    [Fact]
    public async Task A_1_MiB_text_paste_arrives_byte_for_byte_and_the_echo_reaches_every_viewer()
    {
        await using var session = await OpenAsync();
        var directory = NewDirectory();
        var file = RandomPrintableLines(MiB, seed: 8_3);
        var paste = file.Select(b => b == (byte)'\n' ? (byte)'\r' : b).ToArray();

        await session.Controller.SendInputAsync($"mkdir -p {directory} && cd {directory} && echo cat-$((6*7)) && cat > f\r");
        await session.Controller.WaitForOutputAsync("cat-42", Wait);

        var viewerFramesBefore = session.Viewer.Frames.Count;
        var clock = Stopwatch.StartNew();
        await session.Controller.SendFrameAsync(FrameType.TerminalInput, paste);
        await session.Controller.SendInputAsync("\u0004"); // Ctrl+D at the start of a line: end of file for cat
        var (size, md5) = await ReadSizeAndSumAsync(session);
        output.WriteLine($"1 MiB paste with echo: {clock.Elapsed.TotalMilliseconds:0} ms until wc and md5sum answered; the viewer got {session.Viewer.Frames.Count - viewerFramesBefore} frames");

        Assert.Equal(file.Length, size);
        Assert.Equal(Convert.ToHexStringLower(MD5.HashData(file)), md5);

        // The viewer was fed while the device took the paste: several of its frames show lines of the paste (the
        // screen after the paste was cleared, so those frames came during it) — raw echo first, then the streamer's
        // screen updates under the uplink budget. It is still connected and shows what the Controller typed after.
        await session.Viewer.WaitUntilAsync(c => TerminalScreen.Render(c.Frames).Contains("end-42", StringComparison.Ordinal), Wait, "the viewer's screen after the paste");
        var pasteLines = Encoding.ASCII.GetString(file).Split('\n').Where(line => line.Length is >= 40 and < 100).ToHashSet(StringComparer.Ordinal);
        var framesShowingThePaste = session.Viewer.Frames.Skip(viewerFramesBefore).Count(frame => TextRuns(frame.Payload).Any(pasteLines.Contains));
        output.WriteLine($"{framesShowingThePaste} of the viewer's frames show lines of the paste");
        Assert.True(framesShowingThePaste >= 3, $"only {framesShowingThePaste} of the viewer's frames showed the paste while it was typed");
        Assert.False(session.Viewer.Closed);
    }

    /// <summary>
    /// Back-pressure end to end: the device program does not read until the test lets it (it waits on a FIFO), so
    /// a 4 MiB paste (the largest allowed) outruns the device. The device's SSH window (2 MiB on OpenSSH) fills, the
    /// appliance's writer waits, the cloud's window fills and the cloud stops reading the WebSocket: what is unacknowledged
    /// never exceeds the window, the rest waits in the socket on the browser's side (TCP). Once the device reads, all of
    /// it arrives, in order.
    /// </summary>
    [Fact]
    public async Task A_paste_the_device_does_not_read_yet_waits_on_the_browsers_side_and_then_arrives_whole()
    {
        await using var session = await OpenAsync();
        var directory = NewDirectory();
        var gate = Path.Combine(directory, "gate");

        // The test runs as root; the device account must write f beside the FIFO and read the FIFO.
        using (var mkfifo = Process.Start("sh", ["-c", $"mkdir -m 777 {directory} && mkfifo -m 666 {gate}"]))
        {
            await mkfifo.WaitForExitAsync();
            Assert.Equal(0, mkfifo.ExitCode);
        }

        var file = RandomPrintableLines(4 * MiB, seed: 8_300);
        var live = Stack.Cloud.Services.GetRequiredService<SessionService>().Find(session.Id)!;

        await session.Controller.SendInputAsync($"cd {directory} && echo gate-$((6*7)) && head -c 1 gate >/dev/null && cat > f\r");
        await session.Controller.WaitForOutputAsync("gate-42", Wait);
        var sending = session.Controller.SendFrameAsync(FrameType.TerminalInput, [.. file.Select(b => b == (byte)'\n' ? (byte)'\r' : b)]);

        // The cloud's window fills (the device reads nothing) and stays within its bound while the paste waits.
        using (var deadline = new CancellationTokenSource(Wait))
        {
            while (live.Input.InFlight < InputFlow.Window - InputFlow.Cost(InputFlow.MaxChunk))
            {
                await Task.Delay(10, deadline.Token);
            }
        }

        Assert.True(live.Input.InFlight <= InputFlow.Window);

        await using (var open = new FileStream(gate, FileMode.Open, FileAccess.Write))
        {
            open.WriteByte((byte)'g');
        }

        await sending.WaitAsync(Wait);
        await session.Controller.SendInputAsync("\u0004");
        var (size, md5) = await ReadSizeAndSumAsync(session);
        Assert.Equal(file.Length, size);
        Assert.Equal(Convert.ToHexStringLower(MD5.HashData(file)), md5);
        Assert.True(live.Input.InFlight < InputFlow.AckThreshold + InputFlow.Cost(InputFlow.MaxChunk));
    }

    /// <summary>
    /// Every byte value, 0 to 255, in a 1 MiB paste, through a pty in raw mode (<c>stty raw -echo</c>: no line
    /// editing, no signals on ^C/^Z/^\, no XON/XOFF, no CR→LF, no echo), read by <c>head -c</c>: the line
    /// discipline then hands the device program exactly the bytes the gateway delivered, so the file must equal the
    /// paste. A browser's paste is UTF-8 text (a subset of this); this shows the gateway itself is transparent.
    /// </summary>
    [Fact]
    public async Task A_1_MiB_paste_of_every_byte_value_arrives_byte_for_byte_in_raw_mode()
    {
        await using var session = await OpenAsync();
        var directory = NewDirectory();
        var paste = EveryByteValue(MiB, seed: 8_31);

        await session.Controller.SendInputAsync($"mkdir -p {directory} && cd {directory} && stty raw -echo && echo raw-$((6*7)) && head -c {paste.Length} > f; stty sane\r");
        await session.Controller.WaitForOutputAsync("raw-42", Wait);
        await session.Controller.SendFrameAsync(FrameType.TerminalInput, paste);

        var (size, md5) = await ReadSizeAndSumAsync(session);
        Assert.Equal(paste.Length, size);
        Assert.Equal(Convert.ToHexStringLower(MD5.HashData(paste)), md5);
    }

    /// <summary>
    /// The reported input: 74,752 bytes in one message closed the Controller's WebSocket with 1009. Now it is typed
    /// like any paste; and a paste over the cloud's limit (4 MiB by default) is refused whole with a sentence for the
    /// page, nothing of it reaches the device, and the same connection goes on working.
    /// </summary>
    [Fact]
    public async Task A_paste_over_the_limit_is_refused_with_a_message_and_the_connection_stays_open()
    {
        await using var session = await OpenAsync();
        var limit = Stack.Cloud.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<EdgeGateway.Cloud.Configuration.CloudOptions>>().Value.Sessions.MaxPasteBytes;
        var hello = session.Controller.EventsOfType("hello").Single();
        Assert.Equal(limit, hello.GetProperty("maxPaste").GetInt32());

        // Over the limit by one byte; it would print a marker if any of it were typed.
        var tooLarge = Encoding.ASCII.GetBytes("echo REFUSED-PASTE-$((1+1))\r" + new string('#', limit + 1 - 28));
        Assert.Equal(limit + 1, tooLarge.Length);
        await session.Controller.SendFrameAsync(FrameType.TerminalInput, tooLarge);
        await session.Controller.WaitUntilAsync(c => c.EventsOfType("notice").Count > 0, Wait, "the notice");
        var notice = session.Controller.EventsOfType("notice").Single();
        Assert.Equal("paste-too-large", notice.GetProperty("reason").GetString());
        Assert.Equal("The paste was not sent: it has 4,194,305 bytes, and a paste may have at most 4,194,304 bytes (4 MiB).", notice.GetProperty("message").GetString());

        // The reported 74,752-byte paste, on the same connection: typed whole.
        var reported = RandomPrintableLines(74_752, seed: 74_752);
        var directory = NewDirectory();
        await session.Controller.SendInputAsync($"mkdir -p {directory} && cd {directory} && echo cat-$((6*7)) && cat > f\r");
        await session.Controller.WaitForOutputAsync("cat-42", Wait);
        await session.Controller.SendFrameAsync(FrameType.TerminalInput, [.. reported.Select(b => b == (byte)'\n' ? (byte)'\r' : b)]);
        await session.Controller.SendInputAsync("\u0004");
        var (size, md5) = await ReadSizeAndSumAsync(session);

        Assert.Equal(reported.Length, size);
        Assert.Equal(Convert.ToHexStringLower(MD5.HashData(reported)), md5);
        Assert.DoesNotContain("REFUSED-PASTE-2", session.Controller.Output, StringComparison.Ordinal);
        Assert.False(session.Controller.Closed);
        Assert.Empty(session.Viewer.EventsOfType("notice")); // the Controller's business only
    }

    /// <summary>RFC 6455 §5.5.1: the server answers the browser's close frame with its own, echoing the code.</summary>
    [Theory]
    [InlineData(WebSocketCloseStatus.NormalClosure)]
    [InlineData(WebSocketCloseStatus.EndpointUnavailable)]
    public async Task Closing_the_WebSocket_completes_the_close_handshake(WebSocketCloseStatus status)
    {
        await using var session = await OpenAsync();

        Assert.Equal(status, await session.Viewer.CloseAsync(status, "page closed"));
        Assert.Equal(status, await session.Controller.CloseAsync(status, "page closed"));

        // The session goes on, and its Controller takes control again once the old connection has let go of it.
        using var deadline = new CancellationTokenSource(Wait);
        while (true)
        {
            var again = await Stack.OpenStreamAsync(session.ControllerCookies, session.Id);
            await using (again)
            {
                await again.WaitUntilAsync(c => c.EventsOfType("hello").Count > 0, Wait, "hello");
                if (again.EventsOfType("hello")[0].GetProperty("role").GetString() == "controller")
                {
                    await again.SendInputAsync("echo still-here-$((6*7))\r");
                    await again.WaitForOutputAsync("still-here-42", Wait);
                    return;
                }
            }

            await Task.Delay(50, deadline.Token);
        }
    }

    /// <summary>The runs of plain text in terminal output: between escape sequences and line ends, trailing blanks cut.</summary>
    private static IEnumerable<string> TextRuns(byte[] payload) =>
        Encoding.ASCII.GetString(payload).Split(['\u001b', '\r', '\n']).Select(run => EscapeRest().Replace(run, string.Empty).TrimEnd());

    [GeneratedRegex(@"^(\[[0-9;?]*[A-Za-z]|[()][0-9A-Za-z]|[=>78])")]
    private static partial Regex EscapeRest();

    /// <summary>Types <c>wc -c f; md5sum f</c> on a cleared screen and reads both figures off the rendered screen.</summary>
    private static async Task<(long Size, string Md5)> ReadSizeAndSumAsync(WatchedSession session)
    {
        var mark = session.Controller.OutputLength;
        await session.Controller.SendInputAsync("clear; wc -c f; md5sum f; echo end-$((6*7))\r");
        await session.Controller.WaitUntilAsync(c => c.OutputFrom(mark).Contains("end-42", StringComparison.Ordinal), Wait, "wc and md5sum");

        var screen = TerminalScreen.Render(session.Controller.Frames);
        var size = SizeLine().Match(screen);
        var sum = SumLine().Match(screen);
        Assert.True(size.Success && sum.Success, $"no wc/md5sum lines on the screen:\n{screen}");
        return (long.Parse(size.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), sum.Groups[1].Value);
    }

    [GeneratedRegex(@"^(\d+) f$", RegexOptions.Multiline)]
    private static partial Regex SizeLine();

    [GeneratedRegex(@"^([0-9a-f]{32})  f$", RegexOptions.Multiline)]
    private static partial Regex SumLine();

    private static byte[] RandomPrintableLines(int length, int seed) => Encoding.ASCII.GetBytes(PasteText.RandomPrintableLines(length, seed));

    /// <summary>Shuffled runs of all 256 byte values, <paramref name="length"/> bytes in all.</summary>
    private static byte[] EveryByteValue(int length, int seed)
    {
        var random = new Random(seed);
        var bytes = new byte[length];
        var run = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        for (var offset = 0; offset < length; offset += run.Length)
        {
            random.Shuffle(run);
            run.AsSpan(0, Math.Min(run.Length, length - offset)).CopyTo(bytes.AsSpan(offset));
        }

        return bytes;
    }

    private string NewDirectory()
    {
        var directory = "/tmp/eg-paste-" + Guid.NewGuid().ToString("N")[..12];
        _directories.Add(directory);
        return directory;
    }

    private Task<WatchedSession> OpenAsync() => WatchedSession.OpenAsync(Stack, fixture.Device, Wait);
}
