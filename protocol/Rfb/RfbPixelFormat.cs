using System.Buffers.Binary;

namespace EdgeGateway.Protocol.Rfb;

/// <summary>
/// An RFB PIXEL_FORMAT (RFC 6143 §7.4), 16 bytes on the wire:
/// <code>
/// u8 bits-per-pixel, u8 depth, u8 big-endian-flag, u8 true-colour-flag,
/// u16 red-max, u16 green-max, u16 blue-max, u8 red-shift, u8 green-shift, u8 blue-shift, 3 bytes padding
/// </code>
/// </summary>
public readonly record struct RfbPixelFormat(
    byte BitsPerPixel, byte Depth, bool BigEndian, bool TrueColour,
    ushort RedMax, ushort GreenMax, ushort BlueMax, byte RedShift, byte GreenShift, byte BlueShift)
{
    /// <summary>Bytes on the wire.</summary>
    public const int Size = 16;

    /// <summary>
    /// The only format the appliance asks for: 32 bpp, depth 24, little-endian, true colour, 255/255/255 with shifts
    /// 16/8/0 — each pixel is the <c>0x00RRGGBB</c> of <c>Display.Framebuffer</c> in little-endian order.
    /// </summary>
    public static RfbPixelFormat Rgb888 { get; } = new(32, 24, false, true, 255, 255, 255, 16, 8, 0);

    /// <summary>Reads 16 bytes.</summary>
    public static RfbPixelFormat Read(ReadOnlySpan<byte> source) => new(
        source[0], source[1], source[2] != 0, source[3] != 0,
        BinaryPrimitives.ReadUInt16BigEndian(source[4..]), BinaryPrimitives.ReadUInt16BigEndian(source[6..]),
        BinaryPrimitives.ReadUInt16BigEndian(source[8..]), source[10], source[11], source[12]);

    /// <summary>Writes 16 bytes (padding zeroed).</summary>
    public void Write(Span<byte> destination)
    {
        destination[0] = BitsPerPixel;
        destination[1] = Depth;
        destination[2] = BigEndian ? (byte)1 : (byte)0;
        destination[3] = TrueColour ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], RedMax);
        BinaryPrimitives.WriteUInt16BigEndian(destination[6..], GreenMax);
        BinaryPrimitives.WriteUInt16BigEndian(destination[8..], BlueMax);
        destination[10] = RedShift;
        destination[11] = GreenShift;
        destination[12] = BlueShift;
        destination[13..16].Clear();
    }
}
