using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Serialization;
using EdgeGateway.Protocol.Trust;

namespace EdgeGateway.Appliance.Pairing;

/// <summary>RFC 8628 §3.2: the cloud's answer to a device authorization request.</summary>
public sealed record DeviceAuthorizationAnswer(
    [property: JsonPropertyName("device_code")] string DeviceCode,
    [property: JsonPropertyName("user_code")] string UserCode,
    [property: JsonPropertyName("verification_uri")] string VerificationUri,
    [property: JsonPropertyName("expires_in")] int ExpiresIn,
    [property: JsonPropertyName("interval")] int Interval)
{
    public override string ToString() => $"DeviceAuthorizationAnswer {{ UserCode = {UserCode}, DeviceCode = *** }}";
}

/// <summary>One poll's answer: an RFC 8628 §3.5 error (with the new interval after <c>slow_down</c>) or the identity.</summary>
public sealed record TokenAnswer(
    [property: JsonPropertyName("error")] string? Error,
    [property: JsonPropertyName("error_description")] string? Description,
    [property: JsonPropertyName("interval")] int? Interval,
    [property: JsonPropertyName("appliance_id")] string? ApplianceId,
    [property: JsonPropertyName("certificate_chain")] string? CertificateChain,
    [property: JsonPropertyName("ca_certificate")] string? CaCertificate,
    [property: JsonPropertyName("mqtt_host")] string? MqttHost,
    [property: JsonPropertyName("mqtt_port")] int MqttPort);

/// <summary>
/// The appliance's side of the pairing API over HTTPS. The cloud is authenticated by the pinned cloud CA only (a file,
/// or a SHA-256 fingerprint against which the CA fetched from the cloud is checked before anything else is sent).
/// </summary>
internal sealed class PairingClient : IDisposable
{
    private readonly HttpClient _http;

    private PairingClient(HttpClient http, X509Certificate2 authority)
    {
        _http = http;
        Authority = authority;
    }

    /// <summary>The cloud CA, pinned.</summary>
    public X509Certificate2 Authority { get; }

    /// <summary>
    /// Connects to <paramref name="address"/> trusting only the CA in <paramref name="authorityPem"/>, or — with none —
    /// the CA the cloud serves at <c>/api/pairing/ca.pem</c> if its SHA-256 is <paramref name="authoritySha256"/>.
    /// </summary>
    /// <exception cref="System.Security.Authentication.AuthenticationException">The cloud's CA does not have the configured fingerprint, or the server is not the CA's.</exception>
    public static async Task<PairingClient> ConnectAsync(Uri address, string? authorityPem, string? authoritySha256, CancellationToken cancellationToken)
    {
        X509Certificate2 authority;
        if (!string.IsNullOrWhiteSpace(authorityPem))
        {
            authority = X509Certificate2.CreateFromPem(authorityPem);
        }
        else
        {
            authority = await FetchAuthorityAsync(address, ParseFingerprint(authoritySha256) ?? throw new ArgumentException("No CA fingerprint.", nameof(authoritySha256)), cancellationToken);
        }

        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, certificate, _, errors) => Trusted(certificate, errors, authority) },
            ConnectTimeout = TimeSpan.FromSeconds(15),
        };
        var http = new HttpClient(handler) { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
        return new PairingClient(http, authority);
    }

    /// <summary>RFC 8628 §3.1: asks for codes with the request for the appliance's key.</summary>
    public async Task<DeviceAuthorizationAnswer> StartAsync(string csrPem, string hardware, string softwareVersion, CancellationToken cancellationToken)
    {
        using var content = new FormUrlEncodedContent([new("csr", csrPem), new("hardware", hardware), new("software_version", softwareVersion)]);
        using var response = await _http.PostAsync(new Uri("/api/pairing/device_authorization", UriKind.Relative), content, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"The cloud refused the pairing request ({(int)response.StatusCode}): {await response.Content.ReadAsStringAsync(cancellationToken)}", null, response.StatusCode);
        }

        return await response.Content.ReadFromJsonAsync<DeviceAuthorizationAnswer>(cancellationToken) ?? throw new HttpRequestException("The cloud sent an empty answer.");
    }

    /// <summary>RFC 8628 §3.4: one poll with the device code.</summary>
    public async Task<TokenAnswer> PollAsync(string deviceCode, CancellationToken cancellationToken)
    {
        using var content = new FormUrlEncodedContent([new("grant_type", "urn:ietf:params:oauth:grant-type:device_code"), new("device_code", deviceCode)]);
        using var response = await _http.PostAsync(new Uri("/api/pairing/token", UriKind.Relative), content, cancellationToken);
        if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.BadRequest))
        {
            throw new HttpRequestException($"The cloud's token endpoint answered {(int)response.StatusCode}.", null, response.StatusCode);
        }

        return await response.Content.ReadFromJsonAsync<TokenAnswer>(cancellationToken) ?? throw new HttpRequestException("The cloud sent an empty answer.");
    }

    /// <summary>A SHA-256 fingerprint as 32 bytes: 64 hex digits, colons and spaces ignored; null when it is not one.</summary>
    public static byte[]? ParseFingerprint(string? text)
    {
        var hex = (text ?? string.Empty).Replace(":", string.Empty, StringComparison.Ordinal).Replace(" ", string.Empty, StringComparison.Ordinal);
        if (hex.Length != 64)
        {
            return null;
        }

        try
        {
            return Convert.FromHexString(hex);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static bool Trusted(X509Certificate? certificate, SslPolicyErrors errors, X509Certificate2 authority) =>
        (errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) == 0
        && PinnedCertificateAuthority.Validate(certificate, authority, PinnedCertificateAuthority.ServerAuthOid, out _);

    /// <summary>Fetches the CA, checks its fingerprint, then checks that the server it came from is that CA's.</summary>
    private static async Task<X509Certificate2> FetchAuthorityAsync(Uri address, byte[] fingerprint, CancellationToken cancellationToken)
    {
        X509Certificate2? server = null;
        using var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                // Nothing secret is sent on this connection; what it brings back is checked below before it is trusted.
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                {
                    server = certificate is null ? null : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
                    return (errors & SslPolicyErrors.RemoteCertificateNameMismatch) == 0;
                },
            },
        };
        using var http = new HttpClient(handler) { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30), MaxResponseContentBufferSize = 65536 };
        var pem = await http.GetStringAsync(new Uri("/api/pairing/ca.pem", UriKind.Relative), cancellationToken);
        var authority = X509Certificate2.CreateFromPem(pem);
        if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(authority.RawData), fingerprint))
        {
            throw new System.Security.Authentication.AuthenticationException($"The cloud's CA has SHA-256 {Convert.ToHexString(SHA256.HashData(authority.RawData))}, not the configured Appliance:Cloud:AuthoritySha256.");
        }

        using (server)
        {
            if (!PinnedCertificateAuthority.Validate(server, authority, PinnedCertificateAuthority.ServerAuthOid, out var error))
            {
                throw new System.Security.Authentication.AuthenticationException("The cloud's server certificate is not its CA's: " + error);
            }
        }

        return authority;
    }

    public void Dispose()
    {
        _http.Dispose();
        Authority.Dispose();
    }
}
