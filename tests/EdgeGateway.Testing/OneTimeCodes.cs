using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;

namespace EdgeGateway.Testing;

/// <summary>
/// A device that asks for a second factor after the password: sshd with PAM (<c>pam_unix</c>, then <c>pam_oath</c> from
/// Debian's <c>libpam-oath</c>) over keyboard-interactive, and the codes its user's token shows (TOTP, RFC 6238).
/// </summary>
public static class OneTimeCodes
{
    /// <summary>What <c>pam_oath</c> asks (the user's name follows in quotes).</summary>
    public const string PromptStart = "One-time password (OATH) for";

    private const string PamOath = "/lib/x86_64-linux-gnu/security/pam_oath.so";

    /// <summary>
    /// sshd options for a device whose PAM stack asks the password and then a 6-digit TOTP code (30 s steps) for
    /// <paramref name="secret"/>. Needs <c>libpam-oath</c> (scripts/setup.sh installs it).
    /// </summary>
    /// <exception cref="InvalidOperationException">libpam-oath is not installed.</exception>
    public static SshServerOptions DeviceOptions(byte[] secret)
    {
        if (!File.Exists(PamOath))
        {
            throw new InvalidOperationException($"{PamOath} is missing: run scripts/setup.sh (installs libpam-oath).");
        }

        return new SshServerOptions
        {
            ConfigLines = ["UsePAM yes", "PasswordAuthentication no", "KbdInteractiveAuthentication yes", "AuthenticationMethods keyboard-interactive"],
            PamAuth = ["auth required pam_unix.so", "auth required pam_oath.so usersfile={dir}/users.oath window=2 digits=6"],
            Files = new Dictionary<string, string> { ["users.oath"] = $"HOTP/T30/6 {{user}} - {Convert.ToHexStringLower(secret)}\n" },
        };
    }

    /// <summary>The 6-digit TOTP code (RFC 6238: HMAC-SHA-1, 30 s steps from the Unix epoch) for <paramref name="at"/>.</summary>
    public static string Code(byte[] secret, DateTimeOffset at)
    {
        Span<byte> counter = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(counter, at.ToUnixTimeSeconds() / 30);
        var hash = HMACSHA1.HashData(secret, counter);
        var offset = hash[^1] & 0x0F;
        var value = (BinaryPrimitives.ReadInt32BigEndian(hash.AsSpan(offset)) & 0x7FFFFFFF) % 1_000_000;
        return value.ToString("D6", CultureInfo.InvariantCulture);
    }

    /// <summary>A code that is not valid for <paramref name="secret"/> now, nor in the steps around now.</summary>
    public static string WrongCode(byte[] secret, DateTimeOffset at)
    {
        var valid = Enumerable.Range(-3, 7).Select(step => Code(secret, at.AddSeconds(30 * step))).ToHashSet(StringComparer.Ordinal);
        return Enumerable.Range(0, 10).Select(i => new string((char)('0' + i), 6)).First(code => !valid.Contains(code));
    }
}
