using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using EdgeGateway.Protocol.Topics;
using EdgeGateway.Protocol.Trust;

namespace EdgeGateway.Cloud.Pairing;

/// <summary>
/// The cloud's own certificate authority (P-256). It signs the cloud's server certificate and every paired
/// appliance's client certificate; the broker trusts nothing else. Keys are written owner-read-only.
/// </summary>
public sealed class CertificateAuthority : IDisposable
{
    private const string CaCertFile = "ca.pem";
    private const string CaKeyFile = "ca.key";

    private readonly X509Certificate2 _certificate;

    private CertificateAuthority(X509Certificate2 certificate, string directory)
    {
        _certificate = certificate;
        Directory = directory;
    }

    /// <summary>Folder holding the CA's files.</summary>
    public string Directory { get; }

    /// <summary>The CA certificate (public part).</summary>
    public X509Certificate2 Certificate => _certificate;

    /// <summary>Path of the CA certificate PEM, which appliances pin.</summary>
    public string CertificatePath => Path.Combine(Directory, CaCertFile);

    /// <summary>Loads the CA from <paramref name="directory"/>, creating it on first use.</summary>
    public static CertificateAuthority LoadOrCreate(string directory)
    {
        System.IO.Directory.CreateDirectory(directory);
        var certPath = Path.Combine(directory, CaCertFile);
        var keyPath = Path.Combine(directory, CaKeyFile);
        if (!File.Exists(certPath) || !File.Exists(keyPath))
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest("CN=EdgeGateway CA", key, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
            var now = DateTimeOffset.UtcNow;
            using var ca = request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(10));
            WritePrivate(keyPath, key.ExportPkcs8PrivateKeyPem());
            File.WriteAllText(certPath, ca.ExportCertificatePem());
        }

        return new CertificateAuthority(X509Certificate2.CreateFromPemFile(certPath, keyPath), directory);
    }

    /// <summary>Issues a TLS server certificate for <paramref name="names"/> (DNS names or IP addresses).</summary>
    public (string CertificatePem, string KeyPem) IssueServer(IEnumerable<string> names, TimeSpan lifetime)
    {
        ArgumentNullException.ThrowIfNull(names);
        var list = names.ToList();
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in list)
        {
            if (IPAddress.TryParse(name, out var ip))
            {
                san.AddIpAddress(ip);
            }
            else
            {
                san.AddDnsName(name);
            }
        }

        return Issue("CN=" + (list.FirstOrDefault() ?? "edgegateway-cloud"), PinnedCertificateAuthority.ServerAuthOid, san.Build(), lifetime);
    }

    /// <summary>Issues an appliance's client certificate: CN = appliance id, client-auth only.</summary>
    public (string CertificatePem, string KeyPem) IssueAppliance(string applianceId, TimeSpan lifetime)
    {
        if (!TopicMap.IsValidApplianceId(applianceId))
        {
            throw new ArgumentException("Not a valid appliance id.", nameof(applianceId));
        }

        return Issue("CN=" + applianceId, PinnedCertificateAuthority.ClientAuthOid, null, lifetime);
    }

    /// <summary>
    /// Signs an appliance's certificate signing request (PKCS#10, PEM) under the profile in docs/ARCHITECTURE.md
    /// ("Pairing"): subject <c>CN={applianceId}</c>, URI SAN <c>urn:edgegateway:appliance:{applianceId}</c>, client
    /// authentication only, not a CA, the key the request carries. Nothing else the request asks for (its subject,
    /// its extensions) is taken over: the CA decides. The request's own signature is checked (proof that the requester
    /// holds the key), and its key must be ECDSA P-256 or P-384.
    /// </summary>
    /// <param name="csrPem">The request, PEM (<c>-----BEGIN CERTIFICATE REQUEST-----</c>).</param>
    /// <param name="applianceId">The id the cloud assigned (1-64 lower-case letters, digits, '-').</param>
    /// <param name="notBefore">Start of validity: issue time minus the clock-skew allowance.</param>
    /// <param name="notAfter">End of validity; clipped to the CA's own.</param>
    /// <exception cref="CertificateRequestException">The request is unreadable, badly signed or carries a key of another type.</exception>
    public IssuedCertificate SignAppliance(string csrPem, string applianceId, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        if (!TopicMap.IsValidApplianceId(applianceId))
        {
            throw new ArgumentException("Not a valid appliance id.", nameof(applianceId));
        }

        var requested = ReadRequest(csrPem);
        var request = new CertificateRequest(new X500DistinguishedName("CN=" + applianceId), requested.PublicKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(PinnedCertificateAuthority.ClientAuthOid)], false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddUri(new Uri("urn:edgegateway:appliance:" + applianceId));
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(_certificate, includeKeyIdentifier: true, includeIssuerAndSerial: false));

        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F; // a positive INTEGER (RFC 5280 §4.1.2.2)
        serial[0] |= 0x01; // and never a leading zero byte, so the hex form is stable
        var caNotAfter = new DateTimeOffset(_certificate.NotAfter.ToUniversalTime());
        using var generator = _certificate.GetECDsaPrivateKey() ?? throw new InvalidOperationException("The CA has no private key.");
        using var cert = request.Create(_certificate.SubjectName, X509SignatureGenerator.CreateForECDsa(generator), notBefore, notAfter < caNotAfter ? notAfter : caNotAfter, serial);
        return new IssuedCertificate(cert.SerialNumber, cert.ExportCertificatePem(), KeySha256(requested.PublicKey), new DateTimeOffset(cert.NotBefore.ToUniversalTime()), new DateTimeOffset(cert.NotAfter.ToUniversalTime()));
    }

    /// <summary>
    /// Reads and checks a certificate signing request: PEM, at most 8 KiB, its signature valid (SHA-256/384), its key
    /// ECDSA P-256 or P-384. Returns the request.
    /// </summary>
    /// <exception cref="CertificateRequestException">With a sentence saying what is wrong.</exception>
    public static CertificateRequest ReadRequest(string? csrPem)
    {
        if (string.IsNullOrWhiteSpace(csrPem) || csrPem.Length > 8192)
        {
            throw new CertificateRequestException("The certificate signing request is missing or longer than 8 KiB.");
        }

        CertificateRequest request;
        try
        {
            // Checks the request's self-signature: whoever sent it holds the private key.
            request = CertificateRequest.LoadSigningRequestPem(csrPem, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.Default);
        }
        catch (CryptographicException ex)
        {
            throw new CertificateRequestException("The certificate signing request is not a valid PKCS#10 request with a good signature: " + ex.Message);
        }

        using var ec = request.PublicKey.GetECDsaPublicKey();
        var curve = ec?.ExportParameters(false).Curve;
        if (ec is null || curve is not { IsNamed: true } || curve.Value.Oid.Value is not ("1.2.840.10045.3.1.7" or "1.3.132.0.34"))
        {
            throw new CertificateRequestException("The certificate signing request's key must be ECDSA on P-256 or P-384.");
        }

        return request;
    }

    /// <summary>SHA-256 of a key's SubjectPublicKeyInfo, lower-case hex: the key fingerprint the engineer compares.</summary>
    public static string KeySha256(PublicKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()));
    }

    /// <summary>Loads the server certificate from the data folder, issuing it first when missing or expiring within 30 days.</summary>
    public X509Certificate2 LoadOrIssueServer(IEnumerable<string> names)
    {
        var certPath = Path.Combine(Directory, "server.pem");
        var keyPath = Path.Combine(Directory, "server.key");
        if (File.Exists(certPath) && File.Exists(keyPath))
        {
            var existing = X509Certificate2.CreateFromPemFile(certPath, keyPath);
            if (existing.NotAfter > DateTime.UtcNow.AddDays(30))
            {
                return existing;
            }

            existing.Dispose();
        }

        var (cert, key) = IssueServer(names, TimeSpan.FromDays(397));
        WritePrivate(keyPath, key);
        File.WriteAllText(certPath, cert);
        return X509Certificate2.CreateFromPemFile(certPath, keyPath);
    }

    private (string CertificatePem, string KeyPem) Issue(string subject, string usageOid, X509Extension? san, TimeSpan lifetime)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usageOid)], false));
        if (san is not null)
        {
            request.CertificateExtensions.Add(san);
        }

        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        var now = DateTimeOffset.UtcNow;
        var notAfter = now + lifetime < _certificate.NotAfter ? now + lifetime : new DateTimeOffset(_certificate.NotAfter.ToUniversalTime());
        using var cert = request.Create(_certificate, now.AddMinutes(-5), notAfter, serial);
        return (cert.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    /// <summary>Writes a private key readable by the owner only.</summary>
    public static void WritePrivate(string path, string content)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (OperatingSystem.IsWindows())
        {
            File.WriteAllText(path, content);
            return;
        }

        File.Delete(path); // the mode applies only to a file this call creates
        using var stream = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        using var writer = new StreamWriter(stream);
        writer.Write(content);
    }

    /// <inheritdoc/>
    public void Dispose() => _certificate.Dispose();
}

/// <summary>A certificate the CA issued: its serial (hex, as .NET prints it), PEM, key fingerprint and validity (UTC).</summary>
public sealed record IssuedCertificate(string Serial, string CertificatePem, string KeySha256, DateTimeOffset NotBefore, DateTimeOffset NotAfter);

/// <summary>A certificate signing request the CA will not sign; the message says why, for the requester.</summary>
public sealed class CertificateRequestException : Exception
{
    public CertificateRequestException(string message)
        : base(message)
    {
    }

    public CertificateRequestException()
    {
    }

    public CertificateRequestException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
