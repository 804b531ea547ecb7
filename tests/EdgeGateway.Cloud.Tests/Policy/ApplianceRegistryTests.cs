using EdgeGateway.Cloud.Configuration;
using EdgeGateway.Cloud.Policy;
using EdgeGateway.Protocol.Control;
using Microsoft.Extensions.Time.Testing;
using Options = Microsoft.Extensions.Options.Options;

namespace EdgeGateway.Cloud.Tests.Policy;

[Trait("Area", "Ssh")]
public sealed class ApplianceRegistryTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero));
    private readonly ApplianceRegistry _registry;

    public ApplianceRegistryTests()
    {
        _registry = new ApplianceRegistry(new CloudDatabase(Options.Create(new CloudOptions { DataDirectory = _temp.Path })), _time);
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void OnHello_records_the_appliance_online_with_its_endpoints()
    {
        _registry.OnHello("plant-7", Hello(new EndpointInfo("press", "Press line", "ssh", "10.0.0.5", 22), new EndpointInfo("oven", "Oven", "ssh", "10.0.0.6", 2222)));

        var appliance = Assert.Single(_registry.List());
        Assert.Equal("plant-7", appliance.Id);
        Assert.Equal("plant-7", appliance.Name);
        Assert.True(appliance.Online);
        Assert.Equal(_time.GetUtcNow(), appliance.LastSeen);
        Assert.Equal(
            [new EndpointView("oven", "Oven", "ssh", "10.0.0.6", 2222), new EndpointView("press", "Press line", "ssh", "10.0.0.5", 22)],
            appliance.Endpoints);
        Assert.True(_registry.IsOnline("plant-7"));
        Assert.Equal(new EndpointView("press", "Press line", "ssh", "10.0.0.5", 22), _registry.FindEndpoint("plant-7", "press"));
    }

    [Fact]
    public void OnHello_replaces_the_endpoint_list()
    {
        _registry.OnHello("plant-7", Hello(new EndpointInfo("press", "Press line", "ssh", "10.0.0.5", 22), new EndpointInfo("oven", "Oven", "ssh", "10.0.0.6", 22)));
        _time.Advance(TimeSpan.FromMinutes(5));

        _registry.OnHello("plant-7", Hello(new EndpointInfo("press", "Press line 2", "ssh", "10.0.0.9", 22)));

        var appliance = Assert.Single(_registry.List());
        Assert.Equal([new EndpointView("press", "Press line 2", "ssh", "10.0.0.9", 22)], appliance.Endpoints);
        Assert.Equal(_time.GetUtcNow(), appliance.LastSeen);
        Assert.Null(_registry.FindEndpoint("plant-7", "oven"));
    }

    [Fact]
    public void OnHello_with_no_endpoints_keeps_the_appliance_and_lists_none()
    {
        _registry.OnHello("plant-7", Hello(new EndpointInfo("press", "Press line", "ssh", "10.0.0.5", 22)));
        _registry.OnHello("plant-7", Hello());

        var appliance = Assert.Single(_registry.List());
        Assert.Empty(appliance.Endpoints);
        Assert.True(appliance.Online);
    }

    [Fact]
    public void SetOffline_marks_the_appliance_offline_and_records_when_it_was_last_seen()
    {
        _registry.OnHello("plant-7", Hello(new EndpointInfo("press", "Press line", "ssh", "10.0.0.5", 22)));
        _time.Advance(TimeSpan.FromHours(1));

        _registry.SetOffline("plant-7");

        Assert.False(_registry.IsOnline("plant-7"));
        var appliance = Assert.Single(_registry.List());
        Assert.False(appliance.Online);
        Assert.Equal(_time.GetUtcNow(), appliance.LastSeen);
        Assert.Single(appliance.Endpoints); // still listed, for when it comes back

        _registry.OnHello("plant-7", Hello());
        Assert.True(_registry.IsOnline("plant-7"));
    }

    [Fact]
    public void Appliances_are_kept_apart()
    {
        _registry.OnHello("plant-7", Hello(new EndpointInfo("press", "Press", "ssh", "10.0.0.5", 22)));
        _registry.OnHello("plant-8", Hello(new EndpointInfo("press", "Other press", "ssh", "10.9.0.5", 22)));
        _registry.SetOffline("plant-8");

        Assert.Equal(["plant-7", "plant-8"], _registry.List().Select(a => a.Id));
        Assert.Equal("Press", _registry.FindEndpoint("plant-7", "press")!.Name);
        Assert.Equal("Other press", _registry.FindEndpoint("plant-8", "press")!.Name);
        Assert.True(_registry.IsOnline("plant-7"));
        Assert.False(_registry.IsOnline("plant-8"));
    }

    [Fact]
    public void Unknown_appliance_is_offline_and_has_no_endpoints()
    {
        Assert.False(_registry.IsOnline("nobody"));
        Assert.Null(_registry.FindEndpoint("nobody", "press"));
        Assert.Empty(_registry.List());
        _registry.SetOffline("nobody"); // a connection refused before its Hello
        Assert.Empty(_registry.List());
    }

    private static Hello Hello(params EndpointInfo[] endpoints) => new("1.0.0", endpoints, []);
}
