using System.Text.Json.Serialization;
using Microsoft.Data.Sqlite;

namespace EdgeGateway.Cloud.Policy;

/// <summary>A domain: an organisation's users and appliances, administered by its domain admins. <c>AdminTotpRequired</c>: Every domain admin must sign in with a TOTP code (RFC 6238). <c>InviteMinutes</c>: How long a new invite link stays valid.</summary>
public sealed record DomainInfo(string Id, string Name, bool AdminTotpRequired, int InviteMinutes);

/// <summary>A named set of users, for access grants.</summary>
public sealed record GroupInfo(string Id, string DomainId, string Name, IReadOnlyList<string> MemberIds);

/// <summary>Access to an appliance's endpoint (<see cref="EndpointId"/> <c>*</c> = all of them; <see cref="ApplianceId"/> <c>*</c> = every appliance of the subject's domain) for a user or a group. <c>SubjectType</c>: <c>user</c> or <c>group</c>.</summary>
public sealed record AccessGrant(string Id, string SubjectType, string SubjectId, string ApplianceId, string EndpointId);

/// <summary>The session policy of one endpoint; an endpoint without its own has <see cref="Default"/>.</summary>
/// <param name="JointSession">Others may join the Controller's session (by list, code or link).</param>
/// <param name="MaxParticipants">Most people in a session at once, the Controller included (1–100).</param>
/// <param name="RfaRequired">Starting a session needs an approved, current request for access.</param>
/// <param name="MaxSessionMinutes">A session ends after this long; null for no limit.</param>
/// <param name="SharedControl">The Controller may grant input to a Viewer alongside themselves.</param>
/// <param name="SupervisionRequired">The Controller's input is accepted only while a supervisor (an operator with access, or a domain admin) watches.</param>
/// <param name="Clipboard">
/// Clipboard text of a display session (VNC/RDP), one of <see cref="EndpointClipboard"/>: <c>off</c> (the default),
/// <c>device-to-browser</c> (participants see the device's clipboard) or <c>both</c> (the Controller may also send text
/// to the device). Enforced in the cloud: <c>SessionStream</c> drops DisplayClipboard frames, <c>InputReader</c> drops
/// ClipboardInput.
/// </param>
public sealed record EndpointPolicy(bool JointSession, int MaxParticipants, bool RfaRequired, int? MaxSessionMinutes, bool SharedControl, bool SupervisionRequired, string Clipboard = EndpointClipboard.Off)
{
    public static readonly EndpointPolicy Default = new(true, 10, false, null, false, false);

    /// <summary>The device's clipboard text may reach the session's participants.</summary>
    [JsonIgnore]
    public bool ClipboardToBrowser => Clipboard is EndpointClipboard.DeviceToBrowser or EndpointClipboard.Both;

    /// <summary>The Controller's clipboard text may reach the device.</summary>
    [JsonIgnore]
    public bool ClipboardToDevice => Clipboard is EndpointClipboard.Both;

    /// <summary>A sentence naming the first out-of-range field, or null.</summary>
    public string? Validate() =>
        MaxParticipants is < 1 or > 100 ? "The maximum number of participants must be between 1 and 100."
        : MaxSessionMinutes is < 1 or > 7 * 24 * 60 ? "The maximum session length must be between 1 minute and 7 days."
        : !EndpointClipboard.IsValid(Clipboard) ? "The clipboard setting must be off, device-to-browser or both."
        : null;
}

/// <summary>The values of <see cref="EndpointPolicy.Clipboard"/> (as stored and as the API carries them).</summary>
public static class EndpointClipboard
{
    /// <summary>No clipboard text either way (the default).</summary>
    public const string Off = "off";

    /// <summary>The device's clipboard text is shown to the session's participants; nothing goes to the device.</summary>
    public const string DeviceToBrowser = "device-to-browser";

    /// <summary>Device → browser, and the Controller may send text to the device.</summary>
    public const string Both = "both";

    /// <summary>Whether <paramref name="value"/> is one of the three values (exact, lower case).</summary>
    public static bool IsValid(string? value) => value is Off or DeviceToBrowser or Both;
}

/// <summary>A request for access (RfA): a user asks to use an endpoint during a time window. <c>Status</c>: <c>pending</c>, <c>approved</c> or <c>denied</c>.</summary>
public sealed record AccessRequest(
    string Id, string UserId, string ApplianceId, string EndpointId, string Reason, string Status,
    DateTimeOffset RequestedAt, DateTimeOffset ValidFrom, DateTimeOffset ValidUntil,
    string? DecidedBy, DateTimeOffset? DecidedAt, string? DecisionReason);

/// <summary>
/// An invite link to one session. Only the key's SHA-256 is stored. <c>Email</c>: the address it was sent to (null for
/// a copied link); <c>AcceptedAt</c>/<c>AcceptedBy</c>: the first join with it (user or guest id).
/// </summary>
public sealed record InviteRecord(string Id, string SessionId, string CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, DateTimeOffset? RevokedAt, string? Email = null, DateTimeOffset? AcceptedAt = null, string? AcceptedBy = null);

/// <summary>One person's time in a session. <c>JoinedVia</c>: <c>start</c>, <c>list</c>, <c>code</c> or <c>link</c>.</summary>
public sealed record ParticipantRecord(string SessionId, string UserId, string UserName, string JoinedVia, DateTimeOffset JoinedAt, DateTimeOffset? LeftAt);

/// <summary>
/// Domains, groups, access grants, endpoint policies, requests for access, invites and participants' history:
/// the one place that owns their SQL (the same methods will run on PostgreSQL).
/// </summary>
public sealed class PolicyStore(CloudDatabase database, TimeProvider time)
{
    /// <summary>The domain every user and appliance belongs to until an admin creates others.</summary>
    public const string DefaultDomain = "default";

    // ---- domains

    public DomainInfo? FindDomain(string id)
    {
        using var connection = database.Open();
        return connection.Query("SELECT id, name, admin_totp_required, invite_minutes FROM domains WHERE id = $id", ReadDomain, ("$id", id)).FirstOrDefault();
    }

    public IReadOnlyList<DomainInfo> Domains()
    {
        using var connection = database.Open();
        return connection.Query("SELECT id, name, admin_totp_required, invite_minutes FROM domains ORDER BY name", ReadDomain);
    }

    /// <summary>Creates a domain; null when the name is taken.</summary>
    public DomainInfo? CreateDomain(string name)
    {
        var domain = new DomainInfo(Guid.NewGuid().ToString("N"), name, false, 15);
        using var connection = database.Open();
        return connection.Execute("INSERT OR IGNORE INTO domains (id, name, created_at) VALUES ($id, $name, $now)", ("$id", domain.Id), ("$name", name), ("$now", Now())) == 1 ? domain : null;
    }

    public bool UpdateDomain(string id, bool? adminTotpRequired, int? inviteMinutes)
    {
        using var connection = database.Open();
        return connection.Execute(
            "UPDATE domains SET admin_totp_required = COALESCE($totp, admin_totp_required), invite_minutes = COALESCE($minutes, invite_minutes) WHERE id = $id",
            ("$id", id), ("$totp", adminTotpRequired is null ? null : adminTotpRequired.Value ? 1 : 0), ("$minutes", inviteMinutes)) == 1;
    }

    /// <summary>The domain an appliance belongs to (the default one for an appliance not known yet).</summary>
    public string ApplianceDomain(string applianceId)
    {
        using var connection = database.Open();
        return connection.Scalar("SELECT domain_id FROM appliances WHERE id = $id", ("$id", applianceId)) as string ?? DefaultDomain;
    }

    public bool SetApplianceDomain(string applianceId, string domainId)
    {
        using var connection = database.Open();
        return connection.Execute("UPDATE appliances SET domain_id = $domain WHERE id = $id", ("$id", applianceId), ("$domain", domainId)) == 1;
    }

    // ---- groups

    public GroupInfo? CreateGroup(string domainId, string name)
    {
        var id = Guid.NewGuid().ToString("N");
        using var connection = database.Open();
        return connection.Execute("INSERT OR IGNORE INTO user_groups (id, domain_id, name) VALUES ($id, $domain, $name)", ("$id", id), ("$domain", domainId), ("$name", name)) == 1
            ? new GroupInfo(id, domainId, name, [])
            : null;
    }

    public IReadOnlyList<GroupInfo> Groups(string domainId)
    {
        using var connection = database.Open();
        var groups = connection.Query("SELECT id, name FROM user_groups WHERE domain_id = $domain ORDER BY name", r => (Id: r.GetString(0), Name: r.GetString(1)), ("$domain", domainId));
        return [.. groups.Select(g => new GroupInfo(g.Id, domainId, g.Name, connection.Query("SELECT user_id FROM group_members WHERE group_id = $g ORDER BY user_id", r => r.GetString(0), ("$g", g.Id))))];
    }

    public GroupInfo? FindGroup(string id)
    {
        using var connection = database.Open();
        var group = connection.Query("SELECT id, domain_id, name FROM user_groups WHERE id = $id", r => (Id: r.GetString(0), Domain: r.GetString(1), Name: r.GetString(2)), ("$id", id)).FirstOrDefault();
        return group.Id is null ? null : new GroupInfo(group.Id, group.Domain, group.Name, connection.Query("SELECT user_id FROM group_members WHERE group_id = $g", r => r.GetString(0), ("$g", id)));
    }

    public bool SetGroupMember(string groupId, string userId, bool member)
    {
        using var connection = database.Open();
        return connection.Execute(
            member ? "INSERT OR IGNORE INTO group_members (group_id, user_id) VALUES ($g, $u)" : "DELETE FROM group_members WHERE group_id = $g AND user_id = $u",
            ("$g", groupId), ("$u", userId)) == 1;
    }

    // ---- access grants

    /// <summary>Grants access; returns the existing grant when it is already there.</summary>
    public AccessGrant Grant(string subjectType, string subjectId, string applianceId, string endpointId, string createdBy)
    {
        if (subjectType is not ("user" or "group"))
        {
            throw new ArgumentException("The subject type is 'user' or 'group'.", nameof(subjectType));
        }

        using var connection = database.Open();
        connection.Execute(
            "INSERT OR IGNORE INTO access_grants (id, subject_type, subject_id, appliance_id, endpoint_id, created_by, created_at) VALUES ($id, $type, $subject, $a, $e, $by, $now)",
            ("$id", Guid.NewGuid().ToString("N")), ("$type", subjectType), ("$subject", subjectId), ("$a", applianceId), ("$e", endpointId), ("$by", createdBy), ("$now", Now()));
        return connection.Query(
            "SELECT id, subject_type, subject_id, appliance_id, endpoint_id FROM access_grants WHERE subject_type = $type AND subject_id = $subject AND appliance_id = $a AND endpoint_id = $e",
            ReadGrant, ("$type", subjectType), ("$subject", subjectId), ("$a", applianceId), ("$e", endpointId))[0];
    }

    public AccessGrant? FindGrant(string id)
    {
        using var connection = database.Open();
        return connection.Query("SELECT id, subject_type, subject_id, appliance_id, endpoint_id FROM access_grants WHERE id = $id", ReadGrant, ("$id", id)).FirstOrDefault();
    }

    public bool Revoke(string grantId)
    {
        using var connection = database.Open();
        return connection.Execute("DELETE FROM access_grants WHERE id = $id", ("$id", grantId)) == 1;
    }

    /// <summary>Every grant on the domain's appliances.</summary>
    public IReadOnlyList<AccessGrant> Grants(string domainId)
    {
        using var connection = database.Open();
        return connection.Query(
            """
            SELECT g.id, g.subject_type, g.subject_id, g.appliance_id, g.endpoint_id FROM access_grants g
            LEFT JOIN appliances a ON a.id = g.appliance_id
            WHERE COALESCE(a.domain_id, 'default') = $domain ORDER BY g.appliance_id, g.endpoint_id
            """,
            ReadGrant, ("$domain", domainId));
    }

    /// <summary>True when a grant to the user, or to a group they belong to, covers the endpoint (an all-appliances grant only within the user's domain).</summary>
    public bool HasGrant(string userId, string applianceId, string endpointId)
    {
        using var connection = database.Open();
        return connection.Scalar(
            """
            SELECT 1 FROM access_grants g
            WHERE (g.appliance_id = $a
                   OR (g.appliance_id = '*' AND COALESCE((SELECT domain_id FROM appliances WHERE id = $a), 'default') = (SELECT domain_id FROM users WHERE id = $u)))
              AND g.endpoint_id IN ($e, '*')
              AND ((g.subject_type = 'user' AND g.subject_id = $u)
                OR (g.subject_type = 'group' AND g.subject_id IN (SELECT group_id FROM group_members WHERE user_id = $u)))
            LIMIT 1
            """,
            ("$u", userId), ("$a", applianceId), ("$e", endpointId)) is not null;
    }

    // ---- endpoint policy

    public EndpointPolicy EndpointPolicy(string applianceId, string endpointId)
    {
        using var connection = database.Open();
        return connection.Query(
            "SELECT joint_session, max_participants, rfa_required, max_session_minutes, shared_control, supervision_required, clipboard FROM endpoint_policies WHERE appliance_id = $a AND endpoint_id = $e",
            r => new EndpointPolicy(r.GetInt64(0) != 0, r.GetInt32(1), r.GetInt64(2) != 0, r.IsDBNull(3) ? null : r.GetInt32(3), r.GetInt64(4) != 0, r.GetInt64(5) != 0, r.GetString(6)),
            ("$a", applianceId), ("$e", endpointId)).FirstOrDefault() ?? Policy.EndpointPolicy.Default;
    }

    public void SetEndpointPolicy(string applianceId, string endpointId, EndpointPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        using var connection = database.Open();
        connection.Execute(
            """
            INSERT INTO endpoint_policies (appliance_id, endpoint_id, joint_session, max_participants, rfa_required, max_session_minutes, shared_control, supervision_required, clipboard)
            VALUES ($a, $e, $joint, $max, $rfa, $minutes, $shared, $supervision, $clipboard)
            ON CONFLICT (appliance_id, endpoint_id) DO UPDATE SET joint_session = $joint, max_participants = $max, rfa_required = $rfa,
                max_session_minutes = $minutes, shared_control = $shared, supervision_required = $supervision, clipboard = $clipboard
            """,
            ("$a", applianceId), ("$e", endpointId), ("$joint", policy.JointSession ? 1 : 0), ("$max", policy.MaxParticipants), ("$rfa", policy.RfaRequired ? 1 : 0),
            ("$minutes", policy.MaxSessionMinutes), ("$shared", policy.SharedControl ? 1 : 0), ("$supervision", policy.SupervisionRequired ? 1 : 0), ("$clipboard", policy.Clipboard));
    }

    // ---- requests for access

    public AccessRequest CreateRequest(string userId, string applianceId, string endpointId, string reason, DateTimeOffset validFrom, DateTimeOffset validUntil)
    {
        var request = new AccessRequest(Guid.NewGuid().ToString("N"), userId, applianceId, endpointId, reason, "pending", time.GetUtcNow(), validFrom, validUntil, null, null, null);
        using var connection = database.Open();
        connection.Execute(
            "INSERT INTO access_requests (id, user_id, appliance_id, endpoint_id, reason, status, requested_at, valid_from, valid_until) VALUES ($id, $u, $a, $e, $reason, 'pending', $now, $from, $until)",
            ("$id", request.Id), ("$u", userId), ("$a", applianceId), ("$e", endpointId), ("$reason", reason), ("$now", Sql.Time(request.RequestedAt)), ("$from", Sql.Time(validFrom)), ("$until", Sql.Time(validUntil)));
        return request;
    }

    /// <summary>Approves or denies a pending request; false when it is not pending (decided already, or unknown).</summary>
    public bool DecideRequest(string id, bool approve, string decidedBy, string? reason)
    {
        using var connection = database.Open();
        return connection.Execute(
            "UPDATE access_requests SET status = $status, decided_by = $by, decided_at = $now, decision_reason = $reason WHERE id = $id AND status = 'pending'",
            ("$id", id), ("$status", approve ? "approved" : "denied"), ("$by", decidedBy), ("$now", Now()), ("$reason", reason)) == 1;
    }

    public AccessRequest? FindRequest(string id)
    {
        using var connection = database.Open();
        return connection.Query($"{RequestSelect} r WHERE r.id = $id", ReadRequest, ("$id", id)).FirstOrDefault();
    }

    /// <summary>Requests, newest first: one user's, or (userId null) every request on the domain's appliances.</summary>
    public IReadOnlyList<AccessRequest> Requests(string domainId, string? userId)
    {
        using var connection = database.Open();
        return connection.Query(
            $"{RequestSelect} r LEFT JOIN appliances a ON a.id = r.appliance_id WHERE ($u IS NULL OR r.user_id = $u) AND COALESCE(a.domain_id, 'default') = $domain ORDER BY r.requested_at DESC LIMIT 500",
            ReadRequest, ("$u", userId), ("$domain", domainId));
    }

    /// <summary>The user's approved request for the endpoint that is valid at <paramref name="at"/>, the one lasting longest.</summary>
    public AccessRequest? CurrentApproval(string userId, string applianceId, string endpointId, DateTimeOffset at)
    {
        using var connection = database.Open();
        return connection.Query(
            $"{RequestSelect} r WHERE r.user_id = $u AND r.appliance_id = $a AND r.endpoint_id = $e AND r.status = 'approved' AND r.valid_from <= $at AND r.valid_until > $at ORDER BY r.valid_until DESC LIMIT 1",
            ReadRequest, ("$u", userId), ("$a", applianceId), ("$e", endpointId), ("$at", Sql.Time(at))).FirstOrDefault();
    }

    // ---- invites

    /// <summary>Stores a new invite; <paramref name="email"/>: the address it is sent to, if any.</summary>
    public InviteRecord CreateInvite(string sessionId, string keyHash, string createdBy, DateTimeOffset expiresAt, string? email = null)
    {
        var invite = new InviteRecord(Guid.NewGuid().ToString("N"), sessionId, createdBy, time.GetUtcNow(), expiresAt, null, email);
        using var connection = database.Open();
        connection.Execute(
            "INSERT INTO invites (id, session_id, key_hash, created_by, created_at, expires_at, email) VALUES ($id, $s, $hash, $by, $now, $exp, $email)",
            ("$id", invite.Id), ("$s", sessionId), ("$hash", keyHash), ("$by", createdBy), ("$now", Sql.Time(invite.CreatedAt)), ("$exp", Sql.Time(expiresAt)), ("$email", email));
        return invite;
    }

    public InviteRecord? FindInviteByHash(string keyHash)
    {
        using var connection = database.Open();
        return connection.Query($"{InviteSelect} WHERE key_hash = $hash", ReadInvite, ("$hash", keyHash)).FirstOrDefault();
    }

    public InviteRecord? FindInvite(string id)
    {
        using var connection = database.Open();
        return connection.Query($"{InviteSelect} WHERE id = $id", ReadInvite, ("$id", id)).FirstOrDefault();
    }

    public IReadOnlyList<InviteRecord> Invites(string sessionId)
    {
        using var connection = database.Open();
        return connection.Query($"{InviteSelect} WHERE session_id = $s ORDER BY created_at", ReadInvite, ("$s", sessionId));
    }

    public bool RevokeInvite(string id)
    {
        using var connection = database.Open();
        return connection.Execute("UPDATE invites SET revoked_at = $now WHERE id = $id AND revoked_at IS NULL", ("$id", id), ("$now", Now())) == 1;
    }

    /// <summary>Records the first join with an invite (later joins with the same link leave it as it was); true when this was the first.</summary>
    public bool AcceptInvite(string id, string userId)
    {
        using var connection = database.Open();
        return connection.Execute("UPDATE invites SET accepted_at = $now, accepted_by = $u WHERE id = $id AND accepted_at IS NULL", ("$id", id), ("$u", userId), ("$now", Now())) == 1;
    }

    /// <summary>
    /// The invites <paramref name="createdBy"/> made that nobody has used, revoked or let run out at <paramref name="at"/>,
    /// newest first (at most 200).
    /// </summary>
    public IReadOnlyList<InviteRecord> PendingInvitesBy(string createdBy, DateTimeOffset at)
    {
        using var connection = database.Open();
        return connection.Query(
            $"{InviteSelect} WHERE created_by = $by AND revoked_at IS NULL AND accepted_at IS NULL AND expires_at > $at ORDER BY created_at DESC LIMIT 200",
            ReadInvite, ("$by", createdBy), ("$at", Sql.Time(at)));
    }

    // ---- participants' history

    public void RecordJoin(string sessionId, string userId, string userName, string joinedVia)
    {
        using var connection = database.Open();
        connection.Execute(
            "INSERT INTO session_participants (session_id, user_id, user_name, joined_via, joined_at) VALUES ($s, $u, $name, $via, $now)",
            ("$s", sessionId), ("$u", userId), ("$name", userName), ("$via", joinedVia), ("$now", Now()));
    }

    public void RecordLeave(string sessionId, string userId)
    {
        using var connection = database.Open();
        connection.Execute(
            "UPDATE session_participants SET left_at = $now WHERE rowid = (SELECT rowid FROM session_participants WHERE session_id = $s AND user_id = $u AND left_at IS NULL ORDER BY joined_at DESC LIMIT 1)",
            ("$s", sessionId), ("$u", userId), ("$now", Now()));
    }

    /// <summary>Everyone still recorded as present leaves now (the session ended).</summary>
    public void RecordAllLeft(string sessionId)
    {
        using var connection = database.Open();
        connection.Execute("UPDATE session_participants SET left_at = $now WHERE session_id = $s AND left_at IS NULL", ("$s", sessionId), ("$now", Now()));
    }

    public IReadOnlyList<ParticipantRecord> Participants(string sessionId)
    {
        using var connection = database.Open();
        return connection.Query(
            "SELECT session_id, user_id, user_name, joined_via, joined_at, left_at FROM session_participants WHERE session_id = $s ORDER BY joined_at",
            r => new ParticipantRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.ReadTime(4), r.ReadTimeOrNull(5)),
            ("$s", sessionId));
    }

    private const string RequestSelect = "SELECT r.id, r.user_id, r.appliance_id, r.endpoint_id, r.reason, r.status, r.requested_at, r.valid_from, r.valid_until, r.decided_by, r.decided_at, r.decision_reason FROM access_requests";

    private const string InviteSelect = "SELECT id, session_id, created_by, created_at, expires_at, revoked_at, email, accepted_at, accepted_by FROM invites";

    private static DomainInfo ReadDomain(SqliteDataReader r) => new(r.GetString(0), r.GetString(1), r.GetInt64(2) != 0, r.GetInt32(3));

    private static AccessGrant ReadGrant(SqliteDataReader r) => new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4));

    private static AccessRequest ReadRequest(SqliteDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5),
        r.ReadTime(6), r.ReadTime(7), r.ReadTime(8), r.ReadStringOrNull(9), r.ReadTimeOrNull(10), r.ReadStringOrNull(11));

    private static InviteRecord ReadInvite(SqliteDataReader r) => new(r.GetString(0), r.GetString(1), r.GetString(2), r.ReadTime(3), r.ReadTime(4), r.ReadTimeOrNull(5), r.ReadStringOrNull(6), r.ReadTimeOrNull(7), r.ReadStringOrNull(8));

    private string Now() => Sql.Time(time.GetUtcNow());

}
