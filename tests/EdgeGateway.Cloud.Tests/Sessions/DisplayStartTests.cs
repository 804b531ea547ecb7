using System.Diagnostics.Metrics;
using EdgeGateway.Cloud.Configuration;
using EdgeGateway.Cloud.Operability;
using EdgeGateway.Cloud.Policy;
using EdgeGateway.Cloud.Sessions;
using EdgeGateway.Protocol.Control;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Options = Microsoft.Extensions.Options.Options;

namespace EdgeGateway.Cloud.Tests.Sessions;

/// <summary>
/// Starting a session on a VNC endpoint: the device asks for a password only, so an empty user name is fine there
/// (and still refused for SSH); the session tells the page its protocol and the clipboard policy it runs under.
/// </summary>
[Trait("Area", "Vnc")]
public sealed class DisplayStartTests : IDisposable
{
    private static readonly UserInfo Tess = new("u1", "tess", Roles.Technician);
    private readonly TempDirectory _temp = new();
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly ScriptedChannel _appliance = new(m => m is StartSession s ? new SessionStarted(s.SessionId) : null);
    private readonly SessionService _sessions;

    public DisplayStartTests()
    {
        var options = Options.Create(new CloudOptions { DataDirectory = _temp.Path });
        var time = new FakeTimeProvider();
        var database = new CloudDatabase(options);
        _sessions = new SessionService(_appliance, new ApplianceRegistry(database, time), database, options, new CloudMetrics(_services.GetRequiredService<IMeterFactory>()), time, NullLogger<SessionService>.Instance);
        _appliance.Service = _sessions;
        _sessions.OnControl("plant-3", new Hello("1.0", [new EndpointInfo("hmi", "Packaging HMI", "vnc", "10.0.0.7", 5900), new EndpointInfo("shell", "Shell", "ssh", "10.0.0.8", 22)], []));
    }

    public void Dispose()
    {
        _sessions.Dispose();
        _services.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public async Task A_vnc_endpoint_starts_without_a_user_name_and_the_session_names_its_protocol()
    {
        var terms = new SessionTerms(PolicyStore.DefaultDomain, EndpointPolicy.Default with { Clipboard = EndpointClipboard.DeviceToBrowser }, null);

        var (view, failure, _) = await _sessions.StartAsync(Tess, new StartRequest("plant-3", "hmi", string.Empty, new Secret(string.Empty), 80, 24), CancellationToken.None, terms);

        Assert.Null(failure);
        Assert.Equal("vnc", view!.Protocol);
        Assert.Equal(EndpointClipboard.DeviceToBrowser, view.Clipboard);
        Assert.Equal(string.Empty, Assert.Single(_appliance.Sent.OfType<StartSession>()).Username);
        Assert.True(_sessions.Find(view.Id)!.Stream.ClipboardToViewers);
    }

    [Fact]
    public async Task An_ssh_endpoint_still_needs_the_user_name()
    {
        var (view, failure, _) = await _sessions.StartAsync(Tess, new StartRequest("plant-3", "shell", string.Empty, new Secret("pw"), 80, 24), CancellationToken.None);

        Assert.Null(view);
        Assert.Equal(400, failure!.StatusCode);
        Assert.Equal("Enter the device user name.", failure.Message);
        Assert.Empty(_appliance.Sent.OfType<StartSession>());
    }
}
