namespace EdgeGateway.Cloud.Policy;

/// <summary>
/// The <c>sessions</c> table's writes and the reads the running service needs: one row per session, written when it
/// starts, when the device connection's details arrive and when it ends. Reads for people (history) are
/// <see cref="SessionHistory"/>'s. Times are ISO 8601 UTC text; end reasons are the names of
/// <see cref="EdgeGateway.Protocol.Stream.EndReason"/>.
/// </summary>
public sealed class SessionRecords(CloudDatabase database)
{
    /// <summary>
    /// Records a session that is starting or, for a support session, created: its descriptive <paramref name="name"/>
    /// (null for a quick start) and <paramref name="status"/> (<c>waiting</c> or <c>in-session</c>).
    /// </summary>
    public void Started(string id, string code, string applianceId, string endpointId, string endpointName, string controllerId, DateTimeOffset startedAt, string? name = null, string status = "in-session")
    {
        using var connection = database.Open();
        connection.Execute(
            """
            INSERT INTO sessions (id, code, appliance_id, endpoint_id, endpoint_name, controller_id, started_at, name, status, owner_id, in_session_at)
            VALUES ($id, $code, $appliance, $endpoint, $name, $controller, $started, $title, $status, $controller, CASE WHEN $status = 'in-session' THEN $started END)
            """,
            ("$id", id), ("$code", code), ("$appliance", applianceId), ("$endpoint", endpointId), ("$name", endpointName), ("$controller", controllerId), ("$started", Sql.Time(startedAt)),
            ("$title", name), ("$status", status));
    }

    /// <summary>The session turned In session at <paramref name="at"/> (someone joined, or the device connected).</summary>
    public void InSession(string id, DateTimeOffset at)
    {
        using var connection = database.Open();
        connection.Execute("UPDATE sessions SET status = 'in-session', in_session_at = $at WHERE id = $id AND in_session_at IS NULL", ("$id", id), ("$at", Sql.Time(at)));
    }

    /// <summary>The device connection opened at <paramref name="at"/>.</summary>
    public void Connected(string id, DateTimeOffset at)
    {
        using var connection = database.Open();
        connection.Execute("UPDATE sessions SET connected_at = $at WHERE id = $id AND connected_at IS NULL", ("$id", id), ("$at", Sql.Time(at)));
    }

    /// <summary>A waiting session expires at <paramref name="at"/> unless someone joins first.</summary>
    public void Expires(string id, DateTimeOffset at)
    {
        using var connection = database.Open();
        connection.Execute("UPDATE sessions SET expires_at = $at WHERE id = $id", ("$id", id), ("$at", Sql.Time(at)));
    }

    /// <summary>Keeps what the device connection negotiated and its banner (<c>SessionDetails</c> as JSON).</summary>
    public void Details(string id, string detailsJson)
    {
        using var connection = database.Open();
        connection.Execute("UPDATE sessions SET details = $details WHERE id = $id", ("$id", id), ("$details", detailsJson));
    }

    /// <summary>
    /// Records a session's end: when, why (reason name and the sentence shown), who ended it (null: not a person), and
    /// its final status (<c>ended</c>, or <c>expired</c> for a support session nobody joined).
    /// </summary>
    public void Ended(string id, DateTimeOffset at, string reason, string message, string? endedBy, string status = "ended")
    {
        using var connection = database.Open();
        connection.Execute(
            "UPDATE sessions SET ended_at = $now, end_reason = $reason, end_message = $message, ended_by = $by, status = $status WHERE id = $id",
            ("$id", id), ("$now", Sql.Time(at)), ("$reason", reason), ("$message", message), ("$by", endedBy), ("$status", status));
    }

    /// <summary>Records every session still open as ended (they ran when the process stopped); returns how many.</summary>
    public int EndAllOpen(DateTimeOffset at, string reason, string message)
    {
        using var connection = database.Open();
        return connection.Execute(
            "UPDATE sessions SET ended_at = $now, end_reason = $reason, end_message = $message, status = 'ended' WHERE ended_at IS NULL",
            ("$now", Sql.Time(at)), ("$reason", reason), ("$message", message));
    }

    /// <summary>The recorded end (reason name, message) of an ended session of that appliance; null when it is not recorded as ended.</summary>
    public (string Reason, string Message)? RecordedEnd(string applianceId, string sessionId)
    {
        using var connection = database.Open();
        var rows = connection.Query(
            "SELECT end_reason, COALESCE(end_message, '') FROM sessions WHERE id = $id AND appliance_id = $appliance AND ended_at IS NOT NULL AND end_reason IS NOT NULL",
            r => (r.GetString(0), r.GetString(1)),
            ("$id", sessionId), ("$appliance", applianceId));
        return rows.Count == 0 ? null : rows[0];
    }
}
