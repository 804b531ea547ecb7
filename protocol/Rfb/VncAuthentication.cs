using System.Security.Cryptography;

namespace EdgeGateway.Protocol.Rfb;

/// <summary>
/// VNC authentication (RFC 6143 §7.2.2): the response to the server's 16-byte challenge is the challenge encrypted
/// with DES in ECB mode, keyed by the password. The key is the password's first 8 bytes (Latin-1; shorter passwords
/// padded with zeros) with the bits of each byte reversed — the original VNC's DES code took bit 0 as the most
/// significant, and every server since keeps it.
/// </summary>
/// <remarks>
/// .NET's <see cref="DES"/> refuses the 4 weak and 12 semi-weak keys, and an empty password gives one (all zeros).
/// Those keys are used through <see cref="TripleDES"/> instead: EDE with keys (K, A, B) gives
/// <c>E_B(D_A(E_K(x)))</c>; undoing the last two steps with ordinary DES under the fixed, strong keys A and B leaves
/// <c>E_K(x)</c>. TripleDES checks only that its three keys differ, not whether the first one is weak for DES.
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5351:Do Not Use Broken Cryptographic Algorithms", Justification = "RFC 6143 §7.2.2 defines VNC authentication with DES; the device decides, the appliance prefers VeNCrypt X.509.")]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5350:Do Not Use Weak Cryptographic Algorithms", Justification = "TripleDES only computes single DES under a weak key (see remarks).")]
public static class VncAuthentication
{
    // Two fixed, strong, distinct DES keys for the weak-key path.
    private static readonly byte[] StepA = [0x13, 0x34, 0x57, 0x79, 0x9B, 0xBC, 0xDF, 0xF1];
    private static readonly byte[] StepB = [0x0E, 0x32, 0x92, 0x32, 0xEA, 0x6D, 0x0D, 0x73];

    /// <summary>The DES key derived from a password (8 bytes). Characters above U+00FF count as '?', as Latin-1 encoding does.</summary>
    public static byte[] DeriveKey(ReadOnlySpan<char> password)
    {
        var key = new byte[8];
        for (var i = 0; i < Math.Min(8, password.Length); i++)
        {
            var c = password[i];
            key[i] = ReverseBits(c <= 0xFF ? (byte)c : (byte)'?');
        }

        return key;
    }

    /// <summary>The 16-byte response to a 16-byte challenge.</summary>
    /// <exception cref="ArgumentException">The challenge is not 16 bytes.</exception>
    public static byte[] Respond(ReadOnlySpan<byte> challenge, ReadOnlySpan<char> password)
    {
        if (challenge.Length != RfbHandshake.ChallengeLength)
        {
            throw new ArgumentException("A VNC challenge is 16 bytes.", nameof(challenge));
        }

        var key = DeriveKey(password);
        try
        {
            return EncryptEcb(key, challenge);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>DES-ECB encryption of whole 8-byte blocks under any 8-byte key, weak ones included.</summary>
    public static byte[] EncryptEcb(byte[] key, ReadOnlySpan<byte> plaintext)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (!DES.IsWeakKey(key) && !DES.IsSemiWeakKey(key))
        {
            using var des = DES.Create();
            des.Key = key;
            return des.EncryptEcb(plaintext, PaddingMode.None);
        }

        return EncryptEcbWithoutKeyCheck(key, plaintext);
    }

    /// <summary>The weak-key path; internal so a test can compare it with ordinary DES under strong keys.</summary>
    internal static byte[] EncryptEcbWithoutKeyCheck(byte[] key, ReadOnlySpan<byte> plaintext)
    {
        var triple = new byte[24];
        key.CopyTo(triple, 0);
        StepA.CopyTo(triple, 8);
        StepB.CopyTo(triple, 16);
        try
        {
            using var tdes = TripleDES.Create();
            tdes.Key = triple;
            var step = tdes.EncryptEcb(plaintext, PaddingMode.None); // E_B(D_A(E_K(x)))
            using var b = DES.Create();
            b.Key = StepB;
            step = b.DecryptEcb(step, PaddingMode.None); // D_A(E_K(x))
            using var a = DES.Create();
            a.Key = StepA;
            return a.EncryptEcb(step, PaddingMode.None); // E_K(x)
        }
        finally
        {
            CryptographicOperations.ZeroMemory(triple);
        }
    }

    private static byte ReverseBits(byte b)
    {
        var r = 0;
        for (var i = 0; i < 8; i++)
        {
            r = (r << 1) | ((b >> i) & 1);
        }

        return (byte)r;
    }
}
