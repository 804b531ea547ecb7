using System.IO.Compression;
using EdgeGateway.Protocol.Display;

namespace EdgeGateway.Protocol.Tests.Display;

/// <summary>
/// Builds DisplayUpdate payloads by hand for the codec tests (the appliance's encoder is tested on its own): rect
/// headers, their data, and a raw deflate stream that continues across payloads like the appliance's.
/// </summary>
internal sealed class DisplayTestEncoder : IDisposable
{
    private readonly MemoryStream _compressed = new();
    private DeflateStream _deflate;
    private readonly List<DisplayRect> _rects = [];
    private readonly MemoryStream _data = new();

    public DisplayTestEncoder() => _deflate = new DeflateStream(_compressed, CompressionLevel.Optimal, leaveOpen: true);

    /// <summary>Starts a new deflate context, as a DisplayInit does.</summary>
    public void Reset()
    {
        _deflate.Dispose();
        _compressed.SetLength(0);
        _deflate = new DeflateStream(_compressed, CompressionLevel.Optimal, leaveOpen: true);
    }

    public DisplayTestEncoder Solid(int x, int y, int w, int h, uint colour)
    {
        _rects.Add(new DisplayRect(DisplayRectKind.Solid, new PixelRect(x, y, w, h), Colour: colour));
        return this;
    }

    public DisplayTestEncoder Copy(int sx, int sy, int x, int y, int w, int h)
    {
        _rects.Add(new DisplayRect(DisplayRectKind.CopyRect, new PixelRect(x, y, w, h), SourceX: sx, SourceY: sy));
        return this;
    }

    /// <summary>A Pixels rect of <paramref name="pixels"/> (row-major, w × h).</summary>
    public DisplayTestEncoder Pixels(int x, int y, int w, int h, ReadOnlySpan<uint> pixels)
    {
        _rects.Add(new DisplayRect(DisplayRectKind.Pixels, new PixelRect(x, y, w, h)));
        var row = new byte[w * 3];
        for (var r = 0; r < h; r++)
        {
            DisplayFrames.WritePixelRow(row, pixels.Slice(r * w, w));
            _data.Write(row);
        }

        return this;
    }

    /// <summary>A Palette rect: <paramref name="palette"/> colours, <paramref name="indices"/> one per pixel.</summary>
    public DisplayTestEncoder Palette(int x, int y, int w, int h, uint[] palette, ReadOnlySpan<byte> indices)
    {
        _rects.Add(new DisplayRect(DisplayRectKind.Palette, new PixelRect(x, y, w, h), PaletteSize: palette.Length));
        var bytes = new byte[palette.Length * 3];
        DisplayFrames.WritePixelRow(bytes, palette);
        _data.Write(bytes);
        var row = new byte[DisplayFrames.PaletteRowLength(palette.Length, w)];
        for (var r = 0; r < h; r++)
        {
            DisplayFrames.PackIndexRow(row, indices.Slice(r * w, w), palette.Length);
            _data.Write(row);
        }

        return this;
    }

    /// <summary>The payload of the rects added since the last call; the data deflated when <paramref name="deflate"/>.</summary>
    public byte[] Build(bool deflate = true)
    {
        var data = _data.ToArray();
        deflate &= data.Length > 0;
        if (deflate)
        {
            _compressed.SetLength(0);
            _deflate.Write(data);
            _deflate.Flush();
            data = _compressed.ToArray();
        }

        var headers = new byte[4 + (_rects.Count * DisplayFrames.MaxRectHeaderSize)];
        var length = DisplayFrames.WriteUpdateHeader(headers, _rects.Count, deflate ? DisplayCompression.Deflate : DisplayCompression.None);
        foreach (var rect in _rects)
        {
            length += DisplayFrames.WriteRect(headers.AsSpan(length), rect);
        }

        _rects.Clear();
        _data.SetLength(0);
        return [.. headers.AsSpan(0, length), .. data];
    }

    public static byte[] Init(int width, int height, string name = "test")
    {
        var payload = new byte[DisplayFrames.GetInitSize(name)];
        DisplayFrames.WriteInit(payload, width, height, name);
        return payload;
    }

    public void Dispose()
    {
        _deflate.Dispose();
        _compressed.Dispose();
        _data.Dispose();
    }
}
