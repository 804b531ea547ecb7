using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;

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

    /// <summary>Converts <c>destination.Length</c> 4-byte PIXELs (a Raw row: on little-endian hosts a masked copy).</summary>
    public static void ReadPixels(ReadOnlySpan<byte> source, Span<uint> destination)
    {
        source = source[..(destination.Length * 4)];
        var i = 0;
        if (BitConverter.IsLittleEndian)
        {
            var words = MemoryMarshal.Cast<byte, uint>(source);
            if (Vector.IsHardwareAccelerated)
            {
                var mask = new Vector<uint>(0x00FFFFFF);
                for (; i <= words.Length - Vector<uint>.Count; i += Vector<uint>.Count)
                {
                    (new Vector<uint>(words[i..]) & mask).CopyTo(destination[i..]);
                }
            }

            for (; i < words.Length; i++)
            {
                destination[i] = words[i] & 0x00FFFFFF;
            }

            return;
        }

        for (; i < destination.Length; i++)
        {
            destination[i] = BinaryPrimitives.ReadUInt32LittleEndian(source[(i * 4)..]) & 0x00FFFFFF;
        }
    }
}
