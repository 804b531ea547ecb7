using System.Buffers.Binary;

namespace EdgeGateway.Protocol.Stream;

/// <summary>
/// Encodes and decodes session-stream frames. Allocation-free: works on caller-owned spans.
/// </summary>
/// <remarks>
/// Wire format, version 1 (all integers big-endian):
/// <code>
///  0               1               2               3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +---------------+---------------+-------------------------------+
/// |  version (1)  |     type      |             flags             |
/// +---------------+---------------+-------------------------------+
/// |                     payload length (u32)                      |
/// +---------------------------------------------------------------+
/// |                                                               |
/// +                        sequence (u64)                         +
/// |                                                               |
/// +---------------------------------------------------------------+
/// |                      payload (length bytes) ...               |
/// </code>
/// A reader rejects an unknown version, an unknown type and a payload over its limit while reading the
/// header, before it looks at (or buffers) any payload.
/// </remarks>
public static class FrameCodec
{
    /// <summary>The codec version this build writes and reads.</summary>
    public const byte Version = 1;

    /// <summary>Size of the fixed header.</summary>
    public const int HeaderSize = 16;

    /// <summary>Default upper bound for one frame's payload (1 MiB).</summary>
    public const int DefaultMaxPayload = 1 << 20;

    /// <summary>Bytes needed to encode a frame with <paramref name="payloadLength"/> bytes of payload.</summary>
    public static int GetEncodedSize(int payloadLength) => HeaderSize + payloadLength;

    /// <summary>Writes the header for a payload of <paramref name="header"/>.PayloadLength bytes.</summary>
    /// <exception cref="ArgumentException">The destination is shorter than <see cref="HeaderSize"/>.</exception>
    public static void WriteHeader(Span<byte> destination, in FrameHeader header)
    {
        if (destination.Length < HeaderSize)
        {
            throw new ArgumentException("Destination is shorter than a frame header.", nameof(destination));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(header.PayloadLength);
        destination[0] = Version;
        destination[1] = (byte)header.Type;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)header.Flags);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], (uint)header.PayloadLength);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], header.Sequence);
    }

    /// <summary>Writes a whole frame; returns the number of bytes written.</summary>
    /// <exception cref="ArgumentException">The destination is too short.</exception>
    public static int Write(Span<byte> destination, FrameType type, FrameFlags flags, ulong sequence, ReadOnlySpan<byte> payload)
    {
        var size = GetEncodedSize(payload.Length);
        if (destination.Length < size)
        {
            throw new ArgumentException("Destination is too short for the frame.", nameof(destination));
        }

        WriteHeader(destination, new FrameHeader(type, flags, payload.Length, sequence));
        payload.CopyTo(destination[HeaderSize..]);
        return size;
    }

    /// <summary>Encodes a frame into a new array. For cold paths and tests; hot paths use <see cref="Write"/>.</summary>
    public static byte[] Encode(FrameType type, FrameFlags flags, ulong sequence, ReadOnlySpan<byte> payload)
    {
        var buffer = new byte[GetEncodedSize(payload.Length)];
        Write(buffer, type, flags, sequence, payload);
        return buffer;
    }

    /// <summary>
    /// Reads one frame from the start of <paramref name="input"/>.
    /// </summary>
    /// <param name="input">Bytes received so far.</param>
    /// <param name="maxPayload">Largest payload the caller accepts.</param>
    /// <param name="header">The frame's header when the result is <see cref="FrameReadStatus.Complete"/>.</param>
    /// <param name="payload">The frame's payload, a slice of <paramref name="input"/>.</param>
    /// <param name="consumed">Bytes of <paramref name="input"/> the frame occupies.</param>
    /// <returns>
    /// <see cref="FrameReadStatus.Complete"/>, <see cref="FrameReadStatus.Incomplete"/> when more bytes are needed,
    /// or the reason the input is not a valid frame. Never throws for bad input.
    /// </returns>
    public static FrameReadStatus TryRead(ReadOnlySpan<byte> input, int maxPayload, out FrameHeader header, out ReadOnlySpan<byte> payload, out int consumed)
    {
        payload = default;
        consumed = 0;
        var status = TryReadHeader(input, maxPayload, out header);
        if (status != FrameReadStatus.Complete)
        {
            header = default;
            return status;
        }

        var length = (uint)header.PayloadLength;
        // Compare without adding: HeaderSize + length overflows an int when the limit is near int.MaxValue.
        if ((uint)(input.Length - HeaderSize) < length)
        {
            header = default;
            return FrameReadStatus.Incomplete;
        }

        payload = input.Slice(HeaderSize, (int)length);
        consumed = HeaderSize + (int)length;
        return FrameReadStatus.Complete;
    }

    /// <summary>
    /// Reads only the 16-byte header at the start of <paramref name="input"/>, for a reader that takes the payload in
    /// slices as it arrives (a large paste on a WebSocket) instead of buffering it whole.
    /// </summary>
    /// <param name="input">At least the header's bytes; anything after it is not looked at.</param>
    /// <param name="maxPayload">Largest payload the caller accepts.</param>
    /// <param name="header">The header when the result is <see cref="FrameReadStatus.Complete"/>; otherwise default.</param>
    /// <returns>
    /// <see cref="FrameReadStatus.Complete"/> (the header is valid; the payload may still be to come),
    /// <see cref="FrameReadStatus.Incomplete"/> when fewer than <see cref="HeaderSize"/> bytes are given,
    /// <see cref="FrameReadStatus.UnsupportedVersion"/>, <see cref="FrameReadStatus.UnknownType"/> or
    /// <see cref="FrameReadStatus.PayloadTooLarge"/>. Never throws for bad input.
    /// </returns>
    public static FrameReadStatus TryReadHeader(ReadOnlySpan<byte> input, int maxPayload, out FrameHeader header)
    {
        header = default;
        if (input.Length >= 1 && input[0] != Version)
        {
            return FrameReadStatus.UnsupportedVersion;
        }

        if (input.Length < HeaderSize)
        {
            return FrameReadStatus.Incomplete;
        }

        var type = (FrameType)input[1];
        if (!IsKnown(type))
        {
            return FrameReadStatus.UnknownType;
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(input[4..]);
        if (length > (uint)maxPayload)
        {
            return FrameReadStatus.PayloadTooLarge;
        }

        var flags = (FrameFlags)BinaryPrimitives.ReadUInt16BigEndian(input[2..]);
        var sequence = BinaryPrimitives.ReadUInt64BigEndian(input[8..]);
        header = new FrameHeader(type, flags, (int)length, sequence);
        return FrameReadStatus.Complete;
    }

    /// <summary>
    /// Reads a message that must hold exactly one whole frame (one MQTT publish, one WebSocket message).
    /// Trailing bytes and a short message are errors here, not "incomplete".
    /// </summary>
    public static FrameReadStatus TryReadMessage(ReadOnlySpan<byte> message, int maxPayload, out FrameHeader header, out ReadOnlySpan<byte> payload)
    {
        var status = TryRead(message, maxPayload, out header, out payload, out var consumed);
        if (status == FrameReadStatus.Incomplete)
        {
            return FrameReadStatus.Truncated;
        }

        if (status == FrameReadStatus.Complete && consumed != message.Length)
        {
            header = default;
            payload = default;
            return FrameReadStatus.TrailingBytes;
        }

        return status;
    }

    /// <summary>True for frame types this version of the codec understands.</summary>
    public static bool IsKnown(FrameType type) => type switch
    {
        FrameType.TerminalOutput or FrameType.TerminalResize or FrameType.TerminalSnapshot or FrameType.End
            or FrameType.TerminalInput or FrameType.TerminalResizeRequest => true,
        FrameType.DisplayInit or FrameType.DisplayUpdate or FrameType.DisplayCursor or FrameType.DisplayPointer
            or FrameType.DisplayClipboard or FrameType.PointerInput or FrameType.KeyInput or FrameType.ClipboardInput
            or FrameType.DisplayResizeRequest => true,
        _ => false,
    };
}

/// <summary>The outcome of reading a frame.</summary>
public enum FrameReadStatus
{
    /// <summary>A whole frame was read.</summary>
    Complete,

    /// <summary>The input ends inside the frame; read more and try again.</summary>
    Incomplete,

    /// <summary>A message ended before its frame did.</summary>
    Truncated,

    /// <summary>A message held more bytes than its frame.</summary>
    TrailingBytes,

    /// <summary>The first byte is not a codec version this build understands.</summary>
    UnsupportedVersion,

    /// <summary>The frame type is unknown to this version.</summary>
    UnknownType,

    /// <summary>The declared payload is larger than the reader accepts.</summary>
    PayloadTooLarge,

    /// <summary>The payload does not have the shape its type requires.</summary>
    MalformedPayload,
}
