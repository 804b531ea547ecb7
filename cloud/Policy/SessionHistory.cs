namespace EdgeGateway.Cloud.Policy;

/// <summary>
/// Filters for <see cref="SessionHistory.Find"/>; null fields do not filter. <see cref="From"/>–<see cref="To"/> keeps the
/// sessions that ran at some time in that window (a session still running runs until now). <see cref="UserId"/> keeps the
/// sessions that user controlled or took part in. Newest first; <see cref="Before"/> is the last session id of the
/// previous page; at most <see cref="Limit"/> (1–200). <see cref="Status"/>: <c>waiting</c>, <c>in-session</c>, <c>ended</c>
/// or <c>expired</c>; <see cref="Text"/>: part of the session's name or its endpoint's name (case-insensitive for ASCII);
/// <see cref="SessionId"/> keeps that one session (the history detail).
/// </summary>
public sealed record HistoryQuery(string? ApplianceId = null, string? EndpointId = null, string? UserId = null, DateTimeOffset? From = null, DateTimeOffset? To = null, string? Before = null, int Limit = 50, string? Status = null, string? Text = null, string? SessionId = null);

/// <summary>Whose sessions a reader sees: a domain's (<see cref="DomainId"/>, admins) or the ones <see cref="ParticipantId"/> took part in.</summary>
public sealed record HistoryScope(string? DomainId, string? ParticipantId)
{
    /// <summary>Every session on the domain's appliances.</summary>
    public static HistoryScope Domain(string domainId) => new(domainId, null);

    /// <summary>The sessions the user controlled or joined.</summary>
    public static HistoryScope Participant(string userId) => new(null, userId);
}

/// <summary>A person named in the history: id and name (the id again when the account is gone).</summary>
public sealed record HistoryPerson(string Id, string Name);

/// <summary>One stay of a participant in a session; <see cref="DurationSeconds"/> runs to now while they are still in.</summary>
public sealed record HistoryParticipant(string Id, string Name, string JoinedVia, DateTimeOffset JoinedAt, DateTimeOffset? LeftAt, double DurationSeconds);

/// <summary>
/// A session as the history shows it: endpoint, name (a support session's; null for a quick start), Controller, when it
/// was created (<see cref="StartedAt"/>), when it turned In session, how long it was in session (seconds, to now while it
/// runs; 0 for one nobody joined), <see cref="Status"/> (<c>waiting</c>, <c>in-session</c>, <c>ended</c>, <c>expired</c>),
/// how it ended (<see cref="EndReason"/>, the <see cref="EndMessage"/> participants saw, who ended it) and everyone who
/// took part with their joined and left times.
/// </summary>
public sealed record HistorySession(
    string Id,
    string ApplianceId,
    string EndpointId,
    string EndpointName,
    HistoryPerson Controller,
    DateTimeOffset StartedAt,
    DateTimeOffset? EndedAt,
    double DurationSeconds,
    string Status,
    string? EndReason,
    string? EndMessage,
    HistoryPerson? EndedBy,
    IReadOnlyList<HistoryParticipant> Participants,
    string? Name = null,
    DateTimeOffset? InSessionSince = null);

/// <summary>
/// Reads the sessions' history (the <c>sessions</c> and <c>session_participants</c> tables) for the history page: two
/// queries per page whatever its size (the sessions, then all their participants at once), keyset-paged so that a deep page
/// costs what the first does.
/// </summary>
public sealed class SessionHistory(CloudDatabase database, TimeProvider time)
{
    /// <summary>The largest page.</summary>
    public const int MaxLimit = 200;

    /// <summary>Sessions matching <paramref name="query"/> within <paramref name="scope"/>, newest first.</summary>
    public IReadOnlyList<HistorySession> Find(HistoryQuery query, HistoryScope scope)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(scope);
        var now = time.GetUtcNow();
        using var connection = database.Open();
        var rows = connection.Query(
            """
            SELECT s.id, s.appliance_id, s.endpoint_id, s.endpoint_name, s.controller_id, COALESCE(c.name, s.controller_id),
                   s.started_at, s.ended_at, s.end_reason, s.end_message, s.ended_by, COALESCE(b.name, s.ended_by),
                   s.name, s.in_session_at, COALESCE(s.status, CASE WHEN s.ended_at IS NULL THEN 'in-session' ELSE 'ended' END)
            FROM sessions s
            LEFT JOIN users c ON c.id = s.controller_id
            LEFT JOIN users b ON b.id = s.ended_by
            WHERE ($domain IS NULL OR COALESCE((SELECT domain_id FROM appliances WHERE id = s.appliance_id), $default) = $domain)
              AND ($me IS NULL OR s.controller_id = $me OR EXISTS (SELECT 1 FROM session_participants p WHERE p.session_id = s.id AND p.user_id = $me))
              AND ($a IS NULL OR s.appliance_id = $a) AND ($e IS NULL OR s.endpoint_id = $e)
              AND ($id IS NULL OR s.id = $id)
              AND ($user IS NULL OR s.controller_id = $user OR EXISTS (SELECT 1 FROM session_participants p WHERE p.session_id = s.id AND p.user_id = $user))
              AND ($to IS NULL OR s.started_at < $to) AND ($from IS NULL OR s.ended_at IS NULL OR s.ended_at >= $from)
              AND ($before IS NULL OR (s.started_at, s.id) < (SELECT started_at, id FROM sessions WHERE id = $before))
              AND ($status IS NULL OR COALESCE(s.status, CASE WHEN s.ended_at IS NULL THEN 'in-session' ELSE 'ended' END) = $status)
              AND ($text IS NULL OR instr(lower(COALESCE(s.name, '') || ' ' || s.endpoint_name), lower($text)) > 0)
            ORDER BY s.started_at DESC, s.id DESC
            LIMIT $limit
            """,
            r =>
            {
                var started = r.ReadTime(6);
                var ended = r.ReadTimeOrNull(7);
                var inSession = r.IsDBNull(13) ? (r.IsDBNull(12) ? started : (DateTimeOffset?)null) : r.ReadTime(13); // rows from before support sessions: in session from the start
                return new HistorySession(
                    r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), new HistoryPerson(r.GetString(4), r.GetString(5)),
                    started, ended, inSession is { } since ? Seconds(since, ended ?? now) : 0, r.GetString(14),
                    r.ReadStringOrNull(8), r.ReadStringOrNull(9), r.IsDBNull(10) ? null : new HistoryPerson(r.GetString(10), r.GetString(11)), [],
                    r.ReadStringOrNull(12), inSession);
            },
            ("$domain", scope.DomainId), ("$default", PolicyStore.DefaultDomain), ("$me", scope.ParticipantId),
            ("$a", query.ApplianceId), ("$e", query.EndpointId), ("$user", query.UserId),
            ("$from", query.From is { } f ? Sql.Time(f) : null), ("$to", query.To is { } t ? Sql.Time(t) : null),
            ("$before", query.Before), ("$id", query.SessionId), ("$limit", Math.Clamp(query.Limit, 1, MaxLimit)), ("$status", query.Status), ("$text", query.Text));
        if (rows.Count == 0)
        {
            return rows;
        }

        // All participants of the page in one query (at most MaxLimit parameters).
        var ids = rows.Select((row, i) => ($"$s{i}", (object?)row.Id)).ToArray();
        var participants = connection.Query(
            $"""
            SELECT session_id, user_id, user_name, joined_via, joined_at, left_at FROM session_participants
            WHERE session_id IN ({string.Join(", ", ids.Select(p => p.Item1))}) ORDER BY joined_at, rowid
            """,
            r =>
            {
                var joined = r.ReadTime(4);
                var left = r.ReadTimeOrNull(5);
                return (Session: r.GetString(0), Participant: new HistoryParticipant(r.GetString(1), r.GetString(2), r.GetString(3), joined, left, Seconds(joined, left ?? now)));
            },
            ids).ToLookup(p => p.Session, p => p.Participant, StringComparer.Ordinal);
        return [.. rows.Select(row => row with { Participants = [.. participants[row.Id]] })];
    }

    private static double Seconds(DateTimeOffset from, DateTimeOffset to) => Math.Max(0, Math.Round((to - from).TotalSeconds, 3));
}
