using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using EdgeGateway.Cloud.Configuration;
using EdgeGateway.Cloud.Pairing;
using EdgeGateway.Cloud.Policy;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGateway.Cloud.Tests.Pairing;

/// <summary>
/// The pairing service on its own database and a fake clock: RFC 8628's answers in order, the certificate profile the CA
/// signs whatever the request asked, the broker's standing of each certificate, and who may pair, re-pair and revoke.
/// </summary>
[Trait("Area", "Pairing")]
public sealed class PairingServiceTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-11-30T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly CertificateAuthority _authority;
    private readonly PairingService _pairing;
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public PairingServiceTests()
    {
        var options = Options.Create(new CloudOptions { DataDirectory = _temp.Combine("data") });
        _authority = CertificateAuthority.LoadOrCreate(_temp.Combine("data", "pki"));
        _pairing = new PairingService(new CloudDatabase(options), _authority, options, _time);
    }

    public void Dispose()
    {
        _key.Dispose();
        _authority.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _temp.Dispose();
    }

    [Fact]
    public void The_device_flow_answers_pending_slow_down_then_the_certificate_once_and_invalid_grant_after_first_use()
    {
        var started = _pairing.Start(Csr(), "Raspberry Pi 5", "1.2.3", "10.0.0.9");
        Assert.Matches("^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$", started.UserCode);
        Assert.Equal(TimeSpan.FromSeconds(2), started.Interval);

        Assert.Equal("authorization_pending", _pairing.Poll(started.DeviceCode).Error);
        _time.Advance(TimeSpan.FromSeconds(1));
        var slow = _pairing.Poll(started.DeviceCode);
        Assert.Equal("slow_down", slow.Error);
        Assert.Equal(7, slow.Interval);
        _time.Advance(TimeSpan.FromSeconds(7));
        Assert.Equal("authorization_pending", _pairing.Poll(started.DeviceCode).Error);

        var details = _pairing.Find(started.UserCode.ToLowerInvariant())!;
        Assert.Equal("Raspberry Pi 5", details.Hardware);
        Assert.Equal(CertificateAuthority.KeySha256(new PublicKey(_key)), details.KeySha256);
        var (id, issued) = _pairing.Approve(started.UserCode.Replace("-", " ", StringComparison.Ordinal), "default", "Hall B", "Line 3: gateway!", null, "engineer")!.Value;
        Assert.Equal("line-3-gateway", id);
        Assert.Null(_pairing.Find(started.UserCode));

        _time.Advance(TimeSpan.FromSeconds(7));
        var token = _pairing.Poll(started.DeviceCode);
        Assert.Null(token.Error);
        Assert.Equal(id, token.ApplianceId);
        _time.Advance(TimeSpan.FromSeconds(7));
        Assert.Equal(token.CertificatePem, _pairing.Poll(started.DeviceCode).CertificatePem); // fetched again after a power loss

        Assert.Equal(CertificateStanding.Good, _pairing.Standing(id, issued.Serial));
        _pairing.Connected(id, issued.Serial);
        _time.Advance(TimeSpan.FromSeconds(7));
        Assert.Equal("invalid_grant", _pairing.Poll(started.DeviceCode).Error);
        Assert.Equal("invalid_grant", _pairing.Poll("not-a-device-code").Error);
    }

    [Fact]
    public void Codes_expire_by_the_clouds_clock_and_a_denied_code_says_so()
    {
        var expiring = _pairing.Start(Csr(), "x", "1", "::1");
        var denied = _pairing.Start(Csr(), "x", "1", "::1");
        Assert.True(_pairing.Deny(denied.UserCode, "engineer"));
        Assert.False(_pairing.Deny(denied.UserCode, "engineer"));
        Assert.Equal("access_denied", _pairing.Poll(denied.DeviceCode).Error);

        _time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal("expired_token", _pairing.Poll(expiring.DeviceCode).Error);
        Assert.Null(_pairing.Find(expiring.UserCode));
        Assert.Null(_pairing.Approve(expiring.UserCode, "default", string.Empty, "late", null, "engineer"));
    }

    [Fact]
    public void The_CA_signs_its_own_profile_for_the_key_in_the_request_whatever_else_the_request_asks_for()
    {
        var greedy = new CertificateRequest("CN=edgegateway-cloud, O=Evil", _key, HashAlgorithmName.SHA256);
        greedy.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        greedy.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("cloud.example");
        greedy.CertificateExtensions.Add(san.Build());
        var now = DateTimeOffset.UtcNow; // the chain check below uses the real clock

        var issued = _authority.SignAppliance(greedy.CreateSigningRequestPem(), "plant-7", now.AddMinutes(-5), now.AddDays(90));

        using var certificate = X509Certificate2.CreateFromPem(issued.CertificatePem);
        Assert.Equal("CN=plant-7", certificate.Subject);
        Assert.Equal(_authority.Certificate.Subject, certificate.Issuer);
        Assert.Equal(_key.ExportSubjectPublicKeyInfo(), certificate.PublicKey.ExportSubjectPublicKeyInfo());
        Assert.False(certificate.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
        Assert.Equal(["1.3.6.1.5.5.7.3.2"], certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value));
        Assert.Equal(X509KeyUsageFlags.DigitalSignature, certificate.Extensions.OfType<X509KeyUsageExtension>().Single().KeyUsages);
        var names = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Empty(names.EnumerateDnsNames());
        Assert.Contains("urn:edgegateway:appliance:plant-7", names.Format(false), StringComparison.Ordinal);
        Assert.Equal(90, (certificate.NotAfter - certificate.NotBefore).TotalDays, 0.01);
        Assert.True(Protocol.Trust.PinnedCertificateAuthority.Validate(certificate, _authority.Certificate, Protocol.Trust.PinnedCertificateAuthority.ClientAuthOid, out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData("-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----")]
    public void A_request_that_is_not_a_signed_PKCS10_is_refused_with_a_sentence(string csr)
    {
        var error = Assert.Throws<CertificateRequestException>(() => _pairing.Start(csr, "x", "1", "::1"));
        Assert.EndsWith(".", error.Message.Split(':')[0].TrimEnd() + ".", StringComparison.Ordinal);
    }

    [Fact]
    public void A_request_whose_signature_does_not_match_its_key_or_whose_key_is_not_EC_is_refused()
    {
        // Sign with one key, claim another: the request's self-signature proves possession, so this must fail.
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var forged = new CertificateRequest(new X500DistinguishedName("CN=x"), new PublicKey(other), HashAlgorithmName.SHA256)
            .CreateSigningRequestPem(X509SignatureGenerator.CreateForECDsa(_key));
        Assert.Throws<CertificateRequestException>(() => _pairing.Start(forged, "x", "1", "::1"));

        using var rsa = RSA.Create(3072);
        var rsaRequest = new CertificateRequest("CN=x", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).CreateSigningRequestPem();
        Assert.Contains("ECDSA on P-256 or P-384", Assert.Throws<CertificateRequestException>(() => _pairing.Start(rsaRequest, "x", "1", "::1")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Renewal_supersedes_the_old_certificate_once_the_new_one_connects_and_revocation_refuses_both()
    {
        var (id, first) = Pair("Gateway");
        _pairing.Connected(id, first.Serial);
        _time.Advance(TimeSpan.FromDays(60));
        using var next = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var renewed = _pairing.Renew(id, first.Serial, new CertificateRequest("CN=x", next, HashAlgorithmName.SHA256).CreateSigningRequestPem());

        Assert.Equal(CertificateStanding.Good, _pairing.Standing(id, first.Serial)); // until the new one is used
        _pairing.Connected(id, renewed.Serial);
        Assert.Equal(CertificateStanding.Superseded, _pairing.Standing(id, first.Serial));
        Assert.Equal(CertificateStanding.Good, _pairing.Standing(id, renewed.Serial));
        Assert.Equal(CertificateStanding.Unknown, _pairing.Standing(id, "0123456789ABCDEF"));
        Assert.Throws<CertificateRequestException>(() => _pairing.Renew(id, first.Serial, Csr()));

        Assert.True(_pairing.Revoke(id, "admin"));
        Assert.Equal(CertificateStanding.Revoked, _pairing.Standing(id, renewed.Serial));
        Assert.Contains((id, (string?)renewed.Serial), _pairing.RevokedSince(_time.GetUtcNow().AddSeconds(-1)));

        // Re-pair under the same id: good again with the new certificate only.
        var again = _pairing.Start(Csr(), "x", "1", "::1");
        var (sameId, third) = _pairing.Approve(again.UserCode, "default", string.Empty, "Gateway", id, "admin")!.Value;
        Assert.Equal(id, sameId);
        Assert.Equal(CertificateStanding.Good, _pairing.Standing(id, third.Serial));
        Assert.Equal(CertificateStanding.Revoked, _pairing.Standing(id, renewed.Serial));
    }

    [Fact]
    public void Names_become_unique_ids()
    {
        Assert.Equal("gateway", Pair("Gateway").Id);
        Assert.Equal("gateway-2", Pair("GATEWAY").Id);
        Assert.Equal("appliance", Pair("???").Id);
    }

    [Theory]
    [InlineData(Roles.FieldEngineer, "default", null, true)]
    [InlineData(Roles.FieldEngineer, "plant-b", null, false)]
    [InlineData(Roles.FieldEngineer, "default", "gw-1", false)]
    [InlineData(Roles.DomainAdmin, "default", "gw-1", true)]
    [InlineData(Roles.DomainAdmin, "plant-b", null, false)]
    [InlineData(Roles.Technician, "default", null, false)]
    [InlineData(Roles.Operator, "default", null, false)]
    [InlineData(Roles.Guest, "default", null, false)]
    public void Who_pairs_and_re_pairs(string role, string domain, string? replace, bool allowed)
    {
        var actor = new Actor("u1", "someone", role, "default", "10.0.0.1");
        Assert.Equal(allowed, Authorizer.Decide(actor, Act.PairAppliance, new Target(domain, replace)).Allowed);
    }

    [Theory]
    [InlineData(Roles.DomainAdmin, "default", true)]
    [InlineData(Roles.DomainAdmin, "plant-b", false)]
    [InlineData(Roles.FieldEngineer, "default", false)]
    [InlineData(Roles.Technician, "default", false)]
    public void Who_revokes(string role, string domain, bool allowed)
    {
        var actor = new Actor("u1", "someone", role, "default", "10.0.0.1");
        var decision = Authorizer.Decide(actor, Act.RevokeAppliance, new Target(domain, "gw-1"));
        Assert.Equal(allowed, decision.Allowed);
        Assert.True(allowed || decision.Status == 403);
    }

    [Theory]
    [InlineData("BCDF-GHJK", "BCDFGHJK")]
    [InlineData("bcdf ghjk", "BCDFGHJK")]
    [InlineData("BCDFGHJ", null)]
    [InlineData("BCDF-GHJKL", null)]
    [InlineData("ABCD-EFGH", null)] // vowels are never in a code
    [InlineData("BCD0-GHJK", null)]
    [InlineData(null, null)]
    public void Codes_are_read_in_any_case_with_or_without_the_dash(string? typed, string? canonical) =>
        Assert.Equal(canonical, PairingService.Normalize(typed));

    private (string Id, IssuedCertificate Certificate) Pair(string name)
    {
        var started = _pairing.Start(Csr(), "x", "1", "::1");
        return _pairing.Approve(started.UserCode, "default", string.Empty, name, null, "engineer")!.Value;
    }

    private string Csr() => new CertificateRequest("CN=edgegateway-appliance", _key, HashAlgorithmName.SHA256).CreateSigningRequestPem();
}
