using System.Buffers;
using System.Buffers.Binary;
using EdgeGateway.Appliance.Sessions.Rdp;

namespace EdgeGateway.Appliance.Tests.Sessions.Rdp;

/// <summary>
/// The helper is another trust zone: whatever it sends, the decoder answers with a status (never an exception), looks at
/// a length before waiting for its body, and never lets a rectangle or pointer out of bounds.
/// </summary>
[Trait("Area", "Rdp")]
public sealed class RdpPipeTests
{
    private static byte[] Message(RdpMessageType type, params byte[] body)
    {
        var message = new byte[5 + body.Length];
        BinaryPrimitives.WriteUInt32BigEndian(message, (uint)(body.Length + 1));
        message[4] = (byte)type;
        body.CopyTo(message, 5);
        return message;
    }

    private static byte[] U16(params int[] values)
    {
        var bytes = new byte[values.Length * 2];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(i * 2), (ushort)values[i]);
        }

        return bytes;
    }

    private static byte[] Paint(int x, int y, int w, int h) => Message(RdpMessageType.Paint, [.. U16(x, y, w, h), .. new byte[w * h * 4]]);

    private static byte[] ValidStream() =>
    [
        .. Message(RdpMessageType.Connected, [.. U16(64, 48), 0, 0, 0, 2, 0, 8, 0, 0x0C, 1, 1, 1]),
        .. Paint(0, 0, 64, 48),
        .. Paint(60, 40, 4, 8),
        .. Message(RdpMessageType.Cursor, [.. U16(1, 2, 4, 4), .. new byte[64]]),
        .. Message(RdpMessageType.PaintEnd, 0, 0, 0, 0, 0, 0, 1, 0),
        .. Message(RdpMessageType.Resized, U16(32, 32)),
        .. Message(RdpMessageType.Ended, [1, 0, 2, 0, 0x0D, .. "The connection transport layer failed."u8]),
    ];

    /// <summary>Reads every message the way the session does; returns the statuses.</summary>
    private static List<RdpReadStatus> ReadAll(byte[] bytes, int width = 64, int height = 48)
    {
        var statuses = new List<RdpReadStatus>();
        var buffer = new ReadOnlySequence<byte>(bytes);
        while (true)
        {
            var status = RdpPipe.TryReadFrame(buffer, out var type, out var body, out var consumed);
            if (status == RdpReadStatus.NeedMore)
            {
                return statuses;
            }

            if (status == RdpReadStatus.Ok)
            {
                Assert.InRange(consumed, 5, bytes.Length);
                Assert.InRange(body.Length, 0, RdpPipe.MaxHelperMessage);
                status = RdpPipe.Check(type, body.ToArray(), width, height);
            }

            statuses.Add(status);
            if (status != RdpReadStatus.Ok)
            {
                return statuses;
            }

            buffer = buffer.Slice(consumed);
        }
    }

    [Fact]
    public void A_well_formed_stream_reads_whole_and_its_fields_are_right()
    {
        Assert.Equal(Enumerable.Repeat(RdpReadStatus.Ok, 7), ReadAll(ValidStream()));
        Assert.Equal(RdpReadStatus.Ok, RdpPipe.TryReadConnected([.. U16(1024, 768), 0, 0, 0, 2, 0, 8, 0, 0x0C, 0, 1, 1], out var connected));
        Assert.Equal(new RdpConnected(1024, 768, 2, 0x0008000C, false, true, true), connected);
        Assert.Equal("NLA (CredSSP)", connected.Security);
        Assert.Equal("RDP 10.7", connected.Version);
        Assert.Equal(RdpReadStatus.Ok, RdpPipe.TryReadEnded([1, 0, 2, 0, 0x0D, .. "bad\u0007text"u8], out var category, out var code, out var text));
        Assert.Equal((RdpEndCategory.AuthenticationFailed, 0x0002000Du, "bad text"), (category, code, text));
    }

    [Fact]
    public void A_byte_at_a_time_drip_reads_the_same()
    {
        var bytes = ValidStream();
        var count = 0;
        var held = new List<byte>();
        foreach (var b in bytes)
        {
            held.Add(b);
            var buffer = new ReadOnlySequence<byte>(held.ToArray());
            if (RdpPipe.TryReadFrame(buffer, out _, out _, out var consumed) == RdpReadStatus.Ok)
            {
                count++;
                held.RemoveRange(0, (int)consumed);
            }
        }

        Assert.Equal(7, count);
        Assert.Empty(held);
    }

    [Fact]
    public void An_oversized_or_empty_length_is_refused_from_the_header_alone()
    {
        Assert.Equal(RdpReadStatus.BadLength, RdpPipe.TryReadFrame(new ReadOnlySequence<byte>([0x7F, 0xFF, 0xFF, 0xFF, 0x83]), out _, out _, out _));
        Assert.Equal(RdpReadStatus.BadLength, RdpPipe.TryReadFrame(new ReadOnlySequence<byte>([0, 0, 0, 0, 0x83]), out _, out _, out _));
        Assert.Equal(RdpReadStatus.BadLength, RdpPipe.TryReadFrame(new ReadOnlySequence<byte>([0, 0x10, 0, 0x12, 0x83]), out _, out _, out _));
        Assert.Equal(RdpReadStatus.NeedMore, RdpPipe.TryReadFrame(new ReadOnlySequence<byte>([0, 0x10, 0, 0x11, 0x83]), out _, out _, out _));
    }

    [Theory]
    [InlineData(60, 40, 5, 8)]   // past the right edge
    [InlineData(0, 47, 64, 2)]   // past the bottom
    [InlineData(0, 0, 0, 8)]     // empty
    [InlineData(65535, 0, 1, 1)] // far outside
    public void A_rectangle_outside_the_desktop_is_refused(int x, int y, int w, int h) =>
        Assert.Equal([RdpReadStatus.BadGeometry], ReadAll(Paint(x, y, w, h)));

    [Fact]
    public void Sizes_must_match_exactly()
    {
        Assert.Equal([RdpReadStatus.BadSize], ReadAll(Message(RdpMessageType.Paint, [.. U16(0, 0, 2, 2), .. new byte[15]])));
        Assert.Equal([RdpReadStatus.BadSize], ReadAll(Message(RdpMessageType.PaintEnd, 0, 0, 0)));
        Assert.Equal([RdpReadStatus.BadSize], ReadAll(Message(RdpMessageType.Connected, [.. U16(64, 48)])));
        Assert.Equal([RdpReadStatus.BadGeometry], ReadAll(Message(RdpMessageType.Connected, [.. U16(0, 48), 0, 0, 0, 2, 0, 8, 0, 0x0C, 1, 1, 0])));
        Assert.Equal([RdpReadStatus.BadGeometry], ReadAll(Message(RdpMessageType.Resized, U16(9000, 32))));
        Assert.Equal([RdpReadStatus.BadGeometry], ReadAll(Message(RdpMessageType.Cursor, [.. U16(4, 0, 4, 4), .. new byte[64]]))); // hot spot outside
        Assert.Equal([RdpReadStatus.BadGeometry], ReadAll(Message(RdpMessageType.Cursor, [.. U16(0, 0, 500, 1), .. new byte[2000]])));
        Assert.Equal([RdpReadStatus.BadSize], ReadAll(Message(RdpMessageType.Cursor, [.. U16(0, 0, 4, 4), .. new byte[63]])));
        Assert.Equal([RdpReadStatus.Ok], ReadAll(Message(RdpMessageType.Cursor, U16(0, 0, 0, 0)))); // no pointer drawn
        Assert.Equal([RdpReadStatus.UnknownType], ReadAll(Message((RdpMessageType)0x99, 1, 2, 3)));
        Assert.Equal([RdpReadStatus.UnknownType], ReadAll(Message(RdpMessageType.Start, 1, 2, 3))); // the appliance's own type
    }

    [Fact]
    public void Random_mutations_of_a_valid_stream_never_throw_and_stay_in_bounds()
    {
        var valid = ValidStream();
        var random = new Random(12);
        for (var round = 0; round < 20_000; round++)
        {
            var bytes = (byte[])valid.Clone();
            for (var edits = random.Next(1, 6); edits > 0; edits--)
            {
                switch (random.Next(4))
                {
                    case 0:
                        bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                        break;
                    case 1:
                        bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                        break;
                    case 2:
                        bytes = bytes[..random.Next(bytes.Length)];
                        break;
                    default:
                        var at = random.Next(bytes.Length);
                        bytes = [.. bytes[..at], .. Enumerable.Range(0, random.Next(1, 9)).Select(_ => (byte)random.Next(256)), .. bytes[at..]];
                        break;
                }

                if (bytes.Length == 0)
                {
                    break;
                }
            }

            var statuses = ReadAll(bytes);
            Assert.All(statuses.SkipLast(1), s => Assert.Equal(RdpReadStatus.Ok, s));
        }
    }

    [Fact]
    public void Random_bytes_never_throw()
    {
        var random = new Random(7);
        for (var round = 0; round < 20_000; round++)
        {
            var bytes = new byte[random.Next(0, 64)];
            random.NextBytes(bytes);
            if (bytes.Length >= 4 && random.Next(2) == 0)
            {
                BinaryPrimitives.WriteUInt32BigEndian(bytes, (uint)random.Next(1, bytes.Length - 3)); // a plausible length
            }

            ReadAll(bytes, random.Next(1, 100), random.Next(1, 100));
            _ = RdpPipe.Fingerprint(bytes);
        }
    }

    [Fact]
    public void The_certificate_fingerprint_is_SHA_256_of_the_DER()
    {
        using var key = System.Security.Cryptography.ECDsa.Create();
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=rdp-test", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1));
        var pem = System.Text.Encoding.ASCII.GetBytes(certificate.ExportCertificatePem() + "\n");
        Assert.Equal(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(certificate.RawData)), RdpPipe.Fingerprint(pem));
        Assert.Null(RdpPipe.Fingerprint("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"u8));
        Assert.Null(RdpPipe.Fingerprint("no pem here"u8));
    }

    [Fact]
    public void The_start_message_carries_the_fields_and_refuses_oversized_strings()
    {
        var message = RdpPipe.WriteStart("10.0.0.5", 3389, "operator", "PLANT", "pw", 1280, 800, RdpPipe.StartAllowRdpSecurity, TimeSpan.FromSeconds(15));
        Assert.Equal((uint)(message.Length - 4), BinaryPrimitives.ReadUInt32BigEndian(message));
        Assert.Equal((byte)RdpMessageType.Start, message[4]);
        Assert.Equal([0x0D, 0x3D, 0x05, 0x00, 0x03, 0x20, 0x01, 0, 0, 0x3A, 0x98], message[5..16]);
        Assert.Equal([0, 8, .. "10.0.0.5"u8, 0, 8, .. "operator"u8, 0, 5, .. "PLANT"u8, 0, 2, .. "pw"u8], message[16..]);
        Assert.Throws<ArgumentException>(() => RdpPipe.WriteStart("h", 3389, new string('u', 1025), "", "pw", 1280, 800, 0, TimeSpan.FromSeconds(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => RdpPipe.WriteStart("h", 3389, "u", "", "pw", 100, 800, 0, TimeSpan.FromSeconds(1)));
    }
}
