using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Text;
using EdgeGateway.Appliance.Configuration;
using EdgeGateway.Appliance.Sessions.Display;
using EdgeGateway.Appliance.Uplink;
using EdgeGateway.Protocol.Control;
using EdgeGateway.Protocol.Display;
using EdgeGateway.Protocol.Rfb;
using EdgeGateway.Protocol.Stream;

namespace EdgeGateway.Appliance.Sessions.Vnc;

/// <summary>
/// A VNC device's screen (RFB, RFC 6143) as a display stream. One read loop owns the connection's input: it decodes
/// server messages into the <see cref="Framebuffer"/> (<see cref="RfbUpdateDecoder"/>), lets the
/// <see cref="DisplayStreamer"/> send what changed after each complete FramebufferUpdate, and asks the device for the
/// next incremental update at most <see cref="DisplayStreamOptions.MaxFramesPerSecond"/> times a second. What the uplink
/// budget holds back goes out at the budget's pace off this loop (quiet tiles first), so a key's echo is not queued behind
/// a busy area's backlog; changes coalesce in the framebuffer's tiles, and an idle screen costs nothing. Decoding, flushing and keyframes take
/// one gate; the Controller's input goes straight to the device (its own write lock in <see cref="VncConnection"/>).
/// </summary>
/// <remarks>
/// Time bounds: connect and handshake (<see cref="VncOptions"/>), and every server message must arrive whole within
/// <see cref="VncOptions.UpdateTimeout"/> of its first byte: a device that drips an update a byte at a time ends the
/// session with that sentence instead of holding it. Liveness: a <see cref="DeviceLiveness"/> probes a silent device
/// with a non-incremental FramebufferUpdateRequest for one pixel, which RFC 6143 §7.5.3 has the server answer at once,
/// changed or not; a device that stops answering is "not responding" within seconds (pointer and keys are refused,
/// never queued) and the session ends when it stays silent for the liveness time.
/// </remarks>
internal sealed partial class VncDeviceSession : IDeviceSession
{
    private readonly EndpointOptions _endpoint;
    private readonly IFrameSink _sink;
    private readonly IUplink _uplink;
    private readonly VncOptions _options;
    private readonly LivenessOptions _livenessOptions;
    private readonly DisplayStreamOptions _displayOptions;
    private readonly VncCertificatePins _pins;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly SessionEnding _ending;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private readonly UpdateTracker _tracker = new();
    private VncConnection? _connection;
    private Framebuffer? _framebuffer;
    private RfbUpdateDecoder? _decoder;
    private DisplayOutput? _display;
    private DeviceLiveness? _liveness;
    private Task? _readLoop;
    private long _updates;
    private long _rfbBytes;
    private long _lastRequest;
    private TimeSpan _requestInterval;
    private bool _clipboardToDevice;
    private byte[]? _clipboard;
    private int _clipboardLength = -1; // -1: no sliced clipboard text is being gathered

    public VncDeviceSession(string sessionId, string controllerId, EndpointOptions endpoint, IFrameSink sink, IUplink uplink, ApplianceOptions options, VncCertificatePins pins, TimeProvider time, ILoggerFactory loggers)
    {
        SessionId = sessionId;
        ControllerId = controllerId;
        _endpoint = endpoint;
        _sink = sink;
        _uplink = uplink;
        _options = options.Vnc;
        _livenessOptions = options.Liveness;
        _displayOptions = options.Display;
        _pins = pins;
        _time = time;
        _loggers = loggers;
        _logger = loggers.CreateLogger<VncDeviceSession>();
        _ending = new SessionEnding(sink, ex => Log.ReadFailed(_logger, SessionId, ex));
    }

    public string SessionId { get; }

    public string ControllerId { get; }

    public SessionDetails? Details { get; private set; }

    public Task<SessionOutcome> Completion => _ending.Completion;

    /// <summary>Complete FramebufferUpdates decoded so far.</summary>
    public long UpdatesDecoded => Interlocked.Read(ref _updates);

    /// <summary>
    /// Bytes of server-to-client RFB messages decoded so far (everything the device sent after ServerInit, as RFB: inside
    /// TLS when VeNCrypt is used, without TCP/IP headers). The benchmark compares the display stream with it.
    /// </summary>
    public long RfbBytesRead => Interlocked.Read(ref _rfbBytes);

    /// <summary>The display streamer's counters (for the benchmark).</summary>
    public DisplayStreamer? Streamer => _display?.Streamer;

    /// <summary>
    /// Connects, authenticates with the Controller's password (VNC authentication or VeNCrypt) and starts the read loop.
    /// False, with <see cref="Completion"/> completed with the reason the user sees, when the device refuses or cannot
    /// be reached.
    /// </summary>
    public async Task<bool> StartAsync(StartSession start, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
        var encodings = _options.Encodings.Count > 0 ? (IReadOnlyList<int>)_options.Encodings : RfbUpdateDecoder.DefaultEncodings;
        try
        {
            _connection = await VncConnection.ConnectAsync(_endpoint.Id, _endpoint.Host, _endpoint.Port, start.Username, start.Password, _options, _pins, _endpoint.AllowLegacyAlgorithms, encodings, _time, linked.Token);
        }
        catch (VncConnectException ex)
        {
            Log.ConnectFailed(_logger, SessionId, ex.Reason, ex.Message);
            _ending.End(new SessionOutcome(ex.Reason, ex.Message));
            return false;
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested || cancellationToken.IsCancellationRequested)
        {
            _ending.End(_ending.StopRequest ?? new SessionOutcome(EndReason.Error, "The appliance is shutting down."));
            return false;
        }

        var init = _connection.ServerInit;
        _framebuffer = new Framebuffer(init.Width, init.Height);
        _decoder = new RfbUpdateDecoder(_framebuffer, RfbLimits.Default);
        // The device's clipboard text goes upstream only when the endpoint's policy (sent with the start) lets it reach viewers.
        _clipboardToDevice = start.ClipboardToDevice;
        _requestInterval = TimeSpan.FromSeconds(1.0 / _displayOptions.MaxFramesPerSecond);
        var streamer = new DisplayStreamer(_framebuffer, init.Name, _sink, _displayOptions.WithClipboardToBrowser(start.ClipboardToBrowser), _time, _loggers.CreateLogger<DisplayStreamer>());
        _tracker.Target = streamer;
        _display = new DisplayOutput(_framebuffer, streamer, _gate, _ending, _time, _stopping.Token);
        _liveness = new DeviceLiveness(SessionId, _livenessOptions, _uplink, _time, _logger, SendProbeAsync, dead => _ = StopAsync(dead.Reason, dead.Message).AsTask(), DeviceLiveness.DisplayInputGrace);
        Details = new SessionDetails(
            $"RFB 3.{(int)_connection.Version}",
            _connection.Security,
            _connection.CertificateFingerprint is { } fp ? "X.509 SHA-256 " + fp : null,
            _connection.TlsCipher,
            null,
            LegacyCrypto: _connection.TlsCipher is null,
            Terminal: false,
            Banner: null);
        Log.Connected(_logger, SessionId, _connection.Version.ToString(), _connection.Security, init.Width, init.Height);
        _readLoop = Task.Run(ReadLoopAsync, CancellationToken.None);
        return true;
    }

    /// <summary>Copies the framebuffer as it is between two decoded pieces (tests compare it with the device's own pixels).</summary>
    internal uint[] CopyPixels(out int width, out int height) =>
        (_display ?? throw new InvalidOperationException("Not connected.")).CopyPixels(out width, out height);

    private async Task ReadLoopAsync()
    {
        var connection = _connection!;
        var framebuffer = _framebuffer!;
        var input = connection.Input;
        var token = _stopping.Token;
        SessionOutcome? outcome = null;
        long? unfinishedSince = null;
        try
        {
            await connection.RequestUpdateAsync(incremental: false, framebuffer.Width, framebuffer.Height, token);
            while (true)
            {
                ReadResult result;
                if (unfinishedSince is { } since)
                {
                    var left = _options.UpdateTimeout - _time.GetElapsedTime(since);
                    using var timeout = new CancellationTokenSource(left > TimeSpan.Zero ? left : TimeSpan.Zero, _time);
                    using var linked = CancellationTokenSource.CreateLinkedTokenSource(token, timeout.Token);
                    try
                    {
                        result = await input.ReadAsync(linked.Token);
                    }
                    catch (OperationCanceledException) when (timeout.IsCancellationRequested && !token.IsCancellationRequested)
                    {
                        Log.UpdateTimedOut(_logger, SessionId, _options.UpdateTimeout.TotalSeconds);
                        outcome = new SessionOutcome(EndReason.Error,
                            $"The device did not finish sending a screen update within {_options.UpdateTimeout.TotalSeconds:0} s; the session was ended.");
                        break;
                    }
                }
                else
                {
                    result = await input.ReadAsync(token);
                }

                _liveness?.Heard(); // a read returns only with new bytes (what was there is examined) or the end

                var buffer = result.Buffer;
                long consumed;
                var complete = false;
                await _gate.WaitAsync(token);
                try
                {
                    consumed = _decoder!.Decode(buffer, _tracker);
                    Interlocked.Add(ref _rfbBytes, consumed);
                    if (_tracker.TakeCompleted())
                    {
                        complete = true;
                        Interlocked.Increment(ref _updates);
                        await _display!.PictureCompleteLockedAsync(token); // the first whole screen is the stream's first keyframe
                    }
                }
                finally
                {
                    _gate.Release();
                }

                if (_tracker.TakeCutText())
                {
                    _display!.FlushSoon(); // clipboard text changes no pixel: no update would carry it to viewers
                }

                input.AdvanceTo(buffer.GetPosition(consumed), buffer.End);
                var unfinished = buffer.Length > consumed || _tracker.InUpdate;
                unfinishedSince = !unfinished ? null : complete ? _time.GetTimestamp() : unfinishedSince ?? _time.GetTimestamp();
                if (result.IsCompleted)
                {
                    outcome = new SessionOutcome(EndReason.DeviceClosed, "The device closed the connection.");
                    break;
                }

                if (complete)
                {
                    // What the budget or the frame-rate cap held back goes out at their pace, off this loop (an idle
                    // device answers an incremental request only when something changes, maybe never), while the
                    // device is asked for its next update at most MaxFramesPerSecond times a second: a key's echo
                    // reaches the appliance within a frame interval, not after a busy area's backlog, and the quiet
                    // tiles holding it go up first. Memory stays bounded: changes coalesce in the framebuffer's tiles.
                    var wait = _requestInterval - _time.GetElapsedTime(_lastRequest);
                    if (wait > TimeSpan.Zero)
                    {
                        await Task.Delay(wait, _time, token);
                    }

                    _lastRequest = _time.GetTimestamp();
                    await connection.RequestUpdateAsync(incremental: true, framebuffer.Width, framebuffer.Height, token);
                }
            }
        }
        catch (RfbProtocolException ex)
        {
            Log.ProtocolError(_logger, SessionId, ex.Message);
            outcome = new SessionOutcome(EndReason.Error, ex.Message);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Stopped: the stop request is the outcome.
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            outcome = new SessionOutcome(EndReason.DeviceClosed, "The connection to the device was lost.");
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Log.ReadFailed(_logger, SessionId, ex);
            outcome = new SessionOutcome(EndReason.Error, "The appliance hit an internal error.");
        }

        connection.Abort();
        _liveness?.Dispose();
        await _ending.FinishAsync(_ending.StopRequest ?? outcome ?? new SessionOutcome(EndReason.DeviceClosed, "The device closed the connection."));
    }

    /// <summary>
    /// PointerInput (u8 buttons, u16 x, u16 y), KeyInput (u8 down, u32 keysym) and ClipboardInput (UTF-8) from the
    /// Controller become RFB PointerEvent, KeyEvent and ClientCutText. Anything else is refused.
    /// </summary>
    public async ValueTask<bool> HandleInputAsync(FrameHeader header, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var connection = _connection;
        var framebuffer = _framebuffer;
        if (connection is null || framebuffer is null || _ending.HasEnded)
        {
            return false;
        }

        // Pointer and keys go to a device only while it answers: a click or key into a frozen panel is refused and the
        // Controller told, never held to land later.
        if (_liveness is { } liveness && !liveness.AdmitDisplayInput(header.Type))
        {
            return false;
        }

        try
        {
            switch (header.Type)
            {
                case FrameType.PointerInput when payload.Length == 5:
                    var buttons = payload.Span[0];
                    var x = Math.Min((int)BinaryPrimitives.ReadUInt16BigEndian(payload.Span[1..]), framebuffer.Width - 1);
                    var y = Math.Min((int)BinaryPrimitives.ReadUInt16BigEndian(payload.Span[3..]), framebuffer.Height - 1);
                    _display?.Streamer.NotePointer(x, y, buttons);
                    await connection.SendAsync(b => RfbClientMessages.WritePointerEvent(b, buttons, x, y), cancellationToken);
                    _display?.FlushSoon(); // where the Controller points rides on no update (the cursor is drawn client-side)
                    return true;
                case FrameType.KeyInput when payload.Length == 5:
                    var down = payload.Span[0] != 0;
                    var keysym = BinaryPrimitives.ReadUInt32BigEndian(payload.Span[1..]);
                    await connection.SendAsync(b => RfbClientMessages.WriteKeyEvent(b, down, keysym), cancellationToken);
                    return true;
                case FrameType.ClipboardInput when !_clipboardToDevice:
                    Log.InputIgnored(_logger, SessionId, header.Type, payload.Length); // the cloud drops it first; policy says no
                    return false;
                case FrameType.ClipboardInput when (header.Flags & FrameFlags.Paste) != 0:
                    return await GatherClipboardAsync(connection, header.Flags, payload, cancellationToken);
                case FrameType.ClipboardInput when payload.Length <= RfbClientMessages.MaxCutTextBytes:
                    var text = Encoding.UTF8.GetString(payload.Span);
                    await connection.SendAsync(b => RfbClientMessages.WriteClientCutText(b, text), cancellationToken);
                    return true;
                default:
                    Log.InputIgnored(_logger, SessionId, header.Type, payload.Length);
                    return false;
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            // The read loop notices the same failure and ends the session with the reason.
            return false;
        }
    }

    /// <summary>
    /// Clipboard text over one input slice arrives as a paste (<see cref="FrameFlags.Paste"/>, first slice
    /// <see cref="FrameFlags.PasteStart"/>, last <see cref="FrameFlags.PasteEnd"/>): it is gathered, at most
    /// <see cref="RfbClientMessages.MaxCutTextBytes"/>, and goes to the device as one ClientCutText with the last slice —
    /// a device's clipboard takes whole texts only. A slice out of order or over the bound drops the whole text.
    /// Called by the session's one input pump, in order.
    /// </summary>
    private async ValueTask<bool> GatherClipboardAsync(VncConnection connection, FrameFlags flags, ReadOnlyMemory<byte> slice, CancellationToken cancellationToken)
    {
        if ((flags & FrameFlags.PasteStart) != 0)
        {
            _clipboard ??= new byte[RfbClientMessages.MaxCutTextBytes];
            _clipboardLength = 0;
        }

        if (_clipboardLength < 0 || _clipboardLength + slice.Length > RfbClientMessages.MaxCutTextBytes)
        {
            Log.InputIgnored(_logger, SessionId, FrameType.ClipboardInput, slice.Length);
            _clipboardLength = -1;
            return false;
        }

        slice.Span.CopyTo(_clipboard.AsSpan(_clipboardLength));
        _clipboardLength += slice.Length;
        if ((flags & FrameFlags.PasteEnd) == 0)
        {
            return true;
        }

        var text = Encoding.UTF8.GetString(_clipboard!, 0, _clipboardLength);
        _clipboardLength = -1;
        await connection.SendAsync(b => RfbClientMessages.WriteClientCutText(b, text), cancellationToken);
        return true;
    }

    /// <summary>VNC asks nothing of the Controller while logging in: the password comes with the start.</summary>
    public void OnAuthResponse(IReadOnlyList<Secret> answers) => Log.UnexpectedAnswer(_logger, SessionId);

    public ValueTask SendKeyframeAsync(CancellationToken cancellationToken) => _display?.SendKeyframeAsync(cancellationToken) ?? ValueTask.CompletedTask;

    /// <summary>
    /// The liveness probe: a non-incremental FramebufferUpdateRequest for the top-left pixel, which the server answers
    /// at once (RFC 6143 §7.5.3). Servers keep one requested region (libvncserver, TigerVNC), so the answer also serves
    /// the incremental request outstanding, and the read loop asks again as after any update.
    /// </summary>
    private ValueTask SendProbeAsync() =>
        _connection is { } connection && !_ending.HasEnded
            ? connection.SendAsync(static b => RfbClientMessages.WriteFramebufferUpdateRequest(b, incremental: false, 0, 0, 1, 1), _stopping.Token)
            : ValueTask.CompletedTask;

    public ValueTask StopAsync(EndReason reason, string message)
    {
        _ending.RequestStop(new SessionOutcome(reason, message));

        _stopping.Cancel();
        if (_readLoop is null)
        {
            // Never connected (or still connecting): StartAsync ends with the stop request.
            return _connection is null ? ValueTask.CompletedTask : _ending.FinishAsync(_ending.StopRequest!.Value);
        }

        // Closing the connection ends the read loop, which sends the End frame with the stop's reason.
        _connection?.Abort();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(EndReason.Error, "The session was disposed.");
        if (_readLoop is { } loop)
        {
            await loop;
        }

        if (_connection is { } connection)
        {
            await connection.DisposeAsync();
        }

        _liveness?.Dispose();
        _display?.Dispose();
        _stopping.Dispose();
        _gate.Dispose();
    }

    /// <summary>
    /// Passes the decoder's changes to the streamer and remembers, for the read loop, whether a FramebufferUpdate ended
    /// and whether one is under way (for the update time bound).
    /// </summary>
    private sealed class UpdateTracker : IRfbUpdateSink
    {
        private bool _completed;
        private bool _cutText;

        public IRfbUpdateSink? Target { get; set; }

        /// <summary>A FramebufferUpdate's rectangles have started to arrive and its end has not.</summary>
        public bool InUpdate { get; private set; }

        public bool TakeCompleted()
        {
            var completed = _completed;
            _completed = false;
            return completed;
        }

        /// <summary>The device sent clipboard text since the last call (it waits in the streamer for a flush).</summary>
        public bool TakeCutText()
        {
            var cutText = _cutText;
            _cutText = false;
            return cutText;
        }

        public void OnPixels(PixelRect rect)
        {
            InUpdate = true;
            Target?.OnPixels(rect);
        }

        public void OnCopyRect(int sourceX, int sourceY, PixelRect destination)
        {
            InUpdate = true;
            Target?.OnCopyRect(sourceX, sourceY, destination);
        }

        public void OnResize(int width, int height, string? name)
        {
            InUpdate = true;
            Target?.OnResize(width, height, name);
        }

        public void OnCursor(int hotX, int hotY, int width, int height, ReadOnlySpan<uint> argb)
        {
            InUpdate = true;
            Target?.OnCursor(hotX, hotY, width, height, argb);
        }

        public void OnUpdateComplete()
        {
            InUpdate = false;
            _completed = true;
            Target?.OnUpdateComplete();
        }

        public void OnBell() => Target?.OnBell();

        public void OnServerCutText(string text, bool truncated)
        {
            _cutText = true;
            Target?.OnServerCutText(text, truncated);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(460, LogLevel.Information, "Session {SessionId}: VNC connected (RFB {Version}, security {Security}, {Width}x{Height})")]
        public static partial void Connected(ILogger logger, string sessionId, string version, string security, int width, int height);

        [LoggerMessage(461, LogLevel.Warning, "Session {SessionId}: VNC connect failed: {Reason}: {Message}")]
        public static partial void ConnectFailed(ILogger logger, string sessionId, EndReason reason, string message);

        [LoggerMessage(462, LogLevel.Warning, "Session {SessionId}: the device broke the RFB protocol: {Message}")]
        public static partial void ProtocolError(ILogger logger, string sessionId, string message);

        [LoggerMessage(463, LogLevel.Warning, "Session {SessionId}: a server message did not complete within {Seconds} s: ending the session")]
        public static partial void UpdateTimedOut(ILogger logger, string sessionId, double seconds);

        [LoggerMessage(464, LogLevel.Error, "Session {SessionId}: VNC read loop failed")]
        public static partial void ReadFailed(ILogger logger, string sessionId, Exception exception);

        [LoggerMessage(465, LogLevel.Debug, "Session {SessionId}: input frame {Type} ({Length} bytes) ignored")]
        public static partial void InputIgnored(ILogger logger, string sessionId, FrameType type, int length);

        [LoggerMessage(466, LogLevel.Warning, "Session {SessionId}: an answer came though VNC asks no questions; dropped")]
        public static partial void UnexpectedAnswer(ILogger logger, string sessionId);
    }
}
