namespace EdgeGateway.Cloud.Policy;

/// <summary>
/// The <c>sessions</c> table's writes and the reads the running service needs: one row per session, written when it
/// starts, when the device connection's details arrive and when it ends. Reads for people (history) are
/// <see cref="SessionHistory"/>'s. Times are ISO 8601 UTC text; end reasons are the names of
/// <see cref="EdgeGateway.Protocol.Stream.EndReason"/>.
/// </summary>
public sealed class SessionRecords(CloudDatabase database)
{
    /// <summary>Records a session that is starting.</summary>
    public void Started(string id, string code, string applianceId, string endpointId, string endpointName, string controllerId, DateTimeOffset startedAt)
    {
        using var connection = database.Open();
        connection.Execute(
            """
            INSERT INTO sessions (id, code, appliance_id, endpoint_id, endpoint_name, controller_id, started_at)
            VALUES ($id, $code, $appliance, $endpoint, $name, $controller, $started)
            """,
            ("$id", id), ("$code", code), ("$appliance", applianceId), ("$endpoint", endpointId), ("$name", endpointName), ("$controller", controllerId), ("$started", Sql.Time(startedAt)));
    }

    /// <summary>Keeps what the device connection negotiated and its banner (<c>SessionDetails</c> as JSON).</summary>
    public void Details(string id, string detailsJson)
    {
        using var connection = database.Open();
        connection.Execute("UPDATE sessions SET details = $details WHERE id = $id", ("$id", id), ("$details", detailsJson));
    }

    /// <summary>Records a session's end: when, why (reason name and the sentence shown), and who ended it (null: not a person).</summary>
    public void Ended(string id, DateTimeOffset at, string reason, string message, string? endedBy)
    {
        using var connection = database.Open();
        connection.Execute(
            "UPDATE sessions SET ended_at = $now, end_reason = $reason, end_message = $message, ended_by = $by WHERE id = $id",
            ("$id", id), ("$now", Sql.Time(at)), ("$reason", reason), ("$message", message), ("$by", endedBy));
    }

    /// <summary>Records every session still open as ended (they ran when the process stopped); returns how many.</summary>
    public int EndAllOpen(DateTimeOffset at, string reason, string message)
    {
        using var connection = database.Open();
        return connection.Execute(
            "UPDATE sessions SET ended_at = $now, end_reason = $reason, end_message = $message WHERE ended_at IS NULL",
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
