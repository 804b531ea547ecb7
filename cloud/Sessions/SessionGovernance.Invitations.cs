using EdgeGateway.Cloud.Invitations;
using EdgeGateway.Cloud.Policy;
using MimeKit;

namespace EdgeGateway.Cloud.Sessions;

/// <summary>An invite link whose key checked out: the running session it names, and its record.</summary>
public sealed record CheckedInvite(LiveSession Session, InviteRecord Invite);

// E-mail invitations and the invitation lists (issue 11): kept apart from the rest of the governance so that the
// session model and this part can change side by side.
public sealed partial class SessionGovernance
{
    /// <summary>The longest e-mail address accepted (RFC 5321 §4.5.3.1.3: a path is at most 256 octets, 254 of them the address).</summary>
    public const int MaxEmailLength = 254;

    /// <summary>
    /// Invites <paramref name="email"/> to the session: makes an invite link as <see cref="CreateInvite"/> does (same
    /// decision, <see cref="Act.Invite"/>), sends it with the session's name, endpoint, code and expiry through the
    /// mail server, and answers once the server took it or refused (bounded by <c>Cloud:Smtp:Timeout</c>; nothing of
    /// the session waits for it). Refusals: 503 mail off, 400 not one address, the invite's own refusals, 502 the
    /// server did not take it — the link is then revoked (nobody holds it) and the failure audited. Audit:
    /// <c>session.invite-email</c> with the address (an auditor's question is "who was invited"), never the link.
    /// </summary>
    public async Task<Governed<InviteEmailed>> InviteByEmailAsync(Actor actor, string sessionId, string? email, string baseUrl, InvitationMailer mailer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(mailer);
        var session = _sessions.Find(sessionId);
        var refusal =
            !mailer.Enabled ? Decision.Refuse(503, "mail-off", "E-mail is not set up on this cloud; copy the link instead.")
            : session is null ? NoSession
            : ParseAddress(email) is null ? Decision.Refuse(400, "bad-email", "Enter one e-mail address, such as name@example.com.")
            : (Decision?)null;
        if (refusal is { } refused)
        {
            _audit.Record(actor, "session.invite-email", refused, session?.ApplianceId, session?.EndpointId, session?.Id ?? sessionId);
            return refused;
        }

        var to = ParseAddress(email)!;
        var created = CreateInvite(actor, session!.Id, null, baseUrl, to.Address);
        if (!created.Allowed)
        {
            _audit.Record(actor, "session.invite-email", created.Decision, session.ApplianceId, session.EndpointId, session.Id, to.Address);
            return created.Decision;
        }

        var invite = created.Value!;
        var content = new InvitationContent(
            actor.Name, SessionDisplayName(session), session.EndpointName, session.Code, invite.Url, $"{baseUrl.TrimEnd('/')}/#/join",
            invite.ExpiresAt, invite.ExpiresAt - _time.GetUtcNow());
        var result = await mailer.SendAsync(InvitationMessage.Build(content, mailer.From, to), cancellationToken);
        if (!result.Sent)
        {
            _policy.RevokeInvite(invite.Id);
            _audit.Append(new AuditEvent("session.invite-email", "failed", actor.Id, actor.Name, actor.Role, result.Reason, session.ApplianceId, session.EndpointId, session.Id, actor.Source, $"invite {invite.Id} to {to.Address} (link revoked)"));
            return Decision.Refuse(502, result.Reason ?? "mail-failed", result.Sentence ?? "The invitation could not be sent. Copy the link instead.");
        }

        _audit.Record(actor, "session.invite-email", Decision.Allow, session.ApplianceId, session.EndpointId, session.Id, $"invite {invite.Id} to {to.Address}");
        return new(new InviteEmailed(invite, to.Address), Decision.Allow);
    }

    /// <summary>
    /// The invites <paramref name="actor"/> made that are still pending, on sessions still running, newest first (the
    /// dashboard's "Pending invitations"). Reading one's own invitations needs no decision; a guest has none.
    /// </summary>
    public IReadOnlyList<PendingInvitation> PendingInvites(Actor actor)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (actor.IsGuest)
        {
            return [];
        }

        var now = _time.GetUtcNow();
        return [.. _policy.PendingInvitesBy(actor.Id, now)
            .Select(i => (Invite: i, Session: _sessions.Find(i.SessionId)))
            .Where(p => p.Session is not null)
            .Select(p => new PendingInvitation(p.Invite.Id, p.Invite.SessionId, SessionDisplayName(p.Session!), p.Invite.Email, p.Invite.CreatedAt, p.Invite.ExpiresAt, InviteStatus.Of(p.Invite, now)))];
    }

    /// <summary>The name a session goes by in invitations and lists: its own (a support session's), else its endpoint's.</summary>
    private static string SessionDisplayName(LiveSession session) => session.Name ?? session.EndpointName;

    /// <summary>One bare address (<c>name@example.com</c>), at most <see cref="MaxEmailLength"/> characters; null for anything else (lists, display names, control characters).</summary>
    internal static MailboxAddress? ParseAddress(string? email)
    {
        var text = email?.Trim() ?? string.Empty;
        if (text.Length is 0 or > MaxEmailLength || text.Any(c => char.IsControl(c) || char.IsWhiteSpace(c) || c is '<' or '>' or ',' or ';' or '"'))
        {
            return null;
        }

        return MailboxAddress.TryParse(ParserOptions.Default, text, out var address)
            && address.Address == text
            && text.IndexOf('@', StringComparison.Ordinal) is > 0 and var at
            && at < text.Length - 1 && text.LastIndexOf('@') == at
            ? address
            : null;
    }
}
