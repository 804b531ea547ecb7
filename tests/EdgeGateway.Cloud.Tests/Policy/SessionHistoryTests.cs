using EdgeGateway.Cloud.Configuration;
using EdgeGateway.Cloud.Policy;
using Microsoft.Extensions.Time.Testing;
using Options = Microsoft.Extensions.Options.Options;

namespace EdgeGateway.Cloud.Tests.Policy;

/// <summary>
/// The session history on a real SQLite file: sessions on appliances of two domains, participants who came and went;
/// who sees what (an admin their domain's, others the sessions they took part in), filters, newest first, paging.
/// </summary>
[Trait("Area", "JointSession")]
public sealed class SessionHistoryTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 2, 8, 0, 0, TimeSpan.Zero);

    private readonly TempDirectory _temp = new();
    private readonly FakeTimeProvider _time = new(T0);
    private readonly CloudDatabase _database;
    private readonly PolicyStore _policy;
    private readonly SessionHistory _history;
    private readonly UserInfo _alice, _bob, _carol;
    private readonly string _plant;

    public SessionHistoryTests()
    {
        _database = new CloudDatabase(Options.Create(new CloudOptions { DataDirectory = _temp.Path }));
        _policy = new PolicyStore(_database, _time);
        _history = new SessionHistory(_database, _time);
        var users = new UserStore(_database, _time);
        _alice = users.Create("alice", "pw", Roles.Technician)!;
        _bob = users.Create("bob", "pw", Roles.Operator)!;
        _carol = users.Create("carol", "pw", Roles.Technician)!;
        _plant = _policy.CreateDomain("Plant B")!.Id;
        Execute("INSERT INTO appliances (id, name) VALUES ('press-line', 'press-line'), ('plant-b', 'plant-b')");
        Assert.True(_policy.SetApplianceDomain("plant-b", _plant));

        // s1 08:00–08:30 alice on press-line/plc, bob watched 08:05–08:20 (by code); s2 09:00–running carol on
        // press-line/hmi, alice joined 09:10; s3 10:00–10:01 carol on plant-b (another domain).
        Start("s1", "press-line", "plc", _alice);
        Join("s1", _bob, "code", 5);
        Leave("s1", _bob, 15);
        End("s1", 10, "ControllerEnded", "alice ended the session.", _alice.Id);
        _time.Advance(TimeSpan.FromMinutes(30));
        Start("s2", "press-line", "hmi", _carol);
        Join("s2", _alice, "list", 10);
        _time.Advance(TimeSpan.FromMinutes(50));
        Start("s3", "plant-b", "plc", _carol);
        End("s3", 1, "Terminated", "Terminated by Admin.", null);
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void An_admin_sees_every_session_of_the_domain_newest_first_with_participants_and_durations()
    {
        var sessions = _history.Find(new HistoryQuery(), HistoryScope.Domain(PolicyStore.DefaultDomain));

        Assert.Equal(["s2", "s1"], sessions.Select(s => s.Id));
        var (s2, s1) = (sessions[0], sessions[1]);
        Assert.Equal(("in-session", null, 3660.0), (s2.Status, s2.EndedAt, s2.DurationSeconds)); // 09:00 to now (10:01)
        Assert.Equal(new HistoryPerson(_carol.Id, "carol"), s2.Controller);
        Assert.Equal(["carol", "alice"], s2.Participants.Select(p => p.Name));
        Assert.Equal([JoinVia.Start, JoinVia.List], s2.Participants.Select(p => p.JoinedVia));
        Assert.Equal((null, 3660.0), (s2.Participants[0].LeftAt, s2.Participants[0].DurationSeconds));
        Assert.Equal(("ended", 1800.0, "ControllerEnded", "alice ended the session."), (s1.Status, s1.DurationSeconds, s1.EndReason, s1.EndMessage));
        Assert.Equal(new HistoryPerson(_alice.Id, "alice"), s1.EndedBy);
        Assert.Equal(["alice", "bob"], s1.Participants.Select(p => p.Name));
        var bob = s1.Participants[1];
        Assert.Equal((_bob.Id, "code", T0.AddMinutes(5), T0.AddMinutes(20), 900.0), (bob.Id, bob.JoinedVia, bob.JoinedAt, bob.LeftAt, bob.DurationSeconds));
    }

    [Fact]
    public void Another_domains_admin_sees_only_theirs()
    {
        var sessions = _history.Find(new HistoryQuery(), HistoryScope.Domain(_plant));

        var s3 = Assert.Single(sessions);
        Assert.Equal(("s3", "Terminated by Admin.", null), (s3.Id, s3.EndMessage, s3.EndedBy));
    }

    [Fact]
    public void Others_see_the_sessions_they_controlled_or_joined()
    {
        Assert.Equal(["s2", "s1"], Ids(new HistoryQuery(), HistoryScope.Participant(_alice.Id)));
        Assert.Equal(["s1"], Ids(new HistoryQuery(), HistoryScope.Participant(_bob.Id)));
        Assert.Equal(["s3", "s2"], Ids(new HistoryQuery(), HistoryScope.Participant(_carol.Id)));
        Assert.Empty(Ids(new HistoryQuery(), HistoryScope.Participant("nobody")));
    }

    [Fact]
    public void Filters_by_endpoint_user_and_time_window_and_pages_by_the_last_id()
    {
        var admin = HistoryScope.Domain(PolicyStore.DefaultDomain);

        Assert.Equal(["s1"], Ids(new HistoryQuery(ApplianceId: "press-line", EndpointId: "plc"), admin));
        Assert.Equal(["s1"], Ids(new HistoryQuery(UserId: _bob.Id), admin));
        Assert.Equal(["s2", "s1"], Ids(new HistoryQuery(UserId: _alice.Id), admin));
        Assert.Equal(["s1"], Ids(new HistoryQuery(From: T0.AddMinutes(29), To: T0.AddMinutes(31)), admin)); // s2 starts at 09:00
        Assert.Equal(["s2"], Ids(new HistoryQuery(From: T0.AddMinutes(31)), admin)); // s1 ended at 08:30; s2 still runs
        Assert.Equal(["s2"], Ids(new HistoryQuery(Limit: 1), admin));
        Assert.Equal(["s1"], Ids(new HistoryQuery(Before: "s2", Limit: 1), admin));
        Assert.Empty(Ids(new HistoryQuery(Before: "s1", Limit: 1), admin));
    }

    private string[] Ids(HistoryQuery query, HistoryScope scope) => [.. _history.Find(query, scope).Select(s => s.Id)];

    [Fact]
    [Trait("Area", "Support")]
    public void Support_sessions_show_their_name_and_status_and_filter_by_both()
    {
        var records = new SessionRecords(_database);
        _time.Advance(TimeSpan.FromMinutes(5));
        records.Started("w1", "w1", "press-line", "plc", "plc", _alice.Id, _time.GetUtcNow(), "Line 3 HMI frozen after update", "waiting");
        records.Started("x1", "x1", "press-line", "plc", "plc", _alice.Id, _time.GetUtcNow(), "Pump 4 alarm", "waiting");
        _time.Advance(TimeSpan.FromMinutes(2));
        records.InSession("w1", _time.GetUtcNow());
        _time.Advance(TimeSpan.FromMinutes(13));
        records.Ended("x1", _time.GetUtcNow(), "Expired", "The invitation expired before anyone joined.", null, "expired");
        _time.Advance(TimeSpan.FromMinutes(10));

        var scope = HistoryScope.Domain(PolicyStore.DefaultDomain);
        var w1 = _history.Find(new HistoryQuery(Status: "in-session", Text: "hmi FROZEN"), scope).Single();
        Assert.Equal(("w1", "Line 3 HMI frozen after update", "in-session", 1380.0), (w1.Id, w1.Name, w1.Status, w1.DurationSeconds)); // in session 23 min, waited 2
        var x1 = _history.Find(new HistoryQuery(Status: "expired"), scope).Single();
        Assert.Equal(("x1", "Pump 4 alarm", 0.0, null), (x1.Id, x1.Name, x1.DurationSeconds, x1.InSessionSince));
        Assert.Equal(["x1", "w1", "s2", "s1"], _history.Find(new HistoryQuery(ApplianceId: "press-line"), scope).Select(s => s.Id)); // same creation time: by id, newest first
        Assert.Empty(_history.Find(new HistoryQuery(Text: "nothing like this"), scope));
    }

    private void Start(string id, string appliance, string endpoint, UserInfo controller)
    {
        Execute(
            "INSERT INTO sessions (id, code, appliance_id, endpoint_id, endpoint_name, controller_id, started_at) VALUES ($id, $id, $a, $e, $e, $c, $t)",
            ("$id", id), ("$a", appliance), ("$e", endpoint), ("$c", controller.Id), ("$t", Sql.Time(_time.GetUtcNow())));
        _policy.RecordJoin(id, controller.Id, controller.Name, JoinVia.Start);
    }

    private void Join(string id, UserInfo user, string via, int afterMinutes)
    {
        _time.Advance(TimeSpan.FromMinutes(afterMinutes));
        _policy.RecordJoin(id, user.Id, user.Name, via);
    }

    private void Leave(string id, UserInfo user, int afterMinutes)
    {
        _time.Advance(TimeSpan.FromMinutes(afterMinutes));
        _policy.RecordLeave(id, user.Id);
    }

    private void End(string id, int afterMinutes, string reason, string message, string? by)
    {
        _time.Advance(TimeSpan.FromMinutes(afterMinutes));
        Execute(
            "UPDATE sessions SET ended_at = $t, end_reason = $r, end_message = $m, ended_by = $b WHERE id = $id",
            ("$id", id), ("$t", Sql.Time(_time.GetUtcNow())), ("$r", reason), ("$m", message), ("$b", by));
        _policy.RecordAllLeft(id);
    }

    private void Execute(string sql, params (string Name, object? Value)[] parameters)
    {
        using var connection = _database.Open();
        connection.Execute(sql, parameters);
    }
}
