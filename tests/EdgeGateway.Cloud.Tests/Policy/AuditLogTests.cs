using System.Security.Cryptography;
using System.Text;
using EdgeGateway.Cloud.Configuration;
using EdgeGateway.Cloud.Policy;
using EdgeGateway.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Options = Microsoft.Extensions.Options.Options;

namespace EdgeGateway.Cloud.Tests.Policy;

/// <summary>
/// The audit log on a real SQLite file: 20 events, then one tampering per test as someone with write access to the
/// database would do it (dropping the append-only triggers first), and <see cref="AuditLog.Verify"/> — in the class and
/// through the <c>audit-verify</c> command of the cloud's binary — names the first broken link.
/// </summary>
[Trait("Area", "JointSession")]
public sealed class AuditLogTests : IDisposable
{
    private const int Events = 20;

    private readonly TempDirectory _temp = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero));
    private readonly CloudDatabase _database;
    private readonly AuditLog _audit;

    public AuditLogTests()
    {
        _database = new CloudDatabase(Options.Create(new CloudOptions { DataDirectory = _temp.Path }));
        _audit = new AuditLog(_database, _time, NullLogger<AuditLog>.Instance);
        for (var i = 1; i <= Events; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1.234567));
            Assert.NotNull(_audit.Append(new AuditEvent(
                i % 3 == 0 ? "session.join" : "auth.login",
                i % 4 == 0 ? "refused" : "allowed",
                $"user-{i % 5}",
                $"Jörg Ünal {i % 5}",
                Roles.Technician,
                i % 4 == 0 ? "no-access" : null,
                "appliance-1",
                "device-ssh",
                $"session-{i % 2}",
                "127.0.0.1",
                $"event {i}")));
        }
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void An_untouched_log_is_intact_with_every_event_chained_from_the_genesis_hash()
    {
        var result = _audit.Verify();

        Assert.Equal(new AuditVerification(true, Events, null, "The audit log is intact: 20 events, every link holds."), result);
        var all = _audit.Read(new AuditQuery());
        Assert.Equal(Enumerable.Range(1, Events).Select(i => (long)i), all.Select(e => e.Seq));
        Assert.Equal(AuditLog.Genesis, all[0].PrevHash);
        Assert.All(all.Skip(1), (e, i) => Assert.Equal(all[i].Hash, e.PrevHash));
    }

    [Fact]
    public async Task The_command_prints_an_intact_log_and_exits_0_and_without_a_database_exits_2()
    {
        SqliteConnection.ClearAllPools();
        var intact = await ProcessRunner.RunAsync(ProductBinaries.DotnetHost, [ProductBinaries.CloudDll, "audit-verify", $"--Cloud:DataDirectory={_temp.Path}"]);
        var nothing = await ProcessRunner.RunAsync(ProductBinaries.DotnetHost, [ProductBinaries.CloudDll, "audit-verify", $"--Cloud:DataDirectory={_temp.Combine("nowhere")}"]);

        Assert.Equal(0, intact.ExitCode);
        Assert.Equal("The audit log is intact: 20 events, every link holds.", intact.Output.Trim());
        Assert.Equal(2, nothing.ExitCode);
        Assert.Contains("No cloud database at", nothing.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_temp.Combine("nowhere")));
        Assert.Equal(21, _audit.Verify().Events); // its own audit.verify
    }

    [Fact]
    public void The_triggers_refuse_update_and_delete_with_a_clear_error()
    {
        var update = Assert.Throws<SqliteException>(() => Execute("UPDATE audit_events SET detail = 'x' WHERE seq = 3"));
        var delete = Assert.Throws<SqliteException>(() => Execute("DELETE FROM audit_events WHERE seq = 3"));

        Assert.Contains("the audit log is append-only", update.Message, StringComparison.Ordinal);
        Assert.Contains("the audit log is append-only", delete.Message, StringComparison.Ordinal);
        Assert.True(_audit.Verify().Intact);
    }

    [Fact]
    public async Task Editing_one_row_breaks_the_chain_at_that_row()
    {
        DropTriggers();
        Execute("UPDATE audit_events SET outcome = 'allowed', reason = NULL WHERE seq = 8");

        await AssertBrokenAtAsync(8, "event 8 was changed after it was written");
    }

    [Fact]
    public async Task Editing_a_row_and_rehashing_the_chain_without_the_key_still_breaks_at_that_row()
    {
        // A bare SHA-256 chain could be recomputed by whoever can write the database; the key is not in it.
        DropTriggers();
        Execute("UPDATE audit_events SET actor_name = 'Someone Else' WHERE seq = 11");
        var events = _audit.Read(new AuditQuery());
        var previous = events[9].Hash;
        foreach (var e in events.Skip(10))
        {
            var forged = e with { PrevHash = previous };
            var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(previous + "\n" + e.Seq + e.ActorName + e.Detail)));
            Execute("UPDATE audit_events SET prev_hash = $p, hash = $h WHERE seq = $s", ("$p", forged.PrevHash), ("$h", hash), ("$s", e.Seq));
            previous = hash;
        }

        await AssertBrokenAtAsync(11, "event 11 was changed after it was written");
    }

    [Fact]
    public async Task Deleting_one_row_breaks_the_chain_at_the_missing_number()
    {
        DropTriggers();
        Execute("DELETE FROM audit_events WHERE seq = 13");

        await AssertBrokenAtAsync(13, "event 13 is missing (the next one is 14)");
    }

    [Fact]
    public async Task Deleting_the_first_row_breaks_the_chain_at_event_1()
    {
        DropTriggers();
        Execute("DELETE FROM audit_events WHERE seq = 1");

        await AssertBrokenAtAsync(1, "event 1 is missing (the next one is 2)");
    }

    [Fact]
    public async Task Swapping_the_contents_of_two_rows_breaks_the_chain_at_the_earlier_one()
    {
        DropTriggers();
        const string Columns = "at, actor_id, actor_name, actor_role, action, outcome, reason, appliance_id, endpoint_id, session_id, source, detail, prev_hash, hash";
        Execute($"CREATE TABLE swap AS SELECT seq, {Columns} FROM audit_events WHERE seq IN (5, 12)");
        var assignments = string.Join(", ", Columns.Split(", ").Select(c => $"{c} = (SELECT {c} FROM swap WHERE seq = 17 - audit_events.seq)"));
        Execute($"UPDATE audit_events SET {assignments} WHERE seq IN (5, 12)");
        Assert.Equal("event 12", _audit.Read(new AuditQuery(AfterSeq: 4, Limit: 1))[0].Detail);

        await AssertBrokenAtAsync(5, "event 5 does not follow event 4");
    }

    [Fact]
    public async Task A_value_of_the_wrong_type_is_reported_at_its_row_not_thrown()
    {
        DropTriggers();
        Execute("UPDATE audit_events SET at = 'yesterday' WHERE seq = 6");

        await AssertBrokenAtAsync(6, "event 6 cannot be read");
    }

    [Fact]
    public void Without_the_key_file_no_event_can_be_checked()
    {
        SqliteConnection.ClearAllPools();
        File.Delete(_temp.Combine(AuditLog.KeyFileName));
        var fresh = new AuditLog(_database, _time, NullLogger<AuditLog>.Instance);

        var result = fresh.Verify();

        Assert.False(result.Intact);
        Assert.Equal(1, result.FirstBrokenSeq);
        Assert.Contains("audit-key is missing", result.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(_temp.Combine(AuditLog.KeyFileName))); // a check never makes a key
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void The_key_file_is_readable_by_its_owner_only()
    {
        var mode = File.GetUnixFileMode(_temp.Combine(AuditLog.KeyFileName));

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);
    }

    [Fact]
    public void Deleting_the_newest_events_is_not_visible_in_the_chain_alone()
    {
        // The chain alone cannot show it; an exported copy can (the next test).
        DropTriggers();
        Execute("DELETE FROM audit_events WHERE seq > 18");

        Assert.Equal(new AuditVerification(true, 18, null, "The audit log is intact: 18 events, every link holds."), _audit.Verify());
    }

    [Fact]
    public async Task An_exported_copy_shows_a_truncated_tail_and_a_rewrite_with_the_key()
    {
        var exported = _audit.Read(new AuditQuery(AfterSeq: 19, Limit: 1))[0];
        var anchor = (exported.Seq, exported.Hash);
        Assert.True(_audit.Verify(anchor).Intact);

        DropTriggers();
        Execute("DELETE FROM audit_events WHERE seq > 18");
        var truncated = _audit.Verify(anchor);
        SqliteConnection.ClearAllPools();
        var cli = await ProcessRunner.RunAsync(ProductBinaries.DotnetHost, [ProductBinaries.CloudDll, "audit-verify", $"--Cloud:DataDirectory={_temp.Path}", $"--expect={exported.Seq}:{exported.Hash}"]);

        Assert.Equal((false, 20L), (truncated.Intact, truncated.FirstBrokenSeq));
        Assert.Equal("The audit log is broken at event 20: the log ends at event 18, but the exported copy holds event 20: events were removed from the end.", truncated.Message);
        Assert.Equal(1, cli.ExitCode);
        Assert.Equal(truncated.Message, cli.Output.Trim());

        // Someone with the key appends different events in their place: still not the exported event 20.
        Execute("DELETE FROM audit_events WHERE seq > 18");
        _audit.Append(new AuditEvent("auth.login", "allowed", Detail: "forged 19"));
        _audit.Append(new AuditEvent("auth.login", "allowed", Detail: "forged 20"));
        Assert.True(_audit.Verify().Intact);
        Assert.StartsWith("The audit log is broken at event 20: its hash differs from the exported copy's", _audit.Verify(anchor).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_filters_by_user_and_time_and_reads_newest_first_within_a_domain()
    {
        var user1 = _audit.Read(new AuditQuery(UserId: "user-1"));
        var newest = _audit.Read(new AuditQuery(NewestFirst: true, Limit: 3, DomainId: PolicyStore.DefaultDomain));
        var before = _audit.Read(new AuditQuery(NewestFirst: true, BeforeSeq: 3, Limit: 5));
        var window = _audit.Read(new AuditQuery(From: _audit.Read(new AuditQuery(AfterSeq: 9, Limit: 1))[0].At, To: _audit.Read(new AuditQuery(AfterSeq: 11, Limit: 1))[0].At));
        var otherDomain = _audit.Read(new AuditQuery(DomainId: "elsewhere"));

        Assert.Equal([1L, 6, 11, 16], user1.Select(e => e.Seq));
        Assert.Equal([20L, 19, 18], newest.Select(e => e.Seq));
        Assert.Equal([2L, 1], before.Select(e => e.Seq));
        Assert.Equal([10L, 11], window.Select(e => e.Seq));
        Assert.Empty(otherDomain);
    }

    private async Task AssertBrokenAtAsync(long seq, string why)
    {
        var result = _audit.Verify();
        Assert.False(result.Intact);
        Assert.Equal(seq, result.FirstBrokenSeq);
        Assert.StartsWith($"The audit log is broken at event {seq}: {why}", result.Message, StringComparison.Ordinal);

        // The operator's view: the cloud's own binary, as it is run beside the service.
        SqliteConnection.ClearAllPools();
        var cli = await ProcessRunner.RunAsync(ProductBinaries.DotnetHost, [ProductBinaries.CloudDll, "audit-verify", $"--Cloud:DataDirectory={_temp.Path}"]);
        Assert.True(cli.ExitCode == 1, $"audit-verify exited {cli.ExitCode}: {cli.Output}{cli.Error}");
        Assert.Equal(result.Message, cli.Output.Trim());

        // The check is itself in the log (after the break; the break stays where it was).
        var last = _audit.Read(new AuditQuery(NewestFirst: true, Limit: 1))[0];
        Assert.Equal("audit.verify", last.Action);
        Assert.Equal($"broken at event {seq}", last.Detail);
        Assert.Equal(seq, _audit.Verify().FirstBrokenSeq);
    }

    private void DropTriggers() => Execute("DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_no_delete;");

    private void Execute(string sql, params (string Name, object? Value)[] parameters)
    {
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        command.ExecuteNonQuery();
    }
}
