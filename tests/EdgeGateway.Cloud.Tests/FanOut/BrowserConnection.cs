using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using EdgeGateway.Cloud.FanOut;

namespace EdgeGateway.Cloud.Tests.FanOut;

/// <summary>
/// Runs <see cref="StreamViewer.PumpAsync"/> against a real WebSocket over a loopback TCP connection and reads what
/// a browser would receive. Messages are described as <c>binary HEX</c> or <c>text JSON</c> so a test compares exact
/// bytes and a failure still reads well.
/// </summary>
internal sealed class BrowserConnection : IAsyncDisposable
{
    // A safety net against a hung test, not a timing assumption: every wait here ends on an event.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly TcpClient _serverSide;
    private readonly TcpClient _browserSide;
    private readonly WebSocket _server;
    private readonly WebSocket _browser;
    private readonly CancellationTokenSource _stop = new();

    private BrowserConnection(TcpClient serverSide, TcpClient browserSide, StreamViewer viewer)
    {
        _serverSide = serverSide;
        _browserSide = browserSide;
        _server = WebSocket.CreateFromStream(serverSide.GetStream(), new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = Timeout.InfiniteTimeSpan });
        _browser = WebSocket.CreateFromStream(browserSide.GetStream(), new WebSocketCreationOptions { IsServer = false, KeepAliveInterval = Timeout.InfiniteTimeSpan });
        Pump = PumpThenCloseAsync(viewer);
    }

    /// <summary>The viewer's pump; it completes when the viewer is completed and everything queued went out.</summary>
    public Task Pump { get; }

    public static string Binary(byte[] frame) => "binary " + Convert.ToHexString(frame);

    public static string Text(string json) => "text " + json;

    public static async Task<BrowserConnection> OpenAsync(StreamViewer viewer)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var browserSide = new TcpClient();
        var connect = browserSide.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        var serverSide = await listener.AcceptTcpClientAsync().WaitAsync(Patience);
        await connect.WaitAsync(Patience);
        return new BrowserConnection(serverSide, browserSide, viewer);
    }

    /// <summary>The next message, or <c>closed</c> once the pump finished.</summary>
    public async Task<string> ReceiveAsync()
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        ValueWebSocketReceiveResult result;
        do
        {
            result = await _browser.ReceiveAsync(buffer.AsMemory(), CancellationToken.None).AsTask().WaitAsync(Patience);
            message.Write(buffer, 0, result.Count);
        }
        while (!result.EndOfMessage);

        return result.MessageType switch
        {
            WebSocketMessageType.Binary => Binary(message.ToArray()),
            WebSocketMessageType.Text => Text(Encoding.UTF8.GetString(message.ToArray())),
            _ => "closed",
        };
    }

    /// <summary>The next <paramref name="count"/> messages.</summary>
    public async Task<IReadOnlyList<string>> ReceiveAsync(int count)
    {
        var messages = new List<string>();
        for (var i = 0; i < count; i++)
        {
            messages.Add(await ReceiveAsync());
        }

        return messages;
    }

    /// <summary>Every message until the pump finished (the viewer was completed).</summary>
    public async Task<IReadOnlyList<string>> ReceiveUntilClosedAsync()
    {
        var messages = new List<string>();
        while (await ReceiveAsync() is var message && message != "closed")
        {
            messages.Add(message);
        }

        await Pump.WaitAsync(Patience);
        return messages;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Pump.ContinueWith(static _ => { }, TaskScheduler.Default);
        _server.Dispose();
        _browser.Dispose();
        _serverSide.Dispose();
        _browserSide.Dispose();
        _stop.Dispose();
    }

    private async Task PumpThenCloseAsync(StreamViewer viewer)
    {
        await Task.Yield();
        await viewer.PumpAsync(_server, _stop.Token);
        await _server.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "session ended", CancellationToken.None);
    }
}
