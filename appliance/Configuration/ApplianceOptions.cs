using EdgeGateway.Appliance.Sessions.Display;
using EdgeGateway.Appliance.Sessions.Terminal;
using EdgeGateway.Appliance.Sessions.Rdp;
using EdgeGateway.Appliance.Sessions.Vnc;
using EdgeGateway.Protocol.Topics;
using Microsoft.Extensions.Options;

namespace EdgeGateway.Appliance.Configuration;

/// <summary>The appliance's configuration (section <c>Appliance</c>).</summary>
public sealed class ApplianceOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Appliance";

    /// <summary>
    /// This appliance's id: its certificate's common name and its MQTT client id. Set it only with an enrolled
    /// certificate (<c>Appliance:Cloud:CertificatePath</c>); a paired appliance gets its id from the cloud, and it is set
    /// here once the identity is loaded (before any session starts).
    /// </summary>
    public string Id { get; set; } = string.Empty;

    /// <summary>
    /// Where a paired appliance keeps its state (created 0700): its key, a pending pairing and its identity, each written
    /// atomically. Used when no <c>Appliance:Cloud:CertificatePath</c> is configured.
    /// </summary>
    public string StateDirectory { get; set; } = "/var/lib/edgegateway";

    /// <summary>What the appliance reports as its hardware when pairing; empty: read from the device tree or DMI.</summary>
    public string Hardware { get; set; } = string.Empty;

    /// <summary>True when the appliance pairs (no enrolled certificate is configured).</summary>
    internal bool Pairs => string.IsNullOrWhiteSpace(Cloud.CertificatePath);

    /// <summary>How to reach the cloud.</summary>
    public CloudConnectionOptions Cloud { get; set; } = new();

    /// <summary>The devices on the plant network this appliance may connect to. Nothing else is reachable.</summary>
    public List<EndpointOptions> Endpoints { get; set; } = [];

    /// <summary>Most sessions at once; more are refused.</summary>
    public int MaxSessions { get; set; } = 16;

    /// <summary>Terminal streaming under uplink pressure.</summary>
    public TerminalStreamOptions Terminal { get; set; } = new();

    /// <summary>Remote-display (VNC) streaming: uplink budget, frame-rate cap, clipboard.</summary>
    public DisplayStreamOptions Display { get; set; } = new();

    /// <summary>How a dead or frozen device is noticed.</summary>
    public LivenessOptions Liveness { get; set; } = new();

    /// <summary>Logging in to devices.</summary>
    public LoginOptions Login { get; set; } = new();

    /// <summary>VNC device sessions: time bounds, certificate pins, encodings.</summary>
    public VncOptions Vnc { get; set; } = new();

    /// <summary>RDP device sessions: the helper, time bounds, the default desktop size.</summary>
    public RdpOptions Rdp { get; set; } = new();

    /// <summary>
    /// Where VeNCrypt certificates are pinned: <see cref="VncOptions.CertificatePinsPath"/>, or
    /// <c>vnc-certificates.json</c> beside the appliance's certificate.
    /// </summary>
    internal string VncCertificatePinsPath => !string.IsNullOrWhiteSpace(Vnc.CertificatePinsPath) ? Vnc.CertificatePinsPath
        : Pairs ? Path.Combine(StateDirectory, "vnc-certificates.json")
        : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(Cloud.CertificatePath)) ?? ".", "vnc-certificates.json");
}

/// <summary>Logging in to a device (section <c>Appliance:Login</c>).</summary>
public sealed class LoginOptions
{
    /// <summary>
    /// How long the appliance waits for the Controller to answer a question the device asks while logging in (a
    /// one-time code, a second factor) before it gives up the start (5 s to 30 min; 120 s by default: time to find a
    /// token and type a code).
    /// </summary>
    public TimeSpan PromptTimeout { get; set; } = TimeSpan.FromSeconds(120);
}

/// <summary>
/// Device liveness, as OpenSSH's <c>ServerAliveInterval</c> and <c>ServerAliveCountMax</c>: the appliance probes a
/// silent device (SSH: a keep-alive request; VNC: a non-incremental FramebufferUpdateRequest for one pixel, RFC 6143
/// §7.5.3; RDP: a Refresh Rect PDU for one pixel, MS-RDPBCGR 2.2.11.2) every <see cref="Interval"/> and ends the
/// session when nothing came back for
/// <see cref="Interval"/> × <see cref="CountMax"/> (the liveness time; 10 s by default).
/// </summary>
public sealed class LivenessOptions
{
    /// <summary>Silence after which the device is probed, and the time between unanswered probes (1 s to 10 min).</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Intervals of silence under probing after which the device is declared dead (1 to 100).</summary>
    public int CountMax { get; set; } = 2;

    /// <summary>
    /// How long a probe may go unanswered before the device counts as not responding: the Controller sees
    /// "device not responding" and typed input is refused (100 ms up to the liveness time). A device on the plant
    /// LAN answers in milliseconds; the default leaves room for a busy one.
    /// </summary>
    public TimeSpan DoubtAfter { get; set; } = TimeSpan.FromSeconds(2);
}

/// <summary>The uplink to the cloud: MQTT 5 over TLS with the appliance's client certificate.</summary>
public sealed class CloudConnectionOptions
{
    /// <summary>Host name or address of the cloud's MQTT endpoint; must match its certificate.</summary>
    public string Host { get; set; } = string.Empty;

    /// <summary>MQTT over TLS port.</summary>
    public int MqttPort { get; set; } = 8883;

    /// <summary>
    /// The cloud's HTTPS address for pairing (<c>https://cloud.example:8443</c>). A factory-fresh appliance needs only
    /// this and the cloud CA (<see cref="AuthorityPath"/> or <see cref="AuthoritySha256"/>).
    /// </summary>
    public string Address { get; set; } = string.Empty;

    /// <summary>PEM file of an enrolled certificate (the older <c>enroll-appliance</c> way); empty: the appliance pairs.</summary>
    public string CertificatePath { get; set; } = string.Empty;

    /// <summary>PEM file of the enrolled certificate's private key (never leaves the appliance).</summary>
    public string KeyPath { get; set; } = string.Empty;

    /// <summary>PEM file of the EdgeGateway CA that signed the cloud's certificate. Only it is trusted.</summary>
    public string AuthorityPath { get; set; } = string.Empty;

    /// <summary>
    /// Instead of <see cref="AuthorityPath"/>: the SHA-256 of the cloud CA's certificate (hex, colons allowed). The
    /// appliance fetches the CA from <see cref="Address"/> and uses it only if it has this fingerprint.
    /// </summary>
    public string AuthoritySha256 { get; set; } = string.Empty;

    /// <summary>First wait before reconnecting; doubles up to <see cref="ReconnectMaxDelay"/>.</summary>
    public TimeSpan ReconnectMinDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest wait between reconnect attempts.</summary>
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>MQTT keep-alive; a dead link is noticed within about 1.5 times this.</summary>
    public TimeSpan KeepAlive { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How long device sessions outlive the link to the cloud. A shorter cut keeps them (viewers resume from a
    /// keyframe); after this long the appliance ends them, so no shell stays open on a device that no one in the
    /// cloud can see or stop. Counted from the moment the appliance notices the loss (at once for a closed
    /// connection, within about 1.5 × <see cref="KeepAlive"/> for a silent one).
    /// </summary>
    public TimeSpan SessionGrace { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>One device the appliance serves.</summary>
public sealed class EndpointOptions
{
    /// <summary>Stable id (lower-case letters, digits, '-').</summary>
    public string Id { get; set; } = string.Empty;

    /// <summary>Display name.</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>"ssh", "vnc" or "rdp".</summary>
    public string Protocol { get; set; } = "ssh";

    /// <summary>Address on the plant network.</summary>
    public string Host { get; set; } = string.Empty;

    private int? _port;

    /// <summary>TCP port. When not given, the protocol's well-known port: 22 for ssh, 5900 for vnc, 3389 for rdp.</summary>
    public int Port
    {
        get => _port ?? Protocol switch { "vnc" => 5900, "rdp" => 3389, _ => 22 };
        set => _port = value;
    }

    /// <summary>
    /// Allow legacy algorithms for this endpoint only: SHA-1 key exchange (<c>diffie-hellman-group1-sha1</c>, …),
    /// CBC and 3DES ciphers, SHA-1 and MD5 MACs, <c>ssh-rsa</c> (SHA-1) signatures and DSA (<c>ssh-dss</c>) host
    /// keys. VNC: unencrypted RFB security (VNC authentication, None) instead of VeNCrypt/TLS. RDP: standard RDP security
    /// (RC4, no TLS) when the server offers neither TLS nor NLA. Off by default: a device
    /// that offers nothing better is refused with a message naming what it offered. Sessions that use one are marked
    /// "legacy crypto" on the session page.
    /// </summary>
    public bool AllowLegacyAlgorithms { get; set; }

    /// <summary>
    /// Expected SSH host key, as OpenSSH prints it (<c>SHA256:…</c> or the base64 part alone). When set, any
    /// other key is refused. When empty, the key is accepted and its fingerprint logged (trust on first use).
    /// </summary>
    public string? HostKeySha256 { get; set; }
}

/// <summary>Start-up validation: a wrong value stops the service with a message naming the key.</summary>
internal sealed class ApplianceOptionsValidator : IValidateOptions<ApplianceOptions>
{
    public ValidateOptionsResult Validate(string? name, ApplianceOptions options)
    {
        var errors = new List<string>();
        if (options.Pairs)
        {
            ValidatePairing(options, errors);
        }
        else
        {
            ValidateEnrolled(options, errors);
        }

        if (options.Cloud.MqttPort is < 1 or > 65535)
        {
            errors.Add("Appliance:Cloud:MqttPort must be 1-65535.");
        }

        if (options.Cloud.ReconnectMinDelay <= TimeSpan.Zero || options.Cloud.ReconnectMaxDelay < options.Cloud.ReconnectMinDelay)
        {
            errors.Add("Appliance:Cloud:ReconnectMinDelay must be positive and not above Appliance:Cloud:ReconnectMaxDelay.");
        }

        // MQTT carries the keep-alive in whole seconds (16 bits); without one a dead link goes unnoticed.
        if (options.Cloud.KeepAlive < TimeSpan.FromSeconds(5) || options.Cloud.KeepAlive > TimeSpan.FromSeconds(ushort.MaxValue))
        {
            errors.Add($"Appliance:Cloud:KeepAlive must be 5 s to 65,535 s (got {options.Cloud.KeepAlive}).");
        }

        if (options.Cloud.SessionGrace < TimeSpan.FromSeconds(1) || options.Cloud.SessionGrace > TimeSpan.FromHours(1))
        {
            errors.Add($"Appliance:Cloud:SessionGrace must be 1 s to 1 h (got {options.Cloud.SessionGrace}).");
        }

        if (options.MaxSessions < 1)
        {
            errors.Add("Appliance:MaxSessions must be at least 1.");
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.Endpoints.Count; i++)
        {
            var e = options.Endpoints[i];
            var key = $"Appliance:Endpoints:{i}";
            if (!TopicMap.IsValidApplianceId(e.Id) || !ids.Add(e.Id))
            {
                errors.Add($"{key}:Id must be unique, 1-64 lower-case letters, digits or '-'.");
            }

            if (e.Protocol is not ("ssh" or "vnc" or "rdp"))
            {
                errors.Add($"{key}:Protocol '{e.Protocol}' is not supported (supported: ssh, vnc, rdp).");
            }

            if (string.IsNullOrWhiteSpace(e.Host))
            {
                errors.Add($"{key}:Host is required.");
            }

            if (e.Port is < 1 or > 65535)
            {
                errors.Add($"{key}:Port must be 1-65535 (or left out: 22 for ssh, 5900 for vnc, 3389 for rdp).");
            }
        }

        var liveness = options.Liveness;
        if (liveness.Interval < TimeSpan.FromSeconds(1) || liveness.Interval > TimeSpan.FromMinutes(10))
        {
            errors.Add($"Appliance:Liveness:Interval must be 1 s to 10 min (got {liveness.Interval}).");
        }
        else if (liveness.CountMax is < 1 or > 100)
        {
            errors.Add($"Appliance:Liveness:CountMax must be 1 to 100 (got {liveness.CountMax}).");
        }
        else if (liveness.DoubtAfter < TimeSpan.FromMilliseconds(100) || liveness.DoubtAfter > liveness.Interval * liveness.CountMax)
        {
            errors.Add($"Appliance:Liveness:DoubtAfter must be 100 ms up to Interval × CountMax (got {liveness.DoubtAfter}).");
        }

        if (options.Login.PromptTimeout < TimeSpan.FromSeconds(5) || options.Login.PromptTimeout > TimeSpan.FromMinutes(30))
        {
            errors.Add($"Appliance:Login:PromptTimeout must be 5 s to 30 min (got {options.Login.PromptTimeout}).");
        }

        errors.AddRange(options.Vnc.Validate());
        errors.AddRange(options.Rdp.Validate());

        // The terminal streamer checks its ranges when a session starts; a wrong value must stop the service here,
        // by its key, instead of failing every session later.
        ValidateSection("Terminal", options.Terminal.Validate, errors);
        ValidateSection("Display", options.Display.Validate, errors);

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>An enrolled appliance: its id, the broker and the three PEM files are configured.</summary>
    private static void ValidateEnrolled(ApplianceOptions options, List<string> errors)
    {
        if (!TopicMap.IsValidApplianceId(options.Id))
        {
            errors.Add("Appliance:Id must be 1-64 lower-case letters, digits or '-' (it is the certificate's common name).");
        }

        if (string.IsNullOrWhiteSpace(options.Cloud.Host))
        {
            errors.Add("Appliance:Cloud:Host is required.");
        }

        foreach (var (key, path) in new[] { ("CertificatePath", options.Cloud.CertificatePath), ("KeyPath", options.Cloud.KeyPath), ("AuthorityPath", options.Cloud.AuthorityPath) })
        {
            if (string.IsNullOrWhiteSpace(path) || !File.Exists(path))
            {
                errors.Add($"Appliance:Cloud:{key} must name an existing PEM file (got '{path}').");
            }
        }
    }

    /// <summary>A pairing appliance: the cloud's address, its CA (file or fingerprint) and a state directory.</summary>
    private static void ValidatePairing(ApplianceOptions options, List<string> errors)
    {
        if (!Uri.TryCreate(options.Cloud.Address, UriKind.Absolute, out var address) || address.Scheme != Uri.UriSchemeHttps)
        {
            errors.Add($"Appliance:Cloud:Address must be the cloud's https:// address to pair with (got '{options.Cloud.Address}'), or configure an enrolled certificate (Appliance:Cloud:CertificatePath).");
        }

        var hasFile = !string.IsNullOrWhiteSpace(options.Cloud.AuthorityPath);
        if (hasFile && !File.Exists(options.Cloud.AuthorityPath))
        {
            errors.Add($"Appliance:Cloud:AuthorityPath must name an existing PEM file (got '{options.Cloud.AuthorityPath}').");
        }

        if (!hasFile && Pairing.PairingClient.ParseFingerprint(options.Cloud.AuthoritySha256) is null)
        {
            errors.Add("Appliance:Cloud:AuthorityPath (the cloud CA's PEM file) or Appliance:Cloud:AuthoritySha256 (its SHA-256, 64 hex digits) is required to pair.");
        }

        if (string.IsNullOrWhiteSpace(options.StateDirectory))
        {
            errors.Add("Appliance:StateDirectory is required to pair.");
        }
    }

    private static void ValidateSection(string section, Action validate, List<string> errors)
    {
        try
        {
            validate();
        }
        catch (ArgumentOutOfRangeException ex)
        {
            var reason = ex.Message.Split(" (Parameter", 2)[0];
            errors.Add($"Appliance:{section}:{ex.ParamName} {ex.ActualValue} is out of range. {reason}");
        }
    }
}
