using Microsoft.Extensions.Options;

namespace EdgeGateway.Cloud.Configuration;

/// <summary>The cloud's configuration (section <c>Cloud</c>).</summary>
public sealed class CloudOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Cloud";

    /// <summary>Where the database, the CA and the initial admin password live.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>The embedded MQTT broker appliances connect to.</summary>
    public BrokerOptions Broker { get; set; } = new();

    /// <summary>TLS: the server certificate for HTTPS and MQTT.</summary>
    public TlsOptions Tls { get; set; } = new();

    /// <summary>Session start and fan-out limits.</summary>
    public SessionLimitsOptions Sessions { get; set; } = new();

    /// <summary>
    /// Login attempts accepted per minute from one address (1-100,000); more get 429. Everyone behind one NAT shares
    /// the allowance: raise it for a site whose whole shift logs in through one address.
    /// </summary>
    public int LoginsPerMinute { get; set; } = 20;
}

/// <summary>The embedded MQTT 5 broker (mutual TLS only; there is no plain-TCP endpoint).</summary>
public sealed class BrokerOptions
{
    /// <summary>Address the broker listens on.</summary>
    public string BindAddress { get; set; } = "0.0.0.0";

    /// <summary>MQTT over TLS port.</summary>
    public int Port { get; set; } = 8883;

    /// <summary>Messages queued per appliance before the oldest are dropped (control and input only).</summary>
    public int MaxPendingMessagesPerClient { get; set; } = 10_000;
}

/// <summary>The cloud's TLS identity. Empty paths: a certificate from the cloud's own CA is made on first start.</summary>
public sealed class TlsOptions
{
    /// <summary>PEM certificate; empty to use one issued by the cloud's CA.</summary>
    public string CertificatePath { get; set; } = string.Empty;

    /// <summary>PEM private key of <see cref="CertificatePath"/>.</summary>
    public string KeyPath { get; set; } = string.Empty;

    /// <summary>Names the self-issued server certificate is valid for.</summary>
    public List<string> ServerNames { get; set; } = ["localhost", "127.0.0.1"];
}

/// <summary>Sessions and their viewers.</summary>
public sealed class SessionLimitsOptions
{
    /// <summary>How long to wait for an appliance to open a device connection.</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Frames queued for one viewer before it is skipped forward to a keyframe.</summary>
    public int ViewerQueueFrames { get; set; } = 512;

    /// <summary>Bytes queued for one viewer before it is skipped forward to a keyframe.</summary>
    public int ViewerQueueBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Bytes of newest keyframe plus following frames kept per session for late joiners.</summary>
    public int KeyframeCacheBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// Largest paste (one input message from the Controller's page), in bytes; a larger one is refused whole, with a
    /// message in the page, before any of it reaches the device. Default 4 MiB: several times the largest PLC
    /// configuration or script anyone types into a shell, and still a paste the device's echo finishes within
    /// seconds — while a mistaken paste (a log file, a binary) is stopped instead of typed into a machine for minutes.
    /// Memory does not grow with it: the cloud reads a paste in 16 KiB slices as the device takes them.
    /// </summary>
    public int MaxPasteBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>
    /// How long a session waits for its appliance after the appliance's connection dropped. Viewers are told at
    /// once ("appliance offline — reconnecting"); an appliance back in time resumes the session from a keyframe,
    /// otherwise the session ends for everyone. The appliance ends the device side by its own grace period.
    /// </summary>
    public TimeSpan ApplianceGrace { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>Start-up validation: a wrong value stops the service with a message naming the key.</summary>
internal sealed class CloudOptionsValidator : IValidateOptions<CloudOptions>
{
    public ValidateOptionsResult Validate(string? name, CloudOptions options)
    {
        var errors = new List<string>();
        if (options.LoginsPerMinute is < 1 or > 100_000)
        {
            errors.Add($"Cloud:LoginsPerMinute must be 1 to 100,000 (got {options.LoginsPerMinute}).");
        }

        if (string.IsNullOrWhiteSpace(options.DataDirectory))
        {
            errors.Add("Cloud:DataDirectory is required.");
        }

        if (!System.Net.IPAddress.TryParse(options.Broker.BindAddress, out _))
        {
            errors.Add($"Cloud:Broker:BindAddress '{options.Broker.BindAddress}' is not an IP address.");
        }

        if (options.Broker.Port is < 1 or > 65535)
        {
            errors.Add("Cloud:Broker:Port must be 1-65535.");
        }

        if (options.Broker.MaxPendingMessagesPerClient < 10)
        {
            errors.Add("Cloud:Broker:MaxPendingMessagesPerClient must be at least 10.");
        }

        if (string.IsNullOrEmpty(options.Tls.CertificatePath) != string.IsNullOrEmpty(options.Tls.KeyPath))
        {
            errors.Add("Cloud:Tls:CertificatePath and Cloud:Tls:KeyPath go together.");
        }

        if (!string.IsNullOrEmpty(options.Tls.CertificatePath) && !File.Exists(options.Tls.CertificatePath))
        {
            errors.Add($"Cloud:Tls:CertificatePath '{options.Tls.CertificatePath}' does not exist.");
        }

        if (!string.IsNullOrEmpty(options.Tls.KeyPath) && !File.Exists(options.Tls.KeyPath))
        {
            errors.Add($"Cloud:Tls:KeyPath '{options.Tls.KeyPath}' does not exist.");
        }

        if (options.Sessions.StartTimeout <= TimeSpan.Zero)
        {
            errors.Add("Cloud:Sessions:StartTimeout must be positive.");
        }

        if (options.Sessions.ApplianceGrace < TimeSpan.FromSeconds(1) || options.Sessions.ApplianceGrace > TimeSpan.FromHours(1))
        {
            errors.Add($"Cloud:Sessions:ApplianceGrace must be 1 s to 1 h (got {options.Sessions.ApplianceGrace}).");
        }

        if (options.Sessions.ViewerQueueFrames < 8)
        {
            errors.Add("Cloud:Sessions:ViewerQueueFrames must be at least 8.");
        }

        if (options.Sessions.ViewerQueueBytes < 64 * 1024)
        {
            errors.Add("Cloud:Sessions:ViewerQueueBytes must be at least 65536.");
        }

        if (options.Sessions.KeyframeCacheBytes < 64 * 1024)
        {
            errors.Add("Cloud:Sessions:KeyframeCacheBytes must be at least 65536.");
        }

        if (options.Sessions.MaxPasteBytes is < 64 * 1024 or > 1024 * 1024 * 1024)
        {
            errors.Add("Cloud:Sessions:MaxPasteBytes must be between 65536 and 1073741824.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
