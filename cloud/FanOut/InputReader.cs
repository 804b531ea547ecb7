using System.Globalization;
using System.Net.WebSockets;
using System.Text.Json;
using EdgeGateway.Cloud.Operability;
using EdgeGateway.Cloud.Sessions;
using EdgeGateway.Protocol.Stream;

namespace EdgeGateway.Cloud.FanOut;

/// <summary>
/// Reads what a browser sends on its session WebSocket. The Controller's input goes to the appliance in slices of at
/// most <see cref="InputFlow.MaxChunk"/> bytes, each only when the session's <see cref="InputWindow"/> has credit;
/// everything else (viewers' input, text, malformed frames) is read and let go. The browser's close is answered.
/// </summary>
/// <remarks>
/// A paste is one WebSocket message holding one <see cref="FrameType.TerminalInput"/> frame, however large. Its
/// header declares the whole length, so a paste over the limit is refused whole — with a notice in the page, the
/// connection kept — before any byte of it reaches the device. An accepted paste is never held whole: one buffer of
/// <see cref="InputFlow.MaxChunk"/> bytes per connection, and while the window is full this reader simply stops
/// reading, so the rest waits in the browser's socket and TCP paces the browser. A keystroke (a message that fits
/// one read) is forwarded as it came, with no extra copy or wait. The slices of a paste carry
/// <see cref="FrameFlags.Paste"/> (first: <see cref="FrameFlags.PasteStart"/>, last: <see cref="FrameFlags.PasteEnd"/>),
/// so the appliance knows the paste's bounds: once it refuses one slice it refuses the rest of that paste.
/// <para>
/// Display sessions (VNC): <see cref="FrameType.PointerInput"/> and <see cref="FrameType.KeyInput"/> have fixed
/// 5-byte payloads (DisplayFrames, contract §1); any other length is malformed, dropped and counted.
/// <see cref="FrameType.ClipboardInput"/> (UTF-8, at most <see cref="MaxClipboardBytes"/>) passes only where the
/// endpoint's policy lets clipboard text reach the device; past one read it goes down in slices flagged like a
/// paste, so the appliance puts it together (and drops it whole if a slice is refused). A text message
/// <c>{"type":"resync"}</c> from any page (it could not decode the display) restarts that page from a keyframe,
/// at most once per <see cref="ResyncInterval"/>.
/// </para>
/// </remarks>
internal sealed partial class InputReader
{
    private static readonly TimeSpan NoticeInterval = TimeSpan.FromSeconds(1);
    private const FrameFlags PasteFlags = FrameFlags.Paste | FrameFlags.PasteStart | FrameFlags.PasteEnd;

    /// <summary>Payload bytes of a <see cref="FrameType.PointerInput"/> (mask, x, y) and a <see cref="FrameType.KeyInput"/> (down, keysym).</summary>
    public const int DisplayInputBytes = 5;

    /// <summary>Largest <see cref="FrameType.ClipboardInput"/> payload, in bytes (256 KiB; contract §1).</summary>
    public const int MaxClipboardBytes = 256 * 1024;

    /// <summary>A page's resync requests are honoured at most this often.</summary>
    public static readonly TimeSpan ResyncInterval = TimeSpan.FromSeconds(1);

    /// <summary>The text message a page sends when it lost track of the display (longer text is not looked at).</summary>
    private static ReadOnlySpan<byte> ResyncMessage => """{"type":"resync"}"""u8;

    private readonly WebSocket _socket;
    private readonly string _sessionId;
    private readonly StreamViewer _viewer;
    private readonly Func<ReadOnlyMemory<byte>, CancellationToken, Task<bool>> _forward;
    private readonly CloudMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly int _maxPaste;
    private readonly bool _clipboardToDevice;
    private readonly Action? _resync;
    private long _lastResync = long.MinValue;
    private readonly byte[] _buffer = new byte[FrameCodec.HeaderSize + InputFlow.MaxChunk];
    private ValueWebSocketReceiveResult _last;
    private long _lastUndeliveredNotice = long.MinValue;

    /// <param name="socket">The browser's WebSocket; this reader is its only receiver.</param>
    /// <param name="sessionId">For the log.</param>
    /// <param name="viewer">The connection's viewer: whether it controls, and where notices go.</param>
    /// <param name="forward">
    /// Sends one input frame (payload at most <see cref="InputFlow.MaxChunk"/>, an array of its own) to the appliance,
    /// first waiting for credit; false when it could not be queued. <see cref="SessionService.SendInputAsync"/>.
    /// </param>
    /// <param name="metrics">Dropped input is counted.</param>
    /// <param name="maxPaste">Largest <see cref="FrameType.TerminalInput"/> payload accepted, in bytes.</param>
    /// <param name="time">Paces the "not delivered" notice.</param>
    /// <param name="logger">Refused and malformed input.</param>
    /// <param name="clipboardToDevice">
    /// The endpoint's policy lets clipboard text reach the device (<c>SessionGovernance.MaySendClipboard</c>); otherwise
    /// <see cref="FrameType.ClipboardInput"/> is dropped and counted.
    /// </param>
    /// <param name="resync">Restarts this connection from a keyframe (<see cref="SessionStream.ResyncViewer"/>); null: resync requests are ignored.</param>
    public InputReader(WebSocket socket, string sessionId, StreamViewer viewer, Func<ReadOnlyMemory<byte>, CancellationToken, Task<bool>> forward, CloudMetrics metrics, int maxPaste, TimeProvider time, ILogger logger, bool clipboardToDevice = false, Action? resync = null)
    {
        _clipboardToDevice = clipboardToDevice;
        _resync = resync;
        _socket = socket;
        _sessionId = sessionId;
        _viewer = viewer;
        _forward = forward;
        _metrics = metrics;
        _maxPaste = maxPaste;
        _time = time;
        _logger = logger;
    }

    /// <summary>Reads until the browser closes (its close answered) or the socket fails.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (_socket.State == WebSocketState.Open)
        {
            // The header first: ReceiveAsync may hand a message over in pieces of any size.
            if (!await ReceiveAsync(_buffer, cancellationToken))
            {
                return;
            }

            var length = _last.Count;
            while (!_last.EndOfMessage && length < FrameCodec.HeaderSize)
            {
                if (!await ReceiveAsync(_buffer.AsMemory(length), cancellationToken))
                {
                    return;
                }

                length += _last.Count;
            }

            if (_last.MessageType == WebSocketMessageType.Text && _last.EndOfMessage && _buffer.AsSpan(0, length).SequenceEqual(ResyncMessage))
            {
                Resync();
                continue;
            }

            if (_last.MessageType != WebSocketMessageType.Binary || !_viewer.CanInput)
            {
                _metrics.DroppedInput.Add(1); // viewers are read-only, whatever their page sends
                if (!await DiscardRestAsync(cancellationToken))
                {
                    return;
                }

                continue;
            }

            if (!await ReadFrameAsync(length, cancellationToken))
            {
                return;
            }
        }
    }

    /// <summary>One input message whose first <paramref name="length"/> bytes are in the buffer. False once the browser closed.</summary>
    private async Task<bool> ReadFrameAsync(int length, CancellationToken cancellationToken)
    {
        var status = FrameCodec.TryReadHeader(_buffer.AsSpan(0, length), int.MaxValue, out var header);
        if (status != FrameReadStatus.Complete || !header.IsInput)
        {
            Bad(status == FrameReadStatus.Complete ? FrameReadStatus.UnknownType : status);
            return await DiscardRestAsync(cancellationToken);
        }

        if (header.Type is FrameType.TerminalResizeRequest or FrameType.DisplayResizeRequest && !_viewer.IsController)
        {
            _metrics.DroppedInput.Add(1); // a co-controller types; the terminal or desktop keeps the Controller's size
            return await DiscardRestAsync(cancellationToken);
        }

        if (header.Type is FrameType.PointerInput or FrameType.KeyInput && header.PayloadLength != DisplayInputBytes)
        {
            Bad(header.PayloadLength > DisplayInputBytes ? FrameReadStatus.PayloadTooLarge : FrameReadStatus.Truncated);
            return await DiscardRestAsync(cancellationToken);
        }

        if (header.Type == FrameType.ClipboardInput)
        {
            if (!_clipboardToDevice)
            {
                _metrics.DroppedInput.Add(1);
                Log.ClipboardRefused(_logger, _sessionId, _viewer.UserName);
                Notice("clipboard-off", "Clipboard text was not sent: this endpoint's policy does not allow it.");
                return await DiscardRestAsync(cancellationToken);
            }

            if (header.PayloadLength > MaxClipboardBytes)
            {
                Notice("clipboard-too-large", string.Create(CultureInfo.InvariantCulture, $"The clipboard text was not sent: it has {header.PayloadLength:N0} bytes, and at most {MaxClipboardBytes:N0} bytes ({ByteSize.Format(MaxClipboardBytes)}) are sent."));
                Bad(FrameReadStatus.PayloadTooLarge);
                return await DiscardRestAsync(cancellationToken);
            }
        }
        else if (header.Type != FrameType.TerminalInput && header.PayloadLength > InputFlow.MaxChunk)
        {
            Bad(FrameReadStatus.PayloadTooLarge); // a resize is 4 bytes; only typing and pastes may be large
            return await DiscardRestAsync(cancellationToken);
        }

        var limit = _maxPaste;
        if (header.PayloadLength > limit)
        {
            Log.PasteRefused(_logger, _sessionId, _viewer.UserName, header.PayloadLength, limit);
            Notice("paste-too-large", string.Create(CultureInfo.InvariantCulture, $"The paste was not sent: it has {header.PayloadLength:N0} bytes, and a paste may have at most {limit:N0} bytes ({ByteSize.Format(limit)})."));
            return await DiscardRestAsync(cancellationToken);
        }

        if (_last.EndOfMessage)
        {
            // The whole message in one read: a keystroke, a resize, a short paste. Forwarded as it came.
            if (FrameCodec.TryReadMessage(_buffer.AsSpan(0, length), InputFlow.MaxChunk, out _, out _) is var whole and not FrameReadStatus.Complete)
            {
                Bad(whole);
                return true;
            }

            // Paste flags are the cloud's to set (below); whatever a page put there is cleared.
            if ((header.Flags & PasteFlags) != 0)
            {
                FrameCodec.WriteHeader(_buffer, header with { Flags = header.Flags & ~PasteFlags });
            }

            if (!await ForwardAsync(length, cancellationToken))
            {
                Undelivered(length - FrameCodec.HeaderSize);
            }

            return true;
        }

        return await StreamAsync(header, length, cancellationToken);
    }

    /// <summary>A paste larger than one read: forwarded in slices as credit allows. False once the browser closed.</summary>
    private async Task<bool> StreamAsync(FrameHeader header, int length, CancellationToken cancellationToken)
    {
        var filled = length - FrameCodec.HeaderSize;
        var remaining = (long)header.PayloadLength - filled;
        if (remaining < 0)
        {
            Bad(FrameReadStatus.TrailingBytes);
            return await DiscardRestAsync(cancellationToken);
        }

        var delivered = true;
        long undelivered = 0;
        var paste = header.Type is FrameType.TerminalInput or FrameType.ClipboardInput ? FrameFlags.Paste | FrameFlags.PasteStart : FrameFlags.None;
        var flags = header.Flags & ~PasteFlags;
        while (true)
        {
            if (filled == InputFlow.MaxChunk || (remaining == 0 && filled > 0))
            {
                // Each slice keeps the frame's type and sequence; its length is its own, and its paste flags tell the
                // appliance where the paste starts and ends (it delivers a paste only as a prefix, never with a hole).
                var last = remaining == 0 && paste != FrameFlags.None ? FrameFlags.PasteEnd : FrameFlags.None;
                FrameCodec.WriteHeader(_buffer, header with { PayloadLength = filled, Flags = flags | paste | last });
                paste &= ~FrameFlags.PasteStart;
                delivered = delivered && await ForwardAsync(FrameCodec.HeaderSize + filled, cancellationToken);
                undelivered += delivered ? 0 : filled;
                filled = 0;
            }

            if (remaining == 0)
            {
                break;
            }

            if (_last.EndOfMessage)
            {
                // Shorter than its header said: what was forwarded stays forwarded, the incomplete slice is not.
                Bad(FrameReadStatus.Truncated);
                break;
            }

            var room = (int)Math.Min(InputFlow.MaxChunk - filled, remaining);
            if (!await ReceiveAsync(_buffer.AsMemory(FrameCodec.HeaderSize + filled, room), cancellationToken))
            {
                return false;
            }

            filled += _last.Count;
            remaining -= _last.Count;
        }

        if (undelivered > 0)
        {
            Undelivered(undelivered);
        }

        if (!_last.EndOfMessage)
        {
            Bad(FrameReadStatus.TrailingBytes);
            return await DiscardRestAsync(cancellationToken);
        }

        return true;
    }

    private void Resync()
    {
        var now = _time.GetTimestamp();
        if (_resync is null || (_lastResync != long.MinValue && _time.GetElapsedTime(_lastResync, now) < ResyncInterval))
        {
            _metrics.DroppedInput.Add(1);
            return;
        }

        _lastResync = now;
        Log.Resync(_logger, _sessionId, _viewer.UserName);
        _resync();
    }

    private Task<bool> ForwardAsync(int length, CancellationToken cancellationToken) =>
        _forward(_buffer.AsMemory(0, length).ToArray(), cancellationToken);

    /// <summary>Reads and lets go of the rest of the current message, a buffer at a time. False once the browser closed.</summary>
    private async Task<bool> DiscardRestAsync(CancellationToken cancellationToken)
    {
        while (!_last.EndOfMessage)
        {
            if (!await ReceiveAsync(_buffer, cancellationToken))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Receives into <paramref name="memory"/>; on the browser's close frame answers it and returns false.</summary>
    private async Task<bool> ReceiveAsync(Memory<byte> memory, CancellationToken cancellationToken)
    {
        _last = await _socket.ReceiveAsync(memory, cancellationToken);
        if (_last.MessageType != WebSocketMessageType.Close)
        {
            return true;
        }

        // Complete the closing handshake (RFC 6455 §5.5.1): echo the browser's code. Returning without it makes the
        // server drop the TCP connection, which the browser reports as 1006, "closed abnormally".
        if (_socket.State == WebSocketState.CloseReceived)
        {
            try
            {
                await _socket.CloseOutputAsync(_socket.CloseStatus ?? WebSocketCloseStatus.Empty, _socket.CloseStatusDescription, CancellationToken.None);
            }
            catch (WebSocketException)
            {
                // The browser did not wait for the answer; nothing left to tell it.
            }
        }

        return false;
    }

    private void Bad(FrameReadStatus status)
    {
        _metrics.DroppedInput.Add(1);
        Log.BadInput(_logger, _sessionId, _viewer.UserName, status);
    }

    private void Undelivered(long bytes)
    {
        Log.Undelivered(_logger, _sessionId, bytes);
        var now = _time.GetTimestamp();
        if (_lastUndeliveredNotice != long.MinValue && _time.GetElapsedTime(_lastUndeliveredNotice, now) < NoticeInterval)
        {
            return; // one notice a second while the appliance is away, not one per keystroke
        }

        _lastUndeliveredNotice = now;
        Notice("input-not-delivered", "The appliance is not connected: what you typed or pasted was not sent to the device.");
    }

    private void Notice(string code, string message) =>
        _viewer.OfferText(JsonSerializer.Serialize(new StreamEvent("notice", Reason: code, Message: message), StreamEventJson.Default.StreamEvent));

    private static partial class Log
    {
        [LoggerMessage(3010, LogLevel.Information, "Session {SessionId}: {User}'s paste of {Bytes} bytes refused (the limit is {Limit})")]
        public static partial void PasteRefused(ILogger logger, string sessionId, string user, int bytes, int limit);

        [LoggerMessage(3011, LogLevel.Warning, "Session {SessionId}: malformed input from {User} dropped ({Status})")]
        public static partial void BadInput(ILogger logger, string sessionId, string user, FrameReadStatus status);

        [LoggerMessage(3013, LogLevel.Information, "Session {SessionId}: {User}'s clipboard text dropped (the endpoint's policy keeps it from the device)")]
        public static partial void ClipboardRefused(ILogger logger, string sessionId, string user);

        [LoggerMessage(3014, LogLevel.Information, "Session {SessionId}: {User}'s page asked for a keyframe (it lost track of the display)")]
        public static partial void Resync(ILogger logger, string sessionId, string user);

        [LoggerMessage(3012, LogLevel.Warning, "Session {SessionId}: {Bytes} bytes of input could not be queued to the appliance")]
        public static partial void Undelivered(ILogger logger, string sessionId, long bytes);
    }
}
