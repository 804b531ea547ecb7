using System.IO.Compression;
using EdgeGateway.Protocol.Display;

namespace EdgeGateway.Appliance.Tests.Sessions.Display;

/// <summary>
/// What a VNC server would send for the same rectangles with ZRLE (RFC 6143 §7.7.6), to compare the display stream
/// with: 64 × 64 tiles, each as the smallest of raw, solid, packed palette, plain RLE and palette RLE, 3-byte
/// CPIXELs, all through one zlib stream per connection (level 6, as TigerVNC's default), flushed per rectangle,
/// plus the 12-byte rectangle header and the 4-byte length. An estimate of a good server, not of a given device.
/// </summary>
internal sealed class ZrleEstimate : IDisposable
{
    private readonly MemoryStream _compressed = new();
    private readonly ZLibStream _zlib;
    private readonly MemoryStream _tile = new();

    public ZrleEstimate() => _zlib = new ZLibStream(_compressed, new ZLibCompressionOptions { CompressionLevel = 6 }, leaveOpen: true);

    /// <summary>Bytes on the wire for one rectangle of <paramref name="screen"/> (FramebufferUpdate header not counted).</summary>
    public long Rect(Framebuffer screen, PixelRect rect)
    {
        _tile.SetLength(0);
        for (var ty = rect.Y; ty < rect.Bottom; ty += 64)
        {
            for (var tx = rect.X; tx < rect.Right; tx += 64)
            {
                Tile(screen, new PixelRect(tx, ty, Math.Min(64, rect.Right - tx), Math.Min(64, rect.Bottom - ty)));
            }
        }

        _compressed.SetLength(0);
        _zlib.Write(_tile.GetBuffer(), 0, (int)_tile.Length);
        _zlib.Flush();
        return 12 + 4 + _compressed.Length;
    }

    /// <summary>Bytes for a CopyRect rectangle.</summary>
    public static long CopyRect() => 12 + 4;

    public void Dispose()
    {
        _zlib.Dispose();
        _compressed.Dispose();
        _tile.Dispose();
    }

    private void Tile(Framebuffer screen, PixelRect t)
    {
        var pixels = new List<uint>(t.Width * t.Height);
        for (var y = t.Y; y < t.Bottom; y++)
        {
            foreach (var p in screen.Row(y).Slice(t.X, t.Width))
            {
                pixels.Add(p);
            }
        }

        var palette = pixels.Distinct().Take(128).ToList();
        var runs = Runs(pixels);
        var candidates = new List<byte[]> { Raw(pixels) };
        if (palette.Count == 1)
        {
            candidates.Add([1, .. Rgb(palette[0])]);
        }

        if (palette.Count is >= 2 and <= 16)
        {
            candidates.Add(Packed(pixels, palette, t.Width));
        }

        candidates.Add(PlainRle(runs));
        if (palette.Count is >= 2 and < 128)
        {
            candidates.Add(PaletteRle(runs, palette));
        }

        _tile.Write(candidates.MinBy(c => c.Length));
    }

    private static List<(uint Colour, int Length)> Runs(List<uint> pixels)
    {
        var runs = new List<(uint, int)>();
        for (var i = 0; i < pixels.Count;)
        {
            var j = i;
            while (j < pixels.Count && pixels[j] == pixels[i])
            {
                j++;
            }

            runs.Add((pixels[i], j - i));
            i = j;
        }

        return runs;
    }

    private static byte[] Rgb(uint p) => [(byte)p, (byte)(p >> 8), (byte)(p >> 16)]; // CPIXEL of the little-endian format

    private static byte[] Raw(List<uint> pixels) => [0, .. pixels.SelectMany(Rgb)];

    private static byte[] Packed(List<uint> pixels, List<uint> palette, int width)
    {
        var bits = palette.Count == 2 ? 1 : palette.Count <= 4 ? 2 : 4;
        var output = new List<byte> { (byte)palette.Count };
        output.AddRange(palette.SelectMany(Rgb));
        var indices = pixels.Select(p => (byte)palette.IndexOf(p)).ToArray();
        var row = new byte[((width * bits) + 7) / 8];
        for (var y = 0; y < indices.Length / width; y++)
        {
            DisplayFrames.PackIndexRow(row, indices.AsSpan(y * width, width), palette.Count);
            output.AddRange(row);
        }

        return [.. output];
    }

    private static byte[] PlainRle(List<(uint Colour, int Length)> runs)
    {
        var output = new List<byte> { 128 };
        foreach (var (colour, length) in runs)
        {
            output.AddRange(Rgb(colour));
            RunLength(output, length);
        }

        return [.. output];
    }

    private static byte[] PaletteRle(List<(uint Colour, int Length)> runs, List<uint> palette)
    {
        var output = new List<byte> { (byte)(128 + palette.Count) };
        output.AddRange(palette.SelectMany(Rgb));
        foreach (var (colour, length) in runs)
        {
            var index = (byte)palette.IndexOf(colour);
            if (length == 1)
            {
                output.Add(index);
            }
            else
            {
                output.Add((byte)(index | 128));
                RunLength(output, length);
            }
        }

        return [.. output];
    }

    private static void RunLength(List<byte> output, int length)
    {
        for (length--; length >= 255; length -= 255)
        {
            output.Add(255);
        }

        output.Add((byte)length);
    }
}
