using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using EdgeGateway.Appliance.Pairing;

namespace EdgeGateway.Appliance.Tests.Pairing;

/// <summary>
/// The appliance's state directory: owner-only files, whole or absent, the identity's presence meaning "paired", and
/// what an interrupted write or a finished pairing leaves cleaned up. (kill -9 of the real process at random points:
/// PairingLifecycleTests.)
/// </summary>
[Trait("Area", "Pairing")]
public sealed class IdentityStoreTests : IDisposable
{
    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "eg-identity-" + Guid.NewGuid().ToString("N"), "state");

    public void Dispose()
    {
        if (Directory.Exists(Path.GetDirectoryName(_directory)))
        {
            Directory.Delete(Path.GetDirectoryName(_directory)!, recursive: true);
        }
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void The_key_is_created_once_owner_only_in_an_owner_only_directory_and_loaded_again()
    {
        var store = new IdentityStore(_directory);
        using var first = store.LoadOrCreateKey();
        using var again = store.LoadOrCreateKey();

        Assert.Equal(first.ExportSubjectPublicKeyInfo(), again.ExportSubjectPublicKeyInfo());
        Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(Path.Combine(_directory, IdentityStore.KeyFile)));
        Assert.Equal(OwnerReadWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_directory));
        Assert.Null(store.LoadIdentity());
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Saving_the_identity_makes_the_appliance_paired_and_removes_the_pairing_files()
    {
        var store = new IdentityStore(_directory);
        using var key = store.LoadOrCreateKey();
        store.SavePending(new PendingPairing("device-code", "BCDF-GHJK", "https://cloud/#/appliances/add", DateTimeOffset.UtcNow.AddMinutes(10), 2, "ab"));
        Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(Path.Combine(_directory, IdentityStore.PendingFile)));
        Assert.Equal("BCDF-GHJK", store.LoadPending()!.UserCode);

        var identity = Identity(key);
        store.SaveIdentity(identity);

        Assert.Equal(identity, store.LoadIdentity());
        Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(Path.Combine(_directory, IdentityStore.IdentityFile)));
        Assert.False(File.Exists(Path.Combine(_directory, IdentityStore.PendingFile)));
        Assert.False(File.Exists(Path.Combine(_directory, IdentityStore.KeyFile)));
        Assert.DoesNotContain(identity.PrivateKey, identity.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("device-code", new PendingPairing("device-code", "B", "u", DateTimeOffset.UtcNow, 2, "k").ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Leftovers_of_a_power_loss_are_cleaned_and_a_finished_pairings_files_removed_at_the_next_load()
    {
        var store = new IdentityStore(_directory);
        using var key = store.LoadOrCreateKey();
        store.SaveIdentity(Identity(key));
        // As if power went between writing the identity and removing the pairing files, and during another write.
        File.WriteAllText(Path.Combine(_directory, IdentityStore.PendingFile), "{}");
        File.WriteAllText(Path.Combine(_directory, ".identity.json.999999999.tmp"), "{\"applianceId\":"); // a process long gone

        Assert.NotNull(store.LoadIdentity());
        Assert.Equal([IdentityStore.IdentityFile], Directory.GetFiles(_directory).Select(Path.GetFileName));
    }

    [Fact]
    public void A_retired_identity_is_set_aside_and_the_appliance_is_unpaired()
    {
        var store = new IdentityStore(_directory);
        using var key = store.LoadOrCreateKey();
        store.SaveIdentity(Identity(key));

        store.RetireIdentity(DateTimeOffset.Parse("2026-11-30T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

        Assert.Null(store.LoadIdentity());
        Assert.True(File.Exists(Path.Combine(_directory, "identity.revoked-20261130T100000Z.json")));
    }

    [Fact]
    public void The_renewal_point_is_two_thirds_into_the_certificates_lifetime()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var identity = Identity(key, TimeSpan.FromDays(90));
        var (notBefore, notAfter, _) = identity.Validity();

        Assert.Equal(notBefore + TimeSpan.FromDays(60), identity.RenewAfter());
        Assert.Equal(notAfter - TimeSpan.FromDays(30), identity.RenewAfter());
    }

    [Theory]
    [InlineData("6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b", true)]
    [InlineData("6B:86:B2:73:FF:34:FC:E1:9D:6B:80:4E:FF:5A:3F:57:47:AD:A4:EA:A2:2F:1D:49:C0:1E:52:DD:B7:87:5B:4B", true)]
    [InlineData("6b86b273", false)]
    [InlineData("zz86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void A_CA_fingerprint_is_64_hex_digits_with_or_without_colons(string? text, bool valid) =>
        Assert.Equal(valid, PairingClient.ParseFingerprint(text) is { Length: 32 });

    private static ApplianceIdentity Identity(ECDsa key, TimeSpan? lifetime = null)
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        var now = DateTimeOffset.UtcNow;
        using var ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddYears(1));
        using var leaf = new CertificateRequest("CN=gw-1", key, HashAlgorithmName.SHA256).Create(ca, now, now + (lifetime ?? TimeSpan.FromDays(90)), [1, 2, 3]);
        return new ApplianceIdentity("gw-1", leaf.ExportCertificatePem() + "\n" + ca.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem(), ca.ExportCertificatePem(), "127.0.0.1", 8883);
    }
}
