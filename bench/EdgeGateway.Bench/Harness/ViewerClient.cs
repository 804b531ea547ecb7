using System.Diagnostics;
using System.Net.WebSockets;
using System.Security.Cryptography.X509Certificates;
using EdgeGateway.Protocol.Stream;
using EdgeGateway.Protocol.Trust;

namespace EdgeGateway.Bench.Harness;

/// <summary>Called on the receive loop for every frame, with the Stopwatch timestamp taken when the message was complete.</summary>
public delegate void FrameObserver(in FrameHeader header, ReadOnlySpan<byte> payload, long receivedAt);

/// <summary>Sees each JSON text message (an event: hello, participants, chat…) as UTF-8, with its Stopwatch arrival time.</summary>
public delegate void TextObserver(ReadOnlySpan<byte> json, long receivedAt);

/// <summary>
/// A lean browser-protocol client of <c>/api/sessions/{id}/stream</c> (what the page's JavaScript does): one
/// WebSocket, frames in binary messages, JSON events in text messages, Controller input as frames. Unlike the
/// tests' StreamClient it keeps nothing but counters and hands each frame to an observer, so that measuring a
/// thousand of them measures the cloud, not the client.
/// </summary>
public sealed class ViewerClient : IAsyncDisposable
{
    private const int MaxMessage = 4 * 1024 * 1024;

    private readonly ClientWebSocket _socket;
    private readonly FrameObserver? _observer;
    private readonly TextObserver? _textObserver;
    private readonly TaskCompletionSource _firstFrame = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private Task _receive = Task.CompletedTask;
    private ulong _inputSequence;
    private long _bytes;
    private long _frames;
    private long _textMessages;
    private long _lastSequence = -1;
    private long _closedAt;

    private ViewerClient(ClientWebSocket socket, FrameObserver? observer, TextObserver? textObserver)
    {
        _socket = socket;
        _observer = observer;
        _textObserver = textObserver;
    }

    /// <summary>Frame bytes received (WebSocket message payloads: 16-byte header + payload).</summary>
    public long BytesReceived => Interlocked.Read(ref _bytes);

    public long FramesReceived => Interlocked.Read(ref _frames);

    public long TextMessages => Interlocked.Read(ref _textMessages);

    /// <summary>Sequence number of the newest frame received, or -1.</summary>
    public long LastSequence => Interlocked.Read(ref _lastSequence);

    /// <summary>Completes when the first frame (the keyframe a joiner starts from) arrived.</summary>
    public Task FirstFrame => _firstFrame.Task;

    /// <summary>Completes when the stream closed.</summary>
    public Task Ended => _ended.Task;

    /// <summary>Stopwatch timestamp at which the server's close frame arrived (or the connection broke); 0 while open.</summary>
    public long ClosedAt => Interlocked.Read(ref _closedAt);

    public static async Task<ViewerClient> ConnectAsync(Uri baseAddress, string cookieHeader, X509Certificate2 authority, FrameObserver? observer, CancellationToken cancellationToken, string sessionId, TextObserver? textObserver = null)
    {
        ArgumentNullException.ThrowIfNull(baseAddress);
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Cookie", cookieHeader);
        socket.Options.SetRequestHeader("Origin", baseAddress.GetLeftPart(UriPartial.Authority));
        socket.Options.RemoteCertificateValidationCallback = (_, cert, _, _) => PinnedCertificateAuthority.Validate(cert, authority, PinnedCertificateAuthority.ServerAuthOid, out _);
        var uri = new UriBuilder(baseAddress) { Scheme = "wss", Path = $"/api/sessions/{sessionId}/stream" }.Uri;
        try
        {
            await socket.ConnectAsync(uri, cancellationToken);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var client = new ViewerClient(socket, observer, textObserver);
        client._receive = Task.Run(client.ReceiveAsync, CancellationToken.None);
        return client;
    }

    /// <summary>Sends one input frame as the page does (the cloud forwards it only from the Controller).</summary>
    public ValueTask SendInputAsync(ReadOnlyMemory<byte> text, CancellationToken cancellationToken = default) =>
        SendFrameAsync(FrameType.TerminalInput, text, cancellationToken);

    /// <summary>Sends one input frame of any type (KeyInput, PointerInput… for a display session), as the page does.</summary>
    public async ValueTask SendFrameAsync(FrameType type, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        await _sendLock.WaitAsync(cancellationToken);
        try
        {
            var frame = FrameCodec.Encode(type, FrameFlags.None, _inputSequence++, payload.Span);
            await _socket.SendAsync(frame, WebSocketMessageType.Binary, true, cancellationToken);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private async Task ReceiveAsync()
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (_socket.State == WebSocketState.Open)
            {
                var length = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    if (length == buffer.Length)
                    {
                        if (buffer.Length >= MaxMessage)
                        {
                            throw new InvalidDataException("A stream message exceeded 4 MiB.");
                        }

                        Array.Resize(ref buffer, buffer.Length * 2);
                    }

                    result = await _socket.ReceiveAsync(buffer.AsMemory(length), CancellationToken.None);
                    length += result.Count;
                }
                while (!result.EndOfMessage);

                var receivedAt = Stopwatch.GetTimestamp();
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    Interlocked.CompareExchange(ref _closedAt, receivedAt, 0);
                    await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
                    break;
                }

                if (result.MessageType == WebSocketMessageType.Text)
                {
                    Interlocked.Increment(ref _textMessages);
                    _textObserver?.Invoke(buffer.AsSpan(0, length), receivedAt);
                    continue;
                }

                var message = buffer.AsSpan(0, length);
                if (FrameCodec.TryReadMessage(message, FrameCodec.DefaultMaxPayload, out var header, out var payload) != FrameReadStatus.Complete)
                {
                    continue;
                }

                Interlocked.Add(ref _bytes, length);
                Interlocked.Increment(ref _frames);
                Interlocked.Exchange(ref _lastSequence, (long)header.Sequence);
                _observer?.Invoke(header, payload, receivedAt);
                _firstFrame.TrySetResult();
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Closed under us: the stream is over.
        }
        finally
        {
            Interlocked.CompareExchange(ref _closedAt, Stopwatch.GetTimestamp(), 0);
            _firstFrame.TrySetResult();
            _ended.TrySetResult();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
                // The server went first.
            }
        }

        await Task.WhenAny(_receive, Task.Delay(TimeSpan.FromSeconds(5)));
        _socket.Dispose();
        _sendLock.Dispose();
    }
}
