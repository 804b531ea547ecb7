using System.Security.Cryptography.X509Certificates;
using EdgeGateway.Cloud.Configuration;
using Microsoft.Extensions.Options;

namespace EdgeGateway.Cloud.Pairing;

/// <summary>The cloud's TLS certificate for HTTPS and MQTT: the configured one, or one from its own CA.</summary>
public sealed class ServerCertificate : IDisposable
{
    public ServerCertificate(IOptions<CloudOptions> options, CertificateAuthority authority)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(authority);
        var tls = options.Value.Tls;
        Certificate = string.IsNullOrEmpty(tls.CertificatePath)
            ? authority.LoadOrIssueServer(tls.ServerNames)
            : X509Certificate2.CreateFromPemFile(tls.CertificatePath, tls.KeyPath);
    }

    public X509Certificate2 Certificate { get; }

    public void Dispose() => Certificate.Dispose();
}
