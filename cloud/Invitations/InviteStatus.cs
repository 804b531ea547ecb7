using EdgeGateway.Cloud.Policy;

namespace EdgeGateway.Cloud.Invitations;

/// <summary>
/// What became of an invite, computed from its record and the time (never stored, so it cannot go stale): the first
/// that holds of revoked (the link was withdrawn), accepted (someone joined with it), expired (its time ran out unused)
/// and pending.
/// </summary>
public static class InviteStatus
{
    /// <summary>Valid and unused.</summary>
    public const string Pending = "pending";

    /// <summary>Someone joined with it (the first join sets <see cref="InviteRecord.AcceptedAt"/>).</summary>
    public const string Accepted = "accepted";

    /// <summary>Unused when its time ran out.</summary>
    public const string Expired = "expired";

    /// <summary>Withdrawn by the Controller or an administrator, or not delivered (a failed e-mail).</summary>
    public const string Revoked = "revoked";

    /// <summary>The status of <paramref name="invite"/> at <paramref name="now"/>.</summary>
    public static string Of(InviteRecord invite, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(invite);
        return invite.RevokedAt is not null ? Revoked
            : invite.AcceptedAt is not null ? Accepted
            : invite.ExpiresAt <= now ? Expired
            : Pending;
    }
}

/// <summary>
/// An invite as <c>GET /api/sessions/{id}/invites</c> shows it (never its key). <see cref="Status"/>: one of
/// <see cref="InviteStatus"/>; <see cref="Email"/>: the address it was sent to, null for a copied link;
/// <see cref="AcceptedBy"/>: the user or guest id of the first join.
/// </summary>
public sealed record InviteView(
    string Id, string SessionId, string CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, DateTimeOffset? RevokedAt,
    string? Email, DateTimeOffset? AcceptedAt, string? AcceptedBy, string Status)
{
    /// <summary>The view of <paramref name="invite"/> at <paramref name="now"/>.</summary>
    public static InviteView Of(InviteRecord invite, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(invite);
        return new(invite.Id, invite.SessionId, invite.CreatedBy, invite.CreatedAt, invite.ExpiresAt, invite.RevokedAt, invite.Email, invite.AcceptedAt, invite.AcceptedBy, InviteStatus.Of(invite, now));
    }
}

/// <summary>
/// One of the actor's own pending invitations (<c>GET /api/invites</c>, the dashboard's "Pending invitations"), on a
/// session that is still running. <see cref="Email"/>: null for a copied link.
/// </summary>
public sealed record PendingInvitation(string Id, string SessionId, string SessionName, string? Email, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, string Status);

/// <summary>What <c>POST /api/sessions/{id}/invites/email</c> answers (201): the link made and where it was sent.</summary>
public sealed record InviteEmailed(EdgeGateway.Cloud.Sessions.InviteCreated Invite, string Email);

/// <summary>What the page learns of the cloud's set-up (<c>GET /api/config</c>). <see cref="MailEnabled"/>: invitations can be e-mailed.</summary>
public sealed record CloudConfigView(bool MailEnabled);
