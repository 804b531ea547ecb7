using System.Buffers;
using System.Buffers.Binary;
using System.ComponentModel;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Security.Cryptography;
using System.Text;
using EdgeGateway.Appliance.Configuration;
using EdgeGateway.Appliance.Sessions.Display;
using EdgeGateway.Appliance.Uplink;
using EdgeGateway.Protocol.Control;
using EdgeGateway.Protocol.Display;
using EdgeGateway.Protocol.Stream;

namespace EdgeGateway.Appliance.Sessions.Rdp;

/// <summary>
/// An RDP device's desktop as a display stream. FreeRDP runs in a child process (<c>edgegateway-rdp</c>, one per
/// session) that talks to this class over its stdin/stdout (<see cref="RdpPipe"/>): a fault in FreeRDP ends that
/// process, and this session with a reason, never the appliance or another session. One read loop takes the helper's
/// messages: painted rectangles go into the <see cref="Framebuffer"/> and the <see cref="DisplayStreamer"/>, and each
/// PAINT_END (FreeRDP's EndPaint: a consistent picture) flushes — the first time as a keyframe — as the VNC session does
/// after each FramebufferUpdate. What the budget or the frame-rate cap holds back goes out at their pace off the loop
/// (<see cref="FlushPacer"/>).
/// </summary>
/// <remarks>
/// Certificates: the helper shows the server's TLS certificate before FreeRDP sends any credential (CredSSP runs inside
/// TLS); a start with a pin (<see cref="StartSession.PinnedCertificate"/>) refuses any other certificate and ends with
/// <see cref="EndReason.CertificateChanged"/> and the fingerprint presented. Liveness: an idle desktop sends nothing and
/// that is not a failure; FreeRDP's TCP keep-alive (5 s, 3 probes) and ack timeout (20 s) notice a dead device, and the
/// helper's exit (stdout closed) ends the session.
/// </remarks>
internal sealed partial class RdpDeviceSession : IDeviceSession
{
    private const int StderrTailBytes = 4096;

    private readonly EndpointOptions _endpoint;
    private readonly IFrameSink _sink;
    private readonly IUplink _uplink;
    private readonly RdpOptions _options;
    private readonly LivenessOptions _livenessOptions;
    private readonly DisplayStreamOptions _displayOptions;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly SessionEnding _ending;
    private readonly TaskCompletionSource<bool> _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private readonly RdpKeyboard _keyboard = new();
    private readonly StringBuilder _stderr = new();
    private Process? _process;
    private Stream? _input;
    private Task? _readLoop;
    private Framebuffer? _framebuffer;
    private DisplayOutput? _display;
    private DeviceLiveness? _liveness;
    private RdpConnected _connection;
    private string? _pin;
    private string? _fingerprint;
    private bool _clipboardToBrowser;
    private byte _buttons;
    private long _updates;
    private long _serverBytes;
    private long _helperBytes;
    private byte[]? _scratch;

    public RdpDeviceSession(string sessionId, string controllerId, EndpointOptions endpoint, IFrameSink sink, IUplink uplink, ApplianceOptions options, TimeProvider time, ILoggerFactory loggers)
    {
        SessionId = sessionId;
        ControllerId = controllerId;
        _endpoint = endpoint;
        _sink = sink;
        _uplink = uplink;
        _options = options.Rdp;
        _livenessOptions = options.Liveness;
        _displayOptions = options.Display;
        _time = time;
        _loggers = loggers;
        _logger = loggers.CreateLogger<RdpDeviceSession>();
        _ending = new SessionEnding(sink, ex => Log.ReadFailed(_logger, SessionId, ex));
    }

    public string SessionId { get; }

    public string ControllerId { get; }

    public SessionDetails? Details { get; private set; }

    public Task<SessionOutcome> Completion => _ending.Completion;

    /// <summary>The helper process's id while it runs (the benchmark reads its memory), or null.</summary>
    public int? HelperProcessId { get; private set; }

    /// <summary>PAINT_END messages taken so far (FreeRDP EndPaint calls: consistent pictures).</summary>
    public long UpdatesDecoded => Interlocked.Read(ref _updates);

    /// <summary>
    /// Bytes FreeRDP has read from the RDP server so far (its transport's count, <c>freerdp_get_stats</c>: RDP PDUs after
    /// TLS, without TCP/IP headers), as of the latest PAINT_END. The benchmark compares the display stream with it.
    /// </summary>
    public long ServerBytesRead => Interlocked.Read(ref _serverBytes);

    /// <summary>Bytes of pipe messages read from the helper so far.</summary>
    public long HelperBytesRead => Interlocked.Read(ref _helperBytes);

    /// <summary>The display streamer (for the benchmark's counters).</summary>
    public DisplayStreamer? Streamer => _display?.Streamer;

    /// <summary>
    /// Starts the helper, hands it the start parameters over its stdin (the password never goes into its arguments or
    /// environment), checks the server's certificate against the pin, and returns once the desktop is up. False, with
    /// <see cref="Completion"/> completed with the reason the user sees, when the device refuses or cannot be reached.
    /// </summary>
    public async Task<bool> StartAsync(StartSession start, CancellationToken cancellationToken)
    {
        var helper = _options.ResolvedHelperPath;
        if (!File.Exists(helper))
        {
            Log.HelperMissing(_logger, SessionId, helper);
            _ending.End(new SessionOutcome(EndReason.Error, $"This appliance cannot open RDP sessions: its RDP helper ({RdpOptions.HelperFileName}) is not installed."));
            return false;
        }

        _pin = start.PinnedCertificate;
        _clipboardToBrowser = start.ClipboardToBrowser;
        var (user, domain) = SplitUser(start.Username);
        var (width, height) = start.DisplayWidth > 0 ? (start.DisplayWidth, start.DisplayHeight) : (_options.DefaultWidth, _options.DefaultHeight);
        var info = new ProcessStartInfo(helper)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.Environment["WLOG_LEVEL"] = "ERROR";
        try
        {
            _process = Process.Start(info) ?? throw new Win32Exception("no process");
        }
        catch (Win32Exception ex)
        {
            Log.HelperFailed(_logger, SessionId, ex.Message);
            _ending.End(new SessionOutcome(EndReason.Error, "The appliance could not start its RDP helper."));
            return false;
        }

        HelperProcessId = _process.Id;
        _input = _process.StandardInput.BaseStream;
        _ = DrainStderrAsync(_process.StandardError);
        _readLoop = Task.Run(ReadLoopAsync, CancellationToken.None);

        var flags = _endpoint.AllowLegacyAlgorithms ? RdpPipe.StartAllowRdpSecurity : (byte)0;
        var message = RdpPipe.WriteStart(_endpoint.Host, _endpoint.Port, user, domain, start.Password.Reveal(), width, height, flags, _options.ConnectTimeout);
        try
        {
            await WriteAsync(message, cancellationToken);
        }
        catch (IOException)
        {
            // The helper died at once; the read loop reports how.
        }
        finally
        {
            CryptographicOperations.ZeroMemory(message);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
        timeout.CancelAfter(_options.StartTimeout);
        try
        {
            if (await _connected.Task.WaitAsync(timeout.Token))
            {
                return true;
            }
        }
        catch (OperationCanceledException)
        {
            var outcome = _ending.StopRequest ?? (cancellationToken.IsCancellationRequested
                ? new SessionOutcome(EndReason.Error, "The appliance is shutting down.")
                : new SessionOutcome(EndReason.Unreachable, $"The device did not complete the RDP connection within {_options.StartTimeout.TotalSeconds:0} s."));
            _ending.RequestStop(outcome);

            KillHelper();
        }

        // The read loop has the reason (or takes the stop's): wait for it, it ends once the helper is gone.
        await _readLoop;
        return false;
    }

    /// <summary>
    /// The start's user name as RDP wants it: <c>DOMAIN\user</c> gives the domain apart; <c>user@domain</c> (a UPN) and a
    /// plain name go as they are with no domain (Windows takes a UPN in the user name field).
    /// </summary>
    internal static (string User, string Domain) SplitUser(string username)
    {
        var slash = username.IndexOf('\\', StringComparison.Ordinal);
        return slash > 0 ? (username[(slash + 1)..], username[..slash]) : (username, string.Empty);
    }

    /// <summary>Copies the framebuffer as it is between two messages (tests compare it with the server's own pixels).</summary>
    internal uint[] CopyPixels(out int width, out int height) =>
        (_display ?? throw new InvalidOperationException("Not connected.")).CopyPixels(out width, out height);

    private async Task ReadLoopAsync()
    {
        var process = _process!;
        var reader = PipeReader.Create(process.StandardOutput.BaseStream, new StreamPipeReaderOptions(bufferSize: 256 * 1024));
        var token = _stopping.Token;
        SessionOutcome? outcome = null;
        try
        {
            while (outcome is null)
            {
                var result = await reader.ReadAsync(CancellationToken.None);
                var buffer = result.Buffer;
                var flush = false;
                _liveness?.Heard(); // after CONNECTED, everything the helper says comes from the server: new bytes, or the end
                await _gate.WaitAsync(CancellationToken.None);
                try
                {
                    while (outcome is null)
                    {
                        var status = RdpPipe.TryReadFrame(buffer, out var type, out var body, out var consumed);
                        if (status == RdpReadStatus.NeedMore)
                        {
                            break;
                        }

                        if (status == RdpReadStatus.Ok)
                        {
                            (status, outcome, var painted) = await HandleAsync(type, Contiguous(body));
                            flush |= painted;
                        }

                        if (status != RdpReadStatus.Ok)
                        {
                            Log.BadMessage(_logger, SessionId, type, status);
                            outcome = new SessionOutcome(EndReason.Error, $"The RDP helper sent a malformed message ({status}, type 0x{type:X2}); the session was ended.");
                            break;
                        }

                        Interlocked.Add(ref _helperBytes, consumed);
                        buffer = buffer.Slice(consumed);
                    }

                    if (flush && outcome is null)
                    {
                        await _display!.PictureCompleteLockedAsync(token); // the first whole picture is the stream's first keyframe
                    }
                }
                finally
                {
                    _gate.Release();
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted && outcome is null)
                {
                    outcome = await HelperExitedAsync(process);
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Stopped: the stop request is the outcome.
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            outcome = await HelperExitedAsync(process);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Log.ReadFailed(_logger, SessionId, ex);
            outcome = new SessionOutcome(EndReason.Error, "The appliance hit an internal error.");
        }

        await reader.CompleteAsync();
        _liveness?.Dispose();
        KillHelper();
        var final = _ending.StopRequest ?? outcome ?? new SessionOutcome(EndReason.DeviceClosed, "The device closed the RDP connection.");
        if (_connected.Task.IsCompleted)
        {
            await _ending.FinishAsync(final);
        }
        else
        {
            _ending.End(final);
            _connected.TrySetResult(false);
        }
    }

    /// <summary>A message body as one span (copied when the pipe split it).</summary>
    private ReadOnlyMemory<byte> Contiguous(ReadOnlySequence<byte> body)
    {
        if (body.IsSingleSegment)
        {
            return body.First;
        }

        if (_scratch is null || _scratch.Length < body.Length)
        {
            _scratch = new byte[Math.Max(body.Length, 64 * 1024)];
        }

        body.CopyTo(_scratch);
        return _scratch.AsMemory(0, (int)body.Length);
    }

    /// <summary>Applies one message from the helper (under the gate). Returns a status, the outcome when it ends the session, and whether a picture is complete.</summary>
    private async ValueTask<(RdpReadStatus Status, SessionOutcome? Outcome, bool Flush)> HandleAsync(byte type, ReadOnlyMemory<byte> memory)
    {
        var framebuffer = _framebuffer;
        var connected = framebuffer is not null;
        switch ((RdpMessageType)type)
        {
            case RdpMessageType.Certificate when !connected && _fingerprint is null:
                return (RdpReadStatus.Ok, await CheckCertificateAsync(memory), false);
            case RdpMessageType.Connected when !connected:
            {
                var status = RdpPipe.TryReadConnected(memory.Span, out var info);
                if (status == RdpReadStatus.Ok)
                {
                    OnConnected(info);
                }

                return (status, null, false);
            }

            case RdpMessageType.Paint when connected:
            {
                var status = RdpPipe.TryReadPaint(memory.Span, framebuffer!.Width, framebuffer.Height, out var rect, out var bgrx);
                if (status == RdpReadStatus.Ok)
                {
                    for (var y = 0; y < rect.Height; y++)
                    {
                        var row = framebuffer.Row(rect.Y + y).Slice(rect.X, rect.Width);
                        var from = bgrx.Slice(y * rect.Width * 4, rect.Width * 4);
                        for (var x = 0; x < row.Length; x++)
                        {
                            // B G R X in memory: 0xXXRRGGBB read little-endian.
                            row[x] = BinaryPrimitives.ReadUInt32LittleEndian(from[(x * 4)..]) & 0x00FFFFFF;
                        }
                    }

                    _display!.Streamer.OnPixels(rect);
                }

                return (status, null, false);
            }

            case RdpMessageType.PaintEnd when connected:
            {
                var status = RdpPipe.TryReadPaintEnd(memory.Span, out var bytes);
                if (status == RdpReadStatus.Ok)
                {
                    Interlocked.Exchange(ref _serverBytes, (long)Math.Min(bytes, long.MaxValue));
                    Interlocked.Increment(ref _updates);
                }

                return (status, null, status == RdpReadStatus.Ok);
            }

            case RdpMessageType.Resized when connected:
            {
                var status = RdpPipe.TryReadResized(memory.Span, out var width, out var height);
                if (status == RdpReadStatus.Ok)
                {
                    framebuffer!.Resize(width, height);
                    _display!.Streamer.OnResize(width, height, null);
                    Log.Resized(_logger, SessionId, width, height);
                }

                return (status, null, false);
            }

            case RdpMessageType.Cursor when connected:
            {
                var status = RdpPipe.TryReadCursor(memory.Span, out var hotX, out var hotY, out var width, out var height, out var bgra);
                if (status == RdpReadStatus.Ok)
                {
                    var argb = new uint[width * height];
                    for (var i = 0; i < argb.Length; i++)
                    {
                        // B G R A in memory: 0xAARRGGBB read little-endian; the stream's cursors have alpha 0 or 255.
                        var pixel = BinaryPrimitives.ReadUInt32LittleEndian(bgra.Slice(i * 4, 4));
                        argb[i] = pixel >> 24 >= 0x80 ? pixel | 0xFF000000 : 0;
                    }

                    _display!.Streamer.OnCursor(hotX, hotY, width, height, argb);
                }

                return (status, null, status == RdpReadStatus.Ok);
            }

            case RdpMessageType.Ended:
            {
                var status = RdpPipe.TryReadEnded(memory.Span, out var category, out var code, out var text);
                return (status, status == RdpReadStatus.Ok ? Describe(category, code, text) : null, false);
            }

            default:
                // A known type out of place (pixels before CONNECTED, a second certificate) is as malformed as an unknown one.
                return (RdpReadStatus.UnknownType, null, false);
        }
    }

    /// <summary>The server's certificate: accepted when no pin is set (first use) or it matches the pin; refused otherwise, before any credential was sent.</summary>
    private async ValueTask<SessionOutcome?> CheckCertificateAsync(ReadOnlyMemory<byte> pem)
    {
        var fingerprint = RdpPipe.Fingerprint(pem.Span);
        if (fingerprint is null)
        {
            await WriteAsync(RdpPipe.WriteCertificateAnswer(false), CancellationToken.None);
            return new SessionOutcome(EndReason.Error, "The device's RDP certificate could not be read; the connection was refused before any password was sent.");
        }

        _fingerprint = fingerprint;
        if (_pin is not null && !string.Equals(_pin, fingerprint, StringComparison.Ordinal))
        {
            Log.CertificateChanged(_logger, SessionId, _pin, fingerprint);
            await WriteAsync(RdpPipe.WriteCertificateAnswer(false), CancellationToken.None);
            return new SessionOutcome(
                EndReason.CertificateChanged,
                $"The device's RDP certificate changed (pinned SHA-256 {_pin[..16]}…, now {fingerprint[..16]}…); the connection was refused before any password was sent. An administrator can accept the new certificate in the endpoint's settings.",
                fingerprint);
        }

        await WriteAsync(RdpPipe.WriteCertificateAnswer(true), CancellationToken.None);
        return null;
    }

    private void OnConnected(RdpConnected info)
    {
        _connection = info;
        _framebuffer = new Framebuffer(info.Width, info.Height);
        var streamer = new DisplayStreamer(_framebuffer, _endpoint.Name, _sink, _displayOptions.WithClipboardToBrowser(_clipboardToBrowser), _time, _loggers.CreateLogger<DisplayStreamer>());
        _display = new DisplayOutput(_framebuffer, streamer, _gate, _ending, _time, _stopping.Token);
        if (info.RefreshRect)
        {
            // An idle desktop sends nothing, and FreeRDP's TCP keep-alive is answered by a frozen server's kernel: the
            // server is asked to repaint one pixel (Refresh Rect PDU), and its paint is the answer.
            _liveness = new DeviceLiveness(SessionId, _livenessOptions, _uplink, _time, _logger,
                () => WriteAsync(RdpPipe.WriteRefresh(), _stopping.Token), dead => _ = StopAsync(dead.Reason, dead.Message).AsTask(), DeviceLiveness.DisplayInputGrace);
        }

        Details = new SessionDetails(
            info.Version,
            info.Security,
            _fingerprint is { } fp ? "X.509 SHA-256 " + fp : null,
            info.IsLegacy ? "RC4" : "TLS",
            null,
            LegacyCrypto: info.IsLegacy,
            Terminal: false,
            Banner: null,
            CertificateFingerprint: _fingerprint);
        Log.Connected(_logger, SessionId, info.Version, info.Security, info.Width, info.Height, info.UnicodeInput, HelperProcessId ?? 0);
        _connected.TrySetResult(true);
    }

    /// <summary>The sentence the user sees for the helper's end.</summary>
    private SessionOutcome Describe(RdpEndCategory category, uint code, string text)
    {
        Log.HelperEnded(_logger, SessionId, category, code, text);
        var where = $"{_endpoint.Host}:{_endpoint.Port}";
        return category switch
        {
            RdpEndCategory.AuthenticationFailed => new(EndReason.AuthenticationFailed, "The device refused the RDP login: check the user name, domain and password."),
            RdpEndCategory.Unreachable => new(EndReason.Unreachable, $"The device could not be reached over RDP at {where}."),
            RdpEndCategory.Dropped => new(EndReason.DeviceClosed, "The RDP connection to the device was lost."),
            RdpEndCategory.Licensing => new(EndReason.Error, "The device's RDP licensing refused the connection (no Remote Desktop licence available for this client)."),
            RdpEndCategory.Closed => new(EndReason.DeviceClosed, "The device ended the RDP session."),
            RdpEndCategory.Certificate => new(EndReason.Error, "The device's RDP certificate was refused."),
            RdpEndCategory.BadInput => new(EndReason.Error, "The appliance hit an internal error (its RDP helper refused a message)."),
            _ => new(EndReason.Error, $"The RDP connection failed: {(text.Length > 0 ? text : $"FreeRDP error 0x{code:X8}")}"),
        };
    }

    /// <summary>The helper's stdout closed without an ENDED: it crashed or was killed.</summary>
    private async ValueTask<SessionOutcome> HelperExitedAsync(Process process)
    {
        if (_ending.StopRequest is { } stopped)
        {
            return stopped; // stopped on purpose: its exit is no news
        }

        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            return new SessionOutcome(EndReason.Error, "The RDP helper process for this session stopped answering; the session was ended.");
        }

        var code = process.ExitCode;
        string tail;
        lock (_stderr)
        {
            tail = _stderr.ToString();
        }

        Log.HelperDied(_logger, SessionId, code, tail);
        var how = code > 128 ? $"signal {code - 128}" : $"exit code {code}";
        return new SessionOutcome(EndReason.Error, $"The RDP helper process for this session stopped unexpectedly ({how}); the session was ended. Other sessions are not affected.");
    }

    private async Task DrainStderrAsync(StreamReader stderr)
    {
        // What FreeRDP logs (WLOG_LEVEL=ERROR) is kept, the last 4 KiB, for the log line when the helper dies.
        var buffer = new char[1024];
        try
        {
            int read;
            while ((read = await stderr.ReadAsync(buffer)) > 0)
            {
                lock (_stderr)
                {
                    _stderr.Append(buffer, 0, read);
                    if (_stderr.Length > StderrTailBytes)
                    {
                        _stderr.Remove(0, _stderr.Length - StderrTailBytes);
                    }
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // The helper is gone.
        }
    }

    /// <summary>
    /// PointerInput (RFB button mask, x, y) becomes RDP pointer events, KeyInput (keysym) scancode or Unicode events
    /// (<see cref="RdpKeyboard"/>), DisplayResizeRequest a display-control resize (ignored by servers without it).
    /// ClipboardInput is not carried for RDP yet: refused.
    /// </summary>
    public async ValueTask<bool> HandleInputAsync(FrameHeader header, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var framebuffer = _framebuffer;
        if (framebuffer is null || _ending.HasEnded)
        {
            return false;
        }

        // As for VNC: pointer and keys reach a device only while it answers; refused and the Controller told, never queued.
        if (_liveness is { } liveness && !liveness.AdmitDisplayInput(header.Type))
        {
            return false;
        }

        try
        {
            switch (header.Type)
            {
                case FrameType.PointerInput when payload.Length == 5:
                {
                    var buttons = payload.Span[0];
                    var x = Math.Min((int)BinaryPrimitives.ReadUInt16BigEndian(payload.Span[1..]), framebuffer.Width - 1);
                    var y = Math.Min((int)BinaryPrimitives.ReadUInt16BigEndian(payload.Span[3..]), framebuffer.Height - 1);
                    _display?.Streamer.NotePointer(x, y, buttons);
                    foreach (var flags in RdpPointer.Events(_buttons, buttons))
                    {
                        await WriteAsync(RdpPipe.WritePointer(flags, x, y), cancellationToken);
                    }

                    _buttons = buttons;
                    _display?.FlushSoon();
                    return true;
                }

                case FrameType.KeyInput when payload.Length == 5:
                {
                    var down = payload.Span[0] != 0;
                    var keysym = BinaryPrimitives.ReadUInt32BigEndian(payload.Span[1..]);
                    var events = _keyboard.Map(keysym, down, _connection.UnicodeInput);
                    foreach (var key in events)
                    {
                        await WriteAsync(RdpPipe.WriteKey(key), cancellationToken);
                    }

                    return events.Count > 0;
                }

                case FrameType.DisplayResizeRequest when DisplayFrames.TryReadResizeRequest(payload.Span, out var width, out var height) == DisplayReadStatus.Ok:
                    await WriteAsync(RdpPipe.WriteResize(width, height), cancellationToken);
                    return true;
                default:
                    Log.InputIgnored(_logger, SessionId, header.Type, payload.Length);
                    return false;
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // The read loop notices the helper is gone and ends the session with the reason.
            return false;
        }
    }

    private async ValueTask WriteAsync(byte[] message, CancellationToken cancellationToken)
    {
        var input = _input ?? throw new ObjectDisposedException(nameof(RdpDeviceSession));
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            await input.WriteAsync(message, cancellationToken);
            await input.FlushAsync(cancellationToken);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>RDP asks nothing of the Controller while logging in: the password comes with the start (NLA).</summary>
    public void OnAuthResponse(IReadOnlyList<Secret> answers) => Log.UnexpectedAnswer(_logger, SessionId);

    public ValueTask SendKeyframeAsync(CancellationToken cancellationToken) => _display?.SendKeyframeAsync(cancellationToken) ?? ValueTask.CompletedTask;

    public async ValueTask StopAsync(EndReason reason, string message)
    {
        _ending.RequestStop(new SessionOutcome(reason, message));

        _stopping.Cancel();
        if (_process is null)
        {
            return; // not started yet: StartAsync ends with the stop request
        }

        // STOP lets FreeRDP say goodbye to the server; a helper that does not exit soon is killed. Either way the read
        // loop sees its stdout close and ends the session with the stop's reason.
        try
        {
            await WriteAsync(RdpPipe.WriteStop(), CancellationToken.None);
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            await _process.WaitForExitAsync(wait.Token);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            KillHelper();
        }
    }

    private void KillHelper()
    {
        try
        {
            if (_process is { HasExited: false } process)
            {
                process.Kill();
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or Win32Exception or NotSupportedException)
        {
            // Already gone.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(EndReason.Error, "The session was disposed.");
        if (_readLoop is { } loop)
        {
            await loop;
        }

        KillHelper();
        _liveness?.Dispose();
        _process?.Dispose();
        _display?.Dispose();
        _stopping.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(480, LogLevel.Information, "Session {SessionId}: RDP connected ({Version}, {Security}, {Width}x{Height}, Unicode input: {Unicode}, helper pid {Pid})")]
        public static partial void Connected(ILogger logger, string sessionId, string version, string security, int width, int height, bool unicode, int pid);

        [LoggerMessage(481, LogLevel.Warning, "Session {SessionId}: the RDP helper ended the connection: {Category} (FreeRDP 0x{Code:X8} {Text})")]
        public static partial void HelperEnded(ILogger logger, string sessionId, RdpEndCategory category, uint code, string text);

        [LoggerMessage(482, LogLevel.Warning, "Session {SessionId}: the RDP helper sent a malformed message (type 0x{Type:X2}: {Status}); ending the session")]
        public static partial void BadMessage(ILogger logger, string sessionId, byte type, RdpReadStatus status);

        [LoggerMessage(483, LogLevel.Error, "Session {SessionId}: RDP read loop failed")]
        public static partial void ReadFailed(ILogger logger, string sessionId, Exception exception);

        [LoggerMessage(484, LogLevel.Debug, "Session {SessionId}: input frame {Type} ({Length} bytes) ignored")]
        public static partial void InputIgnored(ILogger logger, string sessionId, FrameType type, int length);

        [LoggerMessage(485, LogLevel.Warning, "Session {SessionId}: an answer came though RDP asks no questions; dropped")]
        public static partial void UnexpectedAnswer(ILogger logger, string sessionId);

        [LoggerMessage(486, LogLevel.Error, "Session {SessionId}: the RDP helper {Path} is missing")]
        public static partial void HelperMissing(ILogger logger, string sessionId, string path);

        [LoggerMessage(487, LogLevel.Error, "Session {SessionId}: the RDP helper could not be started: {Message}")]
        public static partial void HelperFailed(ILogger logger, string sessionId, string message);

        [LoggerMessage(488, LogLevel.Warning, "Session {SessionId}: the RDP helper exited unexpectedly (code {Code}); its last output: {Stderr}")]
        public static partial void HelperDied(ILogger logger, string sessionId, int code, string stderr);

        [LoggerMessage(489, LogLevel.Warning, "Session {SessionId}: the device's RDP certificate {Presented} is not the pinned {Pinned}; refused before sending credentials")]
        public static partial void CertificateChanged(ILogger logger, string sessionId, string pinned, string presented);

        [LoggerMessage(490, LogLevel.Information, "Session {SessionId}: the RDP desktop is now {Width}x{Height}")]
        public static partial void Resized(ILogger logger, string sessionId, int width, int height);
    }
}
