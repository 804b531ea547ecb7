using System.Net.Sockets;
using EdgeGateway.Appliance.Configuration;
using EdgeGateway.Appliance.Sessions.Terminal;
using EdgeGateway.Protocol.Control;
using EdgeGateway.Protocol.Stream;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace EdgeGateway.Appliance.Sessions.Ssh;

/// <summary>
/// A shell with a PTY on an SSH device (SSH.NET). Output goes through a <see cref="TerminalStreamer"/>, which
/// keeps the true screen in libvterm and decides between raw bytes and screen updates.
/// </summary>
internal sealed partial class SshDeviceSession : IDeviceSession
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(15);

    private readonly EndpointOptions _endpoint;
    private readonly UplinkFrameSink _sink;
    private readonly TerminalStreamOptions _terminalOptions;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly TaskCompletionSource<SessionOutcome> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _inputLock = new(1, 1);
    private SshClient? _client;
    private ShellStream? _shell;
    private TerminalStreamer? _streamer;
    private Thread? _reader;
    private SessionOutcome? _stopRequest;
    private int _ended;

    public SshDeviceSession(string sessionId, string controllerId, EndpointOptions endpoint, UplinkFrameSink sink, TerminalStreamOptions terminalOptions, TimeProvider time, ILoggerFactory loggers)
    {
        SessionId = sessionId;
        ControllerId = controllerId;
        _endpoint = endpoint;
        _sink = sink;
        _terminalOptions = terminalOptions;
        _time = time;
        _loggers = loggers;
        _logger = loggers.CreateLogger<SshDeviceSession>();
    }

    public string SessionId { get; }

    public string ControllerId { get; }

    public Task<SessionOutcome> Completion => _completion.Task;

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

        _shell = _client!.CreateShellStream("xterm-256color", (uint)size.Columns, (uint)size.Rows, 0, 0, 64 * 1024);

        // SSH.NET bounds a write's wait for the device's channel window by this timeout and then throws, cutting a
        // paste into a device that is busy for longer (a 4 MiB paste lost 209 KiB after a 20 s pause). OpenSSH waits
        // as long as the device takes; a dead device is for liveness to notice, which ends the wait by disconnecting.
        _client.ConnectionInfo.Timeout = Timeout.InfiniteTimeSpan;
        _streamer = new TerminalStreamer(size, _sink, _terminalOptions, _time, _loggers.CreateLogger<TerminalStreamer>());
        await _streamer.StartAsync(cancellationToken);

        // A dedicated thread: ShellStream has only a blocking Read, and a thread per session is cheap next to
        // the SSH connection itself. It keeps echo latency free of thread-pool scheduling.
        _reader = new Thread(ReadLoop) { IsBackground = true, Name = "ssh-" + SessionId[..8] };
        _reader.Start();
        Log.Connected(_logger, SessionId, _client.ConnectionInfo.ServerVersion ?? "?");
        return true;
    }

    private async Task<SessionOutcome?> ConnectAsync(string username, Secret password, CancellationToken cancellationToken)
    {
        using var auth = new PasswordAuthenticationMethod(username, password.Reveal());
        var info = new ConnectionInfo(_endpoint.Host, _endpoint.Port, username, auth) { Timeout = ConnectTimeout };
        var client = new SshClient(info) { KeepAliveInterval = TimeSpan.FromSeconds(30) };
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
            return null;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            client.Dispose();
            var where = $"{_endpoint.Host}:{_endpoint.Port}";
            var outcome = ex switch
            {
                _ when hostKeyProblem is not null => new SessionOutcome(EndReason.Refused, hostKeyProblem),
                SshAuthenticationException => new SessionOutcome(EndReason.AuthenticationFailed, "The device refused the user name or password."),
                SocketException se => new SessionOutcome(EndReason.Unreachable, $"Could not reach the device at {where}: {se.SocketErrorCode}."),
                OperationCanceledException or SshOperationTimeoutException => new SessionOutcome(EndReason.Unreachable, $"The device at {where} did not answer within {ConnectTimeout.TotalSeconds:0} s."),
                SshConnectionException sce => new SessionOutcome(EndReason.Error, $"The SSH connection to {where} failed: {sce.Message}"),
                _ => new SessionOutcome(EndReason.Error, $"The SSH connection to {where} failed."),
            };
            Log.ConnectFailed(_logger, SessionId, outcome.Reason, ex.GetType().Name);
            return outcome;
        }
    }

    private void ReadLoop()
    {
        var buffer = new byte[32 * 1024];
        var outcome = new SessionOutcome(EndReason.DeviceClosed, "The device closed the session.");
        try
        {
            while (true)
            {
                var n = _shell!.Read(buffer, 0, buffer.Length);
                if (n == 0)
                {
                    break;
                }

                _streamer!.OnOutputAsync(buffer.AsMemory(0, n), CancellationToken.None).AsTask().GetAwaiter().GetResult();
            }
        }
        catch (Exception ex) when (ex is ObjectDisposedException or SshConnectionException or IOException)
        {
            outcome = _stopRequest ?? new SessionOutcome(EndReason.Error, "The connection to the device was lost.");
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Log.ReadFailed(_logger, SessionId, ex);
            outcome = new SessionOutcome(EndReason.Error, "The appliance hit an internal error.");
        }

        FinishAsync(_stopRequest ?? outcome).AsTask().GetAwaiter().GetResult();
    }

    public async ValueTask HandleInputAsync(FrameHeader header, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var shell = _shell;
        if (shell is null || Volatile.Read(ref _ended) != 0)
        {
            return;
        }

        await _inputLock.WaitAsync(cancellationToken);
        try
        {
            switch (header.Type)
            {
                case FrameType.TerminalInput when payload.Length > 0:
                    _streamer!.OnInput(payload.Span);
                    shell.Write(payload.Span);
                    shell.Flush();
                    break;
                case FrameType.TerminalResizeRequest when TerminalSize.TryRead(payload.Span, out var size):
                    shell.ChangeWindowSize((uint)size.Columns, (uint)size.Rows, 0, 0);
                    await _streamer!.ResizeAsync(size, cancellationToken);
                    break;
                default:
                    break;
            }
        }
        catch (Exception ex) when (ex is ObjectDisposedException or SshConnectionException or IOException)
        {
            // The read loop notices the same failure and ends the session with the reason.
        }
        finally
        {
            _inputLock.Release();
        }
    }

    public ValueTask SendKeyframeAsync(CancellationToken cancellationToken) =>
        _streamer is { } streamer && Volatile.Read(ref _ended) == 0 ? streamer.SendKeyframeAsync(cancellationToken) : ValueTask.CompletedTask;

    public ValueTask StopAsync(EndReason reason, string message)
    {
        _stopRequest ??= new SessionOutcome(reason, message);
        if (_reader is null)
        {
            // Never connected (or still connecting): nothing to close but the outcome.
            return FinishAsync(_stopRequest.Value);
        }

        // Closing the connection ends the read loop, which sends the End frame with our reason.
        _shell?.Dispose();
        _client?.Disconnect();
        return ValueTask.CompletedTask;
    }

    private async ValueTask FinishAsync(SessionOutcome outcome)
    {
        if (Interlocked.Exchange(ref _ended, 1) != 0)
        {
            return;
        }

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
        _shell?.Dispose();
        _client?.Dispose();
        if (_reader is { } reader && reader != Thread.CurrentThread)
        {
            reader.Join(TimeSpan.FromSeconds(5));
        }

        _inputLock.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(300, LogLevel.Information, "Session {SessionId}: shell open ({ServerVersion})")]
        public static partial void Connected(ILogger logger, string sessionId, string serverVersion);

        [LoggerMessage(301, LogLevel.Warning, "Session {SessionId}: connect failed: {Reason} ({ExceptionType})")]
        public static partial void ConnectFailed(ILogger logger, string sessionId, EndReason reason, string exceptionType);

        [LoggerMessage(302, LogLevel.Information, "Session {SessionId}: host key {Algorithm} SHA256:{Fingerprint} accepted (no key pinned for this endpoint)")]
        public static partial void HostKeyAccepted(ILogger logger, string sessionId, string algorithm, string fingerprint);

        [LoggerMessage(303, LogLevel.Error, "Session {SessionId}: output pump failed")]
        public static partial void ReadFailed(ILogger logger, string sessionId, Exception exception);
    }
}
