using System.Buffers.Binary;

namespace EdgeGateway.Protocol.Rfb;

/// <summary>
/// Pixel conversions for the one pixel format the client sets (32 bpp, depth 24, little-endian, true colour, R at bit
/// 16, G at 8, B at 0) into framebuffer pixels <c>0x00RRGGBB</c>.
/// </summary>
internal static class RfbPixels
{
    /// <summary>A 4-byte PIXEL (bytes B, G, R, unused).</summary>
    public static uint Pixel(ReadOnlySpan<byte> bytes) => BinaryPrimitives.ReadUInt32LittleEndian(bytes) & 0x00FFFFFF;

    /// <summary>A ZRLE CPIXEL: the pixel's three least significant bytes, in its byte order (B, G, R).</summary>
    public static uint CPixel(ReadOnlySpan<byte> bytes) => bytes[0] | ((uint)bytes[1] << 8) | ((uint)bytes[2] << 16);

    /// <summary>A Tight TPIXEL: R, G, B.</summary>
    public static uint TPixel(ReadOnlySpan<byte> bytes) => ((uint)bytes[0] << 16) | ((uint)bytes[1] << 8) | bytes[2];

    /// <summary>Converts <c>destination.Length</c> 4-byte PIXELs.</summary>
    public static void ReadPixels(ReadOnlySpan<byte> source, Span<uint> destination)
    {
        source = source[..(destination.Length * 4)];
        for (var i = 0; i < destination.Length; i++)
        {
            destination[i] = BinaryPrimitives.ReadUInt32LittleEndian(source[(i * 4)..]) & 0x00FFFFFF;
        }
    }
}
