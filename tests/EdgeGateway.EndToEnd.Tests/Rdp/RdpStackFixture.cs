using EdgeGateway.Testing;

namespace EdgeGateway.EndToEnd.Tests.Rdp;

/// <summary>
/// One RDP server (FreeRDP's shadow server on Xvfb, 1024×768, NLA) and one EdgeGateway stack whose endpoint is it,
/// shared by the RDP end-to-end tests. Each test paints what it compares and compares the whole screen with xwd.
/// </summary>
public sealed class RdpStackFixture : IAsyncLifetime
{
    public RdpServer Device { get; private set; } = null!;

    public EdgeGatewayStack Stack { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Device = await RdpServer.StartAsync();
        Stack = await EdgeGatewayStack.StartForEndpointAsync("rdp", "127.0.0.1", Device.Port);
    }

    public async Task DisposeAsync()
    {
        if (Stack is not null)
        {
            await Stack.DisposeAsync();
        }

        if (Device is not null)
        {
            await Device.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class RdpCollection : ICollectionFixture<RdpStackFixture>
{
    public const string Name = "rdp-stack";
}
