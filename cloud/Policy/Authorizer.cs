namespace EdgeGateway.Cloud.Policy;

/// <summary>
/// Who asks. A guest (<see cref="Roles.Guest"/>) came in by an invite link without an account and is bound to
/// <see cref="GuestSessionId"/>. <see cref="Source"/> is the client's address, for the audit.
/// </summary>
public sealed record Actor(string Id, string Name, string Role, string DomainId, string Source, string? GuestSessionId = null)
{
    public bool IsAdmin => Role == Roles.DomainAdmin;

    public bool IsGuest => Role == Roles.Guest;
}

/// <summary>Every state change the policy governs. Each one goes through <see cref="Authorizer.Decide"/>.</summary>
public enum Act
{
    /// <summary>Open a session on an endpoint (become its Controller).</summary>
    Start,

    /// <summary>Join a running session as a Viewer (from the list, by code or by link).</summary>
    Join,

    /// <summary>Send keyboard or mouse input into a session.</summary>
    Input,

    /// <summary>
    /// Send clipboard text into a display session (VNC/RDP): only where the endpoint's policy allows browser → device
    /// (<see cref="EndpointPolicy.ClipboardToDevice"/>). Who may type at a given moment is the session's control, checked
    /// per input frame as for all input.
    /// </summary>
    SendClipboard,

    /// <summary>Hand control to another participant (the Controller only).</summary>
    HandOver,

    /// <summary>Ask the Controller for control.</summary>
    RequestControl,

    /// <summary>Accept or decline a request for control (the Controller only).</summary>
    DecideControlRequest,

    /// <summary>Grant or withdraw input alongside the Controller (shared control).</summary>
    GrantControl,

    /// <summary>Create or revoke an invite link for a session.</summary>
    Invite,

    /// <summary>End a session: the Controller their own, a domain admin any in the domain (terminate).</summary>
    End,

    /// <summary>Ask for time-bound access to an endpoint (request for access).</summary>
    RequestAccess,

    /// <summary>Approve or deny a request for access.</summary>
    DecideAccessRequest,

    /// <summary>Manage users, groups, access grants, endpoint and domain policy.</summary>
    Administer,

    /// <summary>Read, verify or export the audit log.</summary>
    ReadAudit,

    /// <summary>Mark an endpoint as one's own favourite for quick start (or unmark it): whoever may start on it.</summary>
    MarkFavourite,

    /// <summary>Send a chat message in a session, or read its chat and notes: everyone admitted to it, guests included.</summary>
    Chat,

    /// <summary>Write a session note (what was found, what was done): the Controller and co-controllers.</summary>
    WriteNote,

    /// <summary>
    /// Look up a pairing code and approve or deny it into a domain: field engineers and domain admins of that domain.
    /// Re-pairing an existing appliance (<see cref="Target.ApplianceId"/> set) is for its domain's admins only.
    /// </summary>
    PairAppliance,

    /// <summary>Revoke an appliance's certificates (it is disconnected and refused): domain admins of its domain.</summary>
    RevokeAppliance,
}

/// <summary>How a viewer came to a session.</summary>
public static class JoinVia
{
    public const string Start = "start";
    public const string List = "list";
    public const string Code = "code";
    public const string Link = "link";
}

/// <summary>
/// What the decision is about. <see cref="DomainId"/> is the domain of the appliance (or of the user being managed).
/// <see cref="Session"/> describes the running session an act concerns; <see cref="Other"/> is the participant a
/// handover or grant names.
/// </summary>
public sealed record Target(
    string DomainId,
    string? ApplianceId = null,
    string? EndpointId = null,
    EndpointPolicy? Policy = null,
    bool ActorHasGrant = false,
    bool ActorHasApproval = false,
    SessionFacts? Session = null,
    ParticipantFacts? Other = null,
    string? Via = null);

/// <summary>What the policy needs to know about a running session and the actor's place in it.</summary>
/// <param name="ControllerId">The user in control.</param>
/// <param name="ActorIsParticipant">The actor is in the session now (admitted and connected, or admitted).</param>
/// <param name="ActorIsCoController">The actor was granted input alongside the Controller.</param>
/// <param name="ActorInvited">The actor holds an invite (link) for this session.</param>
/// <param name="Participants">People in the session now, the Controller included.</param>
/// <param name="InputPaused">Supervision is required and no supervisor is present.</param>
/// <param name="Ended">The session is over.</param>
/// <param name="DeviceConnected">The device connection is open (a support session waits for its owner to connect it).</param>
public sealed record SessionFacts(string ControllerId, bool ActorIsParticipant, bool ActorIsCoController, bool ActorInvited, int Participants, bool InputPaused, bool Ended, bool DeviceConnected = true);

/// <summary>The participant a handover or a grant names: whether they are present and hold access of their own.</summary>
public sealed record ParticipantFacts(string Id, string Name, string Role, bool Present, bool HasOwnAccess);

/// <summary>A decision: allowed, or refused with the HTTP status, the sentence the user sees and a short reason code for the audit.</summary>
public readonly record struct Decision(bool Allowed, int Status, string Message, string Reason)
{
    public static readonly Decision Allow = new(true, 200, string.Empty, "allowed");

    public static Decision Refuse(int status, string reason, string message) => new(false, status, message, reason);
}

/// <summary>
/// The product's policy in one place: every governed state change (<see cref="Act"/>) is decided here, from facts the
/// caller gathered, with no I/O. The rules, in short:
/// <list type="bullet">
/// <item>Guests (invite holders without an account) only watch the one session their link names.</item>
/// <item>Domain admins hold access to every endpoint of their domain, need no request for access, and may end any of
/// its sessions. Field engineers provision appliances and take no part in sessions.</item>
/// <item>Start: technicians and admins, with access (a grant to them or a group of theirs), with an approved current
/// request for access where the endpoint requires one.</item>
/// <item>Join: Joint Session on, fewer than the maximum participants, and access of one's own or an invite for this
/// session (which grants view-only, for this session only). Operators join with access; field engineers never.</item>
/// <item>Input: the Controller and granted co-controllers, not while input is paused for supervision.</item>
/// <item>Clipboard text into a display session: only where the endpoint's policy says <c>both</c>; the device's clipboard
/// reaches viewers only under <c>device-to-browser</c> or <c>both</c> (enforced by the fan-out).</item>
/// <item>Handover and shared control: to a present participant holding access of their own who may control
/// (technician or admin) — never to an invite-only guest.</item>
/// <item>Chat: everyone admitted to the session, guests included; notes: the Controller and co-controllers.</item>
/// <item>Pairing: field engineers and domain admins pair new appliances into their own domain; only domain admins
/// re-pair or revoke one of their domain.</item>
/// </list>
/// </summary>
public static class Authorizer
{
    /// <summary>Decides <paramref name="act"/> by <paramref name="actor"/> on <paramref name="target"/>.</summary>
    public static Decision Decide(Actor actor, Act act, Target target)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(target);
        var sameDomain = actor.DomainId == target.DomainId;
        var admin = actor.IsAdmin && sameDomain;
        var session = target.Session;

        if (actor.IsGuest && act is not (Act.Join or Act.RequestControl or Act.Chat))
        {
            return Decision.Refuse(403, "guest", "Invited guests can watch and chat in the session they were invited to, nothing else.");
        }

        if (actor.Role == Roles.FieldEngineer && act is not (Act.RequestAccess or Act.Administer or Act.ReadAudit or Act.PairAppliance or Act.RevokeAppliance))
        {
            return Decision.Refuse(403, "role", "Field engineers provision appliances; they do not take part in device sessions.");
        }

        if (session is { Ended: true } && act is not Act.End)
        {
            return Decision.Refuse(410, "ended", "The session has ended.");
        }

        if (session is { DeviceConnected: false } && act is Act.HandOver or Act.GrantControl or Act.DecideControlRequest or Act.RequestControl or Act.Input)
        {
            // Control is over the device connection: its owner connects it first (they alone enter its credentials).
            return Decision.Refuse(409, "not-connected", "The device is not connected yet: control can change hands once its owner has connected it.");
        }

        switch (act)
        {
            case Act.Administer:
            case Act.ReadAudit:
            case Act.DecideAccessRequest:
                return admin ? Decision.Allow : Decision.Refuse(403, "role", "Only a domain administrator of this domain can do this.");

            case Act.RequestAccess:
                return actor.Role is Roles.Technician && target.ActorHasGrant ? Decision.Allow
                    : actor.Role is not Roles.Technician ? Decision.Refuse(403, "role", "Only technicians request access; administrators need none.")
                    : Decision.Refuse(403, "no-access", "You have no access to this endpoint, so there is nothing to request.");

            case Act.MarkFavourite:
                return actor.Role is not (Roles.Technician or Roles.DomainAdmin) ? Decision.Refuse(403, "role", "Favourites are for quick start: only technicians and administrators start sessions.")
                    : admin || target.ActorHasGrant ? Decision.Allow
                    : Decision.Refuse(403, "no-access", "You have no access to this endpoint. A domain administrator can grant it.");

            case Act.Start:
                if (actor.Role is not (Roles.Technician or Roles.DomainAdmin))
                {
                    return Decision.Refuse(403, "role", "Operators watch and supervise sessions; only technicians and administrators start them.");
                }

                if (!admin && !target.ActorHasGrant)
                {
                    return Decision.Refuse(403, "no-access", "You have no access to this endpoint. A domain administrator can grant it.");
                }

                if (target.Policy is { RfaRequired: true } && !admin && !target.ActorHasApproval)
                {
                    return Decision.Refuse(403, "rfa-required", "This endpoint needs an approved request for access: request access and start once it is approved.");
                }

                return Decision.Allow;

            case Act.Join:
                ArgumentNullException.ThrowIfNull(session);
                if (session.ControllerId == actor.Id || session.ActorIsParticipant)
                {
                    return Decision.Allow; // already in (a second tab, a reconnect)
                }

                if (actor.IsGuest ? !session.ActorInvited : !(admin || target.ActorHasGrant || session.ActorInvited))
                {
                    return actor.IsGuest
                        ? Decision.Refuse(403, "guest", "Your invite is for another session.")
                        : Decision.Refuse(403, "no-access", "You have no access to this endpoint and no invite to this session.");
                }

                if (target.Policy is { JointSession: false })
                {
                    return Decision.Refuse(403, "joint-off", "Joint sessions are off for this endpoint: nobody can join.");
                }

                if (target.Policy is { } p && session.Participants >= p.MaxParticipants)
                {
                    return Decision.Refuse(409, "full", $"The session is full: it allows {p.MaxParticipants} participants.");
                }

                return Decision.Allow;

            case Act.SendClipboard:
                return target.Policy is { ClipboardToDevice: true }
                    ? Decision.Allow
                    : Decision.Refuse(403, "clipboard-off", "The endpoint's policy does not let clipboard text reach the device.");

            case Act.Input:
                ArgumentNullException.ThrowIfNull(session);
                if (session.ControllerId != actor.Id && !session.ActorIsCoController)
                {
                    return Decision.Refuse(403, "viewer", "You are watching: only the Controller's input reaches the device.");
                }

                return session.InputPaused
                    ? Decision.Refuse(409, "unsupervised", "Input is paused until a supervisor joins the session.")
                    : Decision.Allow;

            case Act.HandOver:
            case Act.GrantControl:
            case Act.DecideControlRequest:
                ArgumentNullException.ThrowIfNull(session);
                if (session.ControllerId != actor.Id)
                {
                    return Decision.Refuse(403, "not-controller", "Only the Controller can hand over or share control.");
                }

                if (act == Act.GrantControl && target.Policy is { SharedControl: false })
                {
                    return Decision.Refuse(403, "shared-off", "Shared control is off for this endpoint.");
                }

                return CheckRecipient(target.Other);

            case Act.RequestControl:
                ArgumentNullException.ThrowIfNull(session);
                if (session.ControllerId == actor.Id)
                {
                    return Decision.Refuse(409, "already-controller", "You already control this session.");
                }

                if (actor.IsGuest || !(admin || target.ActorHasGrant) || actor.Role is not (Roles.Technician or Roles.DomainAdmin))
                {
                    return Decision.Refuse(403, "no-access", "Only a participant with access of their own to this endpoint can take control.");
                }

                return session.ActorIsParticipant ? Decision.Allow : Decision.Refuse(409, "not-present", "Join the session first.");

            case Act.Invite:
                ArgumentNullException.ThrowIfNull(session);
                if (session.ControllerId != actor.Id && !admin)
                {
                    return Decision.Refuse(403, "not-controller", "Only the Controller can invite others to this session.");
                }

                return target.Policy is { JointSession: false }
                    ? Decision.Refuse(403, "joint-off", "Joint sessions are off for this endpoint: nobody can be invited.")
                    : Decision.Allow;

            case Act.End:
                ArgumentNullException.ThrowIfNull(session);
                return session.ControllerId == actor.Id || admin
                    ? Decision.Allow
                    : Decision.Refuse(403, "not-controller", "Only the Controller or a domain administrator can end this session.");

            case Act.Chat:
                ArgumentNullException.ThrowIfNull(session);
                return session.ControllerId == actor.Id || session.ActorIsParticipant
                    ? Decision.Allow
                    : Decision.Refuse(403, "not-participant", "Join the session to chat in it.");

            case Act.WriteNote:
                ArgumentNullException.ThrowIfNull(session);
                return session.ControllerId == actor.Id || session.ActorIsCoController
                    ? Decision.Allow
                    : Decision.Refuse(403, "not-controller", "Only the Controller and co-controllers write session notes; you can use the chat.");

            case Act.PairAppliance:
                if (!sameDomain || actor.Role is not (Roles.FieldEngineer or Roles.DomainAdmin))
                {
                    return Decision.Refuse(403, "role", "Only field engineers and domain administrators of this domain pair appliances into it.");
                }

                return target.ApplianceId is null || admin
                    ? Decision.Allow
                    : Decision.Refuse(403, "role", "Only a domain administrator re-pairs an existing appliance.");

            case Act.RevokeAppliance:
                return admin ? Decision.Allow : Decision.Refuse(403, "role", "Only a domain administrator of this domain revokes appliances.");

            default:
                throw new ArgumentOutOfRangeException(nameof(act), act, null);
        }
    }

    private static Decision CheckRecipient(ParticipantFacts? other) =>
        other is null ? Decision.Refuse(404, "no-participant", "That person is not in the session.")
        : !other.Present ? Decision.Refuse(409, "not-present", $"{other.Name} is not in the session now.")
        : other.Role is not (Roles.Technician or Roles.DomainAdmin) || !other.HasOwnAccess
            ? Decision.Refuse(403, "recipient-no-access", $"{other.Name} has no access of their own to this endpoint, so they can only watch.")
        : Decision.Allow;
}
