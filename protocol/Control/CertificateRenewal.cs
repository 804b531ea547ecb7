namespace EdgeGateway.Protocol.Control;

/// <summary>
/// Appliance → cloud: renew my certificate. Sent over the appliance's authenticated MQTT connection, whose client
/// certificate is the proof of identity; <paramref name="CertificateRequest"/> is a PKCS#10 request (PEM) for a new key.
/// The cloud answers with <see cref="CertificateRenewed"/>.
/// </summary>
/// <param name="CertificateRequest">PEM, at most 8 KiB.</param>
public sealed record RenewCertificate(string CertificateRequest) : ControlMessage
{
    /// <inheritdoc/>
    public override string? Validate() =>
        string.IsNullOrEmpty(CertificateRequest) || CertificateRequest.Length > 8192 ? "missing or oversized certificate request" : null;
}

/// <summary>
/// Cloud → appliance: the answer to <see cref="RenewCertificate"/>: the new certificate (PEM), or why there is none.
/// </summary>
/// <param name="Certificate">The new certificate, PEM; null when refused.</param>
/// <param name="Error">Why the renewal was refused; null on success.</param>
public sealed record CertificateRenewed(string? Certificate, string? Error = null) : ControlMessage
{
    /// <inheritdoc/>
    public override string? Validate() =>
        (Certificate is null) == (Error is null) ? "exactly one of certificate and error" : Certificate is { Length: > 16384 } ? "oversized certificate" : null;
}
