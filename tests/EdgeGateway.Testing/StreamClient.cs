using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using EdgeGateway.Protocol.Stream;

namespace EdgeGateway.Testing;

/// <summary>A browser-protocol client of a session stream: what a viewer's page receives, recorded.</summary>
public sealed class StreamClient : IAsyncDisposable
{
    private readonly ClientWebSocket _socket;
    private readonly Lock _gate = new();
    private readonly List<ReceivedFrame> _frames = [];
    private readonly List<JsonElement> _events = [];
    private readonly StringBuilder _output = new();
    private readonly Task _receive;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ulong _inputSequence;
    private TaskCompletionSource? _paused;

    public StreamClient(ClientWebSocket socket)
    {
        _socket = socket;
        _receive = Task.Run(ReceiveAsync);
    }

    public sealed record ReceivedFrame(FrameHeader Header, byte[] Payload);

    /// <summary>Every byte that arrived, frames and text, for secret scans.</summary>
    public List<byte[]> RawMessages { get; } = [];

    public bool Closed { get; private set; }

    public IReadOnlyList<ReceivedFrame> Frames
    {
        get
        {
            lock (_gate)
            {
                return [.. _frames];
            }
        }
    }

    public IReadOnlyList<JsonElement> Events
    {
        get
        {
            lock (_gate)
            {
                return [.. _events];
            }
        }
    }

    /// <summary>All terminal bytes received (snapshots and output), as text.</summary>
    public string Output
    {
        get
        {
            lock (_gate)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Characters of <see cref="Output"/> so far, without copying it.</summary>
    public int OutputLength
    {
        get
        {
            lock (_gate)
            {
                return _output.Length;
            }
        }
    }

    /// <summary>The output from character <paramref name="start"/> on (cheap to poll after a large output).</summary>
    public string OutputFrom(int start)
    {
        lock (_gate)
        {
            return start >= _output.Length ? string.Empty : _output.ToString(start, _output.Length - start);
        }
    }

    /// <summary>The JSON events of one type, in arrival order.</summary>
    public IReadOnlyList<JsonElement> EventsOfType(string type) =>
        [.. Events.Where(e => e.TryGetProperty("type", out var t) && t.GetString() == type)];

    /// <summary>
    /// Closes as a browser does (close frame with <paramref name="status"/>, then waits for the server's close frame)
    /// and returns the status the server answered with. Throws <see cref="WebSocketException"/> when the server drops
    /// the connection instead of answering (what a browser reports as 1006).
    /// </summary>
    public async Task<WebSocketCloseStatus?> CloseAsync(WebSocketCloseStatus status, string description)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _socket.CloseAsync(status, description, deadline.Token);
        return _socket.CloseStatus;
    }

    /// <summary>
    /// Stops reading, as a browser tab on a stalled link does: what the cloud sends waits in the socket's buffers, then in
    /// the cloud's queue for this viewer. At most the message being read when this is called still arrives.
    /// </summary>
    public void Pause()
    {
        lock (_gate)
        {
            _paused ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    /// <summary>Reads again after <see cref="Pause"/>.</summary>
    public void Resume()
    {
        TaskCompletionSource? paused;
        lock (_gate)
        {
            (paused, _paused) = (_paused, null);
        }

        paused?.TrySetResult();
    }

    public Task SendInputAsync(string text) => SendFrameAsync(FrameType.TerminalInput, Encoding.UTF8.GetBytes(text));

    public Task SendFrameAsync(FrameType type, byte[] payload) =>
        _socket.SendAsync(FrameCodec.Encode(type, FrameFlags.None, _inputSequence++, payload), WebSocketMessageType.Binary, true, CancellationToken.None);

    /// <summary>
    /// Sends one frame as one WebSocket message in parts, as a paste trickles over a slow link: the header and the
    /// payload up to each offset in <paramref name="cuts"/> go out, then <paramref name="between"/> runs (the test's
    /// chance to change the device), and so on; the last part ends the message.
    /// </summary>
    public async Task SendFrameInPartsAsync(FrameType type, byte[] payload, IReadOnlyList<int> cuts, Func<int, Task> between)
    {
        ArgumentNullException.ThrowIfNull(payload);
        ArgumentNullException.ThrowIfNull(cuts);
        ArgumentNullException.ThrowIfNull(between);
        var frame = FrameCodec.Encode(type, FrameFlags.None, _inputSequence++, payload);
        var sent = 0;
        for (var i = 0; i <= cuts.Count; i++)
        {
            var end = i < cuts.Count ? FrameCodec.HeaderSize + cuts[i] : frame.Length;
            await _socket.SendAsync(frame.AsMemory(sent, end - sent), WebSocketMessageType.Binary, i == cuts.Count, CancellationToken.None);
            sent = end;
            if (i < cuts.Count)
            {
                await between(i);
            }
        }
    }

    /// <summary>Waits until <paramref name="condition"/> holds, re-checking on every message; fails after the timeout.</summary>
    public async Task WaitUntilAsync(Func<StreamClient, bool> condition, TimeSpan timeout, string what)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                changed = _changed.Task;
            }

            if (condition(this))
            {
                return;
            }

            if (Closed)
            {
                throw new Xunit.Sdk.XunitException($"Stream closed while waiting for {what}. Output so far:\n{Output}");
            }

            try
            {
                await changed.WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new Xunit.Sdk.XunitException($"Timed out after {timeout.TotalSeconds} s waiting for {what}. Output so far:\n{Output}");
            }
        }
    }

    public Task WaitForOutputAsync(string text, TimeSpan? timeout = null) =>
        WaitUntilAsync(c => c.Output.Contains(text, StringComparison.Ordinal), timeout ?? TimeSpan.FromSeconds(15), $"'{text}'");

    private async Task ReceiveAsync()
    {
        var buffer = new byte[2 * 1024 * 1024];
        try
        {
            while (_socket.State == WebSocketState.Open)
            {
                Task? paused;
                lock (_gate)
                {
                    paused = _paused?.Task;
                }

                if (paused is not null)
                {
                    await paused;
                }

                var length = 0;
                WebSocketReceiveResult result;
                do
                {
                    result = await _socket.ReceiveAsync(new ArraySegment<byte>(buffer, length, buffer.Length - length), CancellationToken.None);
                    length += result.Count;
                }
                while (!result.EndOfMessage);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    // Answer the server's close as a browser does (when it was not the answer to our own).
                    if (_socket.State == WebSocketState.CloseReceived)
                    {
                        await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
                    }

                    break;
                }

                var message = buffer.AsSpan(0, length).ToArray();
                lock (_gate)
                {
                    RawMessages.Add(message);
                    if (result.MessageType == WebSocketMessageType.Text)
                    {
                        _events.Add(JsonDocument.Parse(message).RootElement.Clone());
                    }
                    else if (FrameCodec.TryReadMessage(message, FrameCodec.DefaultMaxPayload, out var header, out var payload) == FrameReadStatus.Complete)
                    {
                        _frames.Add(new ReceivedFrame(header, payload.ToArray()));
                        if (header.Type == FrameType.TerminalOutput)
                        {
                            _output.Append(Encoding.UTF8.GetString(payload));
                        }
                        else if (header.Type == FrameType.TerminalSnapshot)
                        {
                            _output.Append(Encoding.UTF8.GetString(payload[TerminalSize.EncodedSize..]));
                        }
                    }

                    Signal();
                }
            }
        }
        catch (WebSocketException)
        {
        }
        finally
        {
            lock (_gate)
            {
                Closed = true;
                Signal();
            }
        }
    }

    private void Signal()
    {
        var previous = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        previous.TrySetResult();
    }

    public async ValueTask DisposeAsync()
    {
        Resume();
        if (_socket.State == WebSocketState.Open)
        {
            try
            {
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
                // The server went first; nothing left to close.
            }
        }

        await _receive.ContinueWith(static _ => { }, TaskScheduler.Default);
        _socket.Dispose();
    }
}
