using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using EdgeGateway.Protocol.Rfb;

namespace EdgeGateway.Protocol.Tests.Rfb;

[Trait("Area", "Vnc")]
public sealed class RfbHandshakeTests
{
    private delegate bool Reader<T>(ref SequenceReader<byte> reader, out T value);

    /// <summary>Reads with the whole input, and checks that every shorter prefix asks for more without consuming.</summary>
    private static (T Value, long Consumed) Read<T>(byte[] bytes, Reader<T> read)
    {
        for (var n = 0; n < bytes.Length; n++)
        {
            var partial = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes, 0, n));
            if (read(ref partial, out _))
            {
                // A complete message in a prefix is fine only if the message is that prefix.
                return Read(bytes[..n], read);
            }

            Assert.Equal(0, partial.Consumed);
        }

        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes));
        Assert.True(read(ref reader, out var value));
        return (value, reader.Consumed);
    }

    private static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];

    private static byte[] U32(uint value)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, value);
        return b;
    }

    [Theory]
    [InlineData("RFB 003.003\n", RfbVersion.Rfb33)]
    [InlineData("RFB 003.005\n", RfbVersion.Rfb33)]
    [InlineData("RFB 003.007\n", RfbVersion.Rfb37)]
    [InlineData("RFB 003.008\n", RfbVersion.Rfb38)]
    [InlineData("RFB 003.889\n", RfbVersion.Rfb38)]
    [InlineData("RFB 004.001\n", RfbVersion.Rfb38)]
    public void ProtocolVersion_picks_the_version_to_answer(string banner, RfbVersion expected)
    {
        var (version, consumed) = Read(Encoding.ASCII.GetBytes(banner), (ref SequenceReader<byte> r, out RfbVersion v) => RfbHandshake.TryReadProtocolVersion(ref r, out v));
        Assert.Equal(expected, version);
        Assert.Equal(12, consumed);
        Assert.Equal($"RFB 003.00{(int)expected}\n", Encoding.ASCII.GetString(RfbHandshake.WriteProtocolVersion(expected)));
    }

    [Theory]
    [InlineData("SSH-2.0-Open")]
    [InlineData("HTTP/1.1 400")]
    [InlineData("RFB 03.008\n\n")]
    [InlineData("RFB 003.008\r")]
    public void ProtocolVersion_refuses_what_is_not_RFB(string banner)
    {
        var bytes = Encoding.ASCII.GetBytes(banner);
        var ex = Assert.Throws<RfbProtocolException>(() =>
        {
            var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes));
            RfbHandshake.TryReadProtocolVersion(ref reader, out _);
        });
        Assert.Contains("did not answer as a VNC server", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ProtocolVersion_refuses_a_wrong_prefix_before_twelve_bytes_arrive()
    {
        Assert.Throws<RfbProtocolException>(() =>
        {
            var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>("SSH-"u8.ToArray()));
            RfbHandshake.TryReadProtocolVersion(ref reader, out _);
        });
    }

    [Fact]
    public void ProtocolVersion_refuses_versions_before_3_3()
    {
        var ex = Assert.Throws<RfbProtocolException>(() =>
        {
            var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>("RFB 003.002\n"u8.ToArray()));
            RfbHandshake.TryReadProtocolVersion(ref reader, out _);
        });
        Assert.Contains("older than 3.3", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SecurityTypes_3_8_lists_the_offer()
    {
        var (offer, consumed) = Read(new byte[] { 3, 19, 2, 1 }, (ref SequenceReader<byte> r, out RfbSecurityOffer o) => RfbHandshake.TryReadSecurityTypes(ref r, RfbVersion.Rfb38, out o));
        Assert.Equal([19u, 2u, 1u], offer.Types);
        Assert.Null(offer.FailureReason);
        Assert.Equal(4, consumed);
        Assert.Equal([2], RfbHandshake.WriteSecurityChoice(RfbSecurityType.VncAuth));
    }

    [Fact]
    public void SecurityTypes_3_3_is_the_servers_single_u32_choice()
    {
        var (offer, consumed) = Read(U32(2), (ref SequenceReader<byte> r, out RfbSecurityOffer o) => RfbHandshake.TryReadSecurityTypes(ref r, RfbVersion.Rfb33, out o));
        Assert.Equal([2u], offer.Types);
        Assert.Equal(4, consumed);
    }

    [Theory]
    [InlineData(RfbVersion.Rfb33)]
    [InlineData(RfbVersion.Rfb37)]
    [InlineData(RfbVersion.Rfb38)]
    public void SecurityTypes_zero_is_a_refusal_with_the_servers_reason(RfbVersion version)
    {
        var reason = "Too many security failures"u8.ToArray();
        var head = version == RfbVersion.Rfb33 ? U32(0) : [0];
        var bytes = Concat(head, U32((uint)reason.Length), reason);
        var (offer, consumed) = Read(bytes, (ref SequenceReader<byte> r, out RfbSecurityOffer o) => RfbHandshake.TryReadSecurityTypes(ref r, version, out o));
        Assert.Empty(offer.Types);
        Assert.Equal("Too many security failures", offer.FailureReason);
        Assert.Equal(bytes.Length, consumed);
    }

    [Fact]
    public void A_huge_reason_length_is_refused_before_anything_is_allocated()
    {
        var bytes = Concat([0], U32(0xFFFF_FFF0));
        var ex = Assert.Throws<RfbProtocolException>(() =>
        {
            var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes));
            RfbHandshake.TryReadSecurityTypes(ref reader, RfbVersion.Rfb38, out _);
        });
        Assert.Contains("4,294,967,280 bytes", ex.Message, StringComparison.Ordinal);

        var failed = Concat(U32(1), U32(0x7FFF_FFFF));
        Assert.Throws<RfbProtocolException>(() =>
        {
            var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(failed));
            RfbHandshake.TryReadSecurityResult(ref reader, RfbVersion.Rfb38, out _);
        });
    }

    [Fact]
    public void SecurityResult_has_a_reason_only_in_3_8()
    {
        var (ok, okLength) = Read(U32(0), (ref SequenceReader<byte> r, out RfbSecurityResult s) => RfbHandshake.TryReadSecurityResult(ref r, RfbVersion.Rfb38, out s));
        Assert.True(ok.Succeeded);
        Assert.Equal(4, okLength);

        var reason = "Authentication failed"u8.ToArray();
        var bytes = Concat(U32(1), U32((uint)reason.Length), reason);
        var (failed, failedLength) = Read(bytes, (ref SequenceReader<byte> r, out RfbSecurityResult s) => RfbHandshake.TryReadSecurityResult(ref r, RfbVersion.Rfb38, out s));
        Assert.False(failed.Succeeded);
        Assert.Equal("Authentication failed", failed.Reason);
        Assert.Equal(bytes.Length, failedLength);

        foreach (var version in new[] { RfbVersion.Rfb33, RfbVersion.Rfb37 })
        {
            var (old, oldLength) = Read(U32(1), (ref SequenceReader<byte> r, out RfbSecurityResult s) => RfbHandshake.TryReadSecurityResult(ref r, version, out s));
            Assert.False(old.Succeeded);
            Assert.Null(old.Reason);
            Assert.Equal(4, oldLength);
        }
    }

    [Fact]
    public void VeNCrypt_version_subtypes_and_ack()
    {
        var (version, _) = Read(new byte[] { 0, 2 }, (ref SequenceReader<byte> r, out (byte, byte) v) => RfbHandshake.TryReadVeNCryptVersion(ref r, out v));
        Assert.Equal(((byte)0, (byte)2), version);
        Assert.Equal([0, 2], RfbHandshake.WriteVeNCryptVersion());
        Assert.Throws<RfbProtocolException>(() =>
        {
            var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(new byte[] { 0, 1 }));
            RfbHandshake.TryReadVeNCryptVersion(ref reader, out _);
        });

        var list = Concat([0, 3], U32(VeNCryptSubtype.X509Vnc), U32(VeNCryptSubtype.TlsVnc), U32(VeNCryptSubtype.X509Plain));
        var (subtypes, consumed) = Read(list, (ref SequenceReader<byte> r, out IReadOnlyList<uint> s) => RfbHandshake.TryReadVeNCryptSubtypes(ref r, out s));
        Assert.Equal([261u, 258u, 262u], subtypes);
        Assert.Equal(list.Length, consumed);

        var (refused, _) = Read(new byte[] { 1 }, (ref SequenceReader<byte> r, out IReadOnlyList<uint> s) => RfbHandshake.TryReadVeNCryptSubtypes(ref r, out s));
        Assert.Empty(refused);

        Assert.Equal(U32(261), RfbHandshake.WriteVeNCryptSubtype(VeNCryptSubtype.X509Vnc));
        var (accepted, _) = Read(new byte[] { 1 }, (ref SequenceReader<byte> r, out bool a) => RfbHandshake.TryReadVeNCryptSubtypeAck(ref r, out a));
        Assert.True(accepted);
        Assert.True(VeNCryptSubtype.IsX509(VeNCryptSubtype.X509Plain));
        Assert.True(VeNCryptSubtype.IsAnonymousTls(VeNCryptSubtype.TlsPlain));
    }

    [Fact]
    public void Plain_credentials_are_length_prefixed_utf8()
    {
        var bytes = RfbHandshake.WritePlainCredentials("op", "pä");
        Assert.Equal(Concat(U32(2), U32(3), "op"u8.ToArray(), "pä"u8.ToArray()), bytes);
    }

    [Fact]
    public void ServerInit_reads_size_format_and_name()
    {
        var format = new byte[16];
        RfbPixelFormat.Rgb888.Write(format);
        var name = "plant-hmi:1"u8.ToArray();
        var bytes = Concat([0x03, 0x20, 0x02, 0x58], format, U32((uint)name.Length), name);
        var (init, consumed) = Read(bytes, (ref SequenceReader<byte> r, out RfbServerInit i) => RfbHandshake.TryReadServerInit(ref r, out i));
        Assert.Equal(800, init.Width);
        Assert.Equal(600, init.Height);
        Assert.Equal(RfbPixelFormat.Rgb888, init.PixelFormat);
        Assert.Equal("plant-hmi:1", init.Name);
        Assert.Equal(bytes.Length, consumed);
        Assert.Equal([1], RfbHandshake.WriteClientInit(shared: true));
    }

    [Fact]
    public void ServerInit_refuses_a_gigabyte_name_and_an_empty_screen()
    {
        var format = new byte[16];
        var huge = Concat([0x03, 0x20, 0x02, 0x58], format, U32(2_000_000_000));
        var ex = Assert.Throws<RfbProtocolException>(() =>
        {
            var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(huge));
            RfbHandshake.TryReadServerInit(ref reader, out _);
        });
        Assert.Contains("desktop name of 2,000,000,000 bytes", ex.Message, StringComparison.Ordinal);

        var empty = Concat([0, 0, 0x02, 0x58], format, U32(0));
        Assert.Throws<RfbProtocolException>(() =>
        {
            var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(empty));
            RfbHandshake.TryReadServerInit(ref reader, out _);
        });
    }

    [Fact]
    public void Vnc_authentication_key_is_the_password_bit_reversed_and_padded()
    {
        // 'p' = 0x70 = 0111 0000 → 0000 1110 = 0x0E; "pass" padded with zeros; past 8 characters is ignored.
        Assert.Equal(new byte[] { 0x0E, 0x86, 0xCE, 0xCE, 0, 0, 0, 0 }, VncAuthentication.DeriveKey("pass"));
        Assert.Equal(VncAuthentication.DeriveKey("12345678"), VncAuthentication.DeriveKey("123456789abc"));
    }

    [Fact]
    public void An_empty_password_gives_the_all_zero_weak_key_and_still_answers()
    {
        // FIPS 81 / well-known DES vector: key 0 (parity ignored), plaintext 0 → 8CA64DE9C1B123A7.
        var response = VncAuthentication.Respond(new byte[16], string.Empty);
        Assert.Equal(Convert.FromHexString("8CA64DE9C1B123A78CA64DE9C1B123A7"), response);
    }

    [Fact]
    public void The_weak_key_path_equals_DES_for_strong_keys()
    {
        var random = new Random(7);
        for (var i = 0; i < 50; i++)
        {
            var key = new byte[8];
            var block = new byte[16];
            random.NextBytes(key);
            random.NextBytes(block);
            if (DES.IsWeakKey(key) || DES.IsSemiWeakKey(key))
            {
                continue;
            }

            Assert.Equal(VncAuthentication.EncryptEcb(key, block), VncAuthentication.EncryptEcbWithoutKeyCheck(key, block));
        }

        // A semi-weak key (01FE01FE01FE01FE) and the all-ones weak key go through the same path without an exception.
        Assert.Equal(16, VncAuthentication.EncryptEcb(Convert.FromHexString("01FE01FE01FE01FE"), new byte[16]).Length);
        Assert.Equal(16, VncAuthentication.EncryptEcb(Convert.FromHexString("FEFEFEFEFEFEFEFE"), new byte[16]).Length);
    }
}
