using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using EdgeGateway.Cloud.Pairing;
using EdgeGateway.Protocol.Trust;

namespace EdgeGateway.Cloud.Tests.Pairing;

[Trait("Area", "Ssh")]
public sealed class CertificateAuthorityTests : IDisposable
{
    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly TempDirectory _temp = new();
    private readonly CertificateAuthority _authority;

    public CertificateAuthorityTests()
    {
        _authority = CertificateAuthority.LoadOrCreate(_temp.Combine("pki"));
    }

    public void Dispose()
    {
        _authority.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public void LoadOrCreate_creates_a_P256_CA_and_loads_the_same_one_again()
    {
        Assert.True(File.Exists(_temp.Combine("pki", "ca.pem")));
        Assert.True(File.Exists(_temp.Combine("pki", "ca.key")));
        Assert.Equal(_temp.Combine("pki", "ca.pem"), _authority.CertificatePath);
        var ca = _authority.Certificate;
        Assert.True(ca.HasPrivateKey);
        Assert.Equal("CN=EdgeGateway CA", ca.Subject);
        Assert.Equal(ca.Subject, ca.Issuer);
        using (var key = ca.GetECDsaPublicKey())
        {
            Assert.NotNull(key);
            Assert.Equal(256, key.KeySize);
        }

        var constraints = ca.Extensions.OfType<X509BasicConstraintsExtension>().Single();
        Assert.True(constraints.CertificateAuthority);
        var usage = ca.Extensions.OfType<X509KeyUsageExtension>().Single();
        Assert.Equal(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, usage.KeyUsages);

        using var again = CertificateAuthority.LoadOrCreate(_temp.Combine("pki"));
        Assert.Equal(ca.Thumbprint, again.Certificate.Thumbprint);
        Assert.True(again.Certificate.HasPrivateKey);

        // The reloaded CA signs what the first one trusts, and the other way round.
        var (pem, _) = again.IssueAppliance("plant-7", TimeSpan.FromDays(1));
        using var issued = X509Certificate2.CreateFromPem(pem);
        Assert.True(PinnedCertificateAuthority.Validate(issued, ca, PinnedCertificateAuthority.ClientAuthOid, out var error), error);
    }

    [Fact]
    public void IssueAppliance_gives_CN_id_and_client_auth_only_trusted_by_this_CA_alone()
    {
        var (certificatePem, keyPem) = _authority.IssueAppliance("plant-7", TimeSpan.FromDays(397));
        using var certificate = X509Certificate2.CreateFromPem(certificatePem, keyPem);

        Assert.Equal("CN=plant-7", certificate.Subject);
        Assert.Equal("plant-7", PinnedCertificateAuthority.CommonName(certificate));
        Assert.Equal(_authority.Certificate.Subject, certificate.Issuer);
        Assert.True(certificate.HasPrivateKey);
        Assert.False(certificate.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
        var usages = certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages;
        Assert.Equal([PinnedCertificateAuthority.ClientAuthOid], usages.Cast<Oid>().Select(o => o.Value));
        Assert.Empty(certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>());

        Assert.True(PinnedCertificateAuthority.Validate(certificate, _authority.Certificate, PinnedCertificateAuthority.ClientAuthOid, out var error), error);
        Assert.False(PinnedCertificateAuthority.Validate(certificate, _authority.Certificate, PinnedCertificateAuthority.ServerAuthOid, out error));
        Assert.NotNull(error);

        using var other = CertificateAuthority.LoadOrCreate(_temp.Combine("other-pki"));
        Assert.NotEqual(_authority.Certificate.Thumbprint, other.Certificate.Thumbprint);
        Assert.False(PinnedCertificateAuthority.Validate(certificate, other.Certificate, PinnedCertificateAuthority.ClientAuthOid, out error));
        Assert.NotNull(error);
    }

    [Fact]
    public void IssueAppliance_serial_numbers_are_random_and_positive()
    {
        var serials = Enumerable.Range(0, 5).Select(_ =>
        {
            using var certificate = X509Certificate2.CreateFromPem(_authority.IssueAppliance("plant-7", TimeSpan.FromDays(1)).CertificatePem);
            return certificate.SerialNumberBytes.ToArray();
        }).ToList();

        Assert.Equal(5, serials.Select(Convert.ToHexString).Distinct().Count());
        Assert.All(serials, serial => Assert.Equal(0, serial[0] & 0x80)); // big-endian: top bit clear
    }

    [Fact]
    public void IssueAppliance_never_outlives_the_CA()
    {
        using var certificate = X509Certificate2.CreateFromPem(_authority.IssueAppliance("plant-7", TimeSpan.FromDays(365 * 100)).CertificatePem);

        Assert.True(certificate.NotAfter <= _authority.Certificate.NotAfter);
        Assert.True(certificate.NotBefore <= DateTime.Now);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Plant-7")]
    [InlineData("plant_7")]
    [InlineData("plant 7")]
    [InlineData("-plant")]
    [InlineData("plant/7")]
    [InlineData("plant-7,O=Evil")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")] // 65 characters
    public void IssueAppliance_with_an_invalid_id_throws(string id)
    {
        Assert.Throws<ArgumentException>(() => _authority.IssueAppliance(id, TimeSpan.FromDays(1)));
    }

    [Fact]
    public void IssueServer_carries_DNS_and_IP_names_for_server_auth_only()
    {
        var (certificatePem, keyPem) = _authority.IssueServer(["cloud.example.com", "localhost", "127.0.0.1", "::1", "10.1.2.3"], TimeSpan.FromDays(397));
        using var certificate = X509Certificate2.CreateFromPem(certificatePem, keyPem);

        Assert.Equal("CN=cloud.example.com", certificate.Subject);
        var san = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Equal(["cloud.example.com", "localhost"], san.EnumerateDnsNames());
        Assert.Equal([IPAddress.Loopback, IPAddress.IPv6Loopback, IPAddress.Parse("10.1.2.3")], san.EnumerateIPAddresses());
        Assert.True(certificate.MatchesHostname("cloud.example.com"));
        Assert.True(certificate.MatchesHostname("127.0.0.1"));
        Assert.False(certificate.MatchesHostname("evil.example.com"));

        var usages = certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages;
        Assert.Equal([PinnedCertificateAuthority.ServerAuthOid], usages.Cast<Oid>().Select(o => o.Value));
        Assert.True(PinnedCertificateAuthority.Validate(certificate, _authority.Certificate, PinnedCertificateAuthority.ServerAuthOid, out var error), error);
        Assert.False(PinnedCertificateAuthority.Validate(certificate, _authority.Certificate, PinnedCertificateAuthority.ClientAuthOid, out _));
    }

    [Fact]
    public void LoadOrIssueServer_issues_once_then_reuses_the_certificate()
    {
        using var first = _authority.LoadOrIssueServer(["localhost", "127.0.0.1"]);
        using var second = _authority.LoadOrIssueServer(["localhost", "127.0.0.1"]);

        Assert.True(first.HasPrivateKey);
        Assert.Equal(first.Thumbprint, second.Thumbprint);
        Assert.True(first.NotAfter > DateTime.UtcNow.AddDays(390));
        Assert.True(PinnedCertificateAuthority.Validate(first, _authority.Certificate, PinnedCertificateAuthority.ServerAuthOid, out var error), error);
    }

    [Fact]
    public void Private_keys_are_readable_by_the_owner_only()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // Unix file modes
        }

        using var server = _authority.LoadOrIssueServer(["localhost"]);

        Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(_temp.Combine("pki", "ca.key")));
        Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(_temp.Combine("pki", "server.key")));
    }

    [Fact]
    public void WritePrivate_replaces_a_world_readable_file_with_an_owner_only_one()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // Unix file modes
        }

        var path = _temp.File("appliance.key", "old");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        CertificateAuthority.WritePrivate(path, "new");

        Assert.Equal("new", File.ReadAllText(path));
        Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(path));
    }
}
