namespace EdgeGateway.Appliance.Sessions.Rdp;

/// <summary>RDP device sessions (section <c>Appliance:Rdp</c>).</summary>
public sealed class RdpOptions
{
    /// <summary>The helper's file name beside the appliance's binaries.</summary>
    public const string HelperFileName = "edgegateway-rdp";

    /// <summary>
    /// The native helper that runs one RDP connection (<c>edgegateway-rdp</c>, built from <c>appliance/Native/rdp</c>).
    /// Empty: <see cref="HelperFileName"/> beside the appliance's binaries.
    /// </summary>
    public string HelperPath { get; set; } = string.Empty;

    /// <summary>How long the TCP connection to the device may take (1 s to 5 min; default 15 s). FreeRDP applies it.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How long a start may take in all, from launching the helper to the desktop's first size: TCP, TLS, the certificate
    /// check, NLA (CredSSP) and the server's licensing and capability exchange (5 s to 10 min; default 60 s).
    /// </summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Desktop width in pixels asked for when the start names none (200–8192; default 1280).</summary>
    public int DefaultWidth { get; set; } = 1280;

    /// <summary>Desktop height in pixels asked for when the start names none (200–8192; default 800).</summary>
    public int DefaultHeight { get; set; } = 800;

    /// <summary>The helper's path: <see cref="HelperPath"/>, or <see cref="HelperFileName"/> beside the appliance.</summary>
    internal string ResolvedHelperPath => !string.IsNullOrWhiteSpace(HelperPath) ? HelperPath : Path.Combine(AppContext.BaseDirectory, HelperFileName);

    /// <summary>Checks ranges; the message names the key.</summary>
    public IEnumerable<string> Validate()
    {
        if (ConnectTimeout < TimeSpan.FromSeconds(1) || ConnectTimeout > TimeSpan.FromMinutes(5))
        {
            yield return $"Appliance:Rdp:ConnectTimeout must be 1 s to 5 min (got {ConnectTimeout}).";
        }

        if (StartTimeout < TimeSpan.FromSeconds(5) || StartTimeout > TimeSpan.FromMinutes(10))
        {
            yield return $"Appliance:Rdp:StartTimeout must be 5 s to 10 min (got {StartTimeout}).";
        }

        if (DefaultWidth is < 200 or > 8192 || DefaultHeight is < 200 or > 8192)
        {
            yield return $"Appliance:Rdp:DefaultWidth and DefaultHeight must be 200 to 8192 (got {DefaultWidth}x{DefaultHeight}).";
        }
    }
}
