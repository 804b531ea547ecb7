using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using EdgeGateway.Appliance.Configuration;
using EdgeGateway.Appliance.Uplink;
using EdgeGateway.Protocol.Trust;
using Microsoft.Extensions.Options;

namespace EdgeGateway.Appliance.Pairing;

/// <summary>
/// Who this appliance is to the cloud. An enrolled appliance (<c>Appliance:Cloud:CertificatePath</c>) reads its three
/// PEM files. Any other pairs, as RFC 8628's device: the state machine in docs/ARCHITECTURE.md ("Pairing") —
/// unpaired → key (stored before anything is sent) → code shown, polling (<see cref="PendingPairing"/> stored) →
/// paired (<see cref="ApplianceIdentity"/> stored whole) — resumable after a power loss at any point through
/// <see cref="IdentityStore"/>. Renewal replaces the identity; a refusal by the broker retires it and pairing starts over.
/// </summary>
internal sealed partial class IdentityProvider(IOptions<ApplianceOptions> options, TimeProvider time, ILogger<IdentityProvider> logger)
{
    private readonly ApplianceOptions _options = options.Value;
    private readonly IdentityStore _store = new(options.Value.StateDirectory);
    private volatile ApplianceIdentity? _current;

    /// <summary>The identity in use, or null before it is loaded or paired.</summary>
    public ApplianceIdentity? Current => _current;

    /// <summary>The identity: loaded, or paired first (waits as long as that takes).</summary>
    public async Task<ApplianceIdentity> GetAsync(CancellationToken cancellationToken)
    {
        if (_current is { } current)
        {
            return current;
        }

        if (!_options.Pairs)
        {
            var cloud = _options.Cloud;
            return Use(new ApplianceIdentity(_options.Id, await File.ReadAllTextAsync(cloud.CertificatePath, cancellationToken), await File.ReadAllTextAsync(cloud.KeyPath, cancellationToken),
                await File.ReadAllTextAsync(cloud.AuthorityPath, cancellationToken), cloud.Host, cloud.MqttPort), log: false);
        }

        var backoff = new ReconnectBackoff(_options.Cloud.ReconnectMinDelay, _options.Cloud.ReconnectMaxDelay);
        while (true)
        {
            if (_store.LoadIdentity() is { } stored)
            {
                return Use(stored, log: true);
            }

            try
            {
                return Use(await PairAsync(cancellationToken), log: false);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException or System.Text.Json.JsonException or InvalidDataException or System.Security.Authentication.AuthenticationException or CryptographicException && !cancellationToken.IsCancellationRequested)
            {
                var delay = backoff.Next();
                Log.Failed(logger, new Uri(_options.Cloud.Address), ex.GetBaseException().Message, delay.TotalSeconds);
                await Task.Delay(delay, time, cancellationToken);
            }
        }
    }

    /// <summary>Stores a renewed certificate (with its new key) as the identity, atomically; the next connection uses it.</summary>
    public void Replace(string certificatePem, ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var current = _current ?? throw new InvalidOperationException("No identity to renew.");
        using var leaf = X509Certificate2.CreateFromPem(certificatePem);
        using var authority = X509Certificate2.CreateFromPem(current.Authority);
        Check(leaf, key, current.ApplianceId, authority);
        var renewed = current with { CertificateChain = leaf.ExportCertificatePem() + "\n" + current.Authority.Trim() + "\n", PrivateKey = key.ExportPkcs8PrivateKeyPem() };
        if (_options.Pairs)
        {
            _store.SaveIdentity(renewed);
        }

        _current = renewed;
        Log.Renewed(logger, leaf.SerialNumber, new DateTimeOffset(leaf.NotAfter.ToUniversalTime()));
    }

    /// <summary>
    /// The broker refused this identity (revoked, superseded): a paired appliance sets it aside and pairs again; an
    /// enrolled one keeps its files (an operator replaces them) and keeps trying.
    /// </summary>
    public void Retire(string reason)
    {
        if (!_options.Pairs)
        {
            return;
        }

        Log.Retired(logger, reason);
        _store.RetireIdentity(time.GetUtcNow());
        _current = null;
    }

    private ApplianceIdentity Use(ApplianceIdentity identity, bool log)
    {
        // The session factories read the id from the options when a session starts, which is always after this.
        _options.Id = identity.ApplianceId;
        _current = identity;
        if (log)
        {
            var (_, notAfter, serial) = identity.Validity();
            Log.Loaded(logger, identity.ApplianceId, serial, notAfter);
        }

        return identity;
    }

    private async Task<ApplianceIdentity> PairAsync(CancellationToken cancellationToken)
    {
        var cloud = _options.Cloud;
        var address = new Uri(cloud.Address);
        using var key = _store.LoadOrCreateKey(); // stored before anything leaves the appliance
        var keySha256 = Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()));
        var authorityPem = string.IsNullOrWhiteSpace(cloud.AuthorityPath) ? null : await File.ReadAllTextAsync(cloud.AuthorityPath, cancellationToken);
        using var client = await PairingClient.ConnectAsync(address, authorityPem, cloud.AuthoritySha256, cancellationToken);
        while (true)
        {
            var pending = _store.LoadPending();
            if (pending is null || pending.Status != "waiting" || pending.ExpiresAt <= time.GetUtcNow())
            {
                var csr = new CertificateRequest("CN=edgegateway-appliance", key, HashAlgorithmName.SHA256).CreateSigningRequestPem();
                var answer = await client.StartAsync(csr, Hardware(), ThisAssembly.Version, cancellationToken);
                pending = new PendingPairing(answer.DeviceCode, answer.UserCode, answer.VerificationUri, time.GetUtcNow().AddSeconds(answer.ExpiresIn), Math.Max(1, answer.Interval), keySha256);
                _store.SavePending(pending);
            }

            Log.Code(logger, pending.UserCode, pending.VerificationUri, pending.ExpiresAt, keySha256);
            var interval = pending.Interval;
            while (true)
            {
                await Task.Delay(TimeSpan.FromSeconds(interval), time, cancellationToken);
                var token = await client.PollAsync(pending.DeviceCode, cancellationToken);
                if (token.Error is null)
                {
                    return Complete(token, key, client.Authority);
                }

                if (token.Error == "authorization_pending")
                {
                    continue;
                }

                if (token.Error == "slow_down")
                {
                    interval = token.Interval ?? interval + 5;
                    continue;
                }

                // expired_token, access_denied, invalid_grant: this code is over; the next round asks for a new one.
                Log.State(logger, $"{token.Error}: {token.Description}");
                _store.SavePending(pending with { Status = token.Error == "access_denied" ? "denied" : "expired" });
                break;
            }
        }
    }

    /// <summary>Checks what the cloud issued against the key and the CA, then stores the identity whole.</summary>
    private ApplianceIdentity Complete(TokenAnswer token, ECDsa key, X509Certificate2 authority)
    {
        if (token.ApplianceId is null || token.CertificateChain is null || token.MqttHost is null || token.MqttPort is < 1 or > 65535)
        {
            throw new HttpRequestException("The cloud's pairing answer is incomplete.");
        }

        using var leaf = X509Certificate2.CreateFromPem(token.CertificateChain);
        Check(leaf, key, token.ApplianceId, authority);
        var identity = new ApplianceIdentity(token.ApplianceId, token.CertificateChain, key.ExportPkcs8PrivateKeyPem(), authority.ExportCertificatePem(), token.MqttHost, token.MqttPort);
        _store.SaveIdentity(identity);
        Log.Paired(logger, identity.ApplianceId, leaf.SerialNumber, new DateTimeOffset(leaf.NotAfter.ToUniversalTime()), identity.MqttHost, identity.MqttPort);
        return identity;
    }

    /// <summary>The certificate is for this key, this id, client authentication, from the pinned CA.</summary>
    private static void Check(X509Certificate2 leaf, ECDsa key, string applianceId, X509Certificate2 authority)
    {
        using var certified = leaf.GetECDsaPublicKey();
        if (certified is null || !certified.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo())
            || PinnedCertificateAuthority.CommonName(leaf) != applianceId
            || !Protocol.Topics.TopicMap.IsValidApplianceId(applianceId)
            || !PinnedCertificateAuthority.Validate(leaf, authority, PinnedCertificateAuthority.ClientAuthOid, out _))
        {
            throw new CryptographicException("The certificate the cloud sent is not for this appliance's key, or not from the pinned CA.");
        }
    }

    /// <summary>What to report as hardware: the setting, else the device-tree model (Raspberry Pi) or DMI product, and the architecture.</summary>
    private string Hardware()
    {
        if (!string.IsNullOrWhiteSpace(_options.Hardware))
        {
            return _options.Hardware;
        }

        foreach (var path in new[] { "/proc/device-tree/model", "/sys/class/dmi/id/product_name" })
        {
            try
            {
                var model = File.ReadAllText(path).Trim('\0', ' ', '\n');
                if (model.Length > 0)
                {
                    return $"{model} ({RuntimeInformation.OSArchitecture})";
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // not this kind of machine
            }
        }

        return $"{Environment.MachineName} ({RuntimeInformation.OSArchitecture})";
    }
}
