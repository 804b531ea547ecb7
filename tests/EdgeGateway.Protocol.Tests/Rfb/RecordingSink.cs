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

    public RecordingSink(Framebuffer framebuffer, bool quiet = false)
    {
        _framebuffer = framebuffer;
        Quiet = quiet;
        Covered = new bool[framebuffer.Width * framebuffer.Height];
    }

    /// <summary>Checks every report but records nothing (allocates nothing), for allocation measurements.</summary>
    public bool Quiet { get; }

    public List<string> Events { get; } = [];

    public bool[] Covered { get; private set; }

    public uint[] LastCursor { get; private set; } = [];

    public int Updates { get; private set; }

    public void OnPixels(PixelRect rect)
    {
        if (rect.IsEmpty || !rect.FitsIn(_framebuffer.Width, _framebuffer.Height))
        {
            Assert.Fail($"pixel report {rect} empty or outside {_framebuffer.Width}×{_framebuffer.Height}");
        }

        Cover(rect);
    }

    public void OnCopyRect(int sourceX, int sourceY, PixelRect destination)
    {
        if (destination.IsEmpty || !destination.FitsIn(_framebuffer.Width, _framebuffer.Height) || !(destination with { X = sourceX, Y = sourceY }).FitsIn(_framebuffer.Width, _framebuffer.Height))
        {
            Assert.Fail($"copy report {sourceX},{sourceY} -> {destination} outside {_framebuffer.Width}×{_framebuffer.Height}");
        }

        Record($"copy {sourceX},{sourceY} -> {destination.X},{destination.Y} {destination.Width}x{destination.Height}");
        Cover(destination);
    }

    public void OnResize(int width, int height, string? name)
    {
        if (width != _framebuffer.Width || height != _framebuffer.Height)
        {
            Assert.Fail($"resize report {width}x{height} but the framebuffer is {_framebuffer.Width}×{_framebuffer.Height}");
        }

        Record($"resize {width}x{height} {name}");
        Covered = Quiet ? Covered : new bool[width * height];
    }

    public void OnCursor(int hotX, int hotY, int width, int height, ReadOnlySpan<uint> argb)
    {
        if (argb.Length != width * height)
        {
            Assert.Fail($"cursor {width}x{height} with {argb.Length} pixels");
        }

        foreach (var pixel in argb)
        {
            if (pixel != 0 && pixel >> 24 != 0xFF)
            {
                Assert.Fail($"cursor pixel {pixel:X8} neither transparent nor opaque");
            }
        }

        if (!Quiet)
        {
            LastCursor = argb.ToArray();
            Record($"cursor {hotX},{hotY} {width}x{height} {Convert.ToHexString(System.Runtime.InteropServices.MemoryMarshal.AsBytes(argb))}");
        }
    }

    public void OnUpdateComplete()
    {
        Updates++;
        Record("complete");
    }

    public void OnBell() => Record("bell");

    public void OnServerCutText(string text, bool truncated)
    {
        if (!Quiet)
        {
            Record($"cut {text.Length} {truncated} {text[..Math.Min(text.Length, 40)]}");
        }
    }

    private void Record(string text)
    {
        if (!Quiet)
        {
            Events.Add(text);
        }
    }

    private void Cover(PixelRect rect)
    {
        if (Quiet)
        {
            return;
        }

        for (var y = rect.Y; y < rect.Bottom; y++)
        {
            Covered.AsSpan((y * _framebuffer.Width) + rect.X, rect.Width).Fill(true);
        }
    }
}
