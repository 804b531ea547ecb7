namespace EdgeGateway.Appliance.Sessions.Vnc;

/// <summary>VNC (RFB) device sessions (section <c>Appliance:Vnc</c>).</summary>
public sealed class VncOptions
{
    /// <summary>How long the TCP connection to the device may take (1 s to 5 min; default 15 s).</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How long the RFB handshake may take, from the TCP connection to ServerInit: version, security, TLS, password
    /// (1 s to 5 min; default 15 s).
    /// </summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How long one server message — above all a FramebufferUpdate — may take to arrive whole once its first byte came
    /// (1 s to 10 min; default 30 s). A device that sends a screen update a byte at a time, or stops halfway, ends the
    /// session with a clear error instead of holding it (and the viewers) forever.
    /// </summary>
    public TimeSpan UpdateTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The file where each endpoint's VeNCrypt X.509 certificate is pinned on first use (JSON: endpoint id →
    /// SHA-256 of the certificate). Empty: <c>vnc-certificates.json</c> beside the appliance's own certificate
    /// (<c>Appliance:Cloud:CertificatePath</c>), the folder that holds the appliance's state.
    /// </summary>
    public string CertificatePinsPath { get; set; } = string.Empty;

    /// <summary>
    /// The RFB encodings to ask for, preferred first (RFC 6143 §7.7 numbers; pseudo-encodings included). Empty: the
    /// decoder's own list (<c>RfbUpdateDecoder.DefaultEncodings</c>). For tests and for a device with a broken encoder.
    /// </summary>
    public List<int> Encodings { get; set; } = [];

    /// <summary>Checks ranges; the message names the key.</summary>
    public IEnumerable<string> Validate()
    {
        if (ConnectTimeout < TimeSpan.FromSeconds(1) || ConnectTimeout > TimeSpan.FromMinutes(5))
        {
            yield return $"Appliance:Vnc:ConnectTimeout must be 1 s to 5 min (got {ConnectTimeout}).";
        }

        if (HandshakeTimeout < TimeSpan.FromSeconds(1) || HandshakeTimeout > TimeSpan.FromMinutes(5))
        {
            yield return $"Appliance:Vnc:HandshakeTimeout must be 1 s to 5 min (got {HandshakeTimeout}).";
        }

        if (UpdateTimeout < TimeSpan.FromSeconds(1) || UpdateTimeout > TimeSpan.FromMinutes(10))
        {
            yield return $"Appliance:Vnc:UpdateTimeout must be 1 s to 10 min (got {UpdateTimeout}).";
        }

        if (Encodings.Count > 64)
        {
            yield return "Appliance:Vnc:Encodings lists more than 64 encodings.";
        }
    }
}
