using System.Buffers.Binary;

namespace EdgeGateway.Protocol.Tests.Rfb;

/// <summary>
/// Writes server-to-client RFB bytes by hand, field by field as the specs lay them out, for the pixel format the client
/// sets (32 bpp little-endian, R at bit 16): a PIXEL is B, G, R, 0.
/// </summary>
internal sealed class RfbBytes
{
    private readonly List<byte> _bytes = [];

    public int Length => _bytes.Count;

    public RfbBytes U8(int value)
    {
        _bytes.Add((byte)value);
        return this;
    }

    public RfbBytes U16(int value)
    {
        _bytes.Add((byte)(value >> 8));
        _bytes.Add((byte)value);
        return this;
    }

    public RfbBytes U32(uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, value);
        _bytes.AddRange(b.ToArray());
        return this;
    }

    public RfbBytes S32(int value) => U32(unchecked((uint)value));

    public RfbBytes Bytes(params byte[] bytes)
    {
        _bytes.AddRange(bytes);
        return this;
    }

    /// <summary>A 4-byte PIXEL for <c>0x00RRGGBB</c> (the unused byte set, which the decoder must ignore).</summary>
    public RfbBytes Pixel(uint rgb) => U8((int)rgb).U8((int)(rgb >> 8)).U8((int)(rgb >> 16)).U8(0xEE);

    /// <summary>A ZRLE CPIXEL: the three least significant bytes of the little-endian pixel (B, G, R).</summary>
    public RfbBytes CPixel(uint rgb) => U8((int)rgb).U8((int)(rgb >> 8)).U8((int)(rgb >> 16));

    /// <summary>A Tight TPIXEL: R, G, B.</summary>
    public RfbBytes TPixel(uint rgb) => U8((int)(rgb >> 16)).U8((int)(rgb >> 8)).U8((int)rgb);

    /// <summary>FramebufferUpdate header (RFC 6143 §7.6.1).</summary>
    public RfbBytes Update(int rects) => U8(0).U8(0).U16(rects);

    /// <summary>Rectangle header (RFC 6143 §7.6.1).</summary>
    public RfbBytes Rect(int x, int y, int width, int height, int encoding) => U16(x).U16(y).U16(width).U16(height).S32(encoding);

    /// <summary>Tight compact length (rfbproto "Tight Encoding": 7 bits per byte, up to 3 bytes).</summary>
    public RfbBytes CompactLength(int length)
    {
        if (length < 128)
        {
            return U8(length);
        }

        if (length < 16384)
        {
            return U8((length & 0x7F) | 0x80).U8(length >> 7);
        }

        return U8((length & 0x7F) | 0x80).U8(((length >> 7) & 0x7F) | 0x80).U8(length >> 14);
    }

    /// <summary>A ZRLE block: U32 length, then the zlib bytes.</summary>
    public RfbBytes Block(byte[] zlib) => U32((uint)zlib.Length).Bytes(zlib);

    public byte[] ToArray() => [.. _bytes];
}
