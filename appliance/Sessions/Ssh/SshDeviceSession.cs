using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using EdgeGateway.Appliance.Configuration;
using EdgeGateway.Appliance.Sessions.Terminal;
using EdgeGateway.Appliance.Uplink;
using EdgeGateway.Protocol.Control;
using EdgeGateway.Protocol.Stream;
using Renci.SshNet;
using Renci.SshNet.Common;
using Renci.SshNet.Messages.Connection;
using Renci.SshNet.Messages.Transport;

namespace EdgeGateway.Appliance.Sessions.Ssh;

/// <summary>
/// A shell on an SSH device (SSH.NET), with a PTY when the device grants one. Output goes through a
/// <see cref="TerminalStreamer"/>, which keeps the true screen in libvterm and decides between raw bytes and screen
/// updates. A <see cref="LivenessMonitor"/> probes the device with OpenSSH keep-alive requests: a device that
/// freezes is "not responding" within seconds (input is refused, not queued) and the session ends when it stays
/// silent for the liveness time; a connection the device drops ends the session at once.
/// </summary>
internal sealed partial class SshDeviceSession : IDeviceSession
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(5);

    private readonly EndpointOptions _endpoint;
    private readonly UplinkFrameSink _sink;
    private readonly IUplink _uplink;
    private readonly TerminalStreamOptions _terminalOptions;
    private readonly LivenessOptions _livenessOptions;
    private readonly LoginOptions _loginOptions;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly TaskCompletionSource<SessionOutcome> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _inputLock = new(1, 1);
    private readonly StringBuilder _banner = new();
    private readonly Lock _outcomeGate = new(); // the outcomes below are written from SSH.NET's threads and read by the read loop
    private SshClient? _client;
    private Session? _session;
    private ShellStream? _shell;
    private LineDiscipline? _lineDiscipline; // only without a PTY
    private TerminalStreamer? _streamer;
    private DeviceLiveness? _liveness;
    private KeyboardInteractiveLogin? _login; // while connecting: where the Controller's answers go
    private Thread? _reader;
    private SessionOutcome? _stopRequest;
    private SessionOutcome? _connectionLost;
    private volatile string? _exit;
    private int _ended;

    public SshDeviceSession(string sessionId, string controllerId, EndpointOptions endpoint, UplinkFrameSink sink, IUplink uplink, ApplianceOptions options, TimeProvider time, ILoggerFactory loggers)
    {
        SessionId = sessionId;
        ControllerId = controllerId;
        _endpoint = endpoint;
        _sink = sink;
        _uplink = uplink;
        _terminalOptions = options.Terminal;
        _livenessOptions = options.Liveness;
        _loginOptions = options.Login;
        _time = time;
        _loggers = loggers;
        _logger = loggers.CreateLogger<SshDeviceSession>();
    }

    public string SessionId { get; }

    public string ControllerId { get; }

    public Task<SessionOutcome> Completion => _completion.Task;

    public SessionDetails? Details { get; private set; }

    /// <summary>The streamer's counters, for metrics and the benchmark.</summary>
    public TerminalStreamer? Streamer => _streamer;

    /// <summary>
    /// Connects and opens the shell. Returns false (and completes <see cref="Completion"/> with the reason the
    /// user sees) when the device refuses or cannot be reached. The password is used here and nowhere else.
    /// </summary>
    public async Task<bool> StartAsync(StartSession start, CancellationToken cancellationToken)
    {
        var size = new TerminalSize(start.Columns, start.Rows);
        var failure = await ConnectAsync(start.Username, start.Password, cancellationToken);
        if (failure is { } f)
        {
            End(f);
            return false;
        }

        var terminal = OpenShell(size);

        // SSH.NET bounds a write's wait for the device's channel window by this timeout and then throws, cutting a
        // paste into a device that is busy for longer (a 4 MiB paste lost 209 KiB after a 20 s pause). OpenSSH waits
        // as long as the device takes; a dead device is for liveness to notice, which ends the wait by disconnecting.
        _client!.ConnectionInfo.Timeout = Timeout.InfiniteTimeSpan;
        _streamer = new TerminalStreamer(size, _sink, _terminalOptions, _time, _loggers.CreateLogger<TerminalStreamer>());
        await _streamer.StartAsync(cancellationToken);

        // What the OpenSSH client prints before the shell's first byte: the device's banner and, without a PTY, why.
        var banner = CleanBanner(_banner.ToString());
        if (banner.Length > 0)
        {
            await WriteNoticeAsync(banner, cancellationToken);
        }

        if (!terminal)
        {
            await WriteNoticeAsync("PTY allocation request failed: the device refused a terminal, the shell runs without one.\n", cancellationToken);
        }

        var info = _client!.ConnectionInfo;
        var legacy = SshAlgorithmPolicy.UsesLegacy(info);
        Details = new SessionDetails(
            Clip(info.ServerVersion),
            Clip(info.CurrentKeyExchangeAlgorithm),
            Clip(info.CurrentHostKeyAlgorithm),
            Clip(info.CurrentServerEncryption),
            Clip(info.CurrentServerHmacAlgorithm),
            legacy,
            terminal,
            banner.Length == 0 ? null : banner[..Math.Min(banner.Length, SessionDetails.MaxBannerLength)]);
        Log.Algorithms(_logger, SessionId, info.CurrentKeyExchangeAlgorithm ?? "?", info.CurrentHostKeyAlgorithm ?? "?", info.CurrentServerEncryption ?? "?", info.CurrentServerHmacAlgorithm ?? "-", legacy);

        _liveness = new DeviceLiveness(SessionId, _livenessOptions, _uplink, _time, _logger, SendProbeAsync, OnDeviceDead);
        WatchConnection(_session!);

        // A dedicated thread: ShellStream has only a blocking Read, and a thread per session is cheap next to
        // the SSH connection itself. It keeps echo latency free of thread-pool scheduling.
        _reader = new Thread(ReadLoop) { IsBackground = true, Name = "ssh-" + SessionId[..8] };
        _reader.Start();
        Log.Connected(_logger, SessionId, info.ServerVersion ?? "?", terminal);
        return true;
    }

    private async Task<SessionOutcome?> ConnectAsync(string username, Secret password, CancellationToken cancellationToken)
    {
        // Password first; keyboard-interactive for devices that take the password through PAM's conversation
        // (PasswordAuthentication no, KbdInteractiveAuthentication yes) and for second factors, which the Controller
        // answers in the browser.
        using var passwordAuth = new PasswordAuthenticationMethod(username, password.Reveal());
        using var interactiveAuth = new KeyboardInteractiveLogin(SessionId, username, password, _loginOptions.PromptTimeout, AskController);
        _login = interactiveAuth;
        var info = new ConnectionInfo(_endpoint.Host, _endpoint.Port, username, passwordAuth, interactiveAuth) { Timeout = ConnectTimeout };
        SshAlgorithmPolicy.Apply(info, _endpoint.AllowLegacyAlgorithms);

        // SSH.NET takes OpenSSH's keep-alive channel request as known and never answers it, so a device with
        // ClientAliveInterval drops the session after ClientAliveCountMax intervals. Unknown, it gets the
        // SSH_MSG_CHANNEL_FAILURE that the OpenSSH client sends, which is all the device asks for.
        info.ChannelRequests.Remove(KeepAliveRequestInfo.Name);
        info.AuthenticationBanner += (_, e) =>
        {
            lock (_banner)
            {
                if (_banner.Length < SessionDetails.MaxBannerLength)
                {
                    _banner.Append(e.BannerMessage);
                }
            }
        };

        var client = new SshClient(info);
        string? hostKeyProblem = null;
        client.HostKeyReceived += (_, e) =>
        {
            var expected = _endpoint.HostKeySha256;
            if (string.IsNullOrWhiteSpace(expected))
            {
                Log.HostKeyAccepted(_logger, SessionId, e.HostKeyName, e.FingerPrintSHA256);
                return;
            }

            var normalized = expected.StartsWith("SHA256:", StringComparison.Ordinal) ? expected[7..] : expected;
            e.CanTrust = string.Equals(normalized.TrimEnd('='), e.FingerPrintSHA256.TrimEnd('='), StringComparison.Ordinal);
            if (!e.CanTrust)
            {
                hostKeyProblem = $"The device's host key (SHA256:{e.FingerPrintSHA256}) does not match the one pinned for this endpoint.";
            }
        };

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ConnectTimeout);
        try
        {
            await client.ConnectAsync(timeout.Token);
            _client = client;
            _session = SshNetInternals.SessionOf(client) ?? throw new SshConnectionException("The connection closed during login.");
            return null;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            client.Dispose();
            var where = $"{_endpoint.Host}:{_endpoint.Port}";
            var outcome = ex switch
            {
                _ when hostKeyProblem is not null => new SessionOutcome(EndReason.Refused, hostKeyProblem),
                LoginAbandonedException abandoned => new SessionOutcome(EndReason.AuthenticationFailed, abandoned.Message),
                SshAuthenticationException when interactiveAuth.LastRelayed is { } asked => new SessionOutcome(EndReason.AuthenticationFailed,
                    $"The device refused the login after the answer to \"{asked.TrimEnd(':', ' ')}\"{(interactiveAuth.DeviceSaid is { } said ? $": {said}" : ".")}"),
                SshAuthenticationException sae when OfferedMethods(sae.Message) is { } methods => new SessionOutcome(EndReason.AuthenticationFailed,
                    $"The device offers only {methods} logins; the appliance logs in with a password (password or keyboard-interactive)."),
                SshAuthenticationException => new SessionOutcome(EndReason.AuthenticationFailed, "The device refused the user name or password."),
                SocketException se => new SessionOutcome(EndReason.Unreachable, $"Could not reach the device at {where}: {se.SocketErrorCode}."),
                OperationCanceledException or SshOperationTimeoutException => new SessionOutcome(EndReason.Unreachable, $"The device at {where} did not answer within {ConnectTimeout.TotalSeconds:0} s."),
                SshException when ex is SshConnectionException { DisconnectReason: DisconnectReason.KeyExchangeFailed } || IsNegotiationFailure(ex) =>
                    await ExplainNegotiationFailureAsync(info, where, cancellationToken),
                SshConnectionException sce => new SessionOutcome(EndReason.Error, $"The SSH connection to {where} failed: {sce.Message}"),
                _ => new SessionOutcome(EndReason.Error, $"The SSH connection to {where} failed."),
            };
            Log.ConnectFailed(_logger, SessionId, outcome.Reason, ex.GetType().Name, outcome.Message);
            return outcome;
        }
    }

    /// <summary>A question from the device for the Controller goes to the cloud; the answer comes back through <see cref="OnAuthResponse"/>.</summary>
    private void AskController(AuthPrompt prompt)
    {
        Log.PromptRelayed(_logger, SessionId, prompt.Prompts.Count);
        Publish(prompt);
    }

    public void OnAuthResponse(IReadOnlyList<Secret> answers)
    {
        if (_login?.Answer(answers) != true)
        {
            Log.UnexpectedAnswer(_logger, SessionId);
        }
    }

    private static string? OfferedMethods(string message)
    {
        // SSH.NET: "No suitable authentication method found to complete authentication (publickey,hostbased)."
        const string marker = "No suitable authentication method found";
        if (!message.StartsWith(marker, StringComparison.Ordinal))
        {
            return null;
        }

        var open = message.IndexOf('(', StringComparison.Ordinal);
        var close = message.LastIndexOf(')');
        return open > 0 && close > open ? message[(open + 1)..close].Replace(",", ", ", StringComparison.Ordinal) : null;
    }

    private static bool IsNegotiationFailure(Exception ex) =>
        ex.Message.Contains("algorithm not found", StringComparison.OrdinalIgnoreCase)
        || ex.Message.Contains("negotiat", StringComparison.OrdinalIgnoreCase);

    private async Task<SessionOutcome> ExplainNegotiationFailureAsync(ConnectionInfo info, string where, CancellationToken cancellationToken)
    {
        var offer = await KexInitOffer.ReadAsync(_endpoint.Host, _endpoint.Port, ProbeTimeout, cancellationToken);
        var mismatch = offer is null ? null : SshAlgorithmPolicy.ExplainMismatch(offer, info);
        if (mismatch is null)
        {
            return new SessionOutcome(EndReason.Refused, $"The device at {where} and the appliance have no SSH algorithms in common.");
        }

        return _endpoint.AllowLegacyAlgorithms
            ? new SessionOutcome(EndReason.Refused, $"The device offers algorithms the appliance does not support ({mismatch}).")
            : new SessionOutcome(EndReason.Refused, $"The device offers only legacy algorithms ({mismatch}). An administrator can allow legacy algorithms for this endpoint.");
    }

    /// <summary>Opens the shell with a PTY, or without one when the device refuses it (OpenSSH does the same). True with a PTY.</summary>
    private bool OpenShell(TerminalSize size)
    {
        try
        {
            _shell = _client!.CreateShellStream("xterm-256color", (uint)size.Columns, (uint)size.Rows, 0, 0, 64 * 1024);
            return true;
        }
        catch (SshException ex) when (ex.Message.Contains("pseudo-terminal", StringComparison.Ordinal))
        {
            Log.NoTerminal(_logger, SessionId);
            _shell = _client!.CreateShellStreamNoTerminal(64 * 1024);
            _lineDiscipline = new LineDiscipline();
            return false;
        }
    }

    /// <summary>Everything the device sends proves it alive; an exit status is kept for the end message.</summary>
    private void WatchConnection(Session session)
    {
        session.ChannelDataReceived += (_, _) => _liveness?.Heard();
        session.ChannelExtendedDataReceived += (_, _) => _liveness?.Heard();
        session.ChannelWindowAdjustReceived += (_, _) => _liveness?.Heard();
        session.RequestSuccessReceived += (_, _) => _liveness?.Heard();
        session.RequestFailureReceived += (_, _) => _liveness?.Heard();
        session.ChannelSuccessReceived += (_, _) => _liveness?.Heard();
        session.ChannelFailureReceived += (_, _) => _liveness?.Heard();
        session.ChannelRequestReceived += (_, e) =>
        {
            _liveness?.Heard();
            _exit ??= DescribeExit(e.Message);
        };

        // SSH.NET reports a connection the device dropped only as an error: ShellStream.Read would wait forever.
        _client!.ErrorOccurred += (_, e) =>
        {
            lock (_outcomeGate)
            {
                if (_stopRequest is null && _connectionLost is null)
                {
                    Log.ConnectionLost(_logger, SessionId, e.Exception.GetType().Name);
                    _connectionLost = new SessionOutcome(EndReason.DeviceClosed, "The device closed the connection.");
                }
            }

            Quietly(_shell);
        };
    }

    /// <summary>RFC 4254 §6.10: "exit-status" (uint32) or "exit-signal" (signal name without "SIG").</summary>
    private static string? DescribeExit(ChannelRequestMessage message)
    {
        var data = message.RequestData.AsSpan();
        if (data.Length < 1)
        {
            return null;
        }

        data = data[1..]; // want-reply
        if (message.RequestName == "exit-status" && data.Length >= 4)
        {
            return $"exit status {BinaryPrimitives.ReadUInt32BigEndian(data)}";
        }

        if (message.RequestName == "exit-signal" && data.Length >= 4)
        {
            var length = BinaryPrimitives.ReadUInt32BigEndian(data);
            if (length <= 32 && data.Length >= 4 + length)
            {
                var name = Encoding.ASCII.GetString(data.Slice(4, (int)length));
                return name.All(char.IsAsciiLetterOrDigit) ? $"killed by signal {name}" : "killed by a signal";
            }
        }

        return null;
    }

    /// <summary>The liveness probe: OpenSSH's keep-alive, a global request that wants a reply (the device answers it, even if only to refuse it).</summary>
    private ValueTask SendProbeAsync()
    {
        if (_session is { } session && Volatile.Read(ref _ended) == 0)
        {
            SshNetInternals.SendKeepAlive(session);
        }

        return ValueTask.CompletedTask;
    }

    private void OnDeviceDead(SessionOutcome outcome)
    {
        SessionOutcome dead;
        lock (_outcomeGate)
        {
            _connectionLost ??= outcome;
            dead = _stopRequest ?? _connectionLost.Value;
        }

        // Everyone is told now. Closing the channel waits for the device's answer (SSH.NET's ChannelCloseTimeout, 1 s),
        // which a frozen device never gives: that happens in the background.
        _ = FinishAsync(dead).AsTask();
        CloseInBackground(_shell, _client);
    }

    private void Publish(ControlMessage message) =>
        _ = _uplink.PublishControlAsync(message, CancellationToken.None).AsTask().ContinueWith(
            static (t, state) => Log.PublishFailed((ILogger)state!, t.Exception!.GetBaseException().GetType().Name),
            _logger, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);

    private void ReadLoop()
    {
        var buffer = new byte[32 * 1024];
        var screen = _lineDiscipline is null ? null : new ArrayBufferWriter<byte>(64 * 1024);
        SessionOutcome? outcome = null;
        try
        {
            while (true)
            {
                var n = _shell!.Read(buffer, 0, buffer.Length);
                if (n == 0)
                {
                    break;
                }

                ReadOnlyMemory<byte> output = buffer.AsMemory(0, n);
                if (screen is not null)
                {
                    screen.ResetWrittenCount();
                    LineDiscipline.Output(output.Span, screen);
                    output = screen.WrittenMemory;
                }

                _streamer!.OnOutputAsync(output, CancellationToken.None).AsTask().GetAwaiter().GetResult();
            }
        }
        catch (Exception ex) when (ex is ObjectDisposedException or SshConnectionException or IOException)
        {
            outcome = new SessionOutcome(EndReason.Error, "The connection to the device was lost.");
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Log.ReadFailed(_logger, SessionId, ex);
            outcome = new SessionOutcome(EndReason.Error, "The appliance hit an internal error.");
        }

        var closed = new SessionOutcome(EndReason.DeviceClosed, _exit is null ? "The device closed the session." : $"The device closed the session ({_exit}).");
        SessionOutcome final;
        lock (_outcomeGate)
        {
            final = _stopRequest ?? _connectionLost ?? outcome ?? closed;
        }

        FinishAsync(final).AsTask().GetAwaiter().GetResult();
    }

    public async ValueTask<bool> HandleInputAsync(FrameHeader header, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var shell = _shell;
        if (shell is null || Volatile.Read(ref _ended) != 0)
        {
            return false;
        }

        if (header.Type == FrameType.TerminalInput && payload.Length > 0 && !_liveness!.TryAdmitInput())
        {
            // A paste's slices are the pump's to report, once, with how much of the paste reached the device.
            RefuseInput(payload.Length, notify: (header.Flags & FrameFlags.Paste) == 0);
            return false;
        }

        await _inputLock.WaitAsync(cancellationToken);
        try
        {
            switch (header.Type)
            {
                case FrameType.TerminalInput when payload.Length > 0 && _lineDiscipline is { } line:
                    var toDevice = new ArrayBufferWriter<byte>(payload.Length + 1);
                    var echo = new ArrayBufferWriter<byte>(payload.Length + 8);
                    line.Input(payload.Span, toDevice, echo);
                    if (echo.WrittenCount > 0)
                    {
                        await _streamer!.OnOutputAsync(echo.WrittenMemory, cancellationToken);
                    }

                    if (toDevice.WrittenCount > 0)
                    {
                        shell.Write(toDevice.WrittenSpan);
                        shell.Flush();
                    }

                    break;
                case FrameType.TerminalInput when payload.Length > 0:
                    _streamer!.OnInput(payload.Span);
                    shell.Write(payload.Span);
                    shell.Flush();
                    break;
                case FrameType.TerminalResizeRequest when TerminalSize.TryRead(payload.Span, out var size):
                    if (_lineDiscipline is null)
                    {
                        shell.ChangeWindowSize((uint)size.Columns, (uint)size.Rows, 0, 0);
                    }

                    await _streamer!.ResizeAsync(size, cancellationToken);
                    break;
                default:
                    break;
            }
        }
        catch (Exception ex) when (ex is ObjectDisposedException or SshConnectionException or IOException)
        {
            // The read loop notices the same failure and ends the session with the reason.
            return false;
        }
        finally
        {
            _inputLock.Release();
        }

        return true;
    }

    private void RefuseInput(int bytes, bool notify)
    {
        Log.InputRefused(_logger, SessionId, bytes);
        if (!notify)
        {
            return;
        }

        _liveness?.NotifyRefused("Not sent: the device is not responding. Typing is refused until it answers again.");
    }

    public ValueTask SendKeyframeAsync(CancellationToken cancellationToken) =>
        _streamer is { } streamer && Volatile.Read(ref _ended) == 0 ? streamer.SendKeyframeAsync(cancellationToken) : ValueTask.CompletedTask;

    public ValueTask StopAsync(EndReason reason, string message)
    {
        _login?.Cancel(); // a question still waiting for the Controller ends the login
        SessionOutcome request;
        lock (_outcomeGate)
        {
            _stopRequest ??= new SessionOutcome(reason, message);
            request = _stopRequest.Value;
        }

        if (_reader is null)
        {
            // Never connected (or still connecting): nothing to close but the outcome.
            return FinishAsync(request);
        }

        // Closing the connection ends the read loop, which sends the End frame with our reason.
        CloseInBackground(_shell, _client);
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Closing the channel waits for the device's answer and disconnecting can block on a frozen device's full TCP
    /// window: never on the caller's thread, one after the other, and racing the session's disposal is fine.
    /// </summary>
    private static void CloseInBackground(ShellStream? shell, SshClient? client) =>
        ThreadPool.UnsafeQueueUserWorkItem(static state =>
        {
            Quietly(state.shell);
            if (state.client is { } client)
            {
                Quietly(client.Disconnect);
            }
        }, (shell, client), preferLocal: false);

    /// <summary>Runs a close or dispose that may find the connection already gone or disposed by another path.</summary>
    private static void Quietly(IDisposable? disposable) => Quietly(() => disposable?.Dispose());

    private static void Quietly(Action close)
    {
        try
        {
            close();
        }
        catch (Exception ex) when (ex is ObjectDisposedException or SshException or SocketException or InvalidOperationException or IOException)
        {
            // Already closed or disposed.
        }
    }

    private async ValueTask WriteNoticeAsync(string text, CancellationToken cancellationToken)
    {
        var screen = new ArrayBufferWriter<byte>(text.Length + 16);
        LineDiscipline.Output(Encoding.UTF8.GetBytes(text), screen);
        await _streamer!.OnOutputAsync(screen.WrittenMemory, cancellationToken);
    }

    /// <summary>
    /// A banner is device text shown to people: keep printable text, tabs and line breaks, drop every other control
    /// character (an escape sequence in a banner must not repaint or retitle anyone's terminal), as OpenSSH does.
    /// </summary>
    internal static string CleanBanner(string banner)
    {
        var text = new StringBuilder(Math.Min(banner.Length, SessionDetails.MaxBannerLength));
        foreach (var c in banner)
        {
            if (text.Length >= SessionDetails.MaxBannerLength)
            {
                break;
            }

            if (c is '\n' or '\t' || !char.IsControl(c))
            {
                text.Append(c);
            }
        }

        var cleaned = text.ToString().Trim('\n');
        return cleaned.Length == 0 ? cleaned : cleaned + "\n";
    }

    private static string? Clip(string? value) => value is { Length: > SessionDetails.MaxNameLength } ? value[..SessionDetails.MaxNameLength] : value;

    private async ValueTask FinishAsync(SessionOutcome outcome)
    {
        if (Interlocked.Exchange(ref _ended, 1) != 0)
        {
            return;
        }

        _liveness?.Dispose();
        if (_streamer is { } streamer)
        {
            await streamer.DisposeAsync();
        }

        try
        {
            await _sink.SendAsync(FrameType.End, FrameFlags.None, SessionEnd.Encode(outcome.Reason, outcome.Message), CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Log.ReadFailed(_logger, SessionId, ex);
        }

        _completion.TrySetResult(outcome);
    }

    private void End(SessionOutcome outcome)
    {
        Interlocked.Exchange(ref _ended, 1);
        _completion.TrySetResult(outcome);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(EndReason.Error, "The session was disposed.");
        _liveness?.Dispose();
        Quietly(_shell);
        Quietly(_client);
        if (_reader is { } reader && reader != Thread.CurrentThread)
        {
            reader.Join(TimeSpan.FromSeconds(5));
        }

        _inputLock.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(300, LogLevel.Information, "Session {SessionId}: shell open ({ServerVersion}, terminal: {Terminal})")]
        public static partial void Connected(ILogger logger, string sessionId, string serverVersion, bool terminal);

        [LoggerMessage(301, LogLevel.Warning, "Session {SessionId}: connect failed: {Reason} ({ExceptionType}): {Message}")]
        public static partial void ConnectFailed(ILogger logger, string sessionId, EndReason reason, string exceptionType, string message);

        [LoggerMessage(302, LogLevel.Information, "Session {SessionId}: host key {Algorithm} SHA256:{Fingerprint} accepted (no key pinned for this endpoint)")]
        public static partial void HostKeyAccepted(ILogger logger, string sessionId, string algorithm, string fingerprint);

        [LoggerMessage(303, LogLevel.Error, "Session {SessionId}: output pump failed")]
        public static partial void ReadFailed(ILogger logger, string sessionId, Exception exception);

        [LoggerMessage(304, LogLevel.Information, "Session {SessionId}: negotiated kex {KeyExchange}, host key {HostKey}, cipher {Cipher}, MAC {Mac}; legacy: {Legacy}")]
        public static partial void Algorithms(ILogger logger, string sessionId, string keyExchange, string hostKey, string cipher, string mac, bool legacy);

        [LoggerMessage(305, LogLevel.Warning, "Session {SessionId}: the device refused a terminal (PTY); the shell runs without one")]
        public static partial void NoTerminal(ILogger logger, string sessionId);

        [LoggerMessage(309, LogLevel.Information, "Session {SessionId}: the device dropped the connection ({ExceptionType})")]
        public static partial void ConnectionLost(ILogger logger, string sessionId, string exceptionType);

        [LoggerMessage(310, LogLevel.Information, "Session {SessionId}: {Bytes} bytes of input refused: the device is not responding")]
        public static partial void InputRefused(ILogger logger, string sessionId, int bytes);

        [LoggerMessage(311, LogLevel.Warning, "Publishing a login prompt failed ({ExceptionType})")]
        public static partial void PublishFailed(ILogger logger, string exceptionType);

        [LoggerMessage(312, LogLevel.Information, "Session {SessionId}: the device asks {Count} question(s) the credentials cannot answer: relayed to the Controller")]
        public static partial void PromptRelayed(ILogger logger, string sessionId, int count);

        [LoggerMessage(313, LogLevel.Warning, "Session {SessionId}: an answer came while the device asked nothing; dropped")]
        public static partial void UnexpectedAnswer(ILogger logger, string sessionId);
    }
}
