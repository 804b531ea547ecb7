using System.Buffers;
using System.Buffers.Binary;

namespace EdgeGateway.Protocol.Rfb;

/// <summary>
/// Client-to-server messages (RFC 6143 §7.5), written whole into a buffer. Each starts with its message-type byte.
/// </summary>
public static class RfbClientMessages
{
    /// <summary>Longest ClientCutText the appliance sends, in bytes (the browser's clipboard input is bounded to 256 KiB).</summary>
    public const int MaxCutTextBytes = 256 * 1024;

    /// <summary>
    /// SetPixelFormat (§7.5.1), 20 bytes: <c>u8 0, 3 padding, PIXEL_FORMAT</c>. The appliance always sends
    /// <see cref="RfbPixelFormat.Rgb888"/>.
    /// </summary>
    public static void WriteSetPixelFormat(IBufferWriter<byte> output, RfbPixelFormat format)
    {
        ArgumentNullException.ThrowIfNull(output);
        var span = output.GetSpan(20)[..20];
        span[..4].Clear();
        format.Write(span[4..]);
        output.Advance(20);
    }

    /// <summary>SetEncodings (§7.5.2): <c>u8 2, padding, u16 count, count × s32 encoding</c>, preferred first.</summary>
    /// <exception cref="ArgumentOutOfRangeException">More than 65,535 encodings.</exception>
    public static void WriteSetEncodings(IBufferWriter<byte> output, IReadOnlyList<int> encodings)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(encodings);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(encodings.Count, ushort.MaxValue);
        var length = 4 + (4 * encodings.Count);
        var span = output.GetSpan(length)[..length];
        span[0] = 2;
        span[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(span[2..], (ushort)encodings.Count);
        for (var i = 0; i < encodings.Count; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(span[(4 + (4 * i))..], encodings[i]);
        }

        output.Advance(length);
    }

    /// <summary>
    /// FramebufferUpdateRequest (§7.5.3), 10 bytes: <c>u8 3, u8 incremental, u16 x, u16 y, u16 width, u16 height</c>.
    /// </summary>
    public static void WriteFramebufferUpdateRequest(IBufferWriter<byte> output, bool incremental, int x, int y, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(output);
        var span = output.GetSpan(10)[..10];
        span[0] = 3;
        span[1] = incremental ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt16BigEndian(span[2..], checked((ushort)x));
        BinaryPrimitives.WriteUInt16BigEndian(span[4..], checked((ushort)y));
        BinaryPrimitives.WriteUInt16BigEndian(span[6..], checked((ushort)width));
        BinaryPrimitives.WriteUInt16BigEndian(span[8..], checked((ushort)height));
        output.Advance(10);
    }

    /// <summary>KeyEvent (§7.5.4), 8 bytes: <c>u8 4, u8 down-flag, 2 padding, u32 keysym</c> (an X11 keysym).</summary>
    public static void WriteKeyEvent(IBufferWriter<byte> output, bool down, uint keysym)
    {
        ArgumentNullException.ThrowIfNull(output);
        var span = output.GetSpan(8)[..8];
        span[0] = 4;
        span[1] = down ? (byte)1 : (byte)0;
        span[2] = 0;
        span[3] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(span[4..], keysym);
        output.Advance(8);
    }

    /// <summary>
    /// PointerEvent (§7.5.5), 6 bytes: <c>u8 5, u8 button-mask, u16 x, u16 y</c>; bit 0 left, 1 middle, 2 right,
    /// 3/4 wheel up/down, 5/6 wheel left/right.
    /// </summary>
    public static void WritePointerEvent(IBufferWriter<byte> output, byte buttonMask, int x, int y)
    {
        ArgumentNullException.ThrowIfNull(output);
        var span = output.GetSpan(6)[..6];
        span[0] = 5;
        span[1] = buttonMask;
        BinaryPrimitives.WriteUInt16BigEndian(span[2..], checked((ushort)x));
        BinaryPrimitives.WriteUInt16BigEndian(span[4..], checked((ushort)y));
        output.Advance(6);
    }

    /// <summary>
    /// ClientCutText (§7.5.6): <c>u8 6, 3 padding, u32 length, text</c> in ISO 8859-1; characters outside it are sent
    /// as '?'. At most <see cref="MaxCutTextBytes"/> characters are sent.
    /// </summary>
    public static void WriteClientCutText(IBufferWriter<byte> output, ReadOnlySpan<char> text)
    {
        ArgumentNullException.ThrowIfNull(output);
        text = text[..Math.Min(text.Length, MaxCutTextBytes)];
        var length = 8 + text.Length;
        var span = output.GetSpan(length)[..length];
        span[0] = 6;
        span[1..4].Clear();
        BinaryPrimitives.WriteUInt32BigEndian(span[4..], (uint)text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            span[8 + i] = c <= 0xFF ? (byte)c : (byte)'?';
        }

        output.Advance(length);
    }
}
