using EdgeGateway.Cloud.Configuration;
using EdgeGateway.Cloud.Policy;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Options = Microsoft.Extensions.Options.Options;

namespace EdgeGateway.Cloud.Tests.Policy;

/// <summary>
/// The conversation store on a real SQLite file (migration 0007): chat and notes kept apart per session, in the order
/// written, the newest ones when a limit applies; and one session's audit events read by its index.
/// </summary>
[Trait("Area", "Support")]
public sealed class SessionMessagesTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 2, 8, 0, 0, TimeSpan.Zero);

    private readonly TempDirectory _temp = new();
    private readonly FakeTimeProvider _time = new(T0);
    private readonly CloudDatabase _database;
    private readonly SessionMessages _messages;

    public SessionMessagesTests()
    {
        _database = new CloudDatabase(Options.Create(new CloudOptions { DataDirectory = _temp.Path }));
        _messages = new SessionMessages(_database);
        foreach (var id in new[] { "s1", "s2" })
        {
            using var connection = _database.Open();
            connection.Execute(
                "INSERT INTO sessions (id, code, appliance_id, endpoint_id, endpoint_name, controller_id, started_at) VALUES ($id, $id, 'press-line', 'hmi', 'HMI', 'tess', $t)",
                ("$id", id), ("$t", Sql.Time(T0)));
        }
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Chat_and_notes_come_back_per_session_and_kind_in_the_order_written_with_author_time_and_text()
    {
        var first = _messages.Add("s1", MessageKind.Chat, "tess", "Tess", T0.AddSeconds(1), "Can you see the alarm list?");
        var note = _messages.Add("s1", MessageKind.Note, "tess", "Tess", T0.AddSeconds(2), "Alarm 17: sensor B3 disconnected.\nReplaced the cable.");
        var elsewhere = _messages.Add("s2", MessageKind.Chat, "gina", "Gina", T0.AddSeconds(3), "another session");
        var second = _messages.Add("s1", MessageKind.Chat, "guest-1", "Gina (guest)", T0.AddSeconds(4), "Yes — ünïcödé ok 🚀");

        Assert.True(first.Id < note.Id && note.Id < elsewhere.Id && elsewhere.Id < second.Id);
        Assert.Equal([first, second], _messages.Last("s1", MessageKind.Chat, 100));
        Assert.Equal([new SessionNote(note.Id, "tess", "Tess", T0.AddSeconds(2), "Alarm 17: sensor B3 disconnected.\nReplaced the cable.")], _messages.Notes("s1", 100));
        Assert.Equal([elsewhere], _messages.Last("s2", MessageKind.Chat, 100));
        Assert.Empty(_messages.Notes("s2", 100));
        Assert.Equal((2, 1), (_messages.Count("s1", MessageKind.Chat), _messages.Count("s1", MessageKind.Note)));
    }

    [Fact]
    public void A_limit_keeps_the_newest_messages_still_oldest_first()
    {
        for (var i = 1; i <= 250; i++)
        {
            _messages.Add("s1", MessageKind.Chat, "tess", "Tess", T0.AddSeconds(i), $"message {i}");
        }

        var last = _messages.Last("s1", MessageKind.Chat, 200);

        Assert.Equal(200, last.Count);
        Assert.Equal(Enumerable.Range(51, 200).Select(i => $"message {i}"), last.Select(m => m.Text));
    }

    [Fact]
    public void A_message_needs_a_recorded_session_and_a_known_kind()
    {
        Assert.ThrowsAny<Microsoft.Data.Sqlite.SqliteException>(() => _messages.Add("no-such-session", MessageKind.Chat, "tess", "Tess", T0, "hi"));

        using var connection = _database.Open();
        Assert.ThrowsAny<Microsoft.Data.Sqlite.SqliteException>(() => connection.Execute(
            "INSERT INTO session_messages (session_id, kind, user_id, user_name, at, text) VALUES ('s1', 'shout', 'tess', 'Tess', $t, 'x')", ("$t", Sql.Time(T0))));
    }

    [Fact]
    public void One_sessions_audit_events_come_in_sequence_order_and_only_its_own()
    {
        var audit = new AuditLog(_database, _time, NullLogger<AuditLog>.Instance);
        audit.Append(new AuditEvent("session.start", "allowed", "tess", SessionId: "s1"));
        audit.Append(new AuditEvent("session.start", "allowed", "tess", SessionId: "s2"));
        audit.Append(new AuditEvent("session.chat", "allowed", "tess", SessionId: "s1", Detail: "hello"));
        audit.Append(new AuditEvent("login", "allowed", "tess"));
        audit.Append(new AuditEvent("session.note", "refused", "vic", Reason: "not-controller", SessionId: "s1"));

        var events = audit.ForSession("s1", 100);

        Assert.Equal(["session.start", "session.chat", "session.note"], events.Select(e => e.Action));
        Assert.True(events[0].Seq < events[1].Seq && events[1].Seq < events[2].Seq);
        Assert.Equal(["session.start"], audit.ForSession("s1", 1).Select(e => e.Action));
        Assert.Empty(audit.ForSession("none", 100));
    }
}
