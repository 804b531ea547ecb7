using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using EdgeGateway.Cloud.FanOut;
using EdgeGateway.Protocol.Stream;
using EdgeGateway.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeGateway.Cloud.Tests.FanOut;

/// <summary>
/// The cloud's reading of a browser's WebSocket, over a real WebSocket on loopback TCP: a keystroke goes on as it came,
/// a paste in slices of at most <see cref="InputFlow.MaxChunk"/> (each only when the previous was taken), a paste over
/// the limit is refused whole with a notice, nothing else reaches the appliance, and the browser's close is answered.
/// </summary>
[Trait("Area", "SshField")]
public sealed partial class InputReaderTests : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private const int MaxPaste = 256 * 1024;

    private readonly FanOutHarness _harness = new();
    private readonly ConcurrentQueue<byte[]> _forwarded = new();
    private readonly CancellationTokenSource _stop = new();
    private TcpClient? _serverSide;
    private TcpClient? _browserSide;
    private WebSocket? _server;
    private WebSocket? _browser;
    private Task? _reader;
    private Task? _pump;
    private Func<ReadOnlyMemory<byte>, Task<bool>> _appliance = _ => Task.FromResult(true);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        foreach (var task in new[] { _reader, _pump })
        {
            if (task is not null)
            {
                await task.ContinueWith(static _ => { }, TaskScheduler.Default);
            }
        }

        _server?.Dispose();
        _browser?.Dispose();
        _serverSide?.Dispose();
        _browserSide?.Dispose();
        _harness.Dispose();
        _stop.Dispose();
    }

    [Fact]
    public async Task A_keystroke_goes_to_the_appliance_as_it_came()
    {
        await ConnectAsync(isController: true);
        var keystroke = FrameCodec.Encode(FrameType.TerminalInput, FrameFlags.None, 7, "a"u8);

        await SendAsync(keystroke);

        Assert.Equal(keystroke, await NextForwardedAsync());
    }

    [Fact]
    public async Task A_paste_goes_on_in_slices_of_at_most_16_KiB_that_add_up_to_it_in_order()
    {
        await ConnectAsync(isController: true);
        var paste = Enumerable.Range(0, MaxPaste).Select(i => (byte)(i * 7)).ToArray();

        await SendAsync(FrameCodec.Encode(FrameType.TerminalInput, FrameFlags.None, 3, paste));
        await SendAsync(FrameCodec.Encode(FrameType.TerminalInput, FrameFlags.None, 4, "after"u8));

        var slices = new List<byte[]>();
        var received = 0;
        while (received < paste.Length)
        {
            var slice = await NextForwardedAsync();
            Assert.Equal(FrameReadStatus.Complete, FrameCodec.TryReadMessage(slice, InputFlow.MaxChunk, out var header, out var payload));
            Assert.Equal(FrameType.TerminalInput, header.Type);
            Assert.Equal(3UL, header.Sequence);
            var expected = FrameFlags.Paste | (received == 0 ? FrameFlags.PasteStart : FrameFlags.None) | (received + payload.Length == paste.Length ? FrameFlags.PasteEnd : FrameFlags.None);
            Assert.Equal(expected, header.Flags);
            received += payload.Length;
            slices.Add(payload.ToArray());
        }

        Assert.Equal(paste, slices.SelectMany(s => s).ToArray());
        Assert.Equal(MaxPaste / InputFlow.MaxChunk, slices.Count);
        Assert.Equal("after", Encoding.ASCII.GetString(await NextPayloadAsync()));
    }

    [Fact]
    public async Task Paste_flags_a_page_sets_are_cleared_they_are_the_clouds_to_set()
    {
        await ConnectAsync(isController: true);

        await SendAsync(FrameCodec.Encode(FrameType.TerminalInput, FrameFlags.Paste | FrameFlags.PasteStart, 9, "k"u8));

        Assert.Equal(FrameCodec.Encode(FrameType.TerminalInput, FrameFlags.None, 9, "k"u8), await NextForwardedAsync());
    }

    [Fact]
    public async Task While_the_appliance_has_no_credit_the_reader_waits_and_then_everything_follows()
    {
        var credit = new SemaphoreSlim(1);
        var calls = 0;
        _appliance = async _ =>
        {
            Interlocked.Increment(ref calls);
            await credit.WaitAsync();
            return true;
        };
        await ConnectAsync(isController: true);
        var paste = new byte[4 * InputFlow.MaxChunk];
        Array.Fill(paste, (byte)'p');

        var sending = SendAsync(FrameCodec.Encode(FrameType.TerminalInput, FrameFlags.None, 0, paste));
        await NextForwardedAsync();
        await Conditions.WaitUntilAsync(() => Volatile.Read(ref calls) == 2, Patience, "the second forward");

        // The second slice waits for credit, and the reader with it: no third slice is taken meanwhile.
        Assert.Equal(2, Volatile.Read(ref calls));
        Assert.Empty(_forwarded);

        credit.Release(10);
        for (var i = 0; i < 3; i++)
        {
            await NextForwardedAsync();
        }

        await sending.WaitAsync(Patience);
        credit.Dispose();
    }

    [Fact]
    public async Task A_paste_over_the_limit_is_refused_whole_with_a_notice_and_the_connection_goes_on()
    {
        await ConnectAsync(isController: true);
        var tooLarge = new byte[MaxPaste + 1];
        Array.Fill(tooLarge, (byte)'#');

        await SendAsync(FrameCodec.Encode(FrameType.TerminalInput, FrameFlags.None, 0, tooLarge));
        var notice = await NextTextAsync();
        await SendAsync(FrameCodec.Encode(FrameType.TerminalInput, FrameFlags.None, 1, "k"u8));

        Assert.Equal("notice", notice.GetProperty("type").GetString());
        Assert.Equal("paste-too-large", notice.GetProperty("reason").GetString());
        Assert.Equal("The paste was not sent: it has 262,145 bytes, and a paste may have at most 262,144 bytes (256 KiB).", notice.GetProperty("message").GetString());
        Assert.Equal("k", Encoding.ASCII.GetString(await NextPayloadAsync()));
        Assert.Empty(_forwarded);
    }

    [Fact]
    public async Task Malformed_input_and_output_types_never_reach_the_appliance_and_the_connection_goes_on()
    {
        await ConnectAsync(isController: true);
        var truncated = FrameCodec.Encode(FrameType.TerminalInput, FrameFlags.None, 0, "abc"u8)[..^1];
        var trailing = FrameCodec.Encode(FrameType.TerminalInput, FrameFlags.None, 0, "abc"u8).Append((byte)'!').ToArray();
        var output = FrameCodec.Encode(FrameType.TerminalOutput, FrameFlags.None, 0, "rm -rf /\r"u8);
        var oversizedResize = FrameCodec.Encode(FrameType.TerminalResizeRequest, FrameFlags.None, 0, new byte[InputFlow.MaxChunk + 1]);

        foreach (var bad in new[] { truncated, trailing, output, oversizedResize, [1, 2, 3] })
        {
            await SendAsync(bad);
        }

        await _browser!.SendAsync("{\"type\":\"input\"}"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
        await SendAsync(FrameCodec.Encode(FrameType.TerminalInput, FrameFlags.None, 1, "ok"u8));

        Assert.Equal("ok", Encoding.ASCII.GetString(await NextPayloadAsync()));
        Assert.Empty(_forwarded);
    }

    [Fact]
    public async Task A_viewers_input_of_any_size_is_read_and_let_go()
    {
        await ConnectAsync(isController: false);

        await SendAsync(FrameCodec.Encode(FrameType.TerminalInput, FrameFlags.None, 0, new byte[MaxPaste]));
        await SendAsync(FrameCodec.Encode(FrameType.TerminalInput, FrameFlags.None, 1, "k"u8));

        // The close is answered only once everything before it was read: nothing was forwarded by then.
        Assert.Equal(WebSocketCloseStatus.NormalClosure, await CloseAsync(WebSocketCloseStatus.NormalClosure));
        Assert.Empty(_forwarded);
    }

    [Theory]
    [InlineData(WebSocketCloseStatus.NormalClosure)]
    [InlineData(WebSocketCloseStatus.EndpointUnavailable)]
    public async Task The_browsers_close_is_answered_with_its_own_code(WebSocketCloseStatus status)
    {
        await ConnectAsync(isController: true);

        Assert.Equal(status, await CloseAsync(status));
        await _reader!.WaitAsync(Patience);
    }

    private async Task ConnectAsync(bool isController, bool clipboardToDevice = false, Action? resync = null)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        _browserSide = new TcpClient();
        var connect = _browserSide.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        _serverSide = await listener.AcceptTcpClientAsync().WaitAsync(Patience);
        await connect.WaitAsync(Patience);
        _server = WebSocket.CreateFromStream(_serverSide.GetStream(), new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = Timeout.InfiniteTimeSpan });
        _browser = WebSocket.CreateFromStream(_browserSide.GetStream(), new WebSocketCreationOptions { IsServer = false, KeepAliveInterval = Timeout.InfiniteTimeSpan });

        var viewer = new StreamViewer("user", "user", isController, _harness.Options.ViewerQueueFrames, _harness.Options.ViewerQueueBytes);
        var reader = new InputReader(_server, "session", viewer, ForwardAsync, _harness.Metrics, MaxPaste, _harness.Time, NullLogger.Instance, clipboardToDevice, resync);
        _reader = reader.RunAsync(_stop.Token);
        _pump = viewer.PumpAsync(_server, _stop.Token);
    }

    private async Task<bool> ForwardAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken)
    {
        var taken = await _appliance(frame);
        if (taken)
        {
            _forwarded.Enqueue(frame.ToArray());
        }

        return taken;
    }

    private Task SendAsync(byte[] message) => _browser!.SendAsync(message, WebSocketMessageType.Binary, true, CancellationToken.None);

    private async Task<byte[]> NextForwardedAsync()
    {
        byte[]? frame = null;
        await Conditions.WaitUntilAsync(() => _forwarded.TryDequeue(out frame), Patience, "a forwarded frame");
        return frame!;
    }


    private async Task<byte[]> NextPayloadAsync()
    {
        var frame = await NextForwardedAsync();
        Assert.Equal(FrameReadStatus.Complete, FrameCodec.TryReadMessage(frame, InputFlow.MaxChunk, out _, out var payload));
        return payload.ToArray();
    }

    private async Task<JsonElement> NextTextAsync()
    {
        var buffer = new byte[64 * 1024];
        var result = await _browser!.ReceiveAsync(buffer.AsMemory(), CancellationToken.None).AsTask().WaitAsync(Patience);
        Assert.Equal(WebSocketMessageType.Text, result.MessageType);
        return JsonDocument.Parse(buffer.AsMemory(0, result.Count)).RootElement.Clone();
    }

    private async Task<WebSocketCloseStatus?> CloseAsync(WebSocketCloseStatus status)
    {
        using var deadline = new CancellationTokenSource(Patience);
        await _browser!.CloseAsync(status, "page closed", deadline.Token);
        return _browser.CloseStatus;
    }
}
