using Xunit;

namespace EdgeGateway.Testing;

/// <summary>One <see cref="SshServer"/> shared by a test class (<c>IClassFixture</c>) or a collection.</summary>
public sealed class SshServerFixture : IAsyncLifetime
{
    private SshServer? _server;

    /// <summary>The running server.</summary>
    public SshServer Server => _server ?? throw new InvalidOperationException("The SSH server has not been started.");

    /// <inheritdoc/>
    public async Task InitializeAsync() => _server = await SshServer.StartAsync();

    /// <inheritdoc/>
    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
