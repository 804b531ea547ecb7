using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Data.Sqlite;

namespace EdgeGateway.Cloud.Policy;

/// <summary>
/// One audit event: who (<see cref="ActorId"/>, name, role), did what (<see cref="Action"/>, e.g. <c>session.join</c>),
/// with which <see cref="Outcome"/> (<c>allowed</c>, <c>refused</c>, <c>failed</c>) and <see cref="Reason"/>, to which
/// appliance, endpoint and session, from which source address, when. <see cref="Detail"/> is a short free text that
/// never holds a secret. <see cref="Seq"/>, <see cref="PrevHash"/> and <see cref="Hash"/> are set by the log.
/// </summary>
public sealed record AuditEvent(
    string Action,
    string Outcome,
    string? ActorId = null,
    string? ActorName = null,
    string? ActorRole = null,
    string? Reason = null,
    string? ApplianceId = null,
    string? EndpointId = null,
    string? SessionId = null,
    string? Source = null,
    string? Detail = null)
{
    public long Seq { get; init; }

    public DateTimeOffset At { get; init; }

    public string PrevHash { get; init; } = string.Empty;

    public string Hash { get; init; } = string.Empty;
}

/// <summary>The outcome of <see cref="AuditLog.Verify"/>: the events checked and the first broken link, if any. <c>FirstBrokenSeq</c>: The sequence number of the first event whose link does not hold; null when the chain is whole.</summary>
public sealed record AuditVerification(bool Intact, long Events, long? FirstBrokenSeq, string Message);

/// <summary>Filters for reading the log; null fields do not filter. Results are in sequence order, at most <see cref="Limit"/>.</summary>
public sealed record AuditQuery(DateTimeOffset? From = null, DateTimeOffset? To = null, string? UserId = null, string? ApplianceId = null, string? EndpointId = null, string? SessionId = null, long AfterSeq = 0, int Limit = 1000);

/// <summary>
/// The append-only, hash-chained audit log. Each event's <c>hash</c> is the SHA-256 (hex) of the previous event's hash
/// and the event's canonical JSON (sequence number included), starting from 64 zeros; so an edited, deleted or
/// reordered row breaks the chain at that row, and <see cref="Verify"/> names it. Triggers refuse UPDATE and DELETE
/// (an accident); the chain catches the deliberate. Truncating the newest events is not visible in the chain itself:
/// the SIEM export (which carries every hash) is the outside copy that shows it.
/// </summary>
public sealed partial class AuditLog(CloudDatabase database, TimeProvider time, ILogger<AuditLog> logger)
{
    /// <summary>The previous hash of the first event.</summary>
    public static readonly string Genesis = new('0', 64);

    private readonly Lock _append = new();

    /// <summary>Appends an event and returns it with its sequence number and hashes. Never throws: a failure is logged (the action it records has happened).</summary>
    public AuditEvent? Append(AuditEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        try
        {
            lock (_append)
            {
                using var connection = database.Open();
                using var transaction = connection.BeginTransaction(deferred: false);
                var last = connection.Query("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1", r => (Seq: r.GetInt64(0), Hash: r.GetString(1))).FirstOrDefault();
                var chained = e with { Seq = last.Seq + 1, At = time.GetUtcNow(), PrevHash = last.Hash ?? Genesis };
                chained = chained with { Hash = ComputeHash(chained) };
                connection.Execute(
                    """
                    INSERT INTO audit_events (seq, at, actor_id, actor_name, actor_role, action, outcome, reason, appliance_id, endpoint_id, session_id, source, detail, prev_hash, hash)
                    VALUES ($seq, $at, $actor, $name, $role, $action, $outcome, $reason, $a, $e, $s, $source, $detail, $prev, $hash)
                    """,
                    ("$seq", chained.Seq), ("$at", Sql.Time(chained.At)), ("$actor", chained.ActorId), ("$name", chained.ActorName), ("$role", chained.ActorRole),
                    ("$action", chained.Action), ("$outcome", chained.Outcome), ("$reason", chained.Reason), ("$a", chained.ApplianceId), ("$e", chained.EndpointId),
                    ("$s", chained.SessionId), ("$source", chained.Source), ("$detail", chained.Detail), ("$prev", chained.PrevHash), ("$hash", chained.Hash));
                transaction.Commit();
                return chained;
            }
        }
        catch (SqliteException ex)
        {
            Log.AppendFailed(logger, e.Action, ex);
            return null;
        }
    }

    /// <summary>Events matching <paramref name="query"/>, in sequence order.</summary>
    public IReadOnlyList<AuditEvent> Read(AuditQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        using var connection = database.Open();
        return connection.Query(
            $"""
            {Select} WHERE seq > $after
              AND ($from IS NULL OR at >= $from) AND ($to IS NULL OR at < $to)
              AND ($user IS NULL OR actor_id = $user) AND ($a IS NULL OR appliance_id = $a)
              AND ($e IS NULL OR endpoint_id = $e) AND ($s IS NULL OR session_id = $s)
            ORDER BY seq LIMIT $limit
            """,
            ReadEvent,
            ("$after", query.AfterSeq), ("$from", query.From is { } f ? Sql.Time(f) : null), ("$to", query.To is { } t ? Sql.Time(t) : null),
            ("$user", query.UserId), ("$a", query.ApplianceId), ("$e", query.EndpointId), ("$s", query.SessionId), ("$limit", Math.Clamp(query.Limit, 1, 10_000)));
    }

    /// <summary>Walks the whole chain in sequence order and reports the first event whose link or hash does not hold.</summary>
    public AuditVerification Verify()
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"{Select} ORDER BY seq";
        using var reader = command.ExecuteReader();
        var previous = Genesis;
        long expectedSeq = 1, count = 0;
        while (reader.Read())
        {
            var e = ReadEvent(reader);
            count++;
            string? broken =
                e.Seq != expectedSeq ? $"event {expectedSeq} is missing (the next one is {e.Seq})"
                : e.PrevHash != previous ? $"event {e.Seq} does not follow event {e.Seq - 1} (its previous hash differs): an event before it was changed, removed or moved"
                : ComputeHash(e) != e.Hash ? $"event {e.Seq} was changed after it was written (its hash does not match its content)"
                : null;
            if (broken is not null)
            {
                return new AuditVerification(false, count, e.Seq != expectedSeq ? expectedSeq : e.Seq, $"The audit log is broken at event {(e.Seq != expectedSeq ? expectedSeq : e.Seq)}: {broken}.");
            }

            previous = e.Hash;
            expectedSeq++;
        }

        return new AuditVerification(true, count, null, $"The audit log is intact: {count} events, every link holds.");
    }

    /// <summary>SHA-256 (lower-case hex) of the previous hash, a newline and the event's canonical JSON.</summary>
    public static string ComputeHash(AuditEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var canonical = JsonSerializer.Serialize(
            new Canonical(e.Seq, Sql.Time(e.At), e.ActorId, e.ActorName, e.ActorRole, e.Action, e.Outcome, e.Reason, e.ApplianceId, e.EndpointId, e.SessionId, e.Source, e.Detail),
            AuditJson.Default.Canonical);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(e.PrevHash + "\n" + canonical)));
    }

    private const string Select = "SELECT seq, at, actor_id, actor_name, actor_role, action, outcome, reason, appliance_id, endpoint_id, session_id, source, detail, prev_hash, hash FROM audit_events";

    private static AuditEvent ReadEvent(SqliteDataReader r) =>
        new(r.GetString(5), r.GetString(6), r.ReadStringOrNull(2), r.ReadStringOrNull(3), r.ReadStringOrNull(4), r.ReadStringOrNull(7), r.ReadStringOrNull(8), r.ReadStringOrNull(9), r.ReadStringOrNull(10), r.ReadStringOrNull(11), r.ReadStringOrNull(12))
        {
            Seq = r.GetInt64(0),
            At = r.ReadTime(1),
            PrevHash = r.GetString(13),
            Hash = r.GetString(14),
        };

    internal sealed record Canonical(long Seq, string At, string? ActorId, string? ActorName, string? ActorRole, string Action, string Outcome, string? Reason, string? ApplianceId, string? EndpointId, string? SessionId, string? Source, string? Detail);

    private static partial class Log
    {
        [LoggerMessage(4100, LogLevel.Error, "Could not append the audit event {Action}")]
        public static partial void AppendFailed(ILogger logger, string action, Exception exception);
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(AuditLog.Canonical))]
[JsonSerializable(typeof(AuditEvent))]
internal sealed partial class AuditJson : JsonSerializerContext;
