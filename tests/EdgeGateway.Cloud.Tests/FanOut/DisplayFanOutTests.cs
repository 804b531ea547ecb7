using EdgeGateway.Protocol.Stream;
using static EdgeGateway.Cloud.Tests.FanOut.BrowserConnection;

namespace EdgeGateway.Cloud.Tests.FanOut;

/// <summary>
/// Display keyframes in the fan-out: a DisplayInit starts a new deflate stream, so a viewer already in sync must take it
/// together with the updates after it (skipping it, as a terminal snapshot is skipped, would leave the viewer inflating
/// the new stream with the old context) — whether the keyframe came for a late joiner, a resync or a device resize.
/// </summary>
[Trait("Area", "Vnc")]
public sealed class DisplayFanOutTests
{
    private const string Ended = """{"type":"ended","reason":"DeviceClosed"}""";

    [Fact]
    public async Task A_viewer_in_sync_takes_every_DisplayInit_and_what_follows_it()
    {
        using var h = new FanOutHarness();
        var early = h.Join("early");
        var init = Init(h, 640, 480);
        var screen = h.Frame(FrameType.DisplayUpdate, FrameFlags.None, [0, 0, 1, 0, 1, 2, 3]);
        var change = h.Frame(FrameType.DisplayUpdate, FrameFlags.None, [0, 0, 1, 0, 4, 5, 6]);
        h.Send(init, screen, change);
        var late = h.Join("late");
        var resized = Init(h, 800, 600);
        var resizedScreen = h.Frame(FrameType.DisplayUpdate, FrameFlags.None, [0, 0, 1, 0, 7, 8, 9]);
        h.Send(resized, resizedScreen);
        h.Stream.Complete(Ended);

        await using var earlyBrowser = await OpenAsync(early);
        await using var lateBrowser = await OpenAsync(late);
        Assert.Equal([Binary(init), Binary(screen), Binary(change), Binary(resized), Binary(resizedScreen), Text(Ended)], await earlyBrowser.ReceiveUntilClosedAsync());
        Assert.Equal([Binary(init), Binary(screen), Binary(change), Binary(resized), Binary(resizedScreen), Text(Ended)], await lateBrowser.ReceiveUntilClosedAsync());
    }

    [Fact]
    public async Task A_resync_restarts_the_viewer_from_the_cached_keyframe_without_asking_the_appliance()
    {
        using var h = new FanOutHarness();
        var viewer = h.Join();
        var init = Init(h, 2, 2);
        var screen = h.Frame(FrameType.DisplayUpdate, FrameFlags.None, [0, 0, 1, 0, 1, 2, 3]);
        h.Send(init, screen);
        var requests = h.KeyframeRequests; // the join, before any keyframe existed, asked once

        h.Stream.ResyncViewer(viewer);
        h.Stream.Complete(Ended);

        await using var browser = await OpenAsync(viewer);
        Assert.Equal([Binary(init), Binary(screen), Text(Ended)], await browser.ReceiveUntilClosedAsync());
        Assert.Equal(requests, h.KeyframeRequests);
    }

    [Fact]
    public async Task Display_updates_past_the_cache_do_not_ask_for_a_keyframe_until_someone_needs_one()
    {
        using var h = new FanOutHarness(viewerQueueFrames: 64, viewerQueueBytes: 64 * 1024, keyframeCacheBytes: 256);
        var viewer = h.Join();
        var init = Init(h, 2, 2);
        h.Send(init);
        var requests = h.KeyframeRequests;
        var updates = Enumerable.Range(0, 8).Select(i => h.Frame(FrameType.DisplayUpdate, FrameFlags.None, [0, 0, 1, 0, .. new byte[60]])).ToArray();

        h.Send(updates);
        Assert.False(h.Stream.HasKeyframe); // the tail outgrew the cache
        Assert.Equal(requests, h.KeyframeRequests); // and nobody was made to repaint for it

        h.Time.Advance(TimeSpan.FromSeconds(1));
        var late = h.Join("late");
        Assert.Equal(requests + 1, h.KeyframeRequests); // a joiner needs one
        h.Stream.Complete(Ended);
        await using var browser = await OpenAsync(viewer);
        Assert.Equal([Binary(init), .. updates.Select(Binary), Text(Ended)], await browser.ReceiveUntilClosedAsync());
        Assert.Equal(0, late.Skips);
    }

    private static byte[] Init(FanOutHarness h, int width, int height) =>
        h.Frame(FrameType.DisplayInit, FrameFlags.Keyframe, [(byte)(width >> 8), (byte)width, (byte)(height >> 8), (byte)height, 1, 0, 0, 0]);
}
