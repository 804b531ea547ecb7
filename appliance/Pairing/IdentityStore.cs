using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Serialization;
using EdgeGateway.Appliance.Interop;

namespace EdgeGateway.Appliance.Pairing;

/// <summary>
/// The appliance's identity once paired: its id, certificate chain (leaf first), private key, the cloud CA and where the
/// broker is. Kept as one file, so it is there whole or not at all.
/// </summary>
/// <param name="ApplianceId">The id the cloud assigned (the certificate's CN, the MQTT client id).</param>
/// <param name="CertificateChain">PEM: the appliance's certificate, then the CA.</param>
/// <param name="PrivateKey">PKCS#8 PEM of the certificate's key. Never leaves the appliance.</param>
/// <param name="Authority">PEM of the cloud CA: the only authority the appliance trusts for the cloud.</param>
/// <param name="MqttHost">The broker's host.</param>
/// <param name="MqttPort">The broker's port.</param>
public sealed record ApplianceIdentity(string ApplianceId, string CertificateChain, string PrivateKey, string Authority, string MqttHost, int MqttPort)
{
    /// <summary>Loads the leaf certificate with its private key.</summary>
    public X509Certificate2 LoadCertificate() => X509Certificate2.CreateFromPem(CertificateChain, PrivateKey);

    /// <summary>The leaf's validity (UTC) and serial.</summary>
    public (DateTimeOffset NotBefore, DateTimeOffset NotAfter, string Serial) Validity()
    {
        using var leaf = X509Certificate2.CreateFromPem(CertificateChain);
        return (new DateTimeOffset(leaf.NotBefore.ToUniversalTime()), new DateTimeOffset(leaf.NotAfter.ToUniversalTime()), leaf.SerialNumber);
    }

    /// <summary>When to renew: after two thirds of the certificate's lifetime (by the appliance's clock).</summary>
    public DateTimeOffset RenewAfter()
    {
        var (notBefore, notAfter, _) = Validity();
        return notAfter - (notAfter - notBefore) / 3;
    }

    /// <summary>Redacted: the key never reaches a log.</summary>
    public override string ToString() => $"ApplianceIdentity {{ ApplianceId = {ApplianceId}, PrivateKey = *** }}";
}

/// <summary>
/// A pairing in progress: the device code (a secret, like the key), the user code shown to the engineer and when it
/// expires. <see cref="Status"/> is what <c>pair --status</c> says (<c>waiting</c>, <c>denied</c>, <c>expired</c>).
/// </summary>
public sealed record PendingPairing(string DeviceCode, string UserCode, string VerificationUri, DateTimeOffset ExpiresAt, int Interval, string KeySha256, string Status = "waiting")
{
    public override string ToString() => $"PendingPairing {{ UserCode = {UserCode}, DeviceCode = *** }}";
}

/// <summary>
/// The appliance's state directory (0700). Three files, each written atomically — a temporary file in the same
/// directory, fsync, rename over the old name, fsync of the directory — so that a power loss or <c>kill -9</c> at any
/// point leaves each file as it was or as it became, never half:
/// <list type="bullet">
/// <item><c>pairing-key.pem</c> (0600): the key the pairing request carries, created before anything is sent.</item>
/// <item><c>pairing.json</c> (0600): the pending pairing (device code, user code, expiry); a restart resumes polling.</item>
/// <item><c>identity.json</c> (0600): the whole identity (<see cref="ApplianceIdentity"/>). Its presence is "paired".</item>
/// </list>
/// The identity is written before the pairing files are removed, so the appliance is unpaired (no identity) or fully
/// paired (a complete identity), never half; leftovers of a finished pairing are removed at the next load.
/// </summary>
public sealed class IdentityStore
{
    /// <summary>File name of the identity.</summary>
    public const string IdentityFile = "identity.json";

    /// <summary>File name of the pending pairing.</summary>
    public const string PendingFile = "pairing.json";

    /// <summary>File name of the pairing key.</summary>
    public const string KeyFile = "pairing-key.pem";

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public IdentityStore(string directory)
    {
        Directory = Path.GetFullPath(directory);
    }

    /// <summary>The state directory.</summary>
    public string Directory { get; }

    /// <summary>The identity, or null when unpaired. Removes what a finished pairing left behind.</summary>
    /// <exception cref="InvalidDataException">The identity file is there but unusable (not written by this store).</exception>
    public ApplianceIdentity? LoadIdentity()
    {
        if (System.IO.Directory.Exists(Directory))
        {
            foreach (var stale in System.IO.Directory.EnumerateFiles(Directory, ".*.tmp"))
            {
                // A write that a power loss or kill -9 interrupted before its rename; never one of a live process.
                var pid = Path.GetFileName(stale).Split('.')[^2];
                if (!int.TryParse(pid, System.Globalization.CultureInfo.InvariantCulture, out var id) || (id != Environment.ProcessId && !System.IO.Directory.Exists($"/proc/{id}")))
                {
                    File.Delete(stale);
                }
            }
        }

        var identity = Read<ApplianceIdentity>(IdentityFile);
        if (identity is null)
        {
            return null;
        }

        if (identity.ApplianceId is null || identity.CertificateChain is null || identity.PrivateKey is null || identity.Authority is null)
        {
            throw new InvalidDataException($"{Path.Combine(Directory, IdentityFile)} is incomplete.");
        }

        Delete(PendingFile);
        Delete(KeyFile);
        return identity;
    }

    /// <summary>The identity as stored, or null; changes nothing (for <c>pair --status</c> and observers).</summary>
    public ApplianceIdentity? ReadIdentity() => Read<ApplianceIdentity>(IdentityFile);

    /// <summary>Stores the identity (replacing any), then removes the pairing's files.</summary>
    public void SaveIdentity(ApplianceIdentity identity)
    {
        ArgumentNullException.ThrowIfNull(identity);
        WriteAtomic(IdentityFile, JsonSerializer.SerializeToUtf8Bytes(identity, Json));
        Delete(PendingFile);
        Delete(KeyFile);
    }

    /// <summary>
    /// Moves the identity aside (<c>identity.revoked-{time}.json</c>) after the cloud refused it: the appliance pairs
    /// again; the old file stays for the engineer to look at.
    /// </summary>
    public void RetireIdentity(DateTimeOffset now)
    {
        var path = Path.Combine(Directory, IdentityFile);
        if (File.Exists(path))
        {
            File.Move(path, Path.Combine(Directory, $"identity.revoked-{now:yyyyMMddTHHmmssZ}.json"), overwrite: true);
            LibC.FsyncDirectory(Directory);
        }
    }

    /// <summary>The pairing key, created (and stored) first if there is none.</summary>
    public ECDsa LoadOrCreateKey()
    {
        EnsureDirectory();
        var path = Path.Combine(Directory, KeyFile);
        var key = ECDsa.Create();
        if (File.Exists(path))
        {
            key.ImportFromPem(File.ReadAllText(path));
            return key;
        }

        key.GenerateKey(ECCurve.NamedCurves.nistP256);
        WriteAtomic(KeyFile, System.Text.Encoding.ASCII.GetBytes(key.ExportPkcs8PrivateKeyPem()));
        return key;
    }

    /// <summary>The pending pairing, or null.</summary>
    public PendingPairing? LoadPending() => Read<PendingPairing>(PendingFile);

    /// <summary>Stores the pending pairing (replacing any).</summary>
    public void SavePending(PendingPairing pending) => WriteAtomic(PendingFile, JsonSerializer.SerializeToUtf8Bytes(pending, Json));

    /// <summary>Forgets the pending pairing (its code expired or was denied; the key stays for the next request).</summary>
    public void DeletePending() => Delete(PendingFile);

    private T? Read<T>(string name)
        where T : class
    {
        var path = Path.Combine(Directory, name);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<T>(File.ReadAllBytes(path), Json);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path} cannot be read: {ex.Message}", ex);
        }
    }

    private void EnsureDirectory()
    {
        if (!System.IO.Directory.Exists(Directory))
        {
            if (OperatingSystem.IsWindows())
            {
                System.IO.Directory.CreateDirectory(Directory);
            }
            else
            {
                System.IO.Directory.CreateDirectory(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }
    }

    /// <summary>Temporary file (0600) → write → fsync → rename → fsync of the directory.</summary>
    private void WriteAtomic(string name, byte[] content)
    {
        EnsureDirectory();
        var temporary = Path.Combine(Directory, $".{name}.{Environment.ProcessId}.tmp");
        File.Delete(temporary); // the mode applies only to a file this call creates
        var mode = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            mode.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temporary, mode))
        {
            stream.Write(content);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, Path.Combine(Directory, name), overwrite: true);
        LibC.FsyncDirectory(Directory);
    }

    private void Delete(string name)
    {
        var path = Path.Combine(Directory, name);
        if (File.Exists(path))
        {
            File.Delete(path);
            LibC.FsyncDirectory(Directory);
        }
    }
}
