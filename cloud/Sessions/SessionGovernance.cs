using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using EdgeGateway.Cloud.FanOut;
using EdgeGateway.Cloud.Invitations;
using EdgeGateway.Cloud.Policy;
using EdgeGateway.Protocol.Control;
using EdgeGateway.Protocol.Stream;

namespace EdgeGateway.Cloud.Sessions;

/// <summary>The result of a governed act: a value, or the refusal (status and sentence) the user sees.</summary>
public readonly record struct Governed<T>(T? Value, Decision Decision)
{
    public bool Allowed => Decision.Allowed;

    public static implicit operator Governed<T>(Decision refusal) => new(default, refusal);
}

/// <summary>A new invite link. <see cref="Url"/> holds the key; it is shown once and only its hash is kept.</summary>
public sealed record InviteCreated(string Id, string Url, DateTimeOffset ExpiresAt);

/// <summary>
/// What <c>POST /api/support-sessions</c> answers: the new session (status <c>waiting</c>), its code as read out
/// (<c>NNN-NNN-NNNN</c>), and a first invite link (null when the policy lets nobody join: Joint Session off).
/// </summary>
public sealed record SupportSessionCreated(SessionView Session, string Code, InviteCreated? Invite);

/// <summary>
/// Every change to who is in a session and who controls it goes through here: gather the facts, let
/// <see cref="Authorizer"/> decide, audit the decision, apply it — to the cloud's state, to the appliance (which
/// acknowledges a change of control before the new Controller may type), and to every participant's page.
/// </summary>
public sealed partial class SessionGovernance
{
    /// <summary>How long a change of control waits for the appliance's acknowledgement.</summary>
    public static readonly TimeSpan ControlAckTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Failed code or link attempts a user or an address may make per <see cref="GuessWindow"/>.</summary>
    public const int MaxGuesses = 10;

    /// <summary>The window <see cref="MaxGuesses"/> counts in.</summary>
    public static readonly TimeSpan GuessWindow = TimeSpan.FromMinutes(10);

    /// <summary>The refusal for a session that is not running (never was, or ended): its existence is not confirmed.</summary>
    private static readonly Decision NoSession = Decision.Refuse(404, "no-session", "There is no such session, or it has ended.");

    private readonly SessionService _sessions;
    private readonly PolicyStore _policy;
    private readonly UserStore _users;
    private readonly AuditLog _audit;
    private readonly TimeProvider _time;
    private readonly ILogger<SessionGovernance> _logger;
    private readonly ConcurrentDictionary<string, Queue<long>> _guesses = new(StringComparer.Ordinal);

    public SessionGovernance(SessionService sessions, PolicyStore policy, UserStore users, AuditLog audit, TimeProvider time, ILogger<SessionGovernance> logger)
    {
        ArgumentNullException.ThrowIfNull(sessions);
        _sessions = sessions;
        _policy = policy;
        _users = users;
        _audit = audit;
        _time = time;
        _logger = logger;
        sessions.Ended += OnEnded;
    }

    // ---------------------------------------------------------------- start

    /// <summary>
    /// Starts a session as <paramref name="actor"/>'s Controller, under the endpoint's policy. Completes with the
    /// session, the failure, or a question the device asks during login (answered with <see cref="AnswerLoginAsync"/>).
    /// </summary>
    public async Task<(SessionView? Session, StartFailure? Failure, LoginPrompt? Prompt)> StartAsync(Actor actor, StartRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(request);
        var domain = _policy.ApplianceDomain(request.ApplianceId);
        var policy = _policy.EndpointPolicy(request.ApplianceId, request.EndpointId);
        var approval = policy.RfaRequired ? _policy.CurrentApproval(actor.Id, request.ApplianceId, request.EndpointId, _time.GetUtcNow()) : null;
        var target = new Target(domain, request.ApplianceId, request.EndpointId, policy, HasAccess(actor, request.ApplianceId, request.EndpointId, domain), approval is not null);
        var decision = Authorizer.Decide(actor, Act.Start, target);
        if (!decision.Allowed)
        {
            _audit.Record(actor, "session.start", decision, request.ApplianceId, request.EndpointId);
            return (null, new StartFailure(decision.Status, decision.Message), null);
        }

        var user = _users.Find(actor.Id)!;
        var result = await _sessions.StartAsync(user, request, cancellationToken, new SessionTerms(domain, policy, actor.IsAdmin ? null : approval));
        return AfterStartStep(actor, request.ApplianceId, request.EndpointId, result);
    }

    /// <summary>Longest support-session name, in characters.</summary>
    public const int MaxNameLength = 120;

    /// <summary>
    /// Creates a named support session on an endpoint before its device connection (<see cref="SessionStatus.Waiting"/>),
    /// with its code and a first invite link, so that the people needed can be on their way. Needs what a start needs
    /// (<see cref="Act.Start"/>); its owner connects the device later (<see cref="ConnectAsync"/>). It expires with its
    /// invitations unless someone joins or the device is connected first.
    /// </summary>
    public Governed<SupportSessionCreated> CreateSupportSession(Actor actor, string applianceId, string endpointId, string? name, string baseUrl)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var trimmed = (name ?? string.Empty).Trim();
        var domain = _policy.ApplianceDomain(applianceId);
        var policy = _policy.EndpointPolicy(applianceId, endpointId);
        var approval = policy.RfaRequired ? _policy.CurrentApproval(actor.Id, applianceId, endpointId, _time.GetUtcNow()) : null;
        var decision = Authorizer.Decide(actor, Act.Start, new Target(domain, applianceId, endpointId, policy, HasAccess(actor, applianceId, endpointId, domain), approval is not null));
        if (decision.Allowed && (trimmed.Length is 0 or > MaxNameLength || trimmed.Any(char.IsControl)))
        {
            decision = Decision.Refuse(400, "bad-name", $"Give the session a name of 1 to {MaxNameLength} characters (for example \"Line 3 HMI frozen after update\").");
        }

        LiveSession? session = null;
        if (decision.Allowed && _users.Find(actor.Id) is { } user)
        {
            session = _sessions.CreateWaiting(user, applianceId, endpointId, trimmed, new SessionTerms(domain, policy, actor.IsAdmin ? null : approval));
            decision = session is null ? Decision.Refuse(404, "no-endpoint", "There is no such endpoint.") : decision;
        }

        _audit.Record(actor, "session.create", decision, applianceId, endpointId, session?.Id, decision.Allowed ? trimmed : null);
        if (!decision.Allowed || session is null)
        {
            return decision.Allowed ? Decision.Refuse(403, "no-user", "Only a user account can create a support session.") : decision;
        }

        _policy.RecordJoin(session.Id, actor.Id, actor.Name, JoinVia.Start);
        var invite = CreateInvite(actor, session.Id, null, baseUrl);
        return new(new SupportSessionCreated(session.ToView(), session.Code, invite.Value), decision);
    }

    /// <summary>
    /// Opens the device connection of a support session: only its owner, who alone enters the device credentials and
    /// becomes its Controller; under the policy as it is now (an approval must be valid now where one is required).
    /// Completes like <see cref="StartAsync"/>; a failed attempt leaves the session open for another.
    /// </summary>
    public async Task<(SessionView? Session, StartFailure? Failure, LoginPrompt? Prompt)> ConnectAsync(Actor actor, string sessionId, StartRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(request);
        if (_sessions.Find(sessionId) is not { } session)
        {
            return (null, new StartFailure(404, NoSession.Message), null);
        }

        var policy = _policy.EndpointPolicy(session.ApplianceId, session.EndpointId);
        var approval = policy.RfaRequired ? _policy.CurrentApproval(actor.Id, session.ApplianceId, session.EndpointId, _time.GetUtcNow()) : null;
        var decision = Authorizer.Decide(actor, Act.Start, new Target(session.Terms.DomainId, session.ApplianceId, session.EndpointId, policy, HasAccess(actor, session.ApplianceId, session.EndpointId, session.Terms.DomainId), approval is not null));
        if (decision.Allowed && session.OwnerId != actor.Id)
        {
            decision = Decision.Refuse(403, "not-owner", "Only the person who created this session connects its device: they alone enter the device credentials.");
        }

        if (!decision.Allowed || _users.Find(actor.Id) is not { } user)
        {
            _audit.Record(actor, "session.connect", decision, session.ApplianceId, session.EndpointId, session.Id);
            return (null, new StartFailure(decision.Allowed ? 403 : decision.Status, decision.Message), null);
        }

        var result = await _sessions.ConnectAsync(user, session, request, cancellationToken);
        return AfterConnectStep(actor, session, result);
    }

    /// <summary>After a step of a connect: the connection audited (and the session's limits scheduled from now), or the failure audited.</summary>
    private (SessionView? Session, StartFailure? Failure, LoginPrompt? Prompt) AfterConnectStep(Actor actor, LiveSession session, (SessionView? Session, StartFailure? Failure, LoginPrompt? Prompt) result)
    {
        if (result.Prompt is not null)
        {
            return result;
        }

        if (result.Session is null)
        {
            _audit.Append(new AuditEvent("session.connect", "failed", actor.Id, actor.Name, actor.Role, result.Failure?.Message, session.ApplianceId, session.EndpointId, session.Id, actor.Source));
            return result;
        }

        _audit.Record(actor, "session.connect", Decision.Allow, session.ApplianceId, session.EndpointId, session.Id);
        ScheduleLimit(session, session.Terms.Policy, session.Terms.Approval);
        _ = UpdateSupervisionAsync(session); // the appliance learns who may type now that the connection exists
        return (session.ToView(), null, null);
    }

    /// <summary>
    /// Whether <paramref name="actor"/> may mark the endpoint as a favourite (<see cref="Act.MarkFavourite"/>: whoever may
    /// start on it; 404 for an endpoint that does not exist). A personal preference: decided, not audited.
    /// </summary>
    public Decision MayMarkFavourite(Actor actor, string applianceId, string endpointId, ApplianceRegistry appliances)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(appliances);
        if (appliances.FindEndpoint(applianceId, endpointId) is null)
        {
            return Decision.Refuse(404, "no-endpoint", "There is no such endpoint.");
        }

        var domain = _policy.ApplianceDomain(applianceId);
        return Authorizer.Decide(actor, Act.MarkFavourite, new Target(domain, applianceId, endpointId, _policy.EndpointPolicy(applianceId, endpointId), HasAccess(actor, applianceId, endpointId, domain)));
    }

    /// <summary>The Controller answers the device's login question (null: gives the login up); only the user who started it may.</summary>
    public async Task<(SessionView? Session, StartFailure? Failure, LoginPrompt? Prompt)> AnswerLoginAsync(Actor actor, string sessionId, IReadOnlyList<Secret>? answers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (_users.Find(actor.Id) is not { } user)
        {
            return (null, new StartFailure(403, "Only the person who started this login can answer it."), null);
        }

        var result = await _sessions.AnswerLoginAsync(user, sessionId, answers, cancellationToken);
        return _sessions.Find(sessionId) is { IsSupport: true } support
            ? AfterConnectStep(actor, support, result)
            : AfterStartStep(actor, result.Session?.ApplianceId, result.Session?.EndpointId, result);
    }

    /// <summary>After a step of a start: a started session is audited and scheduled; a failure audited; a question passed on.</summary>
    private (SessionView? Session, StartFailure? Failure, LoginPrompt? Prompt) AfterStartStep(Actor actor, string? applianceId, string? endpointId, (SessionView? Session, StartFailure? Failure, LoginPrompt? Prompt) result)
    {
        if (result.Prompt is not null)
        {
            return result;
        }

        if (result.Session is not { } view)
        {
            _audit.Append(new AuditEvent("session.start", "failed", actor.Id, actor.Name, actor.Role, result.Failure?.Message, applianceId, endpointId, Source: actor.Source));
            return result;
        }

        var approval = _sessions.Find(view.Id)?.Terms.Approval;
        _audit.Record(actor, "session.start", Decision.Allow, view.ApplianceId, view.EndpointId, view.Id, approval is null ? null : $"access request {approval.Id}");
        if (_sessions.Find(view.Id) is { } session)
        {
            _policy.RecordJoin(session.Id, actor.Id, actor.Name, JoinVia.Start);
            ScheduleLimit(session, session.Terms.Policy, approval);
            view = session.ToView();
        }

        return (view, null, null);
    }

    /// <summary>A session ends at the earlier of its time limit and the end of the approval it started on.</summary>
    private void ScheduleLimit(LiveSession session, EndpointPolicy policy, AccessRequest? approval)
    {
        // A support session's length counts from its device connection, not from its creation.
        var from = session.IsSupport ? _time.GetUtcNow() : session.StartedAt;
        DateTimeOffset? byLength = policy.MaxSessionMinutes is { } minutes ? from.AddMinutes(minutes) : null;
        var endsAt = new[] { byLength, approval?.ValidUntil }.Where(t => t is not null).Min();
        if (endsAt is not { } at)
        {
            return;
        }

        var message = byLength is { } l && l <= at
            ? $"The session reached its maximum length of {policy.MaxSessionMinutes} minutes."
            : "The approved access for this session ran out.";
        session.EndsAt = at;
        var due = at - _time.GetUtcNow();
        session.LimitTimer = _time.CreateTimer(
            _ => _ = ExpireAsync(session, message),
            null,
            due < TimeSpan.Zero ? TimeSpan.Zero : due,
            Timeout.InfiniteTimeSpan);
    }

    private async Task ExpireAsync(LiveSession session, string message)
    {
        try
        {
            _audit.Append(new AuditEvent("session.expire", "allowed", Reason: message, ApplianceId: session.ApplianceId, EndpointId: session.EndpointId, SessionId: session.Id));
            await _sessions.EndNowAsync(session, EndReason.Expired, message);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Log.ExpireFailed(_logger, session.Id, ex); // a timer callback must not end the process
        }
    }

    // ---------------------------------------------------------------- seeing and joining

    /// <summary>The running sessions <paramref name="actor"/> may see: their domain's for an admin; else those on endpoints they have access to, and those they are in.</summary>
    public IReadOnlyList<SessionView> Visible(Actor actor)
    {
        ArgumentNullException.ThrowIfNull(actor);
        return [.. _sessions.Running
            .Where(s => IsIn(s, actor.Id) || (!actor.IsGuest && actor.Role != Roles.FieldEngineer && (actor.IsAdmin ? s.Terms.DomainId == actor.DomainId : _policy.HasGrant(actor.Id, s.ApplianceId, s.EndpointId))))
            .OrderBy(s => s.StartedAt)
            .Select(s => s.ToView())];
    }

    /// <summary>A running session <paramref name="actor"/> may see, or the refusal (404 for one they may not see: its existence is not confirmed).</summary>
    public Governed<SessionView> View(Actor actor, string sessionId) =>
        Visible(actor).FirstOrDefault(s => s.Id == sessionId) is { } view
            ? new Governed<SessionView>(view, Decision.Allow)
            : NoSession;

    /// <summary>Admits <paramref name="actor"/> to a session as a Viewer (from the list or the endpoint's page, <see cref="JoinVia.List"/>).</summary>
    public Governed<SessionView> Join(Actor actor, string sessionId, string via = JoinVia.List)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (_sessions.Find(sessionId) is not { } session)
        {
            var gone = NoSession;
            _audit.Record(actor, "session.join", gone, sessionId: sessionId, detail: via);
            return gone;
        }

        return Admit(actor, session, via);
    }

    /// <summary>Joins by the session's code (<c>NNN-NNN-NNNN</c>, dashes and spaces optional). Wrong codes count towards the guessing limit.</summary>
    public Governed<SessionView> JoinByCode(Actor actor, string? code)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (TooManyGuesses(actor) is { } limited)
        {
            _audit.Record(actor, "session.join-code", limited);
            return limited;
        }

        var digits = new string((code ?? string.Empty).Where(char.IsAsciiDigit).ToArray());
        var session = digits.Length == 10 ? _sessions.Running.FirstOrDefault(s => s.Code.Replace("-", string.Empty, StringComparison.Ordinal) == digits) : null;
        if (session is null || !session.Terms.Policy.JointSession)
        {
            Guessed(actor);
            var wrong = Decision.Refuse(404, "bad-code", "No running session has this code. Check the digits with the person who gave it to you.");
            _audit.Record(actor, "session.join-code", wrong, detail: digits.Length == 10 ? $"{digits[..3]}-…" : "malformed");
            return wrong;
        }

        return Admit(actor, session, JoinVia.Code);
    }

    private Governed<SessionView> Admit(Actor actor, LiveSession session, string via)
    {
        Decision decision;
        bool changed;
        lock (session.Sync)
        {
            var target = SessionTarget(actor, session, act: Act.Join) with { Via = via };
            decision = Authorizer.Decide(actor, Act.Join, target);
            changed = decision.Allowed && !session.Participants.ContainsKey(actor.Id);
            if (changed)
            {
                var ownAccess = actor.IsAdmin ? actor.DomainId == session.Terms.DomainId : target.ActorHasGrant;
                session.Participants[actor.Id] = new Participant(
                    new UserRef(actor.Id, actor.Name),
                    actor.Role,
                    via,
                    _time.GetUtcNow(),
                    CanControl: ownAccess && actor.Role is Roles.Technician or Roles.DomainAdmin,
                    SupervisorEligible: ownAccess && actor.Role is Roles.Operator or Roles.DomainAdmin);
            }
        }

        _audit.Record(actor, via switch { JoinVia.Code => "session.join-code", JoinVia.Link => "session.join-link", _ => "session.join" }, decision, session.ApplianceId, session.EndpointId, session.Id, decision.Allowed ? via : null);
        if (!decision.Allowed)
        {
            return decision;
        }

        if (changed)
        {
            _policy.RecordJoin(session.Id, actor.Id, actor.Name, via);
            if (actor.Id != session.OwnerId && _sessions.MarkInSession(session))
            {
                session.Stream.Broadcast(SessionService.StatusJson(session));
            }

            if (via is JoinVia.Link or JoinVia.Code)
            {
                // The technician who invited learns at once that someone came in.
                session.Stream.NotifyController(JsonSerializer.Serialize(new StreamEvent("joined", UserId: actor.Id, Name: actor.Name, Via: via), StreamEventJson.Default.StreamEvent));
            }

            _ = UpdateSupervisionAsync(session);
            AnnounceParticipants(session);
        }

        return new(session.ToView(), decision);
    }

    /// <summary>
    /// A page opens the session's stream: admitted already (or the Controller), or admitted now as from the list.
    /// Refusals say why, for the page to show.
    /// </summary>
    public Decision Connect(Actor actor, LiveSession session)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(session);
        lock (session.Sync)
        {
            if (session.Participants.ContainsKey(actor.Id))
            {
                return Decision.Allow;
            }
        }

        return Admit(actor, session, actor.IsGuest ? JoinVia.Link : JoinVia.List).Decision;
    }

    /// <summary>
    /// Whether clipboard text from <paramref name="actor"/>'s page may go to the device (<see cref="Act.SendClipboard"/>:
    /// the endpoint's policy the session started under). Asked once per connection; not audited (it is a standing
    /// setting, not an act): the input reader drops and counts refused clipboard frames.
    /// </summary>
    public bool MaySendClipboard(Actor actor, LiveSession session)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(session);
        return Authorizer.Decide(actor, Act.SendClipboard, new Target(session.Terms.DomainId, session.ApplianceId, session.EndpointId, session.Terms.Policy)).Allowed;
    }

    /// <summary>A page joined the session's stream: supervision may now be satisfied, and everyone sees who is connected.</summary>
    public void Connected(LiveSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        _ = UpdateSupervisionAsync(session);
        AnnounceParticipants(session);
    }

    /// <summary>
    /// A page of <paramref name="actor"/> closed. When it was their last, they leave the session (and free their seat);
    /// the Controller stays Controller, and a co-controller stops being one.
    /// </summary>
    public void Disconnected(Actor actor, LiveSession session)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(session);
        var left = false;
        var controlChanged = false;
        lock (session.Sync)
        {
            if (!session.Stream.ConnectedUsers.Contains(actor.Id) && session.Controller.Id != actor.Id && session.Participants.Remove(actor.Id))
            {
                left = true;
                controlChanged = session.CoControllers.Remove(actor.Id);
                session.ControlRequests.Remove(actor.Id);
            }
        }

        if (left)
        {
            _policy.RecordLeave(session.Id, actor.Id);
            _audit.Append(new AuditEvent("session.leave", "allowed", actor.Id, actor.Name, actor.Role, null, session.ApplianceId, session.EndpointId, session.Id, actor.Source));
        }

        _ = controlChanged ? ChangeControlAsync(session, session.Controller, CancellationToken.None) : UpdateSupervisionAsync(session);
        AnnounceParticipants(session);
    }

    // ---------------------------------------------------------------- invites

    /// <summary>
    /// Creates an invite link for the session, valid for <paramref name="minutes"/> (default: the domain's setting, 15);
    /// <paramref name="email"/>: the address it is about to be sent to (<see cref="InviteByEmailAsync"/>).
    /// </summary>
    public Governed<InviteCreated> CreateInvite(Actor actor, string sessionId, int? minutes, string baseUrl, string? email = null)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (_sessions.Find(sessionId) is not { } session)
        {
            return NoSession;
        }

        var decision = Authorizer.Decide(actor, Act.Invite, SessionTarget(actor, session, Act.Invite));
        if (decision.Allowed && minutes is < 1 or > 24 * 60)
        {
            decision = Decision.Refuse(400, "bad-request", "An invite link is valid for 1 minute to 24 hours.");
        }

        if (!decision.Allowed)
        {
            _audit.Record(actor, "session.invite", decision, session.ApplianceId, session.EndpointId, session.Id);
            return decision;
        }

        var lifetime = TimeSpan.FromMinutes(minutes ?? _policy.FindDomain(session.Terms.DomainId)?.InviteMinutes ?? 15);
        var key = Base64Url(RandomNumberGenerator.GetBytes(16)); // 128 bits
        var invite = _policy.CreateInvite(session.Id, HashKey(key), actor.Id, _time.GetUtcNow() + lifetime, email);
        if (session.IsSupport)
        {
            _sessions.ExpireWaitingAt(session, invite.ExpiresAt); // a waiting session lives as long as an invitation to it
        }

        _audit.Record(actor, "session.invite", decision, session.ApplianceId, session.EndpointId, session.Id, $"invite {invite.Id}, valid until {invite.ExpiresAt:u}");
        return new(new InviteCreated(invite.Id, $"{baseUrl.TrimEnd('/')}/#/invite/{key}", invite.ExpiresAt), decision);
    }

    /// <summary>The session's invites with their status and address (never their keys), for the Controller or an admin.</summary>
    public Governed<IReadOnlyList<InviteView>> Invites(Actor actor, string sessionId)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (_sessions.Find(sessionId) is not { } session)
        {
            return NoSession;
        }

        var decision = Authorizer.Decide(actor, Act.Invite, SessionTarget(actor, session, Act.Invite));
        var now = _time.GetUtcNow();
        return decision.Allowed ? new Governed<IReadOnlyList<InviteView>>([.. _policy.Invites(session.Id).Select(i => InviteView.Of(i, now))], decision) : decision;
    }

    /// <summary>Revokes an invite: its link stops working at once (who already joined stays until they leave).</summary>
    public Decision RevokeInvite(Actor actor, string sessionId, string inviteId)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (_sessions.Find(sessionId) is not { } session || _policy.FindInvite(inviteId) is not { } invite || invite.SessionId != sessionId)
        {
            return Decision.Refuse(404, "no-invite", "There is no such invite.");
        }

        var decision = Authorizer.Decide(actor, Act.Invite, SessionTarget(actor, session, Act.Invite));
        _audit.Record(actor, "session.invite-revoke", decision, session.ApplianceId, session.EndpointId, session.Id, $"invite {inviteId}");
        if (decision.Allowed)
        {
            _policy.RevokeInvite(inviteId);
        }

        return decision;
    }

    /// <summary>
    /// Checks an invite key: the session it names when the link is valid, else the refusal. Failures count towards the
    /// guessing limit of the user (or guest-to-be) and the address.
    /// </summary>
    public Governed<CheckedInvite> CheckInvite(Actor? actor, string source, string? key)
    {
        var who = actor ?? new Actor("anonymous", "anonymous", "anonymous", PolicyStore.DefaultDomain, source);
        if (TooManyGuesses(who) is { } limited)
        {
            _audit.Record(who, "session.join-link", limited);
            return limited;
        }

        var invite = string.IsNullOrEmpty(key) || key.Length > 64 ? null : _policy.FindInviteByHash(HashKey(key));
        var now = _time.GetUtcNow();
        LiveSession? session = invite is null ? null : _sessions.Find(invite.SessionId);
        var refusal =
            invite is null ? Decision.Refuse(404, "bad-link", "This invite link is not valid. Ask for a new one.")
            : invite.RevokedAt is not null ? Decision.Refuse(410, "link-revoked", "This invite link was revoked. Ask for a new one.")
            : invite.ExpiresAt <= now ? Decision.Refuse(410, "link-expired", $"This invite link expired at {invite.ExpiresAt:HH:mm} UTC. Ask for a new one.")
            : session is null ? Decision.Refuse(410, "ended", "The session this link invites to has ended.")
            : (Decision?)null;
        if (refusal is { } refused)
        {
            if (refused.Reason is "bad-link")
            {
                Guessed(who);
            }

            _audit.Record(who, "session.join-link", refused, session?.ApplianceId, session?.EndpointId, invite?.SessionId, invite is null ? null : $"invite {invite.Id}");
            return refused;
        }

        return new(new CheckedInvite(session!, invite!), Decision.Allow);
    }

    /// <summary>
    /// Joins through a checked invite: the actor (a user or a new guest) may watch this session, view-only unless they
    /// hold access of their own. The first join with an invite marks it accepted.
    /// </summary>
    public Governed<SessionView> JoinByInvite(Actor actor, CheckedInvite invite)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(invite);
        var session = invite.Session;
        lock (session.Sync)
        {
            session.Invited.Add(actor.Id);
        }

        var joined = Admit(actor, session, JoinVia.Link);
        if (joined.Allowed)
        {
            _policy.AcceptInvite(invite.Invite.Id, actor.Id);
        }

        return joined;
    }

    // ---------------------------------------------------------------- control

    /// <summary>The Controller hands control to a present participant who holds access of their own. The device connection stays as it is.</summary>
    public async Task<Governed<SessionView>> HandOverAsync(Actor actor, string sessionId, string toUserId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (_sessions.Find(sessionId) is not { } session)
        {
            return NoSession;
        }

        var decision = Authorizer.Decide(actor, Act.HandOver, SessionTarget(actor, session, Act.HandOver, toUserId));
        var to = Name(session, toUserId);
        _audit.Record(actor, "session.handover", decision, session.ApplianceId, session.EndpointId, session.Id, $"to {to}");
        return decision.Allowed ? await HandOverCoreAsync(session, toUserId, decision, cancellationToken) : decision;
    }

    private async Task<Governed<SessionView>> HandOverCoreAsync(LiveSession session, string toUserId, Decision decision, CancellationToken cancellationToken)
    {
        UserRef next;
        lock (session.Sync)
        {
            if (!session.Participants.TryGetValue(toUserId, out var participant))
            {
                return Decision.Refuse(409, "not-present", "That person left the session.");
            }

            next = participant.User;
            session.CoControllers.Remove(toUserId);
            session.ControlRequests.Remove(toUserId);
        }

        if (!await ChangeControlAsync(session, next, cancellationToken))
        {
            return Decision.Refuse(504, "appliance", "The appliance did not confirm the change of control; the Controller is unchanged.");
        }

        return new(session.ToView(), decision);
    }

    /// <summary>A Viewer with access of their own asks the Controller for control; the Controller's page asks them.</summary>
    public Decision RequestControl(Actor actor, string sessionId)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (_sessions.Find(sessionId) is not { } session)
        {
            return NoSession;
        }

        var decision = Authorizer.Decide(actor, Act.RequestControl, SessionTarget(actor, session, Act.RequestControl));
        _audit.Record(actor, "session.control-request", decision, session.ApplianceId, session.EndpointId, session.Id);
        if (decision.Allowed)
        {
            lock (session.Sync)
            {
                session.ControlRequests.Add(actor.Id);
            }

            session.Stream.SendTo(session.Controller.Id, Json(new StreamEvent("control-request", From: new UserRef(actor.Id, actor.Name))));
        }

        return decision;
    }

    /// <summary>The Controller accepts (a handover follows) or declines a request for control.</summary>
    public async Task<Governed<SessionView>> DecideControlRequestAsync(Actor actor, string sessionId, string fromUserId, bool accept, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (_sessions.Find(sessionId) is not { } session)
        {
            return NoSession;
        }

        bool pending;
        lock (session.Sync)
        {
            pending = session.ControlRequests.Contains(fromUserId);
        }

        var decision = pending
            ? Authorizer.Decide(actor, Act.DecideControlRequest, SessionTarget(actor, session, Act.DecideControlRequest, fromUserId))
            : Decision.Refuse(404, "no-request", "That person has not asked for control.");
        _audit.Record(actor, "session.control-decision", decision, session.ApplianceId, session.EndpointId, session.Id, $"{(accept ? "accepted" : "declined")} {Name(session, fromUserId)}");
        if (!decision.Allowed)
        {
            return decision;
        }

        if (accept)
        {
            return await HandOverCoreAsync(session, fromUserId, decision, cancellationToken);
        }

        lock (session.Sync)
        {
            session.ControlRequests.Remove(fromUserId);
        }

        session.Stream.SendTo(fromUserId, Json(new StreamEvent("control-declined", Message: $"{actor.Name} declined your request for control.")));
        return new(session.ToView(), decision);
    }

    /// <summary>Shared control: the Controller grants (or withdraws) input to a participant alongside themselves, where the endpoint's policy allows it.</summary>
    public async Task<Governed<SessionView>> SetSharedControlAsync(Actor actor, string sessionId, string userId, bool granted, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (_sessions.Find(sessionId) is not { } session)
        {
            return NoSession;
        }

        var decision = granted
            ? Authorizer.Decide(actor, Act.GrantControl, SessionTarget(actor, session, Act.GrantControl, userId))
            : session.Controller.Id == actor.Id ? Decision.Allow : Decision.Refuse(403, "not-controller", "Only the Controller can share control.");
        _audit.Record(actor, granted ? "session.control-grant" : "session.control-revoke", decision, session.ApplianceId, session.EndpointId, session.Id, Name(session, userId));
        if (!decision.Allowed)
        {
            return decision;
        }

        lock (session.Sync)
        {
            if (granted)
            {
                session.CoControllers.Add(userId);
            }
            else
            {
                session.CoControllers.Remove(userId);
            }
        }

        return await ChangeControlAsync(session, session.Controller, cancellationToken)
            ? new Governed<SessionView>(session.ToView(), decision)
            : Decision.Refuse(504, "appliance", "The appliance did not confirm the change of control.");
    }

    // ---------------------------------------------------------------- end

    /// <summary>The Controller ends their session, or a domain admin terminates any of the domain's ("Terminated by &lt;name&gt;.").</summary>
    public async Task<Decision> EndAsync(Actor actor, string sessionId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (_sessions.Find(sessionId) is not { } session)
        {
            return NoSession;
        }

        var decision = Authorizer.Decide(actor, Act.End, SessionTarget(actor, session, Act.End));
        var terminate = session.Controller.Id != actor.Id;
        _audit.Record(actor, terminate ? "session.terminate" : "session.end", decision, session.ApplianceId, session.EndpointId, session.Id);
        if (decision.Allowed)
        {
            var (reason, message) = terminate ? (EndReason.Terminated, $"Terminated by {actor.Name}.") : (EndReason.ControllerEnded, $"{actor.Name} ended the session.");
            await _sessions.StopAsync(session.Id, reason, message, cancellationToken, actor.Id);
        }

        return decision;
    }

    /// <summary>
    /// An administrator disabled <paramref name="user"/>: the sessions they control end ("Terminated: … account was
    /// disabled by …"), and their pages in other sessions close with a sentence; the others' sessions go on.
    /// </summary>
    public async Task UserDisabledAsync(UserInfo user, Actor admin, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(admin);
        foreach (var session in _sessions.Running.ToList())
        {
            if (session.Controller.Id == user.Id)
            {
                _audit.Record(admin, "session.terminate", Decision.Allow, session.ApplianceId, session.EndpointId, session.Id, $"{user.Name}'s account was disabled");
                await _sessions.StopAsync(session.Id, EndReason.Terminated, $"Terminated: {user.Name}'s account was disabled by {admin.Name}.", cancellationToken, admin.Id);
            }
            else if (IsIn(session, user.Id))
            {
                session.Stream.Dismiss(user.Id, Json(new StreamEvent("refused", Message: $"Your account was disabled by {admin.Name}.")));
            }
        }
    }

    /// <summary>
    /// The session ended: everyone still present leaves, and every input is attributed to its author in the audit —
    /// one <c>session.input</c> event per person who typed (bytes forwarded to the device; never what they typed).
    /// </summary>
    private void OnEnded(LiveSession session, EndReason reason, string message)
    {
        _policy.RecordAllLeft(session.Id);
        foreach (var (userId, bytes) in session.InputBytesByUser.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            string name, role;
            lock (session.Sync)
            {
                (name, role) = session.Participants.TryGetValue(userId, out var p) ? (p.User.Name, p.AccountRole) : (_users.Find(userId)?.Name ?? userId, _users.Find(userId)?.Role ?? string.Empty);
            }

            _audit.Append(new AuditEvent("session.input", "allowed", userId, name, role, null, session.ApplianceId, session.EndpointId, session.Id, Detail: $"{bytes} bytes of input forwarded to the device"));
        }
    }

    // ---------------------------------------------------------------- input (cloud side)

    /// <summary>Whether <paramref name="userId"/>'s input may go to the device now (the same rule the appliance applies).</summary>
    public static bool MayInput(LiveSession session, string userId)
    {
        ArgumentNullException.ThrowIfNull(session);
        var control = session.Stream.Control;
        return !control.InputPaused && (control.ControllerId == userId || control.CoControllers.Contains(userId));
    }

    // ---------------------------------------------------------------- helpers

    /// <summary>
    /// Applies the session's control (Controller <paramref name="controller"/>, its co-controllers, supervision) in the
    /// safe order: nobody may type while the appliance is told; once it acknowledged, the new state holds here too.
    /// Returns false (and restores the previous state) when the appliance did not acknowledge in time.
    /// </summary>
    private async Task<bool> ChangeControlAsync(LiveSession session, UserRef controller, CancellationToken cancellationToken)
    {
        await session.ControlChange.WaitAsync(cancellationToken);
        try
        {
            var previous = session.Controller;
            StreamControl next;
            long epoch;
            lock (session.Sync)
            {
                session.InputPaused = SupervisionMissing(session, controller.Id);
                next = new StreamControl(controller.Id, session.CoControllers.ToHashSet(StringComparer.Ordinal), session.InputPaused);
                epoch = ++session.ControlEpoch;
            }

            var changesController = previous.Id != controller.Id;
            if (changesController)
            {
                // Between the old Controller and the new one, nobody's input goes through.
                session.Stream.SetControl(next with { InputPaused = true });
            }

            var ack = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            session.ControlAcks[epoch] = ack;
            var sent = await _sessions.SendControlAsync(session, new SetControl(session.Id, controller.Id, [.. next.CoControllers], next.InputPaused, epoch), cancellationToken);
            var confirmed = sent && await ack.Task.WaitAsync(ControlAckTimeout, _time, cancellationToken).ContinueWith(t => t.IsCompletedSuccessfully, TaskScheduler.Default);
            session.ControlAcks.TryRemove(epoch, out _);
            if (!confirmed)
            {
                Log.ControlNotConfirmed(_logger, session.Id, epoch);
                session.Stream.SetControl(session.Stream.Control with { ControllerId = previous.Id, InputPaused = session.InputPaused });
                AnnounceControl(session);
                return false;
            }

            session.SetController(controller);
            session.Stream.SetControl(next);
            if (changesController)
            {
                Log.HandedOver(_logger, session.Id, previous.Name, controller.Name);
            }

            AnnounceControl(session);
            AnnounceParticipants(session);
            return true;
        }
        finally
        {
            session.ControlChange.Release();
        }
    }

    /// <summary>Supervision: recomputed on every join and leave; a change goes to the appliance like any change of control.</summary>
    private async Task UpdateSupervisionAsync(LiveSession session)
    {
        try
        {
            bool missing;
            lock (session.Sync)
            {
                missing = SupervisionMissing(session, session.Controller.Id);
            }

            if (missing != session.Stream.Control.InputPaused)
            {
                await ChangeControlAsync(session, session.Controller, CancellationToken.None);
                if (missing)
                {
                    session.Stream.Broadcast(_ => Json(new StreamEvent("notice", Reason: "unsupervised", Message: "Input is paused until a supervisor joins the session.")));
                }
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Log.SupervisionFailed(_logger, session.Id, ex);
        }
    }

    /// <summary>Under <see cref="LiveSession.Sync"/>: supervision is required and no supervisor other than the Controller is connected.</summary>
    private static bool SupervisionMissing(LiveSession session, string controllerId)
    {
        if (!session.Terms.Policy.SupervisionRequired)
        {
            return false;
        }

        var connected = session.Stream.ConnectedUsers;
        return !session.Participants.Values.Any(p => p.SupervisorEligible && p.User.Id != controllerId && connected.Contains(p.User.Id));
    }

    /// <summary>Tells every connection its own role and who controls.</summary>
    private static void AnnounceControl(LiveSession session)
    {
        var control = session.Stream.Control;
        var controller = session.Controller;
        session.Stream.Broadcast(viewer => Json(new StreamEvent(
            "control",
            Role: viewer.IsController ? "controller" : control.CoControllers.Contains(viewer.UserId) ? "co-controller" : "viewer",
            Controller: controller,
            CoControllers: [.. control.CoControllers],
            InputPaused: control.InputPaused)));
    }

    /// <summary>Tells everyone who is in the session now.</summary>
    public static void AnnounceParticipants(LiveSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        var view = session.ToView();
        session.Stream.Broadcast(_ => Json(new StreamEvent("participants", Participants: view.Participants, Controller: view.Controller, InputPaused: view.InputPaused)));
    }

    /// <summary>The facts of <paramref name="session"/> for a decision by <paramref name="actor"/> (optionally naming another participant).</summary>
    private Target SessionTarget(Actor actor, LiveSession session, Act act, string? otherUserId = null)
    {
        var grant = HasAccess(actor, session.ApplianceId, session.EndpointId, session.Terms.DomainId);
        lock (session.Sync)
        {
            var connected = session.Stream.ConnectedUsers;
            var facts = session.FactsFor(actor);
            ParticipantFacts? other = null;
            if (otherUserId is not null && session.Participants.TryGetValue(otherUserId, out var p))
            {
                other = new ParticipantFacts(p.User.Id, p.User.Name, p.AccountRole, connected.Contains(p.User.Id), p.CanControl && StillHasAccess(p, session));
            }

            return new Target(session.Terms.DomainId, session.ApplianceId, session.EndpointId, session.Terms.Policy, grant, false, facts, other);
        }
    }

    private bool StillHasAccess(Participant participant, LiveSession session) =>
        participant.AccountRole == Roles.DomainAdmin || _policy.HasGrant(participant.User.Id, session.ApplianceId, session.EndpointId);

    private bool HasAccess(Actor actor, string applianceId, string endpointId, string domainId) =>
        !actor.IsGuest && (actor.IsAdmin ? actor.DomainId == domainId : _policy.HasGrant(actor.Id, applianceId, endpointId));

    private static bool IsIn(LiveSession session, string userId)
    {
        lock (session.Sync)
        {
            return session.Participants.ContainsKey(userId);
        }
    }

    private static string Name(LiveSession session, string userId)
    {
        lock (session.Sync)
        {
            return session.Participants.TryGetValue(userId, out var p) ? p.User.Name : "someone not in the session";
        }
    }

    /// <summary>A refusal when the actor's user or address made <see cref="MaxGuesses"/> failed attempts within <see cref="GuessWindow"/>.</summary>
    private Decision? TooManyGuesses(Actor actor)
    {
        var now = _time.GetTimestamp();
        foreach (var key in GuessKeys(actor))
        {
            if (_guesses.TryGetValue(key, out var attempts))
            {
                lock (attempts)
                {
                    while (attempts.Count > 0 && _time.GetElapsedTime(attempts.Peek(), now) > GuessWindow)
                    {
                        attempts.Dequeue();
                    }

                    if (attempts.Count >= MaxGuesses)
                    {
                        return Decision.Refuse(429, "rate-limited", $"Too many wrong codes or links. Try again in {GuessWindow.TotalMinutes:0} minutes.");
                    }
                }
            }
        }

        return null;
    }

    private void Guessed(Actor actor)
    {
        var now = _time.GetTimestamp();
        foreach (var key in GuessKeys(actor))
        {
            var attempts = _guesses.GetOrAdd(key, _ => new Queue<long>());
            lock (attempts)
            {
                attempts.Enqueue(now);
            }
        }
    }

    private static IEnumerable<string> GuessKeys(Actor actor)
    {
        if (actor.Role is not ("anonymous" or Roles.Guest))
        {
            yield return "user:" + actor.Id;
        }

        yield return "addr:" + actor.Source;
    }

    /// <summary>The stored form of an invite key: SHA-256, lower-case hex. A 128-bit random key needs no slow hash.</summary>
    public static string HashKey(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key ?? string.Empty)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string Json(StreamEvent e) => JsonSerializer.Serialize(e, StreamEventJson.Default.StreamEvent);

    private static partial class Log
    {
        [LoggerMessage(2100, LogLevel.Information, "Session {SessionId}: control handed from {From} to {To}")]
        public static partial void HandedOver(ILogger logger, string sessionId, string from, string to);

        [LoggerMessage(2101, LogLevel.Warning, "Session {SessionId}: the appliance did not confirm control change {Epoch}; the previous state stays")]
        public static partial void ControlNotConfirmed(ILogger logger, string sessionId, long epoch);

        [LoggerMessage(2102, LogLevel.Error, "Session {SessionId}: ending it at its time limit failed")]
        public static partial void ExpireFailed(ILogger logger, string sessionId, Exception exception);

        [LoggerMessage(2103, LogLevel.Error, "Session {SessionId}: updating supervision failed")]
        public static partial void SupervisionFailed(ILogger logger, string sessionId, Exception exception);
    }
}
