using System.Collections.Concurrent;
using EdgeGateway.Cloud.FanOut;
using EdgeGateway.Cloud.Policy;
using EdgeGateway.Protocol.Control;
using EdgeGateway.Protocol.Stream;

namespace EdgeGateway.Cloud.Sessions;

/// <summary>
/// A session as the API shows it. <see cref="Protocol"/>: the endpoint's protocol (<c>ssh</c>, <c>vnc</c>), which
/// tells the page whether to show a terminal or a display; <see cref="Clipboard"/>: the policy's clipboard setting
/// (<see cref="EndpointClipboard"/>) the session runs under. <see cref="Status"/>: <see cref="SessionStatus.Waiting"/>,
/// <see cref="SessionStatus.InSession"/> or <see cref="SessionStatus.ApplianceOffline"/> (a running session; history
/// adds <see cref="SessionStatus.Ended"/> and <see cref="SessionStatus.Expired"/>). <see cref="StartedAt"/>: when the
/// session was created; <see cref="InSessionSince"/>: when it turned In session; <see cref="ExpiresAt"/>: when a waiting
/// session expires unless someone joins; <see cref="Connected"/>: the device connection is open; <see cref="OwnerId"/>:
/// who created it (the only one who may connect its device).
/// </summary>
public sealed record SessionView(
    string Id,
    string Code,
    string ApplianceId,
    string EndpointId,
    string EndpointName,
    UserRef Controller,
    DateTimeOffset StartedAt,
    int Viewers,
    string Status,
    SessionDetails? Details = null,
    bool DeviceResponding = true,
    IReadOnlyList<ParticipantView>? Participants = null,
    bool JointSession = true,
    int MaxParticipants = 10,
    bool InputPaused = false,
    DateTimeOffset? EndsAt = null,
    bool SharedControl = false,
    string Protocol = "ssh",
    string Clipboard = EndpointClipboard.Off,
    string? Name = null,
    DateTimeOffset? InSessionSince = null,
    DateTimeOffset? ExpiresAt = null,
    bool Connected = true,
    string? OwnerId = null);

/// <summary>
/// A session's status, as the API, the stream and history name it. Forward only: waiting → in-session → ended, or
/// waiting → expired (or ended, when its owner gives it up). <see cref="ApplianceOffline"/> is In session with the
/// appliance reconnecting.
/// </summary>
public static class SessionStatus
{
    /// <summary>"Waiting for participant": created, nobody but its owner has joined and the device is not connected yet.</summary>
    public const string Waiting = "waiting";

    /// <summary>"In session": someone other than the owner joined, or the device connection opened.</summary>
    public const string InSession = "in-session";

    /// <summary>In session, the appliance disconnected and the grace period runs.</summary>
    public const string ApplianceOffline = "appliance-offline";

    /// <summary>Ended by a person (who, in <c>endedBy</c>), the device, a limit or a failure.</summary>
    public const string Ended = "ended";

    /// <summary>The invitation ran out before anyone joined.</summary>
    public const string Expired = "expired";
}

/// <summary>
/// A person in a session as everyone sees them. <see cref="Role"/>: <c>controller</c>, <c>co-controller</c> or
/// <c>viewer</c>; <see cref="JoinedVia"/>: <c>start</c>, <c>list</c>, <c>code</c> or <c>link</c>; <see cref="Supervisor"/>:
/// their presence lets input through where supervision is required; <see cref="Connected"/>: a page of theirs is open.
/// </summary>
public sealed record ParticipantView(string Id, string Name, string Role, string JoinedVia, bool Supervisor, bool Connected, bool CanControl);

/// <summary>
/// What <c>POST /api/sessions</c> answers (202) while the device asks the Controller something during login (a one-time
/// code, a second factor): answer with <c>POST /api/sessions/{SessionId}/auth-response</c>.
/// </summary>
/// <param name="SessionId">The session being started.</param>
/// <param name="Instruction">The device's instruction text, often empty.</param>
/// <param name="Prompts">The questions; an answer with <c>echo</c> false is typed hidden.</param>
public sealed record LoginPrompt(string SessionId, string Instruction, IReadOnlyList<PromptField> Prompts);

/// <summary>A user named in a response.</summary>
public sealed record UserRef(string Id, string Name);

/// <summary>A session in progress on this node.</summary>
public sealed class LiveSession
{
    private readonly Lock _gate = new();
    private TaskCompletionSource<ControlMessage> _startStep = new(TaskCreationOptions.RunContinuationsAsynchronously); // under _gate
    private AuthPrompt? _prompt; // under _gate: the device's question, shown to the Controller and not yet answered
    private SessionEnded? _ended; // under _gate
    private ITimer? _graceTimer; // under _gate: set while the appliance is offline
    private UserRef _controller;
    private bool _connecting; // under _gate: a connect attempt of a support session runs

    public LiveSession(string id, string code, string applianceId, string endpointId, string endpointName, UserRef controller, DateTimeOffset startedAt, SessionStream stream, SessionTerms? terms = null, string protocol = "ssh", string? name = null, bool waiting = false)
    {
        ArgumentNullException.ThrowIfNull(controller);
        Protocol = protocol;
        Name = name;
        OwnerId = controller.Id;
        IsSupport = waiting;
        if (!waiting)
        {
            InSessionSince = startedAt;
        }

        Terms = terms ?? SessionTerms.Unrestricted;
        Id = id;
        Code = code;
        ApplianceId = applianceId;
        EndpointId = endpointId;
        EndpointName = endpointName;
        _controller = controller;
        StartedAt = startedAt;
        Stream = stream;
    }

    public string Id { get; }

    public string Code { get; }

    public string ApplianceId { get; }

    public string EndpointId { get; }

    public string EndpointName { get; }

    /// <summary>The support session's descriptive name ("Line 3 HMI frozen after update"); null for an unnamed quick start.</summary>
    public string? Name { get; }

    /// <summary>Who created the session: the only one who may connect its device (they alone enter its credentials).</summary>
    public string OwnerId { get; }

    /// <summary>Created before its device connection (a support session): listed and joinable while it waits.</summary>
    public bool IsSupport { get; }

    /// <summary>When the session turned In session; null while it waits.</summary>
    public DateTimeOffset? InSessionSince { get; private set; }

    /// <summary>When a waiting session expires unless someone joins first (its invitations' latest expiry).</summary>
    public DateTimeOffset? ExpiresAt { get; internal set; }

    internal ITimer? ExpiryTimer { get; set; }

    /// <summary>Listed, joinable and streamable: connected, or a support session (which exists before its connection).</summary>
    public bool IsOpen => Started || IsSupport;

    /// <summary>
    /// Turns a waiting session In session (at <paramref name="at"/>); false when it was not waiting. Forward only.
    /// </summary>
    internal bool MarkInSession(DateTimeOffset at)
    {
        lock (_gate)
        {
            if (InSessionSince is not null || _ended is not null)
            {
                return false;
            }

            InSessionSince = at;
            ExpiryTimer?.Dispose();
            ExpiryTimer = null;
            ExpiresAt = null;
            return true;
        }
    }

    /// <summary>The running status: <see cref="SessionStatus.Waiting"/>, <see cref="SessionStatus.InSession"/> or <see cref="SessionStatus.ApplianceOffline"/>.</summary>
    public string Status => ApplianceOffline ? SessionStatus.ApplianceOffline : InSessionSince is null ? SessionStatus.Waiting : SessionStatus.InSession;
    /// <summary>The endpoint's protocol when the session started: <c>ssh</c> or <c>vnc</c>.</summary>
    public string Protocol { get; }

    /// <summary>The user in control now; changes with a handover.</summary>
    public UserRef Controller
    {
        get
        {
            lock (_gate)
            {
                return _controller;
            }
        }
    }

    /// <summary>The policy the session was started under: domain, endpoint policy, the approval it runs on.</summary>
    public SessionTerms Terms { get; }

    /// <summary>People admitted to the session (the Controller always among them), guarded by <see cref="Sync"/>.</summary>
    internal Dictionary<string, Participant> Participants { get; } = new(StringComparer.Ordinal);

    /// <summary>Users who redeemed an invite for this session: they may join view-only whatever their own access.</summary>
    internal HashSet<string> Invited { get; } = new(StringComparer.Ordinal);

    /// <summary>Users waiting for the Controller's answer to their request for control.</summary>
    internal HashSet<string> ControlRequests { get; } = new(StringComparer.Ordinal);

    /// <summary>Users granted input alongside the Controller.</summary>
    internal HashSet<string> CoControllers { get; } = new(StringComparer.Ordinal);

    /// <summary>True while supervision is required and no supervisor is present.</summary>
    internal bool InputPaused { get; set; }

    /// <summary>The epoch of the last <see cref="SetControl"/> sent to the appliance.</summary>
    internal long ControlEpoch { get; set; }

    /// <summary>Serialises changes of participants and control (joins, leaves, handovers: all rare).</summary>
    internal Lock Sync { get; } = new();

    /// <summary>Serialises control changes that wait for the appliance's acknowledgement.</summary>
    internal SemaphoreSlim ControlChange { get; } = new(1, 1);

    /// <summary>Acknowledgements of control changes by epoch, completed by the appliance's <see cref="ControlSet"/>.</summary>
    internal ConcurrentDictionary<long, TaskCompletionSource> ControlAcks { get; } = new();

    /// <summary>When the session will be ended by its time limit or its approval's end; null for never.</summary>
    public DateTimeOffset? EndsAt { get; internal set; }

    internal ITimer? LimitTimer { get; set; }

    /// <summary>Input bytes forwarded to the device per author (user id), for the audit: who typed into the session.</summary>
    internal ConcurrentDictionary<string, long> InputBytesByUser { get; } = new(StringComparer.Ordinal);

    /// <summary>The user who ended the session (the Controller or a terminating admin), recorded with it; null when the device or a failure ended it.</summary>
    internal string? EndedBy { get; set; }

    internal void SetController(UserRef controller)
    {
        lock (_gate)
        {
            _controller = controller;
        }
    }

    public DateTimeOffset StartedAt { get; }

    public SessionStream Stream { get; }

    /// <summary>Flow-control credit for the Controller's input on its way to the appliance.</summary>
    public InputWindow Input { get; } = new(InputFlow.Window);

    /// <summary>Set once the appliance reported the device connection open.</summary>
    public bool Started { get; private set; }

    /// <summary>What the connection negotiated and the device's banner, from the appliance; null until started.</summary>
    public SessionDetails? Details { get; private set; }

    /// <summary>False while the appliance reports that the device does not answer its keep-alive probes.</summary>
    public bool DeviceResponding { get; internal set; } = true;

    /// <summary>
    /// The current step of the start: completes with <see cref="SessionStarted"/>, <see cref="SessionEnded"/>, or an
    /// <see cref="AuthPrompt"/> (the device asks the Controller something; <see cref="BeginAnswer"/> starts the next step).
    /// </summary>
    public Task<ControlMessage> StartResult
    {
        get
        {
            lock (_gate)
            {
                return _startStep.Task;
            }
        }
    }

    /// <summary>True while the device's question is with the Controller (shown in the start dialog, not answered yet).</summary>
    public bool AwaitingAnswer
    {
        get
        {
            lock (_gate)
            {
                return _prompt is not null;
            }
        }
    }

    /// <summary>True while the appliance is disconnected and the session waits for it (the grace period runs).</summary>
    public bool ApplianceOffline
    {
        get
        {
            lock (_gate)
            {
                return _graceTimer is not null;
            }
        }
    }

    /// <summary>Starts the grace period; false when it already runs. <paramref name="expired"/> runs once when it ends.</summary>
    internal bool MarkOffline(TimeProvider time, TimeSpan grace, Action<LiveSession> expired)
    {
        lock (_gate)
        {
            if (_graceTimer is not null)
            {
                return false;
            }

            _graceTimer = time.CreateTimer(static state => ((Action)state!)(), (Action)(() => expired(this)), grace, Timeout.InfiniteTimeSpan);
            return true;
        }
    }

    /// <summary>Stops the grace period; false when none ran.</summary>
    internal bool MarkOnline()
    {
        lock (_gate)
        {
            if (_graceTimer is null)
            {
                return false;
            }

            _graceTimer.Dispose();
            _graceTimer = null;
            return true;
        }
    }

    /// <summary>
    /// A connect attempt of a support session failed before the device connection opened: the session stays as it was
    /// and the next attempt starts afresh (no question pending, a new start step).
    /// </summary>
    internal void ResetStart()
    {
        lock (_gate)
        {
            _prompt = null;
            _ended = null;
            _startStep = new TaskCompletionSource<ControlMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    /// <summary>Begins a connect attempt: false while another one runs or the device connection is open.</summary>
    internal bool TryBeginConnect()
    {
        lock (_gate)
        {
            if (Started || _connecting)
            {
                return false;
            }

            _connecting = true;
            return true;
        }
    }

    /// <summary>The connect attempt is over (started or failed).</summary>
    internal void EndConnect()
    {
        lock (_gate)
        {
            _connecting = false;
        }
    }

    internal void OnStarted(SessionStarted message)
    {
        Details = message.Details;
        Started = true;
        lock (_gate)
        {
            _prompt = null;
            _startStep.TrySetResult(message);
        }
    }

    internal void OnEnded(SessionEnded message)
    {
        lock (_gate)
        {
            _prompt = null;
            _ended ??= message;
            _startStep.TrySetResult(message);
        }
    }

    /// <summary>The device asks the Controller something; false when the start is not waiting for the device.</summary>
    internal bool OnPrompt(AuthPrompt prompt)
    {
        lock (_gate)
        {
            if (_ended is not null || !_startStep.TrySetResult(prompt))
            {
                return false;
            }

            _prompt = prompt;
            return true;
        }
    }

    /// <summary>
    /// Takes the waiting question for answering: returns the next step to wait for (set up before the answer goes out,
    /// so the device's next word cannot be missed), or null when no question waits. Once the start ended, that end.
    /// </summary>
    internal Task<ControlMessage>? BeginAnswer()
    {
        lock (_gate)
        {
            if (_ended is { } ended)
            {
                return Task.FromResult<ControlMessage>(ended);
            }

            if (_prompt is null)
            {
                return null;
            }

            _prompt = null;
            _startStep = new TaskCompletionSource<ControlMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
            return _startStep.Task;
        }
    }

    /// <summary>
    /// What the policy needs to know about this session and <paramref name="actor"/>'s place in it, for
    /// <see cref="Authorizer.Decide"/>. Call while holding <see cref="Sync"/>.
    /// </summary>
    internal SessionFacts FactsFor(Actor actor) => new(
        Controller.Id,
        Participants.ContainsKey(actor.Id),
        CoControllers.Contains(actor.Id),
        Invited.Contains(actor.Id) || (actor.IsGuest && actor.GuestSessionId == Id),
        Participants.Count,
        InputPaused,
        Ended: false,
        DeviceConnected: Started);

    /// <summary>The API's view (<see cref="SessionView"/>).</summary>
    public SessionView ToView()
    {
        lock (Sync)
        {
            var connected = Stream.ConnectedUsers;
            var controllerId = Controller.Id;
            List<ParticipantView> participants = [.. Participants.Values
                .OrderBy(p => p.User.Id == controllerId ? 0 : CoControllers.Contains(p.User.Id) ? 1 : 2)
                .ThenBy(p => p.JoinedAt)
                .Select(p => new ParticipantView(
                    p.User.Id,
                    p.User.Name,
                    p.User.Id == controllerId ? "controller" : CoControllers.Contains(p.User.Id) ? "co-controller" : "viewer",
                    p.JoinedVia,
                    p.SupervisorEligible,
                    connected.Contains(p.User.Id),
                    p.CanControl))];
            var policy = Terms.Policy;
            return new(
                Id, policy.JointSession ? Code : string.Empty, ApplianceId, EndpointId, EndpointName, Controller, StartedAt, Stream.ViewerCount,
                Status, Details, DeviceResponding,
                participants, policy.JointSession, policy.MaxParticipants, InputPaused, EndsAt, policy.SharedControl, Protocol, policy.Clipboard,
                Name, InSessionSince, ExpiresAt, Started, OwnerId);
        }
    }
}

/// <summary>
/// The policy a session runs under, fixed at its start: the appliance's domain, the endpoint's policy, and the
/// approved request for access it started on (its end ends the session), if the endpoint required one.
/// </summary>
public sealed record SessionTerms(string DomainId, EndpointPolicy Policy, AccessRequest? Approval)
{
    /// <summary>Default domain, default policy, no approval: what a session started without governance (unit tests) runs under.</summary>
    public static readonly SessionTerms Unrestricted = new(PolicyStore.DefaultDomain, EndpointPolicy.Default, null);
}

/// <summary>
/// A person admitted to a session. <see cref="CanControl"/>: they hold access of their own and a role that may
/// control (technician or admin), so control may be handed or shared to them; <see cref="SupervisorEligible"/>: an
/// operator with access to the endpoint, or a domain admin.
/// </summary>
internal sealed record Participant(UserRef User, string AccountRole, string JoinedVia, DateTimeOffset JoinedAt, bool CanControl, bool SupervisorEligible);
