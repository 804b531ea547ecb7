using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using EdgeGateway.Appliance.Sessions.Ssh;
using Renci.SshNet;

namespace EdgeGateway.Appliance.Tests.Sessions.Ssh;

/// <summary>The pieces of the SSH session that need no device: algorithm policy, KEXINIT, DSA keys, the no-PTY line discipline, banners.</summary>
[Trait("Area", "SshField")]
public sealed class SshDeviceSupportTests
{
    [Theory]
    [InlineData("diffie-hellman-group1-sha1", true)]
    [InlineData("diffie-hellman-group14-sha1", true)]
    [InlineData("diffie-hellman-group-exchange-sha1", true)]
    [InlineData("curve25519-sha256", false)]
    [InlineData("diffie-hellman-group14-sha256", false)]
    [InlineData("ecdh-sha2-nistp256", false)]
    public void Key_exchange_classification(string name, bool legacy) => Assert.Equal(legacy, SshAlgorithmPolicy.IsLegacyKeyExchange(name));

    [Theory]
    [InlineData("3des-cbc", true)]
    [InlineData("aes128-cbc", true)]
    [InlineData("arcfour256", true)]
    [InlineData("blowfish-cbc", true)]
    [InlineData("aes128-ctr", false)]
    [InlineData("aes256-gcm@openssh.com", false)]
    [InlineData("chacha20-poly1305@openssh.com", false)]
    public void Cipher_classification(string name, bool legacy) => Assert.Equal(legacy, SshAlgorithmPolicy.IsLegacyCipher(name));

    [Theory]
    [InlineData("hmac-sha1", true)]
    [InlineData("hmac-sha1-etm@openssh.com", true)]
    [InlineData("hmac-md5", true)]
    [InlineData("hmac-sha1-96", true)]
    [InlineData("hmac-sha2-256", false)]
    [InlineData("hmac-sha2-512-etm@openssh.com", false)]
    public void Mac_classification(string name, bool legacy) => Assert.Equal(legacy, SshAlgorithmPolicy.IsLegacyMac(name));

    [Theory]
    [InlineData("ssh-rsa", true)]
    [InlineData("ssh-dss", true)]
    [InlineData("rsa-sha2-256", false)]
    [InlineData("ssh-ed25519", false)]
    [InlineData("ecdsa-sha2-nistp256", false)]
    public void Host_key_classification(string name, bool legacy) => Assert.Equal(legacy, SshAlgorithmPolicy.IsLegacyHostKey(name));

    [Fact]
    public void Secure_defaults_offer_no_legacy_algorithm_and_legacy_adds_dsa()
    {
        var secure = NewInfo();
        SshAlgorithmPolicy.Apply(secure, allowLegacy: false);
        Assert.DoesNotContain(secure.KeyExchangeAlgorithms.Keys, SshAlgorithmPolicy.IsLegacyKeyExchange);
        Assert.DoesNotContain(secure.Encryptions.Keys, SshAlgorithmPolicy.IsLegacyCipher);
        Assert.DoesNotContain(secure.HmacAlgorithms.Keys, SshAlgorithmPolicy.IsLegacyMac);
        Assert.DoesNotContain(secure.HostKeyAlgorithms.Keys, SshAlgorithmPolicy.IsLegacyHostKey);
        Assert.Contains("curve25519-sha256", secure.KeyExchangeAlgorithms.Keys);
        Assert.Contains("rsa-sha2-256", secure.HostKeyAlgorithms.Keys);

        var legacy = NewInfo();
        SshAlgorithmPolicy.Apply(legacy, allowLegacy: true);
        Assert.Contains("ssh-dss", legacy.HostKeyAlgorithms.Keys);
        Assert.Contains("diffie-hellman-group1-sha1", legacy.KeyExchangeAlgorithms.Keys);
    }

    [Fact]
    public void A_kexinit_is_parsed_and_explains_a_legacy_only_device_without_extension_markers()
    {
        var payload = KexInit(["diffie-hellman-group1-sha1", "kex-strict-s-v00@openssh.com"], ["ssh-rsa"], ["3des-cbc"], ["hmac-sha1"]);
        Assert.True(KexInitOffer.TryParse(payload, out var offer));
        var info = NewInfo();
        SshAlgorithmPolicy.Apply(info, allowLegacy: false);

        Assert.Equal("key exchange: diffie-hellman-group1-sha1; host key: ssh-rsa; cipher: 3des-cbc; MAC: hmac-sha1", SshAlgorithmPolicy.ExplainMismatch(offer, info));
    }

    [Fact]
    public void A_truncated_or_hostile_kexinit_is_refused()
    {
        var payload = KexInit(["curve25519-sha256"], ["ssh-ed25519"], ["aes128-ctr"], ["hmac-sha2-256"]);
        var sixLists = 17 + (6 * 4) + "curve25519-sha256".Length + "ssh-ed25519".Length + (2 * "aes128-ctr".Length) + (2 * "hmac-sha2-256".Length);
        Assert.True(KexInitOffer.TryParse(payload.AsSpan(0, sixLists), out _));
        for (var length = 0; length < sixLists; length++)
        {
            Assert.False(KexInitOffer.TryParse(payload.AsSpan(0, length), out _));
        }

        var huge = payload.ToArray();
        BinaryPrimitives.WriteUInt32BigEndian(huge.AsSpan(17), uint.MaxValue);
        Assert.False(KexInitOffer.TryParse(huge, out _));
        Assert.False(KexInitOffer.TryParse([21, .. payload.AsSpan(1)], out _));
    }

    [Fact]
    public void A_dsa_host_key_verifies_its_own_signature_and_keeps_its_blob()
    {
        using var dsa = DSA.Create(1024);
        var parameters = dsa.ExportParameters(false);
        var blob = Blob(Encoding.ASCII.GetBytes("ssh-dss"), Mpint(parameters.P!), Mpint(parameters.Q!), Mpint(parameters.G!), Mpint(parameters.Y!));
        var data = "exchange hash"u8.ToArray();
        var rs = dsa.SignData(data, HashAlgorithmName.SHA1, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        var signature = Blob(Encoding.ASCII.GetBytes("ssh-dss"), rs);

        var key = DsaHostKey.Create(blob);

        Assert.Equal(blob, key.Data); // the fingerprint the endpoint pins is taken over exactly these bytes
        Assert.True(key.VerifySignature(data, signature));
        Assert.False(key.VerifySignature("another hash"u8.ToArray(), signature));
    }

    [Fact]
    public void A_malformed_dsa_key_is_a_crypto_error_not_a_crash()
    {
        Assert.Throws<CryptographicException>(() => DsaHostKey.Create(Blob(Encoding.ASCII.GetBytes("ssh-dss"), [0, 0, 0, 200])));
        Assert.Throws<CryptographicException>(() => DsaHostKey.Create(Blob(Encoding.ASCII.GetBytes("ssh-rsa"))));
        Assert.Throws<CryptographicException>(() => DsaHostKey.Create([0, 0]));
    }

    [Fact]
    public void Without_a_pty_typing_is_echoed_edited_locally_and_sent_a_line_at_a_time()
    {
        var line = new LineDiscipline();
        var device = new ArrayBufferWriter<byte>();
        var echo = new ArrayBufferWriter<byte>();

        line.Input("ls -x\x7f\x7fl\x1b[A"u8, device, echo);
        Assert.Equal(0, device.WrittenCount);
        Assert.Equal("ls -x\b \b\b \bl", Encoding.UTF8.GetString(echo.WrittenSpan));

        line.Input("ä\x7f\r"u8, device, echo);
        Assert.Equal("ls l\n", Encoding.UTF8.GetString(device.WrittenSpan));

        device.ResetWrittenCount();
        line.Input("rm -rf x\x03pwd\r"u8, device, echo);
        Assert.Equal("pwd\n", Encoding.UTF8.GetString(device.WrittenSpan));
    }

    [Fact]
    public void Without_a_pty_output_line_feeds_become_crlf()
    {
        var screen = new ArrayBufferWriter<byte>();
        LineDiscipline.Output("a\nb\n\nc"u8, screen);
        Assert.Equal("a\r\nb\r\n\r\nc", Encoding.UTF8.GetString(screen.WrittenSpan));
    }

    [Fact]
    public void A_banner_keeps_text_and_line_breaks_and_loses_control_characters()
    {
        Assert.Equal("Hello\n\tworld [2Jü\n", SshDeviceSession.CleanBanner("\nHello\r\n\tworld \u001b[2Jü\u0007\n\n"));
        Assert.Equal(string.Empty, SshDeviceSession.CleanBanner("\r\n\u001b"));
        Assert.Equal(Protocol.Control.SessionDetails.MaxBannerLength + 1, SshDeviceSession.CleanBanner(new string('x', 100_000)).Length);
    }

    [Fact]
    public void The_ssh_net_internals_the_liveness_check_needs_are_where_they_were()
    {
        // UnsafeAccessor binds on first call: an SSH.NET update that moved them fails here, not in the field.
        using var client = new SshClient(NewInfo());
        Assert.Null(SshNetInternals.SessionOf(client));
    }

    private static ConnectionInfo NewInfo() => new("127.0.0.1", 22, "user", new PasswordAuthenticationMethod("user", "x"));

    private static byte[] KexInit(string[] kex, string[] hostKey, string[] ciphers, string[] macs)
    {
        var lists = new[] { kex, hostKey, ciphers, ciphers, macs, macs, ["none"], ["none"], [], [] };
        var parts = new List<byte> { 20 };
        parts.AddRange(new byte[16]);
        foreach (var list in lists)
        {
            parts.AddRange(Blob(Encoding.ASCII.GetBytes(string.Join(',', list))));
        }

        parts.AddRange(new byte[5]); // first_kex_packet_follows, reserved
        return [.. parts];
    }

    private static byte[] Mpint(byte[] unsigned)
    {
        var start = 0;
        while (start < unsigned.Length - 1 && unsigned[start] == 0)
        {
            start++;
        }

        var value = unsigned[start..];
        return value[0] >= 0x80 ? [0, .. value] : value;
    }

    private static byte[] Blob(params byte[][] strings)
    {
        var result = new List<byte>();
        foreach (var s in strings)
        {
            var length = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(length, (uint)s.Length);
            result.AddRange(length);
            result.AddRange(s);
        }

        return [.. result];
    }
}
