using System.Buffers;
using System.Collections.Concurrent;
using EdgeGateway.Appliance.Configuration;
using EdgeGateway.Appliance.Sessions.Rdp;
using EdgeGateway.Appliance.Sessions.Ssh;
using EdgeGateway.Appliance.Sessions.Vnc;
using EdgeGateway.Appliance.Uplink;
using EdgeGateway.Protocol.Control;
using EdgeGateway.Protocol.Display;
using EdgeGateway.Protocol.Stream;
using Microsoft.Extensions.Options;

namespace EdgeGateway.Appliance.Sessions;

/// <summary>
/// Starts, feeds and stops device sessions on the cloud's instructions — and refuses what the appliance's
/// own configuration does not allow (unknown endpoints, too many sessions, input from anyone but the Controller).
/// No session outlives the cloud's oversight: when the uplink stays down for longer than
/// <see cref="CloudConnectionOptions.SessionGrace"/>, every session is ended (the cloud learns why from the queued
/// <see cref="SessionEnded"/> when it is back); a shorter cut keeps them.
/// </summary>
internal sealed partial class SessionManager(
    IOptions<ApplianceOptions> options,
    IUplink uplink,
    SshSessionFactory sshSessions,
    VncSessionFactory vncSessions,
    RdpSessionFactory rdpSessions,
    TimeProvider time,
    ILogger<SessionManager> logger) : IDownlinkHandler, IAsyncDisposable
{
    private readonly ApplianceOptions _options = options.Value;
    private readonly ConcurrentDictionary<string, IDeviceSession> _sessions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, InputPump> _inputs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, InputControl> _control = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _graceGate = new();
    private ITimer? _graceTimer;
    private int _disposed;

    public IReadOnlyList<string> ActiveSessionIds => [.. _sessions.Keys];

    public IDeviceSession? Find(string sessionId) => _sessions.GetValueOrDefault(sessionId);

    public ValueTask OnControlAsync(ControlMessage message, CancellationToken cancellationToken)
    {
        switch (message)
        {
            case StartSession start:
                Start(start);
                break;
            case StopSession stop when _sessions.TryGetValue(stop.SessionId, out var session):
                Log.Stopping(logger, stop.SessionId, stop.Reason);
                _ = session.StopAsync(stop.Reason, stop.Message).AsTask();
                break;
            case KeyframeRequest request when _sessions.TryGetValue(request.SessionId, out var session):
                return session.SendKeyframeAsync(cancellationToken);
            case SetControl set when _sessions.ContainsKey(set.SessionId):
                return ApplyControlAsync(set, cancellationToken);
            case AuthResponse response when _sessions.TryGetValue(response.SessionId, out var session):
                session.OnAuthResponse(response.Answers);
                break;
            case StopSession or KeyframeRequest or SetControl or AuthResponse:
                break; // the session is already gone; the cloud learns it from SessionEnded
            default:
                Log.UnexpectedControl(logger, message.GetType().Name);
                break;
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask OnInputAsync(string sessionId, string? senderUserId, ReadOnlySequence<byte> frame, CancellationToken cancellationToken)
    {
        if (!_sessions.TryGetValue(sessionId, out var session) || !_inputs.TryGetValue(sessionId, out var input))
        {
            return ValueTask.CompletedTask;
        }

        var bytes = frame.IsSingleSegment ? frame.First : frame.ToArray();

        // Every frame the cloud counted against the window is given back, written or refused.
        var payloadLength = (int)Math.Min(int.MaxValue, Math.Max(0, frame.Length - FrameCodec.HeaderSize));

        // Second line of defence: the cloud already drops viewers' input.
        if (!(_control.TryGetValue(sessionId, out var control) ? control.Allows(senderUserId) : senderUserId == session.ControllerId))
        {
            Log.InputRefused(logger, sessionId);
            input.Refused(payloadLength);
            return ValueTask.CompletedTask;
        }

        // Input frames are at most one paste slice, except a clipboard text for a remote display (contract §1: 256 KiB).
        var limit = FrameCodec.TryReadHeader(bytes.Span, DisplayFrames.MaxClipboardBytes, out var peek) == FrameReadStatus.Complete
            && peek.Type == FrameType.ClipboardInput ? DisplayFrames.MaxClipboardBytes : InputFlow.MaxChunk;
        var status = FrameCodec.TryReadMessage(bytes.Span, limit, out var header, out _);
        if (status != FrameReadStatus.Complete || !header.IsInput)
        {
            Log.BadInput(logger, sessionId, status);
            input.Refused(payloadLength);
            return ValueTask.CompletedTask;
        }

        // The pump writes in order and off this thread when the device makes it wait: the uplink's receive path
        // (every session's input, every control message) never waits for one device's SSH window.
        return input.SubmitAsync(header, bytes.Slice(FrameCodec.HeaderSize, header.PayloadLength));
    }

    public async ValueTask OnConnectedAsync(CancellationToken cancellationToken)
    {
        lock (_graceGate)
        {
            _graceTimer?.Dispose();
            _graceTimer = null;
        }

        foreach (var session in _sessions.Values)
        {
            await session.SendKeyframeAsync(cancellationToken);
        }
    }

    public void OnDisconnected()
    {
        var grace = _options.Cloud.SessionGrace;
        lock (_graceGate)
        {
            if (_graceTimer is not null || Volatile.Read(ref _disposed) != 0)
            {
                return; // already counting since the first drop: a failed reconnect does not restart the count
            }

            _graceTimer = time.CreateTimer(static state => ((SessionManager)state!).OnGraceExpired(), this, grace, Timeout.InfiniteTimeSpan);
        }

        if (!_sessions.IsEmpty)
        {
            Log.CloudLost(logger, _sessions.Count, grace.TotalSeconds);
        }
    }

    private void OnGraceExpired()
    {
        lock (_graceGate)
        {
            _graceTimer?.Dispose();
            _graceTimer = null;
        }

        // Back already (the Hello went out and named the sessions): the cloud governs them again.
        if (uplink.IsConnected || Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        var message = $"The appliance lost its connection to the cloud for more than {_options.Cloud.SessionGrace.TotalSeconds:0} seconds and closed the session.";
        foreach (var (id, session) in _sessions)
        {
            Log.EndingUngoverned(logger, id, _options.Cloud.SessionGrace.TotalSeconds);
            _ = StopQuietlyAsync(id, session, message);
        }
    }

    private async Task StopQuietlyAsync(string id, IDeviceSession session, string message)
    {
        try
        {
            await session.StopAsync(EndReason.ConnectionLost, message);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Started from a timer: nobody awaits it, and RunAsync still reports the session's end.
            Log.SessionFailed(logger, id, ex);
        }
    }

    /// <summary>
    /// The cloud changed who may type (handover, shared control, supervision): applied unless an equal or newer change
    /// already was (a late duplicate), then acknowledged so the cloud lets the new Controller type.
    /// </summary>
    private async ValueTask ApplyControlAsync(SetControl set, CancellationToken cancellationToken)
    {
        var next = new InputControl(set.ControllerId, [.. set.CoControllers], set.InputPaused, set.Epoch);
        var applied = _control.AddOrUpdate(set.SessionId, next, (_, current) => current.Epoch >= set.Epoch ? current : next);
        if (ReferenceEquals(applied, next))
        {
            Log.ControlChanged(logger, set.SessionId, set.Epoch, set.CoControllers.Count, set.InputPaused);
        }

        await uplink.PublishControlAsync(new ControlSet(set.SessionId, applied.Epoch), cancellationToken);
    }

    /// <summary>Who may send input into one session, as the cloud last said (<see cref="SetControl"/>).</summary>
    private sealed record InputControl(string ControllerId, HashSet<string> CoControllers, bool Paused, long Epoch)
    {
        public bool Allows(string? userId) => !Paused && userId is not null && (userId == ControllerId || CoControllers.Contains(userId));
    }

    private void Start(StartSession start)
    {
        var endpoint = _options.Endpoints.FirstOrDefault(e => e.Id == start.EndpointId);
        string? refusal = endpoint is null ? $"This appliance has no endpoint '{start.EndpointId}'."
            : _sessions.ContainsKey(start.SessionId) ? "The session already exists."
            : _sessions.Count >= _options.MaxSessions ? $"The appliance already runs its maximum of {_options.MaxSessions} sessions."
            : null;
        if (refusal is not null)
        {
            Log.Refused(logger, start.SessionId, refusal);
            _ = uplink.PublishControlAsync(new SessionEnded(start.SessionId, EndReason.Refused, refusal), _stopping.Token).AsTask();
            return;
        }

        IDeviceSession session = endpoint!.Protocol switch
        {
            "vnc" => vncSessions.Create(start, endpoint),
            "rdp" => rdpSessions.Create(start, endpoint),
            _ => sshSessions.Create(start, endpoint),
        };
        _inputs[start.SessionId] = new InputPump(session, units => Acknowledge(start.SessionId, units), logger, cut => PasteCut(start.SessionId, cut));
        _sessions[start.SessionId] = session;
        Log.Starting(logger, start.SessionId, endpoint!.Id, endpoint.Host, endpoint.Port);
        _ = RunAsync(session, start);
    }

    private async Task RunAsync(IDeviceSession session, StartSession start)
    {
        SessionEnded ended;
        try
        {
            if (await session.StartAsync(start, _stopping.Token))
            {
                await uplink.PublishControlAsync(new SessionStarted(start.SessionId, session.Details), _stopping.Token);
            }

            var outcome = await session.Completion;
            Log.Ended(logger, start.SessionId, outcome.Reason, outcome.Message);
            ended = new SessionEnded(start.SessionId, outcome.Reason, outcome.Message, outcome.PresentedCertificate);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Log.SessionFailed(logger, start.SessionId, ex);
            ended = new SessionEnded(start.SessionId, EndReason.Error, "The appliance hit an internal error.");
        }
        finally
        {
            _sessions.TryRemove(start.SessionId, out _);
            _control.TryRemove(start.SessionId, out _);
            if (_inputs.TryRemove(start.SessionId, out var input))
            {
                input.Close();
            }

            await session.DisposeAsync();
        }

        // Told only once the session is gone here: a support session's owner may try to connect again with the same
        // session id at once, and must not be refused as "already exists".
        try
        {
            await uplink.PublishControlAsync(ended, CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The cloud learns it from the next Hello, which no longer lists the session.
            Log.PublishFailed(logger, nameof(SessionEnded), ex.GetType().Name);
        }
    }

    /// <summary>The Controller learns how much of a paste reached the device when the rest was refused.</summary>
    private void PasteCut(string sessionId, InputPump.PasteCut cut) =>
        _ = PublishQuietlyAsync(new InputRefused(sessionId, cut.Describe()));

    private async Task PublishQuietlyAsync(ControlMessage message)
    {
        try
        {
            await uplink.PublishControlAsync(message, _stopping.Token);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Log.PublishFailed(logger, message.GetType().Name, ex.GetType().Name);
        }
    }

    private void Acknowledge(string sessionId, long units) =>
        _ = AcknowledgeAsync(sessionId, units);

    private async Task AcknowledgeAsync(string sessionId, long units)
    {
        try
        {
            // Not awaited by the pump: the next write does not wait for the cloud's PUBACK.
            await uplink.PublishControlAsync(new InputAck(sessionId, units), _stopping.Token);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Lost credit comes back with the window reset on the next Hello.
            Log.AckFailed(logger, sessionId, ex.GetType().Name);
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Registered as itself and as IDownlinkHandler: the container disposes it twice.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        lock (_graceGate)
        {
            _graceTimer?.Dispose();
            _graceTimer = null;
        }

        await _stopping.CancelAsync();
        foreach (var session in _sessions.Values)
        {
            await session.StopAsync(EndReason.Error, "The appliance is shutting down.");
        }

        _stopping.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(200, LogLevel.Information, "Session {SessionId}: connecting to endpoint {EndpointId} at {Host}:{Port}")]
        public static partial void Starting(ILogger logger, string sessionId, string endpointId, string host, int port);

        [LoggerMessage(201, LogLevel.Warning, "Session {SessionId} refused: {Reason}")]
        public static partial void Refused(ILogger logger, string sessionId, string reason);

        [LoggerMessage(202, LogLevel.Information, "Session {SessionId} ended: {Reason} {Message}")]
        public static partial void Ended(ILogger logger, string sessionId, EndReason reason, string message);

        [LoggerMessage(203, LogLevel.Information, "Session {SessionId}: stop requested ({Reason})")]
        public static partial void Stopping(ILogger logger, string sessionId, EndReason reason);

        [LoggerMessage(214, LogLevel.Information, "Session {SessionId}: control changed (epoch {Epoch}, {CoControllers} co-controller(s), input paused: {Paused})")]
        public static partial void ControlChanged(ILogger logger, string sessionId, long epoch, int coControllers, bool paused);

        [LoggerMessage(204, LogLevel.Warning, "Session {SessionId}: input from a user who may not type now dropped")]
        public static partial void InputRefused(ILogger logger, string sessionId);

        [LoggerMessage(205, LogLevel.Warning, "Session {SessionId}: malformed input frame dropped ({Status})")]
        public static partial void BadInput(ILogger logger, string sessionId, FrameReadStatus status);

        [LoggerMessage(206, LogLevel.Error, "Session {SessionId} failed")]
        public static partial void SessionFailed(ILogger logger, string sessionId, Exception exception);

        [LoggerMessage(207, LogLevel.Warning, "Ignored control message {MessageType}")]
        public static partial void UnexpectedControl(ILogger logger, string messageType);

        [LoggerMessage(253, LogLevel.Debug, "Session {SessionId}: input acknowledgement not sent ({ExceptionType})")]
        public static partial void AckFailed(ILogger logger, string sessionId, string exceptionType);

        [LoggerMessage(210, LogLevel.Warning, "Publishing {MessageType} failed ({ExceptionType})")]
        public static partial void PublishFailed(ILogger logger, string messageType, string exceptionType);

        [LoggerMessage(208, LogLevel.Warning, "The cloud is unreachable: {Count} session(s) end unless it is back within {Seconds} s")]
        public static partial void CloudLost(ILogger logger, int count, double seconds);

        [LoggerMessage(209, LogLevel.Warning, "Session {SessionId}: ending it, the cloud has been unreachable for {Seconds} s")]
        public static partial void EndingUngoverned(ILogger logger, string sessionId, double seconds);
    }
}
