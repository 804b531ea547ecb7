using System.Diagnostics.Metrics;
using EdgeGateway.Cloud.Configuration;
using EdgeGateway.Cloud.Operability;
using EdgeGateway.Cloud.Policy;
using EdgeGateway.Cloud.Sessions;
using EdgeGateway.Protocol.Control;
using EdgeGateway.Protocol.Stream;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Options = Microsoft.Extensions.Options.Options;

namespace EdgeGateway.Cloud.Tests.Sessions;

/// <summary>
/// The cloud's side of "no session outlives its governance": an appliance that went away gets a grace period and
/// then its sessions end; one that comes back in time keeps them; a Hello that names a session the cloud does not run
/// (it ended it meanwhile, or the cloud restarted) is answered with a stop and the reason the cloud recorded.
/// </summary>
[Trait("Area", "SshField")]
public sealed class SessionReconciliationTests : IDisposable
{
    private const string ApplianceId = "plant-7";
    private const string EndpointId = "press";
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(30);

    private readonly TempDirectory _temp = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero));
    private readonly ServiceProvider _metrics = new ServiceCollection().AddMetrics().BuildServiceProvider();
    // The appliance opens every session it is asked to.
    private readonly ScriptedChannel _channel = new(m => m is StartSession start ? new SessionStarted(start.SessionId) : null);
    private readonly CloudDatabase _database;
    private readonly ApplianceRegistry _appliances;
    private readonly SessionService _sessions;

    public SessionReconciliationTests()
    {
        _database = new CloudDatabase(Options.Create(new CloudOptions { DataDirectory = _temp.Path }));
        _appliances = new ApplianceRegistry(_database, _time);
        _sessions = NewService();
        _sessions.OnControl(ApplianceId, Hello());
    }

    public void Dispose()
    {
        _sessions.Dispose();
        _metrics.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public async Task Appliance_gone_the_session_waits_out_the_grace_then_ends_with_the_reason()
    {
        var id = await StartAsync();

        _sessions.OnDisconnected(ApplianceId);
        Assert.Equal("appliance-offline", Assert.Single(_sessions.List()).Status);
        _time.Advance(Grace - TimeSpan.FromMilliseconds(1));
        Assert.Single(_sessions.List());

        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Empty(_sessions.List());
        Assert.Equal(("ConnectionLost", "The appliance went offline and did not come back within 30 seconds."), RecordedEnd(id));
    }

    [Fact]
    public async Task Appliance_back_within_the_grace_keeps_the_session()
    {
        var id = await StartAsync();

        _sessions.OnDisconnected(ApplianceId);
        _time.Advance(Grace / 2);
        _sessions.OnControl(ApplianceId, Hello(id));
        _time.Advance(Grace * 2);

        Assert.Equal("in-session", Assert.Single(_sessions.List()).Status);
        Assert.DoesNotContain(_channel.Sent, m => m is StopSession);
    }

    [Fact]
    public async Task Appliance_back_without_the_session_ends_it_here()
    {
        var id = await StartAsync();

        _sessions.OnDisconnected(ApplianceId);
        _sessions.OnControl(ApplianceId, Hello());

        Assert.Empty(_sessions.List());
        Assert.Equal("ConnectionLost", RecordedEnd(id).Reason);
    }

    [Fact]
    public async Task Appliance_back_after_the_grace_is_told_to_end_the_session_with_the_recorded_reason()
    {
        var id = await StartAsync();
        _sessions.OnDisconnected(ApplianceId);
        _time.Advance(Grace);

        _sessions.OnControl(ApplianceId, Hello(id));

        var stop = Assert.IsType<StopSession>(_channel.Sent.Last());
        Assert.Equal(new StopSession(id, EndReason.ConnectionLost, "The appliance went offline and did not come back within 30 seconds."), stop);
    }

    [Fact]
    public async Task Restarted_cloud_records_the_running_sessions_as_ended_and_tells_the_appliance()
    {
        var id = await StartAsync();

        // A new process on the same database: the old one was killed while the session ran.
        using var restarted = NewService();
        Assert.Equal(("ConnectionLost", SessionService.CloudRestartedMessage), RecordedEnd(id));
        restarted.OnControl(ApplianceId, Hello(id));

        Assert.Empty(restarted.List());
        Assert.Equal(new StopSession(id, EndReason.ConnectionLost, SessionService.CloudRestartedMessage), _channel.Sent.Last());
    }

    [Fact]
    public void Session_the_cloud_never_heard_of_is_ended_on_the_appliance()
    {
        const string stranger = "0123456789abcdef0123456789abcdef";

        _sessions.OnControl(ApplianceId, Hello(stranger));

        var stop = Assert.IsType<StopSession>(_channel.Sent.Last());
        Assert.Equal((stranger, EndReason.ConnectionLost), (stop.SessionId, stop.Reason));
    }

    private SessionService NewService()
    {
        _channel.Service = null;
        var service = new SessionService(_channel, _appliances, _database, Options.Create(new CloudOptions { DataDirectory = _temp.Path, Sessions = { ApplianceGrace = Grace } }), new CloudMetrics(_metrics.GetRequiredService<IMeterFactory>()), _time, NullLogger<SessionService>.Instance);
        _channel.Service = service;
        return service;
    }

    private async Task<string> StartAsync()
    {
        var (view, failure, _) = await _sessions.StartAsync(new UserInfo("u1", "alice", Roles.Technician), new StartRequest(ApplianceId, EndpointId, "root", new Secret("pw"), 80, 24), CancellationToken.None);
        Assert.Null(failure);
        return view!.Id;
    }

    private static Hello Hello(params string[] running) => new("1.0", [new EndpointInfo(EndpointId, "Press", "ssh", "10.0.0.5", 22)], running);

    private (string Reason, string Message) RecordedEnd(string id)
    {
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT end_reason, end_message FROM sessions WHERE id = $id";
        command.Parameters.AddWithValue("$id", id);
        using var reader = command.ExecuteReader();
        Assert.True(reader.Read());
        return (reader.GetString(0), reader.GetString(1));
    }
}
