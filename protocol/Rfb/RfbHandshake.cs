using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace EdgeGateway.Protocol.Rfb;

/// <summary>What the server offered in its security handshake (RFC 6143 §7.1.2): types, or a refusal with a reason.</summary>
/// <param name="Types">The offered types in the server's order; one type for RFB 3.3 (the server's choice); empty on refusal.</param>
/// <param name="FailureReason">The server's reason when it offered nothing (type 0 / count 0); null otherwise.</param>
public sealed record RfbSecurityOffer(IReadOnlyList<uint> Types, string? FailureReason);

/// <summary>A SecurityResult (RFC 6143 §7.1.3): success, or failure with the server's reason (RFB 3.8 only).</summary>
public readonly record struct RfbSecurityResult(bool Succeeded, string? Reason);

/// <summary>ServerInit (RFC 6143 §7.3.2): the framebuffer's size, the server's natural pixel format and the desktop name.</summary>
public sealed record RfbServerInit(int Width, int Height, RfbPixelFormat PixelFormat, string Name);

/// <summary>
/// The RFB handshake (RFC 6143 §7.1–7.3 and VeNCrypt 0.2), client side, without I/O. Each <c>TryRead…</c> reads one
/// server message from a <c>SequenceReader</c>: false (nothing consumed) when the input holds only part of
/// it, true with the reader advanced past it. Hostile input (not RFB, an oversized string, an impossible value) throws
/// <see cref="RfbProtocolException"/> whose message says what the device did; lengths are checked before anything is
/// allocated. The <c>Write…</c> methods give the client's answers.
/// </summary>
public static class RfbHandshake
{
    /// <summary>Bytes of a ProtocolVersion message: <c>"RFB xxx.yyy\n"</c>.</summary>
    public const int ProtocolVersionLength = 12;

    /// <summary>Longest failure reason accepted from a server, in bytes (longer is refused as hostile).</summary>
    public const int MaxReasonBytes = 64 * 1024;

    /// <summary>Longest desktop name accepted in ServerInit, in bytes (longer is refused as hostile).</summary>
    public const int MaxNameBytes = 4096;

    /// <summary>Bytes of a VNC authentication challenge and of its response (RFC 6143 §7.2.2).</summary>
    public const int ChallengeLength = 16;

    /// <summary>
    /// ProtocolVersion (§7.1.1), 12 bytes: <c>"RFB 003.008\n"</c>. Chooses what the client answers: 3.8 for 3.8 and
    /// later (and any 4.x or later major, as RealVNC's clients do), 3.7 for 3.7, 3.3 for 3.3 to 3.6 (3.5 is an old
    /// Apple server's).
    /// </summary>
    /// <exception cref="RfbProtocolException">Not an RFB version string, or a version before 3.3.</exception>
    public static bool TryReadProtocolVersion(ref SequenceReader<byte> reader, out RfbVersion version)
    {
        version = default;
        Span<byte> text = stackalloc byte[ProtocolVersionLength];
        if (!reader.TryCopyTo(text))
        {
            // Refuse a wrong prefix at once instead of waiting for 12 bytes a non-VNC service may never send.
            var have = (int)Math.Min(reader.Remaining, 4);
            reader.UnreadSequence.Slice(0, have).CopyTo(text);
            if (!text[..have].SequenceEqual("RFB "u8[..have]))
            {
                throw NotRfb(text[..have]);
            }

            return false;
        }

        if (!text.StartsWith("RFB "u8) || text[7] != (byte)'.' || text[11] != (byte)'\n'
            || !TryDigits(text[4..7], out var major) || !TryDigits(text[8..11], out var minor))
        {
            throw NotRfb(text);
        }

        if (major < 3 || (major == 3 && minor < 3))
        {
            throw new RfbProtocolException($"The device speaks RFB {major}.{minor}, older than 3.3, which the appliance does not support.");
        }

        version = major > 3 || minor >= 8 ? RfbVersion.Rfb38 : minor == 7 ? RfbVersion.Rfb37 : RfbVersion.Rfb33;
        reader.Advance(ProtocolVersionLength);
        return true;
    }

    /// <summary>The client's ProtocolVersion message for <paramref name="version"/>.</summary>
    public static byte[] WriteProtocolVersion(RfbVersion version) => version switch
    {
        RfbVersion.Rfb33 => "RFB 003.003\n"u8.ToArray(),
        RfbVersion.Rfb37 => "RFB 003.007\n"u8.ToArray(),
        RfbVersion.Rfb38 => "RFB 003.008\n"u8.ToArray(),
        _ => throw new ArgumentOutOfRangeException(nameof(version)),
    };

    /// <summary>
    /// The server's security offer (§7.1.2). RFB 3.3: <c>u32 type</c> chosen by the server. 3.7 and 3.8:
    /// <c>u8 count, count × u8 type</c>. A type 0 (3.3) or a count 0 is a refusal: <c>u32 length, reason</c> follows.
    /// </summary>
    /// <exception cref="RfbProtocolException">A reason over <see cref="MaxReasonBytes"/>.</exception>
    public static bool TryReadSecurityTypes(ref SequenceReader<byte> reader, RfbVersion version, out RfbSecurityOffer offer)
    {
        offer = null!;
        var start = reader.Consumed;
        uint[] types;
        if (version == RfbVersion.Rfb33)
        {
            if (!TryReadU32(ref reader, out var type))
            {
                return false;
            }

            types = type == RfbSecurityType.Invalid ? [] : [type];
        }
        else
        {
            if (!reader.TryRead(out var count))
            {
                return false;
            }

            types = new uint[count];
            for (var i = 0; i < count; i++)
            {
                if (!reader.TryRead(out var type))
                {
                    reader.Rewind(reader.Consumed - start);
                    return false;
                }

                types[i] = type;
            }
        }

        if (types.Length > 0)
        {
            offer = new RfbSecurityOffer(types, null);
            return true;
        }

        if (!TryReadString(ref reader, MaxReasonBytes, "reason for refusing the connection", out var reason))
        {
            reader.Rewind(reader.Consumed - start);
            return false;
        }

        offer = new RfbSecurityOffer([], reason);
        return true;
    }

    /// <summary>The client's choice of security type (3.7 and 3.8; 3.3 sends nothing): one byte.</summary>
    public static byte[] WriteSecurityChoice(uint type) =>
        type <= byte.MaxValue ? [(byte)type] : throw new ArgumentOutOfRangeException(nameof(type));

    /// <summary>
    /// SecurityResult (§7.1.3): <c>u32 status</c> (0 OK, anything else failed); on failure in RFB 3.8
    /// <c>u32 length, reason</c> follows. Versions 3.3 and 3.7 send no reason (and none of it after security type None,
    /// which the caller knows).
    /// </summary>
    /// <exception cref="RfbProtocolException">A reason over <see cref="MaxReasonBytes"/>.</exception>
    public static bool TryReadSecurityResult(ref SequenceReader<byte> reader, RfbVersion version, out RfbSecurityResult result)
    {
        result = default;
        var start = reader.Consumed;
        if (!TryReadU32(ref reader, out var status))
        {
            return false;
        }

        if (status == 0)
        {
            result = new RfbSecurityResult(true, null);
            return true;
        }

        if (version != RfbVersion.Rfb38)
        {
            result = new RfbSecurityResult(false, null);
            return true;
        }

        if (!TryReadString(ref reader, MaxReasonBytes, "reason for the failed authentication", out var reason))
        {
            reader.Rewind(reader.Consumed - start);
            return false;
        }

        result = new RfbSecurityResult(false, reason);
        return true;
    }

    /// <summary>The VNC authentication challenge (§7.2.2): 16 random bytes.</summary>
    public static bool TryReadVncChallenge(ref SequenceReader<byte> reader, out byte[] challenge)
    {
        challenge = [];
        if (reader.Remaining < ChallengeLength)
        {
            return false;
        }

        challenge = new byte[ChallengeLength];
        reader.TryCopyTo(challenge);
        reader.Advance(ChallengeLength);
        return true;
    }

    /// <summary>VeNCrypt: the server's highest version, <c>u8 major, u8 minor</c>.</summary>
    /// <exception cref="RfbProtocolException">A version below 0.2 (0.1 had a different sub-type list).</exception>
    public static bool TryReadVeNCryptVersion(ref SequenceReader<byte> reader, out (byte Major, byte Minor) version)
    {
        version = default;
        if (reader.Remaining < 2)
        {
            return false;
        }

        reader.TryRead(out var major);
        reader.TryRead(out var minor);
        version = (major, minor);
        if (major == 0 && minor < 2)
        {
            throw new RfbProtocolException($"The device offers VeNCrypt {major}.{minor}; the appliance speaks VeNCrypt 0.2.");
        }

        return true;
    }

    /// <summary>VeNCrypt: the client's version, always 0.2.</summary>
    public static byte[] WriteVeNCryptVersion() => [0, 2];

    /// <summary>
    /// VeNCrypt: the server's answer to the client's version, <c>u8</c> 0 = accepted; then (0.2) its sub-types,
    /// <c>u8 count, count × u32</c>. A refused version is returned as an empty list.
    /// </summary>
    public static bool TryReadVeNCryptSubtypes(ref SequenceReader<byte> reader, out IReadOnlyList<uint> subtypes)
    {
        subtypes = [];
        var start = reader.Consumed;
        if (!reader.TryRead(out var status))
        {
            return false;
        }

        if (status != 0)
        {
            return true;
        }

        if (!reader.TryRead(out var count) || reader.Remaining < count * 4)
        {
            reader.Rewind(reader.Consumed - start);
            return false;
        }

        var list = new uint[count];
        for (var i = 0; i < count; i++)
        {
            TryReadU32(ref reader, out list[i]);
        }

        subtypes = list;
        return true;
    }

    /// <summary>VeNCrypt: the client's chosen sub-type, <c>u32</c>.</summary>
    public static byte[] WriteVeNCryptSubtype(uint subtype)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, subtype);
        return bytes;
    }

    /// <summary>VeNCrypt: the server's answer to the chosen sub-type, <c>u8</c> 1 = accepted.</summary>
    public static bool TryReadVeNCryptSubtypeAck(ref SequenceReader<byte> reader, out bool accepted)
    {
        accepted = false;
        if (!reader.TryRead(out var status))
        {
            return false;
        }

        accepted = status == 1;
        return true;
    }

    /// <summary>
    /// VeNCrypt *Plain sub-types: <c>u32 username-length, u32 password-length, username, password</c> (UTF-8). Sent
    /// only inside TLS.
    /// </summary>
    public static byte[] WritePlainCredentials(string username, ReadOnlySpan<char> password)
    {
        var user = Encoding.UTF8.GetByteCount(username);
        var pass = Encoding.UTF8.GetByteCount(password);
        var bytes = new byte[8 + user + pass];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, (uint)user);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4), (uint)pass);
        Encoding.UTF8.GetBytes(username, bytes.AsSpan(8));
        Encoding.UTF8.GetBytes(password, bytes.AsSpan(8 + user));
        return bytes;
    }

    /// <summary>ClientInit (§7.3.1): <c>u8 shared-flag</c>; shared (1) leaves other viewers connected.</summary>
    public static byte[] WriteClientInit(bool shared) => [shared ? (byte)1 : (byte)0];

    /// <summary>
    /// ServerInit (§7.3.2): <c>u16 width, u16 height, PIXEL_FORMAT (16), u32 name-length, name</c>. The name is read
    /// as UTF-8 (servers send Latin-1 or UTF-8; invalid bytes become U+FFFD).
    /// </summary>
    /// <exception cref="RfbProtocolException">A zero width or height, or a name over <see cref="MaxNameBytes"/>.</exception>
    public static bool TryReadServerInit(ref SequenceReader<byte> reader, out RfbServerInit init)
    {
        init = null!;
        const int fixedPart = 2 + 2 + RfbPixelFormat.Size + 4;
        if (reader.Remaining < fixedPart)
        {
            return false;
        }

        Span<byte> head = stackalloc byte[fixedPart];
        reader.TryCopyTo(head);
        var width = BinaryPrimitives.ReadUInt16BigEndian(head);
        var height = BinaryPrimitives.ReadUInt16BigEndian(head[2..]);
        var nameLength = BinaryPrimitives.ReadUInt32BigEndian(head[20..]);
        if (width == 0 || height == 0)
        {
            throw new RfbProtocolException($"The device announced a {width}×{height} screen.");
        }

        if (nameLength > MaxNameBytes)
        {
            throw new RfbProtocolException($"The device sent a desktop name of {nameLength:N0} bytes (at most {MaxNameBytes:N0} are accepted).");
        }

        if (reader.Remaining < fixedPart + nameLength)
        {
            return false;
        }

        reader.Advance(fixedPart);
        var name = Encoding.UTF8.GetString(reader.UnreadSequence.Slice(0, nameLength));
        reader.Advance(nameLength);
        init = new RfbServerInit(width, height, RfbPixelFormat.Read(head[4..]), name);
        return true;
    }

    private static bool TryReadString(ref SequenceReader<byte> reader, int maxBytes, string what, out string text)
    {
        text = string.Empty;
        if (!TryReadU32(ref reader, out var length))
        {
            return false;
        }

        if (length > maxBytes)
        {
            throw new RfbProtocolException($"The device sent a {what} of {length:N0} bytes (at most {maxBytes:N0} are accepted).");
        }

        if (reader.Remaining < length)
        {
            reader.Rewind(4);
            return false;
        }

        text = Encoding.UTF8.GetString(reader.UnreadSequence.Slice(0, length));
        reader.Advance(length);
        return true;
    }

    private static bool TryReadU32(ref SequenceReader<byte> reader, out uint value)
    {
        var ok = reader.TryReadBigEndian(out int signed);
        value = unchecked((uint)signed);
        return ok;
    }

    private static bool TryDigits(ReadOnlySpan<byte> digits, out int value)
    {
        value = 0;
        foreach (var d in digits)
        {
            if (d is < (byte)'0' or > (byte)'9')
            {
                return false;
            }

            value = (value * 10) + (d - '0');
        }

        return true;
    }

    private static RfbProtocolException NotRfb(ReadOnlySpan<byte> start)
    {
        var shown = new StringBuilder();
        foreach (var b in start)
        {
            shown.Append(b is >= 0x20 and < 0x7F ? (char)b : '.');
        }

        return new RfbProtocolException($"The device did not answer as a VNC server (it sent \"{shown}\" instead of an RFB version).");
    }
}
