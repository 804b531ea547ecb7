using System.Buffers.Binary;

namespace EdgeGateway.Testing;

/// <summary>
/// Ground truth for a remote display: the X server's own pixels, read with <c>xwd -root -silent</c> and parsed from the
/// XWD file format (X11 <c>XWDFileHeader</c>: 25 big-endian u32 fields, the window name, the colour map, then the image).
/// Only the format Xvnc and Xvfb write at depth 24 is accepted: ZPixmap, 32 bits per pixel, masks FF0000/FF00/FF.
/// </summary>
public sealed class XwdImage
{
    private XwdImage(int width, int height, uint[] pixels)
    {
        Width = width;
        Height = height;
        Pixels = pixels;
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>Row-major <c>0x00RRGGBB</c>, as <c>Display.Framebuffer</c> holds them.</summary>
    public uint[] Pixels { get; }

    /// <summary>Takes a picture of the whole screen of <paramref name="display"/> (":12").</summary>
    public static async Task<XwdImage> CaptureAsync(string display, CancellationToken cancellationToken = default)
    {
        var file = Path.Combine(Path.GetTempPath(), $"eg-xwd-{Guid.NewGuid():N}.xwd");
        try
        {
            await ProcessRunner.RunCheckedAsync("xwd", ["-root", "-silent", "-display", display, "-out", file], cancellationToken: cancellationToken);
            return Parse(await File.ReadAllBytesAsync(file, cancellationToken));
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>Parses an XWD file.</summary>
    /// <exception cref="FormatException">Not a 32 bpp true-colour ZPixmap XWD file.</exception>
    public static XwdImage Parse(ReadOnlySpan<byte> file)
    {
        uint Field(ReadOnlySpan<byte> f, int index) => BinaryPrimitives.ReadUInt32BigEndian(f[(index * 4)..]);
        if (file.Length < 100)
        {
            throw new FormatException("Not an XWD file: shorter than its header.");
        }

        var headerSize = (int)Field(file, 0);
        var version = Field(file, 1);
        var format = Field(file, 2);
        var width = (int)Field(file, 4);
        var height = (int)Field(file, 5);
        var byteOrder = Field(file, 7);
        var bitsPerPixel = Field(file, 11);
        var bytesPerLine = (int)Field(file, 12);
        var (red, green, blue) = (Field(file, 14), Field(file, 15), Field(file, 16));
        var colours = (int)Field(file, 19);
        if (version != 7 || format != 2 || bitsPerPixel != 32 || red != 0xFF0000 || green != 0xFF00 || blue != 0xFF)
        {
            throw new FormatException($"Unsupported XWD image: version {version}, format {format}, {bitsPerPixel} bpp, masks {red:X}/{green:X}/{blue:X}.");
        }

        var data = file[(headerSize + (colours * 12))..];
        if (data.Length < (long)bytesPerLine * height)
        {
            throw new FormatException("XWD image data is shorter than its header says.");
        }

        var pixels = new uint[width * height];
        for (var y = 0; y < height; y++)
        {
            var row = data.Slice(y * bytesPerLine, width * 4);
            for (var x = 0; x < width; x++)
            {
                var p = row.Slice(x * 4, 4);
                var value = byteOrder == 0 ? BinaryPrimitives.ReadUInt32LittleEndian(p) : BinaryPrimitives.ReadUInt32BigEndian(p);
                pixels[(y * width) + x] = value & 0x00FFFFFF;
            }
        }

        return new XwdImage(width, height, pixels);
    }

    /// <summary>
    /// Null when <paramref name="pixels"/> (row-major, same size) equal this image; otherwise a sentence with the count
    /// of differing pixels and the first one, for a failure message.
    /// </summary>
    public string? Compare(int width, int height, ReadOnlySpan<uint> pixels)
    {
        if (width != Width || height != Height)
        {
            return $"size {width}×{height}, the X server's is {Width}×{Height}";
        }

        var differ = 0;
        var first = -1;
        for (var i = 0; i < Pixels.Length; i++)
        {
            if ((pixels[i] & 0x00FFFFFF) != Pixels[i])
            {
                differ++;
                if (first < 0)
                {
                    first = i;
                }
            }
        }

        return differ == 0 ? null
            : $"{differ} pixels differ; the first at ({first % Width}, {first / Width}): {pixels[first]:X6}, the X server has {Pixels[first]:X6}";
    }
}
