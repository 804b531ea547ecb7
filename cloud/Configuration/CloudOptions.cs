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

    /// <summary>The mail server invitations are sent through; no <see cref="SmtpOptions.Host"/> = e-mail off.</summary>
    public SmtpOptions Smtp { get; set; } = new();

    /// <summary>Pairing of appliances and their certificates (section <c>Cloud:Pairing</c>).</summary>
    public Pairing.PairingOptions Pairing { get; set; } = new();
}

/// <summary>How the connection to the mail server is secured (<see cref="SmtpOptions.StartTls"/>).</summary>
public enum SmtpStartTls
{
    /// <summary>STARTTLS when the server offers it (RFC 3207); without it the password is still never sent in clear to another host.</summary>
    Auto,

    /// <summary>STARTTLS or no mail: a server that does not offer it is refused.</summary>
    Always,

    /// <summary>No TLS: only for a server on this machine (loopback), or with <see cref="SmtpOptions.AllowPlaintext"/>.</summary>
    None,
}

/// <summary>
/// The SMTP server e-mail invitations go through (section <c>Cloud:Smtp</c>). Port 465 is implicit TLS (RFC 8314: TLS
/// from the first byte); any other port starts plain and upgrades with STARTTLS per <see cref="StartTls"/>. The
/// server's certificate is checked against the system's trust store. <see cref="Password"/> is a secret: never logged.
/// </summary>
public sealed class SmtpOptions
{
    /// <summary>The mail server's name or address; empty (the default) = e-mail invitations are off.</summary>
    public string Host { get; set; } = string.Empty;

    /// <summary>TCP port: 587 (submission, the default), 465 (implicit TLS) or 25.</summary>
    public int Port { get; set; } = 587;

    /// <summary>When to use STARTTLS; see <see cref="SmtpStartTls"/>.</summary>
    public SmtpStartTls StartTls { get; set; } = SmtpStartTls.Auto;

    /// <summary>Allows <see cref="SmtpStartTls.None"/> (or a password without TLS) towards a host other than loopback. Off: mail and its password travel in clear.</summary>
    public bool AllowPlaintext { get; set; }

    /// <summary>The account to sign in with (SMTP AUTH); empty = no sign-in.</summary>
    public string UserName { get; set; } = string.Empty;

    /// <summary>The account's password. Never logged, never in the audit.</summary>
    public string Password { get; set; } = string.Empty;

    /// <summary>The sender, an address (<c>remote-support@example.com</c>) or a name and address (<c>Remote Support &lt;remote-support@example.com&gt;</c>).</summary>
    public string From { get; set; } = string.Empty;

    /// <summary>The longest one invitation may take to send, connection included (1 s to 2 min; default 15 s).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>True when a mail server is configured.</summary>
    public bool Enabled => !string.IsNullOrWhiteSpace(Host);

    /// <summary>Whether <see cref="Host"/> is this machine (<c>localhost</c>, 127.0.0.0/8, ::1): the one place plain SMTP is safe.</summary>
    public bool HostIsLoopback =>
        string.Equals(Host, "localhost", StringComparison.OrdinalIgnoreCase)
        || (System.Net.IPAddress.TryParse(Host, out var address) && System.Net.IPAddress.IsLoopback(address));

    public override string ToString() => $"SmtpOptions {{ Host = {Host}, Port = {Port}, StartTls = {StartTls}, AllowPlaintext = {AllowPlaintext}, UserName = {UserName}, Password = ***, From = {From}, Timeout = {Timeout} }}";
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

    /// <summary>
    /// Kernel send buffer of each browser connection (SO_SNDBUF, bytes; the kernel doubles it); 0 leaves Linux's
    /// autotuning, which lets one stalled viewer's connection hold up to tcp_wmem's maximum (4 MiB on Debian) before its
    /// queue here notices and skips it to a keyframe. A fixed value bounds that kernel memory and lag per viewer, at the
    /// price of throughput on long, fast links (a connection carries at most about this many bytes per round trip).
    /// 0, or 4096 to 16 MiB.
    /// </summary>
    public int ViewerSendBufferBytes { get; set; }

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

        if (options.Sessions.ViewerSendBufferBytes != 0 && options.Sessions.ViewerSendBufferBytes is < 4096 or > 16 * 1024 * 1024)
        {
            errors.Add($"Cloud:Sessions:ViewerSendBufferBytes must be 0 (the kernel's autotuning) or 4096 to 16777216 (got {options.Sessions.ViewerSendBufferBytes}).");
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

        ValidateSmtp(options.Smtp, errors);
        errors.AddRange(options.Pairing.Validate());
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void ValidateSmtp(SmtpOptions smtp, List<string> errors)
    {
        if (!smtp.Enabled)
        {
            return; // e-mail off: the other keys are not used
        }

        if (smtp.Port is < 1 or > 65535)
        {
            errors.Add($"Cloud:Smtp:Port must be 1-65535 (got {smtp.Port}).");
        }

        if (!Enum.IsDefined(smtp.StartTls))
        {
            errors.Add("Cloud:Smtp:StartTls must be Auto, Always or None.");
        }

        if (smtp.StartTls == SmtpStartTls.None && !smtp.HostIsLoopback && !smtp.AllowPlaintext)
        {
            errors.Add($"Cloud:Smtp:StartTls None sends mail (and the password) in clear to {smtp.Host}; use Auto or Always, or set Cloud:Smtp:AllowPlaintext to true if that is meant.");
        }

        if (smtp.StartTls == SmtpStartTls.None && smtp.Port == 465)
        {
            errors.Add("Cloud:Smtp:Port 465 is implicit TLS; StartTls None cannot be used with it.");
        }

        if (string.IsNullOrEmpty(smtp.Password) != string.IsNullOrEmpty(smtp.UserName))
        {
            errors.Add("Cloud:Smtp:UserName and Cloud:Smtp:Password go together.");
        }

        if (!MimeKit.MailboxAddress.TryParse(smtp.From, out var from) || string.IsNullOrEmpty(from.Address) || !from.Address.Contains('@', StringComparison.Ordinal))
        {
            errors.Add($"Cloud:Smtp:From must be a sender address such as remote-support@example.com (got '{smtp.From}').");
        }

        if (smtp.Timeout < TimeSpan.FromSeconds(1) || smtp.Timeout > TimeSpan.FromMinutes(2))
        {
            errors.Add($"Cloud:Smtp:Timeout must be 1 s to 2 min (got {smtp.Timeout}).");
        }
    }
}
