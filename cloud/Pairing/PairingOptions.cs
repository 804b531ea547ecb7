namespace EdgeGateway.Cloud.Pairing;

/// <summary>
/// Pairing and appliance certificates (section <c>Cloud:Pairing</c>). The defaults are the profile docs/ARCHITECTURE.md
/// ("Pairing") explains: codes live 10 minutes, appliances poll every 2 s, certificates live 90 days and are renewed
/// after two thirds of that.
/// </summary>
public sealed class PairingOptions
{
    /// <summary>How long a user code (and its device code) can be approved and redeemed (RFC 8628 <c>expires_in</c>; 1 s to 1 h).</summary>
    public TimeSpan CodeLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The least time between two polls of the token endpoint (RFC 8628 <c>interval</c>; 1 s to 60 s).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Lifetime of an appliance certificate (10 s to 397 days; tests use seconds to see renewal).</summary>
    public TimeSpan CertificateLifetime { get; set; } = TimeSpan.FromDays(90);

    /// <summary>How far back a certificate's validity starts, for appliances whose clock is behind the cloud's (0 to 1 day).</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Pending pairing requests at once, over all sources (10 to 100,000); more get 503.</summary>
    public int MaxPendingRequests { get; set; } = 1000;

    /// <summary>New pairing requests per minute from one address (1 to 10,000).</summary>
    public int RequestsPerMinutePerAddress { get; set; } = 20;

    /// <summary>How often this node looks for revocations made on other nodes sharing the database (1 s to 5 min).</summary>
    public TimeSpan RevocationSweep { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The MQTT host the token response gives appliances; empty: the host name the appliance used for HTTPS.</summary>
    public string BrokerHost { get; set; } = string.Empty;

    /// <summary>The MQTT port the token response gives; 0: <c>Cloud:Broker:Port</c>.</summary>
    public int BrokerPort { get; set; }

    internal IEnumerable<string> Validate()
    {
        if (CodeLifetime < TimeSpan.FromSeconds(1) || CodeLifetime > TimeSpan.FromHours(1))
        {
            yield return $"Cloud:Pairing:CodeLifetime must be 1 s to 1 h (got {CodeLifetime}).";
        }

        if (PollInterval < TimeSpan.FromSeconds(1) || PollInterval > TimeSpan.FromSeconds(60))
        {
            yield return $"Cloud:Pairing:PollInterval must be 1 s to 60 s (got {PollInterval}).";
        }

        if (CertificateLifetime < TimeSpan.FromSeconds(10) || CertificateLifetime > TimeSpan.FromDays(397))
        {
            yield return $"Cloud:Pairing:CertificateLifetime must be 10 s to 397 days (got {CertificateLifetime}).";
        }

        if (ClockSkew < TimeSpan.Zero || ClockSkew > TimeSpan.FromDays(1))
        {
            yield return $"Cloud:Pairing:ClockSkew must be 0 to 1 day (got {ClockSkew}).";
        }

        if (MaxPendingRequests is < 10 or > 100_000)
        {
            yield return $"Cloud:Pairing:MaxPendingRequests must be 10 to 100,000 (got {MaxPendingRequests}).";
        }

        if (RequestsPerMinutePerAddress is < 1 or > 10_000)
        {
            yield return $"Cloud:Pairing:RequestsPerMinutePerAddress must be 1 to 10,000 (got {RequestsPerMinutePerAddress}).";
        }

        if (RevocationSweep < TimeSpan.FromSeconds(1) || RevocationSweep > TimeSpan.FromMinutes(5))
        {
            yield return $"Cloud:Pairing:RevocationSweep must be 1 s to 5 min (got {RevocationSweep}).";
        }

        if (BrokerPort is < 0 or > 65535)
        {
            yield return $"Cloud:Pairing:BrokerPort must be 0 (the broker's own port) or 1-65535 (got {BrokerPort}).";
        }
    }
}
