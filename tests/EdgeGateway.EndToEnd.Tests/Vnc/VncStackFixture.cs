using EdgeGateway.Testing;

namespace EdgeGateway.EndToEnd.Tests.Vnc;

/// <summary>
/// One TigerVNC Xvnc (VNC authentication, 800×600) and one EdgeGateway stack whose endpoint is it, shared by the VNC
/// end-to-end tests. Each test paints what it compares (root colour, its own windows) and compares the whole screen
/// with xwd, so windows left by an earlier test do not matter.
/// </summary>
public sealed class VncStackFixture : IAsyncLifetime
{
    public VncServer Device { get; private set; } = null!;

    public EdgeGatewayStack Stack { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Device = await VncServer.StartTigerVncAsync(VncSecurity.VncAuth);
        // Plain VNC authentication, as most plant panels have it: allowed for this endpoint only (refused by default).
        Stack = await EdgeGatewayStack.StartForEndpointAsync("vnc", "127.0.0.1", Device.Port, new Dictionary<string, string?> { ["Appliance:Endpoints:0:AllowLegacyAlgorithms"] = "true" });
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
public sealed class VncCollection : ICollectionFixture<VncStackFixture>
{
    public const string Name = "vnc-stack";
}
