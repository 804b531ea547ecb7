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

/// <summary>
/// Filters for reading the log; null fields do not filter. <see cref="From"/> is inclusive, <see cref="To"/> exclusive.
/// <see cref="DomainId"/> keeps the events of one domain: those about its appliances, else those by its users (events
/// with neither, such as a failed login under an unknown name, belong to the default domain). Results are in sequence
/// order after <see cref="AfterSeq"/>, or with <see cref="NewestFirst"/> newest first before <see cref="BeforeSeq"/>;
/// at most <see cref="Limit"/> (1–10,000).
/// </summary>
public sealed record AuditQuery(DateTimeOffset? From = null, DateTimeOffset? To = null, string? UserId = null, string? ApplianceId = null, string? EndpointId = null, string? SessionId = null, long AfterSeq = 0, int Limit = 1000, string? DomainId = null, bool NewestFirst = false, long? BeforeSeq = null);

/// <summary>
/// The append-only, hash-chained audit log. Each event's <c>hash</c> is the HMAC-SHA256 (lower-case hex) of the
/// previous event's hash, a newline and the event's canonical JSON (sequence number included), starting from 64 zeros
/// (<see cref="Genesis"/>); so an edited, deleted or reordered row breaks the chain at that row, and <see cref="Verify"/>
/// names it. The HMAC key (<see cref="KeyFileName"/>, 32 random bytes, owner-readable) lives in the data folder, not in
/// the database: someone who can write the database but not read that file (a copied or restored database, a SQL
/// login on a shared server) cannot recompute the chain after an edit, which a bare SHA-256 chain would let them do.
/// Triggers refuse UPDATE and DELETE (an accident); the chain catches the deliberate. Truncating the newest events is
/// not visible in the chain itself: the SIEM export (which carries every hash) is the outside copy that shows it.
/// Appends are serialised (a lock and an immediate transaction) and cost one indexed read and one insert.
/// </summary>
public sealed partial class AuditLog(CloudDatabase database, TimeProvider time, ILogger<AuditLog> logger)
{
    /// <summary>The previous hash of the first event.</summary>
    public static readonly string Genesis = new('0', 64);

    /// <summary>The key file's name in the data folder.</summary>
    public const string KeyFileName = "audit-key";

    private readonly Lock _append = new();
    private byte[]? _key;

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
                chained = chained with { Hash = ComputeHash(chained, Key(create: true)!) };
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
        catch (Exception ex) when (ex is SqliteException or IOException or UnauthorizedAccessException)
        {
            Log.AppendFailed(logger, e.Action, ex);
            return null;
        }
    }

    /// <summary>Events matching <paramref name="query"/>, in sequence order (or newest first).</summary>
    public IReadOnlyList<AuditEvent> Read(AuditQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        using var connection = database.Open();
        return connection.Query(
            $"""
            {Select} WHERE seq > $after AND ($before IS NULL OR seq < $before)
              AND ($from IS NULL OR at >= $from) AND ($to IS NULL OR at < $to)
              AND ($user IS NULL OR actor_id = $user) AND ($a IS NULL OR appliance_id = $a)
              AND ($e IS NULL OR endpoint_id = $e) AND ($s IS NULL OR session_id = $s)
              AND ($domain IS NULL OR COALESCE(
                    (SELECT domain_id FROM appliances WHERE id = appliance_id),
                    (SELECT domain_id FROM users WHERE id = actor_id),
                    $default) = $domain)
            ORDER BY seq {(query.NewestFirst ? "DESC" : "ASC")} LIMIT $limit
            """,
            ReadEvent,
            ("$after", query.AfterSeq), ("$before", query.BeforeSeq), ("$from", query.From is { } f ? Sql.Time(f) : null), ("$to", query.To is { } t ? Sql.Time(t) : null),
            ("$user", query.UserId), ("$a", query.ApplianceId), ("$e", query.EndpointId), ("$s", query.SessionId),
            ("$domain", query.DomainId), ("$default", PolicyStore.DefaultDomain), ("$limit", Math.Clamp(query.Limit, 1, 10_000)));
    }

    /// <summary>
    /// The events about one session, in sequence order, at most <paramref name="limit"/> (the first ones): for its
    /// history page. One walk of the <c>(session_id, seq)</c> index.
    /// </summary>
    public IReadOnlyList<AuditEvent> ForSession(string sessionId, int limit)
    {
        using var connection = database.Open();
        return connection.Query($"{Select} WHERE session_id = $s ORDER BY seq LIMIT $limit", ReadEvent, ("$s", sessionId), ("$limit", Math.Max(0, limit)));
    }

    /// <summary>
    /// Walks the whole chain in sequence order (streaming: memory does not grow with the log) and reports the first
    /// event whose link does not hold: a gap in the sequence (a deleted row: the missing number), a previous hash that
    /// is not the preceding event's hash (a row moved or replaced), a hash that does not match the content (an edited
    /// row), or a row that cannot be read at all (a value of the wrong type). A log with events and no key file cannot
    /// be checked and is reported broken at its first event. With <paramref name="anchor"/> — an event's sequence number
    /// and hash from an outside copy (the SIEM's last exported event) — a log that no longer holds that event as it was
    /// (truncated, or rewritten by someone with the key) is reported broken at that event.
    /// </summary>
    public AuditVerification Verify((long Seq, string Hash)? anchor = null)
    {
        byte[]? key;
        string keyProblem;
        try
        {
            key = Key(create: false);
            keyProblem = $"the key file {Path.Combine(database.DataDirectory, KeyFileName)} is missing, so no event can be checked";
        }
        catch (InvalidDataException ex)
        {
            (key, keyProblem) = (null, ex.Message.TrimEnd('.'));
        }

        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"{Select} ORDER BY seq";
        using var reader = command.ExecuteReader();
        var previous = Genesis;
        long expected = 1, count = 0;
        while (reader.Read())
        {
            var seq = reader.GetInt64(0);
            count++;
            if (seq != expected)
            {
                return Broken(expected, count, seq < expected ? $"event {seq} is out of sequence" : $"event {expected} is missing (the next one is {seq})");
            }

            if (key is null)
            {
                return Broken(seq, count, keyProblem);
            }

            AuditEvent e;
            try
            {
                e = ReadEvent(reader);
            }
            catch (Exception ex) when (ex is InvalidOperationException or InvalidCastException or FormatException)
            {
                return Broken(seq, count, $"event {seq} cannot be read (a value was replaced by one of the wrong type)");
            }

            var broken =
                e.PrevHash != previous ? $"event {seq} does not follow event {seq - 1} (its previous hash differs): it was moved or replaced, or an event before it was"
                : ComputeHash(e, key) != e.Hash ? $"event {seq} was changed after it was written (its hash does not match its content)"
                : null;
            if (broken is not null)
            {
                return Broken(seq, count, broken);
            }

            if (anchor is { } a && a.Seq == seq && !string.Equals(a.Hash, e.Hash, StringComparison.OrdinalIgnoreCase))
            {
                return Broken(seq, count, "its hash differs from the exported copy's: the log was rewritten from there on");
            }

            previous = e.Hash;
            expected++;
        }

        if (anchor is { } missing && missing.Seq >= expected)
        {
            return Broken(missing.Seq, count, $"the log ends at event {expected - 1}, but the exported copy holds event {missing.Seq}: events were removed from the end");
        }

        return new AuditVerification(true, count, null, $"The audit log is intact: {count} events, every link holds.");

        static AuditVerification Broken(long seq, long count, string why) =>
            new(false, count, seq, $"The audit log is broken at event {seq}: {why}.");
    }

    /// <summary>HMAC-SHA256 (lower-case hex) under <paramref name="key"/> of the previous hash, a newline and the event's canonical JSON.</summary>
    public static string ComputeHash(AuditEvent e, byte[] key)
    {
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(key);
        var canonical = JsonSerializer.Serialize(
            new Canonical(e.Seq, Sql.Time(e.At), e.ActorId, e.ActorName, e.ActorRole, e.Action, e.Outcome, e.Reason, e.ApplianceId, e.EndpointId, e.SessionId, e.Source, e.Detail),
            AuditJson.Default.Canonical);
        return Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(e.PrevHash + "\n" + canonical)));
    }

    /// <summary>
    /// The chain's key from the data folder; with <paramref name="create"/>, made on first use (32 random bytes, Base64,
    /// mode 0600, created exclusively so that two processes never write two keys). Null when absent and not to be created.
    /// </summary>
    /// <exception cref="InvalidDataException">The file does not hold a 32-byte Base64 key.</exception>
    private byte[]? Key(bool create)
    {
        if (_key is { } cached)
        {
            return cached;
        }

        var path = Path.Combine(database.DataDirectory, KeyFileName);
        if (!File.Exists(path))
        {
            if (!create)
            {
                return null;
            }

            try
            {
                var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
                if (!OperatingSystem.IsWindows())
                {
                    options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                }

                using var stream = new FileStream(path, options);
                using var writer = new StreamWriter(stream);
                writer.WriteLine(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another process created it first: use theirs.
            }
        }

        var key = new byte[32];
        if (!Convert.TryFromBase64String(File.ReadAllText(path).Trim(), key, out var length) || length != key.Length)
        {
            throw new InvalidDataException($"The audit key file {path} does not hold a 32-byte Base64 key.");
        }

        return _key = key;
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
[JsonSerializable(typeof(AuditEventView))]
internal sealed partial class AuditJson : JsonSerializerContext;
