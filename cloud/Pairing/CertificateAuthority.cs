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
