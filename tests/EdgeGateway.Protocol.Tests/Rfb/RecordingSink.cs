using EdgeGateway.Protocol.Display;
using EdgeGateway.Protocol.Rfb;

namespace EdgeGateway.Protocol.Tests.Rfb;

/// <summary>
/// Records what the decoder reported. Pixel reports are kept as a coverage mask (how rows and tiles are batched depends
/// on how the bytes were split); everything else as a readable event list.
/// </summary>
internal sealed class RecordingSink : IRfbUpdateSink
{
    private readonly Framebuffer _framebuffer;

    public RecordingSink(Framebuffer framebuffer)
    {
        _framebuffer = framebuffer;
        Covered = new bool[framebuffer.Width * framebuffer.Height];
    }

    public List<string> Events { get; } = [];

    public bool[] Covered { get; private set; }

    public uint[] LastCursor { get; private set; } = [];

    public int Updates { get; private set; }

    public void OnPixels(PixelRect rect)
    {
        Assert.False(rect.IsEmpty, $"empty pixel report {rect}");
        Assert.True(rect.FitsIn(_framebuffer.Width, _framebuffer.Height), $"pixel report {rect} outside {_framebuffer.Width}×{_framebuffer.Height}");
        Cover(rect);
    }

    public void OnCopyRect(int sourceX, int sourceY, PixelRect destination)
    {
        Events.Add($"copy {sourceX},{sourceY} -> {destination.X},{destination.Y} {destination.Width}x{destination.Height}");
        Cover(destination);
    }

    public void OnResize(int width, int height, string? name)
    {
        Assert.Equal(_framebuffer.Width, width);
        Assert.Equal(_framebuffer.Height, height);
        Events.Add($"resize {width}x{height} {name}");
        Covered = new bool[width * height];
    }

    public void OnCursor(int hotX, int hotY, int width, int height, ReadOnlySpan<uint> argb)
    {
        Assert.Equal(width * height, argb.Length);
        LastCursor = argb.ToArray();
        Events.Add($"cursor {hotX},{hotY} {width}x{height} {Convert.ToHexString(System.Runtime.InteropServices.MemoryMarshal.AsBytes(argb))}");
    }

    public void OnUpdateComplete()
    {
        Updates++;
        Events.Add("complete");
    }

    public void OnBell() => Events.Add("bell");

    public void OnServerCutText(string text, bool truncated) => Events.Add($"cut {text.Length} {truncated} {text[..Math.Min(text.Length, 40)]}");

    private void Cover(PixelRect rect)
    {
        for (var y = rect.Y; y < rect.Bottom; y++)
        {
            Covered.AsSpan((y * _framebuffer.Width) + rect.X, rect.Width).Fill(true);
        }
    }
}
