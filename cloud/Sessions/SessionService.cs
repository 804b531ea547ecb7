using System.Collections.Concurrent;
using System.Text.Json;
using EdgeGateway.Cloud.Broker;
using EdgeGateway.Cloud.Configuration;
using EdgeGateway.Cloud.FanOut;
using EdgeGateway.Cloud.Operability;
using EdgeGateway.Cloud.Policy;
using EdgeGateway.Protocol.Control;
using EdgeGateway.Protocol.Display;
using EdgeGateway.Protocol.Stream;
using EdgeGateway.Protocol.Topics;
using Microsoft.Extensions.Options;

namespace EdgeGateway.Cloud.Sessions;

/// <summary>Why a session could not start, with the HTTP status and the sentence the user sees.</summary>
public sealed record StartFailure(int StatusCode, string Message);

/// <summary>A request to open a session. The password goes to the appliance and nowhere else.</summary>
/// <summary>A start or connect request. <paramref name="DisplayWidth"/> × <paramref name="DisplayHeight"/>: the desktop size in pixels an RDP start asks for (200–8192 each), 0 × 0 for the appliance's default.</summary>
public sealed record StartRequest(string ApplianceId, string EndpointId, string Username, Secret Password, int Columns, int Rows, string? Name = null, int DisplayWidth = 0, int DisplayHeight = 0)
{
    /// <summary>A sentence when the sizes are out of range, else null.</summary>
    public string? Problem() =>
        !new TerminalSize(Columns, Rows).IsValid ? "The terminal size is out of range."
        : (DisplayWidth, DisplayHeight) != (0, 0) && (DisplayWidth is < DisplayFrames.MinRequestedSide or > DisplayFrames.MaxRequestedSide || DisplayHeight is < DisplayFrames.MinRequestedSide or > DisplayFrames.MaxRequestedSide)
            ? $"The display size is out of range ({DisplayFrames.MinRequestedSide} to {DisplayFrames.MaxRequestedSide} pixels each side)."
        : null;
}

/// <summary>
/// Sessions on this node: starts them through the appliance, tracks them, ends them, and routes each
/// appliance frame once into the session's fan-out.
/// </summary>
public sealed partial class SessionService : IUpstreamHandler, IDisposable
{
    private readonly ConcurrentDictionary<string, LiveSession> _live = new(StringComparer.Ordinal);
    private readonly IApplianceChannel _channel;
    private readonly ApplianceRegistry _appliances;
    private readonly SessionRecords _records;
    private readonly CloudOptions _options;
    private readonly CloudMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<SessionService> _logger;
    private readonly EndpointCertificates? _certificates;

    /// <summary>A session service; <paramref name="certificates"/> null: no device certificate is pinned or checked (unit tests of other parts).</summary>
    public SessionService(IApplianceChannel channel, ApplianceRegistry appliances, CloudDatabase database, IOptions<CloudOptions> options, CloudMetrics metrics, TimeProvider time, ILogger<SessionService> logger, EndpointCertificates? certificates = null)
    {
        _certificates = certificates;
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(metrics);
        _channel = channel;
        _appliances = appliances;
        _records = new SessionRecords(database);
        _options = options.Value;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        metrics.ObserveSessions(() => _live.Count, () => _live.Values.Sum(s => s.Stream.ViewerCount), () => _appliances.OnlineCount);
        EndRecordsOfEarlierRun();
    }

    /// <summary>What a session that was running when the cloud stopped is recorded as, and what its appliance is told.</summary>
    internal const string CloudRestartedMessage = "The cloud restarted while the session was running, and the session was ended.";

    public IReadOnlyList<SessionView> List() =>
        [.. _live.Values.Where(s => s.IsOpen).OrderBy(s => s.StartedAt).Select(s => s.ToView())];

    /// <summary>A session that is connected, or a support session (waiting or connecting); null for a start still in progress.</summary>
    public LiveSession? Find(string id) => _live.TryGetValue(id, out var s) && s.IsOpen ? s : null;

    /// <summary>
    /// Opens a session for <paramref name="controller"/>; completes when the device answered or the wait timed out:
    /// with the session, a failure, or a question the device asks the Controller during login
    /// (<see cref="AnswerLoginAsync"/> answers it).
    /// </summary>
    public async Task<(SessionView? Session, StartFailure? Failure, LoginPrompt? Prompt)> StartAsync(UserInfo controller, StartRequest request, CancellationToken cancellationToken, SessionTerms? terms = null)
    {
        ArgumentNullException.ThrowIfNull(controller);
        ArgumentNullException.ThrowIfNull(request);
        if (request.Problem() is { } problem)
        {
            return (null, new StartFailure(400, problem), null);
        }

        var endpoint = _appliances.FindEndpoint(request.ApplianceId, request.EndpointId);
        if (endpoint is null)
        {
            return (null, new StartFailure(404, "There is no such endpoint."), null);
        }

        // A VNC server asks for a password only (RFC 6143 §7.2.2); an SSH login always names a user.
        if (string.IsNullOrEmpty(request.Username) && !IsDisplayProtocol(endpoint.Protocol))
        {
            return (null, new StartFailure(400, "Enter the device user name."), null);
        }

        if (!_appliances.IsOnline(request.ApplianceId))
        {
            return (null, new StartFailure(409, "The appliance is offline."), null);
        }

        var session = Open(controller, request.ApplianceId, endpoint, terms ?? SessionTerms.Unrestricted, request.Name, waiting: false);
        return await ConnectCoreAsync(session, controller, request, cancellationToken);
    }

    /// <summary>
    /// Creates a support session: named, listed and joinable at once, <see cref="SessionStatus.Waiting"/> until someone
    /// joins or its owner connects the device (<see cref="ConnectAsync"/>). Null when there is no such endpoint.
    /// </summary>
    public LiveSession? CreateWaiting(UserInfo owner, string applianceId, string endpointId, string name, SessionTerms terms)
    {
        ArgumentNullException.ThrowIfNull(owner);
        return _appliances.FindEndpoint(applianceId, endpointId) is { } endpoint ? Open(owner, applianceId, endpoint, terms, name, waiting: true) : null;
    }

    /// <summary>
    /// Opens the device connection of a support session with its owner's credentials. Completes like
    /// <see cref="StartAsync"/>; a failure leaves the session as it was, for another attempt. 409 while an attempt runs
    /// or the device is connected already.
    /// </summary>
    public async Task<(SessionView? Session, StartFailure? Failure, LoginPrompt? Prompt)> ConnectAsync(UserInfo owner, LiveSession session, StartRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(request);
        if (request.Problem() is { } problem)
        {
            return (null, new StartFailure(400, problem), null);
        }

        if (string.IsNullOrEmpty(request.Username) && !IsDisplayProtocol(session.Protocol))
        {
            return (null, new StartFailure(400, "Enter the device user name."), null);
        }

        if (!_appliances.IsOnline(session.ApplianceId))
        {
            return (null, new StartFailure(409, "The appliance is offline."), null);
        }

        if (!session.TryBeginConnect())
        {
            return (null, new StartFailure(409, session.Started ? "The device is connected already." : "The device is being connected already."), null);
        }

        return await ConnectCoreAsync(session, owner, request, cancellationToken);
    }

    private LiveSession Open(UserInfo controller, string applianceId, EndpointView endpoint, SessionTerms terms, string? name, bool waiting)
    {
        var id = TopicMap.NewSessionId();
        var stream = new SessionStream(_options.Sessions, _metrics, _time, () => RequestKeyframe(applianceId, id), terms.Policy.ClipboardToBrowser);
        var controllerRef = new UserRef(controller.Id, controller.Name);
        var session = new LiveSession(id, NewUniqueCode(), applianceId, endpoint.Id, endpoint.Name, controllerRef, _time.GetUtcNow(), stream, terms, endpoint.Protocol, name, waiting);
        session.Participants[controller.Id] = new Participant(controllerRef, controller.Role, JoinVia.Start, session.StartedAt, CanControl: true, SupervisorEligible: controller.Role == Roles.DomainAdmin);
        stream.SetControl(new StreamControl(controller.Id, new HashSet<string>(StringComparer.Ordinal), false));
        _live[id] = session;
        _records.Started(session.Id, session.Code, session.ApplianceId, session.EndpointId, session.EndpointName, session.Controller.Id, session.StartedAt, name, session.Status);
        Log.Starting(_logger, id, controller.Name, applianceId, endpoint.Id);
        return session;
    }

    private async Task<(SessionView? Session, StartFailure? Failure, LoginPrompt? Prompt)> ConnectCoreAsync(LiveSession session, UserInfo controller, StartRequest request, CancellationToken cancellationToken)
    {
        var terms = session.Terms;
        var pin = PinsCertificate(session.Protocol) ? _certificates?.Find(session.ApplianceId, session.EndpointId)?.Fingerprint : null;
        var start = new StartSession(session.Id, session.EndpointId, controller.Id, request.Username, request.Password, request.Columns, request.Rows, terms.Policy.ClipboardToBrowser, terms.Policy.ClipboardToDevice, pin, request.DisplayWidth, request.DisplayHeight);
        if (!await _channel.SendControlAsync(session.ApplianceId, start, cancellationToken))
        {
            return Failed(session, EndReason.Unreachable, "The appliance went offline.", new StartFailure(409, "The appliance is offline."));
        }

        return await AwaitStartStepAsync(session, session.StartResult, cancellationToken);
    }

    /// <summary>
    /// A start or connect attempt failed: a quick start ends with it; a support session stays as it was, ready for the
    /// next attempt.
    /// </summary>
    private (SessionView? Session, StartFailure? Failure, LoginPrompt? Prompt) Failed(LiveSession session, EndReason reason, string message, StartFailure failure)
    {
        if (session.IsSupport && !session.Started)
        {
            session.ResetStart();
            session.EndConnect();
            Log.ConnectFailed(_logger, session.Id, reason, message);
        }
        else
        {
            End(session, reason, message);
        }

        return (null, failure, null);
    }

    /// <summary>
    /// The Controller answers the question the device asked while logging in (<paramref name="answers"/>, one per
    /// prompt, secrets that go to the device only), or gives the login up (<paramref name="answers"/> null). Only the
    /// user who started the session may. Completes like <see cref="StartAsync"/>: started, failed, or the next question.
    /// </summary>
    public async Task<(SessionView? Session, StartFailure? Failure, LoginPrompt? Prompt)> AnswerLoginAsync(UserInfo controller, string sessionId, IReadOnlyList<Secret>? answers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(controller);
        if (!_live.TryGetValue(sessionId, out var session) || session.Started)
        {
            return (null, new StartFailure(404, "This login is no longer waiting for an answer (it ended or timed out). Connect again."), null);
        }

        if (session.Controller.Id != controller.Id)
        {
            return (null, new StartFailure(403, "Only the user who started this login can answer the device."), null);
        }

        if (answers is null)
        {
            var message = $"{controller.Name} cancelled the login.";
            await _channel.SendControlAsync(session.ApplianceId, new StopSession(session.Id, EndReason.ControllerEnded, message), cancellationToken);
            return Failed(session, EndReason.ControllerEnded, message, new StartFailure(409, "The login was cancelled."));
        }

        if (answers.Count is 0 or > AuthPrompt.MaxPrompts || answers.Any(a => a.Reveal().Length > AuthResponse.MaxAnswerLength))
        {
            return (null, new StartFailure(400, $"Give one answer per question, each at most {AuthResponse.MaxAnswerLength} characters."), null);
        }

        var next = session.BeginAnswer();
        if (next is null)
        {
            return (null, new StartFailure(409, "The device is not asking anything right now."), null);
        }

        if (!next.IsCompleted && !await _channel.SendControlAsync(session.ApplianceId, new AuthResponse(session.Id, answers), cancellationToken))
        {
            return Failed(session, EndReason.Unreachable, "The appliance went offline.", new StartFailure(409, "The appliance is offline."));
        }

        Log.Answered(_logger, session.Id, controller.Name);
        return await AwaitStartStepAsync(session, next, cancellationToken);
    }

    /// <summary>Waits for the device's next word in a start: started, ended, or a question for the Controller.</summary>
    private async Task<(SessionView? Session, StartFailure? Failure, LoginPrompt? Prompt)> AwaitStartStepAsync(LiveSession session, Task<ControlMessage> step, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.Sessions.StartTimeout);
        ControlMessage result;
        try
        {
            result = await step.WaitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            await _channel.SendControlAsync(session.ApplianceId, new StopSession(session.Id, EndReason.Unreachable, "Start timed out."), CancellationToken.None);
            return Failed(session, EndReason.Unreachable, "The appliance did not open the connection in time.", new StartFailure(504, $"The device did not answer within {_options.Sessions.StartTimeout.TotalSeconds:0} seconds."));
        }

        switch (result)
        {
            case SessionEnded ended:
                var status = ended.Reason switch
                {
                    EndReason.AuthenticationFailed => 422,
                    EndReason.Refused or EndReason.ControllerEnded => 409,
                    _ => 502,
                };
                return Failed(session, ended.Reason, ended.Message, new StartFailure(status, ended.Message));
            case AuthPrompt prompt:
                Log.Asking(_logger, session.Id, prompt.Prompts.Count);
                return (null, null, new LoginPrompt(session.Id, prompt.Instruction, prompt.Prompts));
            default:
                session.EndConnect();
                Log.Started(_logger, session.Id);
                return (session.ToView(), null, null);
        }
    }

    /// <summary>
    /// Ends a session on the Controller's or an administrator's request (<paramref name="endedBy"/>: their user id, kept
    /// with the record). The appliance closes the device connection and confirms with "ended", after the device's last
    /// output and the End frame, so that viewers lose nothing the device sent; if it cannot be reached, the session is
    /// over here and now.
    /// </summary>
    public async Task<bool> StopAsync(string id, EndReason reason, string message, CancellationToken cancellationToken, string? endedBy = null)
    {
        if (!_live.TryGetValue(id, out var session))
        {
            return false;
        }

        session.EndedBy ??= endedBy;
        if (!session.Started)
        {
            // Nothing runs on the appliance (a connect attempt in flight is told to stop): the session ends here.
            if (_appliances.IsOnline(session.ApplianceId))
            {
                await _channel.SendControlAsync(session.ApplianceId, new StopSession(id, reason, message), cancellationToken);
            }

            End(session, reason, message);
        }
        else if (!_appliances.IsOnline(session.ApplianceId) || !await _channel.SendControlAsync(session.ApplianceId, new StopSession(id, reason, message), cancellationToken))
        {
            End(session, reason, message);
        }

        return true;
    }

    /// <summary>
    /// Forwards one Controller input frame (payload at most <see cref="InputFlow.MaxChunk"/>) to the appliance, first
    /// waiting for flow-control credit. False when it could not be queued to the appliance (its credit comes back).
    /// </summary>
    public async Task<bool> SendInputAsync(LiveSession session, string userId, ReadOnlyMemory<byte> frame, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (!session.Started)
        {
            return false; // no device connection yet: nothing to type into
        }

        var cost = InputFlow.Cost(Math.Max(0, frame.Length - FrameCodec.HeaderSize));
        await session.Input.AcquireAsync(cost, cancellationToken);
        if (await _channel.SendInputAsync(session.ApplianceId, session.Id, userId, frame, cancellationToken))
        {
            session.InputBytesByUser.AddOrUpdate(userId, frame.Length - FrameCodec.HeaderSize, (_, n) => n + frame.Length - FrameCodec.HeaderSize);
            return true;
        }

        session.Input.Release(cost);
        return false;
    }

    public void OnControl(string applianceId, ControlMessage message)
    {
        switch (message)
        {
            case Hello hello:
                _appliances.OnHello(applianceId, hello);
                foreach (var running in _live.Values.Where(s => s.ApplianceId == applianceId))
                {
                    running.Input.Reset();
                }

                Reconcile(applianceId, hello.ActiveSessions);
                break;
            case ControlSet set when Owned(applianceId, set.SessionId) is { } session:
                if (session.ControlAcks.TryRemove(set.Epoch, out var confirmed))
                {
                    confirmed.TrySetResult();
                }

                break;
            case InputAck ack when Owned(applianceId, ack.SessionId) is { } session:
                session.Input.Release(ack.Units);
                break;
            case SessionStarted started when Owned(applianceId, started.SessionId) is { } session:
                if (started.Details?.CertificateFingerprint is { } fingerprint && PinsCertificate(session.Protocol))
                {
                    _certificates?.OnConnected(applianceId, session.EndpointId, fingerprint, session.Id);
                }

                session.OnStarted(started);
                RecordDetails(session);
                _records.Connected(session.Id, _time.GetUtcNow());
                if (session.IsSupport)
                {
                    MarkInSession(session);
                    session.Stream.Broadcast(StatusJson(session));
                }

                break;
            case DeviceStatus status when Owned(applianceId, status.SessionId) is { Started: true } session && session.DeviceResponding != status.Responding:
                session.DeviceResponding = status.Responding;
                Log.DeviceStatus(_logger, session.Id, status.Responding);
                session.Stream.Broadcast(JsonSerializer.Serialize(new StreamEvent("device", Responding: status.Responding), StreamEventJson.Default.StreamEvent));
                break;
            case InputRefused refused when Owned(applianceId, refused.SessionId) is { Started: true } session:
                session.Stream.NotifyController(JsonSerializer.Serialize(new StreamEvent("notice", Message: refused.Message), StreamEventJson.Default.StreamEvent));
                break;
            case AuthPrompt prompt when Owned(applianceId, prompt.SessionId) is { Started: false } session:
                session.OnPrompt(prompt);
                break;
            case SessionEnded ended when Owned(applianceId, ended.SessionId) is { } session:
                if (ended is { Reason: EndReason.CertificateChanged, PresentedCertificate: { } presented } && PinsCertificate(session.Protocol))
                {
                    _certificates?.OnChanged(applianceId, session.EndpointId, presented, session.Id, ended.Message);
                }

                // A start whose question is with the Controller has nobody waiting for the device: end it here (a
                // support session's attempt only: the session stays, for another attempt).
                var unattended = session.AwaitingAnswer;
                session.OnEnded(ended);
                if (session.Started)
                {
                    End(session, ended.Reason, ended.Message);
                }
                else if (unattended)
                {
                    Failed(session, ended.Reason, ended.Message, new StartFailure(502, ended.Message));
                }

                break;
            default:
                break;
        }
    }

    public void OnFrame(string applianceId, string sessionId, ReadOnlySpan<byte> frame)
    {
        var session = Owned(applianceId, sessionId);
        if (session is null)
        {
            return;
        }

        var status = FrameCodec.TryReadMessage(frame, FrameCodec.DefaultMaxPayload, out var header, out _);
        if (status != FrameReadStatus.Complete || header.IsInput)
        {
            _metrics.BadFrames.Add(1);
            Log.BadFrame(_logger, applianceId, sessionId, status);
            return;
        }

        if (header.Type == FrameType.End && !session.Started && session.IsSupport)
        {
            return; // a failed connect attempt's end: the support session goes on (its SessionEnded says why)
        }

        _metrics.FramesIn.Add(1);
        _metrics.BytesIn.Add(frame.Length);
        session.Stream.OnFrame(frame, header);
    }

    /// <summary>What every viewer of a session whose appliance is offline is told (also when joining meanwhile).</summary>
    public string ApplianceOfflineJson => JsonSerializer.Serialize(
        new StreamEvent(
            "appliance",
            State: "offline",
            GraceSeconds: (int)Math.Ceiling(_options.Sessions.ApplianceGrace.TotalSeconds),
            Message: $"Appliance offline — reconnecting. The session ends if it is not back within {_options.Sessions.ApplianceGrace.TotalSeconds:0} seconds."),
        StreamEventJson.Default.StreamEvent);

    /// <summary>
    /// The appliance's connection dropped (a crash, a power cut, a network cut): every viewer of its sessions is told
    /// at once, and each session waits <see cref="SessionLimitsOptions.ApplianceGrace"/> for the appliance to come back.
    /// </summary>
    public void OnDisconnected(string applianceId)
    {
        _appliances.SetOffline(applianceId);
        foreach (var login in _live.Values.Where(s => s.ApplianceId == applianceId && s.AwaitingAnswer))
        {
            Failed(login, EndReason.Unreachable, "The appliance went offline while the device waited for an answer.", new StartFailure(409, "The appliance is offline."));
        }

        var grace = _options.Sessions.ApplianceGrace;
        var json = ApplianceOfflineJson;
        foreach (var session in _live.Values.Where(s => s.ApplianceId == applianceId && s.Started))
        {
            if (session.MarkOffline(_time, grace, OnGraceExpired))
            {
                Log.ApplianceOffline(_logger, session.Id, applianceId, grace.TotalSeconds);
                session.Stream.Broadcast(json);
            }
        }
    }

    /// <summary>The Hello the appliance sends on every (re)connect lists the sessions it runs; both sides' lists are made to agree.</summary>
    private void Reconcile(string applianceId, IReadOnlyList<string> running)
    {
        var online = JsonSerializer.Serialize(new StreamEvent("appliance", State: "online"), StreamEventJson.Default.StreamEvent);
        foreach (var session in _live.Values.Where(s => s.ApplianceId == applianceId && s.Started))
        {
            if (!running.Contains(session.Id))
            {
                // It restarted, or ended the session by its own grace period (its reason, if so, arrived just before).
                End(session, EndReason.ConnectionLost, "The appliance no longer runs this session: it restarted or lost the cloud for too long.");
            }
            else
            {
                if (session.MarkOnline())
                {
                    Log.ApplianceBack(_logger, session.Id, applianceId);
                    session.Stream.Broadcast(online);
                }

                // A Hello means a new connection, so frames may have been lost in between (even when this side never
                // saw the old one drop): the appliance sends every running session's keyframe right after its Hello,
                // and every viewer resumes from it.
                session.Stream.ResumeAfterGap();
            }
        }

        // A session running on the device that the cloud does not govern (the cloud restarted, or ended it while the
        // appliance was away) must not stay open where no one sees it: end it, with the reason the cloud recorded.
        foreach (var id in running)
        {
            if (!_live.ContainsKey(id))
            {
                var (reason, message) = RecordedEnd(applianceId, id) ?? (EndReason.ConnectionLost, "The cloud has no record of this session, so it was ended.");
                Log.StoppingUnknown(_logger, id, applianceId, reason);
                _ = _channel.SendControlAsync(applianceId, new StopSession(id, reason, message), CancellationToken.None);
            }
        }
    }

    private void OnGraceExpired(LiveSession session)
    {
        try
        {
            if (session.ApplianceOffline && !_appliances.IsOnline(session.ApplianceId))
            {
                End(session, EndReason.ConnectionLost, $"The appliance went offline and did not come back within {_options.Sessions.ApplianceGrace.TotalSeconds:0} seconds.");
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A timer callback: an exception here would end the process, and with it every other session.
            Log.GraceFailed(_logger, session.Id, ex);
        }
    }

    /// <summary>Stops the grace periods still running: a timer must not fire into a service that is shutting down.</summary>
    public void Dispose()
    {
        foreach (var session in _live.Values)
        {
            session.MarkOnline();
        }
    }

    /// <summary>
    /// Sessions still open in the database were running when this process stopped (a crash, kill -9, a deploy). Their
    /// viewers' connections and the Controller's claim died with it, so they are recorded as ended now; an appliance
    /// that still runs one is told to end it, with this reason, when it reconnects (<see cref="Reconcile"/>).
    /// </summary>
    private void EndRecordsOfEarlierRun()
    {
        var ended = _records.EndAllOpen(_time.GetUtcNow(), nameof(EndReason.ConnectionLost), CloudRestartedMessage);
        if (ended > 0)
        {
            Log.EndedEarlierRun(_logger, ended);
        }
    }

    private (EndReason Reason, string Message)? RecordedEnd(string applianceId, string sessionId) =>
        _records.RecordedEnd(applianceId, sessionId) is { } end && Enum.TryParse<EndReason>(end.Reason, out var reason) ? (reason, end.Message) : null;

    private LiveSession? Owned(string applianceId, string sessionId) =>
        _live.TryGetValue(sessionId, out var session) && session.ApplianceId == applianceId ? session : null;

    /// <summary>Whether an endpoint's protocol shows a remote display (<c>vnc</c>; <c>rdp</c> later) rather than a terminal.</summary>
    /// <summary>Protocols whose device certificate the cloud pins (trust on first use): RDP.</summary>
    internal static bool PinsCertificate(string? protocol) => string.Equals(protocol, "rdp", StringComparison.OrdinalIgnoreCase);

    internal static bool IsDisplayProtocol(string? protocol) =>
        string.Equals(protocol, "vnc", StringComparison.OrdinalIgnoreCase) || string.Equals(protocol, "rdp", StringComparison.OrdinalIgnoreCase);

    private void RequestKeyframe(string applianceId, string sessionId) =>
        _ = _channel.SendControlAsync(applianceId, new KeyframeRequest(sessionId), CancellationToken.None);

    private void End(LiveSession session, EndReason reason, string message, string status = SessionStatus.Ended)
    {
        if (!_live.TryRemove(session.Id, out _))
        {
            return;
        }

        session.MarkOnline(); // stops a running grace period
        session.LimitTimer?.Dispose();
        session.ExpiryTimer?.Dispose();
        foreach (var pending in session.ControlAcks.Values)
        {
            pending.TrySetCanceled();
        }

        session.OnEnded(new SessionEnded(session.Id, reason, message));
        var json = JsonSerializer.Serialize(new StreamEvent("ended", Reason: reason.ToString(), Message: message), StreamEventJson.Default.StreamEvent);
        session.Stream.Complete(json);
        _records.Ended(session.Id, _time.GetUtcNow(), reason.ToString(), message, session.EndedBy, status);
        Log.Ended(_logger, session.Id, reason, message);
        Ended?.Invoke(session, reason, message);
    }

    /// <summary>Raised once when a session ends, for whatever reason (the governance records who left and audits expiries).</summary>
    public event Action<LiveSession, EndReason, string>? Ended;

    /// <summary>Every session open on this node: connected, or a support session (waiting or connecting).</summary>
    public IEnumerable<LiveSession> Running => _live.Values.Where(s => s.IsOpen);

    /// <summary>
    /// Turns a waiting session In session (someone joined, or its device connected) and records it; false when it was
    /// not waiting. The caller tells the pages (<see cref="StatusJson"/>).
    /// </summary>
    internal bool MarkInSession(LiveSession session)
    {
        var now = _time.GetUtcNow();
        if (!session.MarkInSession(now))
        {
            return false;
        }

        _records.InSession(session.Id, now);
        return true;
    }

    /// <summary>The <c>status</c> event every page of the session gets when its status changes.</summary>
    internal static string StatusJson(LiveSession session) =>
        JsonSerializer.Serialize(new StreamEvent("status", Status: session.Status, InSessionSince: session.InSessionSince, Connected: session.Started, ExpiresAt: session.ExpiresAt), StreamEventJson.Default.StreamEvent);

    /// <summary>
    /// Sets when a waiting session expires (its invitations' latest expiry; only ever later). At that time, if nobody
    /// joined and the device is not connected, it ends as <see cref="SessionStatus.Expired"/>.
    /// </summary>
    internal void ExpireWaitingAt(LiveSession session, DateTimeOffset at)
    {
        lock (session.Sync)
        {
            if (session.InSessionSince is not null || (session.ExpiresAt is { } current && current >= at))
            {
                return;
            }

            session.ExpiresAt = at;
            session.ExpiryTimer?.Dispose();
            var due = at - _time.GetUtcNow();
            session.ExpiryTimer = _time.CreateTimer(_ => OnWaitingExpired(session, at), null, due < TimeSpan.Zero ? TimeSpan.Zero : due, Timeout.InfiniteTimeSpan);
        }

        _records.Expires(session.Id, at);
    }

    private void OnWaitingExpired(LiveSession session, DateTimeOffset at)
    {
        try
        {
            if (session.InSessionSince is null && !session.Started && session.ExpiresAt == at)
            {
                End(session, EndReason.Expired, "The invitation expired before anyone joined.", SessionStatus.Expired);
                if (_appliances.IsOnline(session.ApplianceId))
                {
                    _ = _channel.SendControlAsync(session.ApplianceId, new StopSession(session.Id, EndReason.Expired, "Expired."), CancellationToken.None); // a connect attempt in flight
                }
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Log.GraceFailed(_logger, session.Id, ex); // a timer callback must not end the process
        }
    }

    /// <summary>Sends a control message about a session to its appliance; false when the appliance is not connected.</summary>
    internal Task<bool> SendControlAsync(LiveSession session, ControlMessage message, CancellationToken cancellationToken) =>
        _channel.SendControlAsync(session.ApplianceId, message, cancellationToken);

    /// <summary>Ends a session here and now (a time limit ran out; the appliance is told as well).</summary>
    internal async Task EndNowAsync(LiveSession session, EndReason reason, string message)
    {
        if (_appliances.IsOnline(session.ApplianceId))
        {
            await _channel.SendControlAsync(session.ApplianceId, new StopSession(session.Id, reason, message), CancellationToken.None);
        }

        End(session, reason, message);
    }

    private void RecordDetails(LiveSession session)
    {
        if (session.Details is not { } details)
        {
            return;
        }

        _records.Details(session.Id, JsonSerializer.Serialize(details, StreamEventJson.Default.SessionDetails));
    }

    private string NewUniqueCode()
    {
        while (true)
        {
            var code = SessionCodes.New();
            if (!_live.Values.Any(s => s.Code == code))
            {
                return code;
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(2000, LogLevel.Information, "Session {SessionId}: {User} connecting to {ApplianceId}/{EndpointId}")]
        public static partial void Starting(ILogger logger, string sessionId, string user, string applianceId, string endpointId);

        [LoggerMessage(2001, LogLevel.Information, "Session {SessionId} started")]
        public static partial void Started(ILogger logger, string sessionId);

        [LoggerMessage(2002, LogLevel.Information, "Session {SessionId} ended: {Reason} {Message}")]
        public static partial void Ended(ILogger logger, string sessionId, EndReason reason, string message);

        [LoggerMessage(2004, LogLevel.Information, "Session {SessionId}: device responding: {Responding}")]
        public static partial void DeviceStatus(ILogger logger, string sessionId, bool responding);

        [LoggerMessage(2003, LogLevel.Warning, "Appliance {ApplianceId} sent a bad frame for session {SessionId}: {Status}")]
        public static partial void BadFrame(ILogger logger, string applianceId, string sessionId, FrameReadStatus status);

        [LoggerMessage(2004, LogLevel.Warning, "Session {SessionId}: appliance {ApplianceId} went offline; the session ends unless it is back within {Seconds} s")]
        public static partial void ApplianceOffline(ILogger logger, string sessionId, string applianceId, double seconds);

        [LoggerMessage(2005, LogLevel.Information, "Session {SessionId}: appliance {ApplianceId} is back and still runs it")]
        public static partial void ApplianceBack(ILogger logger, string sessionId, string applianceId);

        [LoggerMessage(2006, LogLevel.Warning, "Appliance {ApplianceId} runs session {SessionId}, which this cloud does not run: telling it to end it ({Reason})")]
        public static partial void StoppingUnknown(ILogger logger, string sessionId, string applianceId, EndReason reason);

        [LoggerMessage(2008, LogLevel.Error, "Session {SessionId}: ending it after its appliance's grace period failed")]
        public static partial void GraceFailed(ILogger logger, string sessionId, Exception exception);

        [LoggerMessage(2009, LogLevel.Information, "Session {SessionId}: the device asks the Controller {Count} question(s) to log in")]
        public static partial void Asking(ILogger logger, string sessionId, int count);

        [LoggerMessage(2010, LogLevel.Information, "Session {SessionId}: {User} answered the device's question")]
        public static partial void Answered(ILogger logger, string sessionId, string user);

        [LoggerMessage(2007, LogLevel.Warning, "{Count} session(s) were still open from before this start; recorded as ended")]
        public static partial void EndedEarlierRun(ILogger logger, int count);

        [LoggerMessage(2011, LogLevel.Information, "Session {SessionId}: connecting the device failed ({Reason}: {Message}); the session waits for another attempt")]
        public static partial void ConnectFailed(ILogger logger, string sessionId, EndReason reason, string message);
    }
}
