using EdgeGateway.Testing;

namespace EdgeGateway.EndToEnd.Tests.Ssh;

/// <summary>One real sshd and one EdgeGateway stack, shared by the SSH end-to-end tests.</summary>
public sealed class SshStackFixture : IAsyncLifetime
{
    public SshServer Device { get; private set; } = null!;

    public EdgeGatewayStack Stack { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Device = await SshServer.StartAsync(CancellationToken.None);
        Stack = await EdgeGatewayStack.StartAsync(Device);
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
public sealed class SshCollection : ICollectionFixture<SshStackFixture>
{
    public const string Name = "ssh-stack";
}
