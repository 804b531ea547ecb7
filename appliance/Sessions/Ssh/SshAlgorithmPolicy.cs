using Renci.SshNet;

namespace EdgeGateway.Appliance.Sessions.Ssh;

/// <summary>
/// Which SSH algorithms (RFC 4253 §7.1 names) are legacy, and the connection settings that follow from an
/// endpoint's policy: secure by default, legacy only where an administrator allowed it for that one endpoint.
/// </summary>
/// <remarks>
/// Legacy, following what OpenSSH 9 no longer offers by default plus SHA-1 MACs: SHA-1 key exchange (the
/// 1024-bit group 1 among them), CBC, 3DES, RC4, Blowfish and CAST ciphers, SHA-1 and MD5 MACs, and SHA-1
/// signatures (<c>ssh-rsa</c>, <c>ssh-dss</c>). RSA host keys still work with <c>rsa-sha2-256/512</c>.
/// </remarks>
internal static class SshAlgorithmPolicy
{
    /// <summary>True for a legacy key exchange algorithm.</summary>
    public static bool IsLegacyKeyExchange(string name) =>
        name.EndsWith("-sha1", StringComparison.Ordinal) || name.Contains("sha1@", StringComparison.Ordinal);

    /// <summary>True for a legacy cipher.</summary>
    public static bool IsLegacyCipher(string name) =>
        name.Contains("-cbc", StringComparison.Ordinal) || name.StartsWith("3des", StringComparison.Ordinal)
        || name.StartsWith("arcfour", StringComparison.Ordinal) || name.StartsWith("blowfish", StringComparison.Ordinal)
        || name.StartsWith("cast128", StringComparison.Ordinal) || name == "none";

    /// <summary>True for a legacy MAC.</summary>
    public static bool IsLegacyMac(string name) =>
        name.Contains("md5", StringComparison.Ordinal) || name.Contains("sha1", StringComparison.Ordinal)
        || name.Contains("ripemd", StringComparison.Ordinal) || name.Contains("-96", StringComparison.Ordinal) || name == "none";

    /// <summary>True for a legacy host key (signature) algorithm.</summary>
    public static bool IsLegacyHostKey(string name) =>
        name is "ssh-rsa" or "ssh-dss" || name.StartsWith("ssh-rsa-cert", StringComparison.Ordinal) || name.StartsWith("ssh-dss-cert", StringComparison.Ordinal);

    /// <summary>
    /// Sets what the appliance offers: without legacy, every legacy algorithm is removed from SSH.NET's tables;
    /// with it, DSA host keys (<c>ssh-dss</c>, which SSH.NET dropped) are added on top of SSH.NET's own list.
    /// </summary>
    public static void Apply(ConnectionInfo info, bool allowLegacy)
    {
        ArgumentNullException.ThrowIfNull(info);
        if (allowLegacy)
        {
            info.HostKeyAlgorithms[DsaHostKey.Name] = DsaHostKey.Create;
            return;
        }

        Remove(info.KeyExchangeAlgorithms, IsLegacyKeyExchange);
        Remove(info.Encryptions, IsLegacyCipher);
        Remove(info.HmacAlgorithms, IsLegacyMac);
        Remove(info.HostKeyAlgorithms, IsLegacyHostKey);
    }

    /// <summary>True when any algorithm the connection negotiated is legacy.</summary>
    public static bool UsesLegacy(ConnectionInfo info) =>
        IsLegacyKeyExchange(info.CurrentKeyExchangeAlgorithm ?? "") || IsLegacyHostKey(info.CurrentHostKeyAlgorithm ?? "")
        || IsLegacyCipher(info.CurrentServerEncryption ?? "") || IsLegacyCipher(info.CurrentClientEncryption ?? "")
        || IsLegacyMac(info.CurrentServerHmacAlgorithm ?? "") || IsLegacyMac(info.CurrentClientHmacAlgorithm ?? "");

    /// <summary>
    /// Explains a failed negotiation from what the device offered: for each kind of algorithm where nothing the
    /// appliance offers matches, the device's list. Null when the offer does not explain the failure.
    /// </summary>
    public static string? ExplainMismatch(KexInitOffer offer, ConnectionInfo info)
    {
        ArgumentNullException.ThrowIfNull(offer);
        ArgumentNullException.ThrowIfNull(info);
        var missing = new List<string>();
        Check("key exchange", offer.KeyExchange, info.KeyExchangeAlgorithms.Keys);
        Check("host key", offer.HostKey, info.HostKeyAlgorithms.Keys);
        Check("cipher", offer.Ciphers, info.Encryptions.Keys);
        if (!offer.Ciphers.Any(c => c.Contains("gcm", StringComparison.Ordinal) || c.Contains("poly1305", StringComparison.Ordinal)))
        {
            Check("MAC", offer.Macs, info.HmacAlgorithms.Keys);
        }

        return missing.Count == 0 ? null : string.Join("; ", missing);

        void Check(string kind, IReadOnlyList<string> offered, ICollection<string> ours)
        {
            // Extension markers in the kex list (RFC 8308 ext-info, OpenSSH's strict-kex) are not algorithms.
            var real = offered.Where(a => !a.StartsWith("ext-info-", StringComparison.Ordinal) && !a.StartsWith("kex-strict-", StringComparison.Ordinal)).ToList();
            if (!real.Any(ours.Contains))
            {
                missing.Add($"{kind}: {string.Join(", ", real.Take(8))}");
            }
        }
    }

    private static void Remove<T>(IDictionary<string, T> table, Func<string, bool> isLegacy)
    {
        foreach (var name in table.Keys.Where(isLegacy).ToList())
        {
            table.Remove(name);
        }
    }
}
