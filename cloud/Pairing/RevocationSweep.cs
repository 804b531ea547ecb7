using EdgeGateway.Cloud.Broker;
using EdgeGateway.Cloud.Configuration;
using Microsoft.Extensions.Options;

namespace EdgeGateway.Cloud.Pairing;

/// <summary>
/// Carries revocations between cloud nodes that share the database: every <see cref="PairingOptions.RevocationSweep"/>
/// this node reads what was revoked since its last look and drops its own connections that use a revoked certificate.
/// The node where the admin revoked drops it at once; the others within one sweep (the broker refuses a reconnect on
/// every node at once, from the database). One indexed query per sweep, whatever the number of appliances.
/// </summary>
internal sealed class RevocationSweep(PairingService pairing, EmbeddedBroker broker, IOptions<CloudOptions> options, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var since = time.GetUtcNow();
        using var timer = new PeriodicTimer(options.Value.Pairing.RevocationSweep, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                // A second of overlap: a revocation committed while the last query ran is not missed.
                var now = time.GetUtcNow();
                foreach (var appliance in pairing.RevokedSince(since - TimeSpan.FromSeconds(1)).GroupBy(r => r.ApplianceId))
                {
                    await broker.DisconnectIfUsingAsync(appliance.Key, appliance.Select(r => r.Serial).ToList());
                }

                since = now;
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping
        }
    }
}
