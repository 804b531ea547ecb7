using EdgeGateway.Appliance.Sessions;
using EdgeGateway.Appliance.Sessions.Display;
using EdgeGateway.Appliance.Tests.Sessions.Terminal;
using EdgeGateway.Protocol.Display;
using EdgeGateway.Protocol.Stream;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGateway.Appliance.Tests.Sessions.Display;

/// <summary>
/// A viewer behind the uplink: every frame the streamer sends is applied to a <see cref="DisplayCanvas"/> (it must be
/// accepted), and its size and send time are kept.
/// </summary>
internal sealed class ViewerSink(TimeProvider time) : IFrameSink, IDisposable
{
    public DisplayCanvas Canvas { get; private set; } = new();

    public List<(FrameType Type, FrameFlags Flags, int Length, DateTimeOffset At, DisplayRectKind[] Kinds)> Frames { get; } = [];

    public long Bytes => Frames.Sum(f => (long)f.Length);

    public ValueTask SendAsync(FrameType type, FrameFlags flags, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        Assert.InRange(payload.Length, 0, FrameCodec.DefaultMaxPayload);
        var kinds = Array.Empty<DisplayRectKind>();
        if (type == FrameType.DisplayUpdate && DisplayFrames.TryReadUpdate(payload.Span, Canvas.Width, Canvas.Height, out var update) == DisplayReadStatus.Ok)
        {
            var list = new List<DisplayRectKind>();
            var rects = DisplayFrames.ReadRects(payload.Span, update);
            while (rects.TryNext(out var rect))
            {
                list.Add(rect.Kind);
            }

            kinds = [.. list];
        }

        Assert.Equal(DisplayReadStatus.Ok, Canvas.Apply(type, flags, payload.Span));
        Frames.Add((type, flags, payload.Length, time.GetUtcNow(), kinds));
        return ValueTask.CompletedTask;
    }

    /// <summary>A viewer that joins now: it knows nothing until the next keyframe.</summary>
    public void Rejoin()
    {
        Canvas.Dispose();
        Canvas = new DisplayCanvas();
        Frames.Clear();
    }

    public void AssertShows(Framebuffer screen)
    {
        Assert.Equal((screen.Width, screen.Height), (Canvas.Width, Canvas.Height));
        var expected = screen.Pixels;
        var actual = Canvas.Pixels;
        var at = expected.CommonPrefixLength(actual);
        Assert.True(at == expected.Length, $"the viewer differs from the framebuffer first at ({at % screen.Width},{at / screen.Width}): {(at < actual.Length ? actual[at] : 0):X6} instead of {(at < expected.Length ? expected[at] : 0):X6}");
    }

    /// <summary>True when the viewer shows <paramref name="region"/> of <paramref name="screen"/> as the screen has it now.</summary>
    public bool Shows(Framebuffer screen, PixelRect region)
    {
        for (var y = region.Y; y < region.Bottom; y++)
        {
            if (!screen.Row(y).Slice(region.X, region.Width).SequenceEqual(Canvas.Pixels.Slice((y * Canvas.Width) + region.X, region.Width)))
            {
                return false;
            }
        }

        return true;
    }

    public void Dispose() => Canvas.Dispose();
}

/// <summary>
/// Paints desktop-like content into a framebuffer, as a device's RFB updates would, and reports it to a sink the way
/// the RFB decoder does: flat wallpaper, windows with title bars and text in 8 × 16 glyph cells (black on white with
/// a few anti-aliasing greys), icons with many colours.
/// </summary>
internal sealed class SyntheticDesktop(Framebuffer screen, Random random)
{
    private const uint Wallpaper = 0x3A6EA5;
    private const uint TitleBar = 0x1F3F77;
    private const uint WindowBody = 0xFFFFFF;
    private const uint Border = 0xA0A0A0;
    private static readonly uint[] Ink = [0x000000, 0x505050, 0x9A9A9A, 0xD0D0D0];
    private readonly byte[][] _glyphs = MakeGlyphs(new Random(95));

    public Framebuffer Screen { get; } = screen;

    /// <summary>Paints a whole desktop: wallpaper, a taskbar with icons, a few windows full of text.</summary>
    public void PaintDesktop(Action<PixelRect> changed)
    {
        Screen.Fill(Screen.Bounds, Wallpaper);
        var taskbar = new PixelRect(0, Screen.Height - 40, Screen.Width, 40);
        Screen.Fill(taskbar, 0x202020);
        for (var x = 8; x + 32 < Math.Min(Screen.Width, 400); x += 40)
        {
            Icon(x, Screen.Height - 36);
        }

        for (var i = 0; i < 6; i++)
        {
            Icon(16, 16 + (i * 56));
        }

        Window(new PixelRect(Screen.Width / 10, Screen.Height / 12, Screen.Width / 2, Screen.Height / 2));
        Window(new PixelRect(Screen.Width / 3, Screen.Height / 3, Screen.Width / 2, Screen.Height / 2));
        changed(Screen.Bounds);
    }

    /// <summary>A window: border, title bar, body of text lines.</summary>
    public PixelRect Window(PixelRect r)
    {
        r = r.Intersect(Screen.Bounds);
        Screen.Fill(r, Border);
        if (r.Width < 24 || r.Height < 30)
        {
            return r;
        }

        Screen.Fill(new PixelRect(r.X + 1, r.Y + 1, r.Width - 2, 22), TitleBar);
        var body = new PixelRect(r.X + 1, r.Y + 23, r.Width - 2, r.Height - 24);
        Screen.Fill(body, WindowBody);
        Text(r.X + 8, r.Y + 4, (r.Width - 16) / 8, 0xFFFFFF, TitleBar);
        for (var y = body.Y + 4; y + 16 <= body.Bottom; y += 18)
        {
            Text(body.X + 6, y, random.Next((body.Width - 12) / 16, ((body.Width - 12) / 8) + 1), 0, WindowBody);
        }

        return r;
    }

    /// <summary>A run of <paramref name="count"/> glyphs at (x, y); returns the rectangle painted.</summary>
    public PixelRect Text(int x, int y, int count, uint ink = 0, uint paper = WindowBody)
    {
        var r = new PixelRect(x, y, count * 8, 16).Intersect(Screen.Bounds);
        for (var i = 0; i < count; i++)
        {
            Glyph(x + (i * 8), y, random.Next(_glyphs.Length), ink, paper);
        }

        return r;
    }

    /// <summary>A 32 × 32 icon of many colours (a small picture).</summary>
    public PixelRect Icon(int x, int y)
    {
        var r = new PixelRect(x, y, 32, 32).Intersect(Screen.Bounds);
        var baseColour = (uint)random.Next(0x1000000);
        for (var row = r.Y; row < r.Bottom; row++)
        {
            for (var col = r.X; col < r.Right; col++)
            {
                var shade = (uint)(((row - y) * 4) + ((col - x) * 2) + random.Next(16));
                Screen.Row(row)[col] = (baseColour + (shade * 0x010101)) & 0xFFFFFF;
            }
        }

        return r;
    }

    /// <summary>Random pixels: the worst case (a photo, video).</summary>
    public PixelRect Noise(PixelRect r)
    {
        r = r.Intersect(Screen.Bounds);
        for (var row = r.Y; row < r.Bottom; row++)
        {
            var pixels = Screen.Row(row).Slice(r.X, r.Width);
            for (var i = 0; i < pixels.Length; i++)
            {
                pixels[i] = (uint)random.Next(0x1000000);
            }
        }

        return r;
    }

    private void Glyph(int x, int y, int glyph, uint ink, uint paper)
    {
        var bits = _glyphs[glyph];
        for (var row = 0; row < 16 && y + row < Screen.Height; row++)
        {
            var line = Screen.Row(y + row);
            for (var col = 0; col < 8 && x + col < Screen.Width; col++)
            {
                var level = bits[(row * 8) + col]; // 0 paper, 1..4 ink to faint grey
                line[x + col] = level == 0 ? paper : ink == 0 ? Ink[level - 1] : ink;
            }
        }
    }

    private static byte[][] MakeGlyphs(Random random)
    {
        var glyphs = new byte[95][];
        for (var g = 0; g < glyphs.Length; g++)
        {
            var bits = new byte[16 * 8];
            for (var row = 3; row < 14; row++)
            {
                for (var col = 1; col < 7; col++)
                {
                    var r = random.Next(100);
                    bits[(row * 8) + col] = r < 22 ? (byte)1 : r < 27 ? (byte)(2 + random.Next(3)) : (byte)0;
                }
            }

            glyphs[g] = bits;
        }

        return glyphs;
    }
}

/// <summary>A streamer with a viewer and fake time, for the tests.</summary>
internal sealed class StreamerRig : IDisposable
{
    public StreamerRig(int width, int height, DisplayStreamOptions? options = null, int seed = 1)
    {
        Screen = new Framebuffer(width, height);
        Viewer = new ViewerSink(Time);
        Streamer = new DisplayStreamer(Screen, "rig", Viewer, options ?? new DisplayStreamOptions(), Time, Logger);
        Desktop = new SyntheticDesktop(Screen, new Random(seed));
    }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero));

    public RecordingLogger<DisplayStreamer> Logger { get; } = new();

    public Framebuffer Screen { get; }

    public ViewerSink Viewer { get; }

    public DisplayStreamer Streamer { get; }

    public SyntheticDesktop Desktop { get; }

    private DateTimeOffset _nextFlush;

    /// <summary>
    /// 10 ms of a session: <paramref name="pixels"/> changed, then a flush if the streamer's last answer allows one by
    /// now (as the sessions pace it); returns true when a flush ran.
    /// </summary>
    public async Task<bool> StepAsync(PixelRect pixels)
    {
        Streamer.OnPixels(pixels);
        var flushed = false;
        if (Time.GetUtcNow() >= _nextFlush)
        {
            _nextFlush = Time.GetUtcNow() + await Streamer.FlushAsync(default);
            flushed = true;
        }

        Time.Advance(TimeSpan.FromMilliseconds(10));
        return flushed;
    }

    /// <summary>Flushes, waiting what the streamer asks, until nothing is pending; returns the frames sent.</summary>
    public async Task<int> SettleAsync()
    {
        var before = Viewer.Frames.Count;
        for (var i = 0; i < 10_000; i++)
        {
            var wait = await Streamer.FlushAsync(default);
            if (wait == TimeSpan.Zero)
            {
                return Viewer.Frames.Count - before;
            }

            Time.Advance(wait);
        }

        throw new InvalidOperationException("The streamer never settled.");
    }

    public void Dispose()
    {
        Streamer.Dispose();
        Viewer.Dispose();
        Logger.AssertNoWarnings();
    }
}
