using EdgeGateway.Appliance.Sessions.Display;
using EdgeGateway.Protocol.Display;
using EdgeGateway.Protocol.Stream;
using Xunit.Abstractions;

namespace EdgeGateway.Appliance.Tests.Sessions.Display;

/// <summary>
/// Bytes the display stream costs on a 1280 × 800 desktop-like screen, for a keyframe and typical changes, next to
/// an estimate of the same changes as ZRLE (<see cref="ZrleEstimate"/>). Prints a table; fails when a change's
/// payload costs more than the ZRLE estimate (the goal: at most what the device itself would send). Run:
/// <c>dotnet test tests/EdgeGateway.Appliance.Tests -c Release --filter "FullyQualifiedName~DisplayBytesMeasurement" --logger "console;verbosity=detailed"</c>.
/// </summary>
[Trait("Area", "Vnc")]
public sealed class DisplayBytesMeasurement(ITestOutputHelper output)
{
    [Fact]
    public async Task Keyframe_and_typical_changes_cost_no_more_than_zrle()
    {
        using var rig = new StreamerRig(1280, 800, new DisplayStreamOptions { BudgetBytesPerSecond = 100_000_000, BurstBytes = 64 * 1024 * 1024 });
        using var zrle = new ZrleEstimate();
        var desktop = rig.Desktop;
        var screen = rig.Screen;
        var rows = new List<(string Name, long Ours, int Frames, long Zrle)>();

        desktop.PaintDesktop(_ => { });
        var before = rig.Viewer.Bytes;
        await rig.Streamer.SendKeyframeAsync(default);
        rows.Add(("keyframe (whole screen)", rig.Viewer.Bytes - before, rig.Viewer.Frames.Count, 4 + zrle.Rect(screen, screen.Bounds)));

        // The text window whose body starts at (129, 90): lines every 18 px.
        async Task Measure(string name, Func<List<(PixelRect Rect, int SourceX, int SourceY)>> change)
        {
            rig.Time.Advance(TimeSpan.FromSeconds(1));
            var rects = change();
            var from = rig.Viewer.Bytes;
            var frames = rig.Viewer.Frames.Count;
            await rig.SettleAsync();
            var device = 4L;
            foreach (var (rect, sx, sy) in rects)
            {
                device += sx >= 0 ? ZrleEstimate.CopyRect() : zrle.Rect(screen, rect);
            }

            rows.Add((name, rig.Viewer.Bytes - from, rig.Viewer.Frames.Count - frames, device));
            output.WriteLine($"{name}: {string.Join(" ", rig.Viewer.Frames.Skip(frames).SelectMany(f => f.Kinds).GroupBy(k => k).Select(g => $"{g.Key}×{g.Count()}"))}; device rects {rects.Count}");
            rig.Viewer.AssertShows(screen);
        }

        List<(PixelRect, int, int)> Pixels(PixelRect rect)
        {
            rig.Streamer.OnPixels(rect);
            return [(rect, -1, -1)];
        }

        List<(PixelRect, int, int)> Copy(int sx, int sy, PixelRect destination)
        {
            screen.Copy(sx, sy, destination);
            rig.Streamer.OnCopyRect(sx, sy, destination);
            return [(destination, sx, sy)];
        }

        await Measure("one typed character (8x16)", () => Pixels(desktop.Text(300, 300, 1)));
        await Measure("a word typed (6 chars)", () => Pixels(desktop.Text(308, 300, 6)));
        await Measure("a line of 80 characters", () => Pixels(desktop.Text(140, 318, 80)));
        await Measure("scroll a 620x380 text area by a line", () =>
        {
            var area = new PixelRect(140, 120, 620, 380);
            var moved = Copy(area.X, area.Y + 18, area with { Height = area.Height - 18 });
            var line = new PixelRect(area.X, area.Bottom - 18, area.Width, 18);
            screen.Fill(line, 0xFFFFFF);
            desktop.Text(line.X + 2, line.Y + 1, 76);
            return [.. moved, .. Pixels(line)];
        });
        await Measure("open a 640x400 window of text", () => Pixels(desktop.Window(new PixelRect(500, 200, 640, 400))));
        await Measure("a 200x300 menu", () => Pixels(desktop.Window(new PixelRect(700, 100, 200, 300))));
        await Measure("move a 640x400 window by 40,30", () =>
        {
            var window = new PixelRect(500, 200, 640, 400);
            var moved = Copy(window.X, window.Y, window with { X = window.X + 40, Y = window.Y + 30 });
            var exposedTop = new PixelRect(window.X, window.Y, window.Width, 30);
            var exposedLeft = new PixelRect(window.X, window.Y + 30, 40, window.Height - 30);
            screen.Fill(exposedTop, 0x3A6EA5);
            screen.Fill(exposedLeft, 0x3A6EA5);
            return [.. moved, .. Pixels(exposedTop), .. Pixels(exposedLeft)];
        });
        await Measure("a 32x32 icon redrawn", () => Pixels(desktop.Icon(600, 600)));
        await Measure("320x240 of video (noise)", () => Pixels(desktop.Noise(new PixelRect(100, 100, 320, 240))));

        // Payload: the display stream's own bytes; framed: with the 16-byte session-stream header of each frame.
        // ZRLE: the rectangles' bytes and the 4-byte FramebufferUpdate header.
        output.WriteLine($"{"change",-40} {"payload",9} {"framed",9} {"ZRLE est.",9} {"payload/ZRLE",12} {"framed/ZRLE",11}");
        foreach (var (name, ours, frames, device) in rows)
        {
            var framed = ours + (frames * (long)FrameCodec.HeaderSize);
            output.WriteLine($"{name,-40} {ours,9:N0} {framed,9:N0} {device,9:N0} {(double)ours / device,12:F2} {(double)framed / device,11:F2}");
        }

        // The goal is at most the device's own ZRLE bytes; the estimate is of a good ZRLE server. Incompressible
        // pixels cost the same either way, give or take a rect header (hence the 0.1 %). Small changes pay the fixed
        // 16-byte frame header, which ZRLE does not have.
        Assert.All(rows, r => Assert.True(r.Ours <= r.Zrle * 1.001, $"{r.Name}: {r.Ours} payload bytes, ZRLE {r.Zrle}"));
        Assert.All(rows, r => Assert.True(r.Ours + (r.Frames * FrameCodec.HeaderSize) <= r.Zrle * 1.2, $"{r.Name}: {r.Ours} bytes in {r.Frames} frames, ZRLE {r.Zrle}"));

        // Encoding time of a keyframe alone (no viewer decoding it; this machine, the appliance's CPU is slower).
        foreach (var level in new[] { 1, 6, 9 })
        {
            using var alone = new DisplayStreamer(screen, "time", new NullSink(), new DisplayStreamOptions { CompressionLevel = level }, rig.Time, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
            await alone.SendKeyframeAsync(default);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            for (var i = 0; i < 5; i++)
            {
                await alone.SendKeyframeAsync(default);
            }

            output.WriteLine($"keyframe encoding alone at level {level}: {clock.Elapsed.TotalMilliseconds / 5:F1} ms for {alone.Stats.KeyframeBytes / 6:N0} bytes (the screen now holds the noise)");
        }

        output.WriteLine($"stats: {rig.Streamer.Stats}");
    }

    private sealed class NullSink : EdgeGateway.Appliance.Sessions.IFrameSink
    {
        public ValueTask SendAsync(FrameType type, FrameFlags flags, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
