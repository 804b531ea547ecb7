using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EdgeGateway.Protocol.Trust;

/// <summary>
/// Validates a peer certificate against one pinned certificate authority (EdgeGateway's own CA), not the
/// machine's trust store: a private CA is never in the system store, and trusting the system store would let
/// any public CA vouch for an appliance or a cloud.
/// </summary>
public static class PinnedCertificateAuthority
{
    /// <summary>OID of the TLS server authentication extended key usage.</summary>
    public const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";

    /// <summary>OID of the TLS client authentication extended key usage.</summary>
    public const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";

    /// <summary>
    /// True when <paramref name="certificate"/> chains to <paramref name="authority"/>, is in its validity period
    /// and carries the extended key usage <paramref name="requiredUsageOid"/>.
    /// </summary>
    public static bool Validate(X509Certificate? certificate, X509Certificate2 authority, string requiredUsageOid, out string? error)
    {
        ArgumentNullException.ThrowIfNull(authority);
        if (certificate is null)
        {
            error = "no certificate presented";
            return false;
        }

        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid(requiredUsageOid));
        if (!chain.Build(leaf))
        {
            var statuses = string.Join(", ", chain.ChainStatus.Select(s => s.Status));
            error = $"certificate '{leaf.Subject}' is not valid for this authority: {statuses}";
            return false;
        }

        var root = chain.ChainElements[^1].Certificate;
        if (!root.RawDataMemory.Span.SequenceEqual(authority.RawDataMemory.Span))
        {
            error = "certificate chains to a different authority";
            return false;
        }

        error = null;
        return true;
    }

    /// <summary>The common name of a certificate's subject, or null.</summary>
    public static string? CommonName(X509Certificate certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        using var cert = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        var name = cert.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
        return string.IsNullOrEmpty(name) ? null : name;
    }
}
