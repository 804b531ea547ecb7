using EdgeGateway.Cloud.FanOut;
using static EdgeGateway.Cloud.Tests.FanOut.BrowserConnection;

namespace EdgeGateway.Cloud.Tests.FanOut;

/// <summary>
/// The fan-out's promise: one slow viewer never slows the others, a late joiner renders at once, and the appliance is
/// asked for a keyframe only when one is needed (at most one request per 250 ms).
/// </summary>
[Trait("Area", "Ssh")]
public sealed class SessionStreamTests
{
    private const string Hello = """{"type":"hello"}""";
    private const string Ended = """{"type":"ended","reason":"DeviceClosed"}""";
    private static readonly TimeSpan RateLimit = TimeSpan.FromMilliseconds(250);

    [Fact]
    public async Task Late_joiner_renders_at_once_from_the_cached_keyframe_then_gets_every_later_frame_in_order()
    {
        using var h = new FanOutHarness();
        var k = h.Keyframe("screen");
        var a = h.Output("a");
        var b = h.Output("b");
        h.Send(k, a, b);

        var viewer = h.Join("late");
        await using var browser = await OpenAsync(viewer);

        // Before the appliance sends anything else.
        Assert.Equal([Binary(k), Binary(a), Binary(b)], await browser.ReceiveAsync(3));

        var c = h.Output("c");
        var d = h.Output("d");
        h.Send(c, d);
        h.Stream.Complete(Ended);
        Assert.Equal([Binary(c), Binary(d), Text(Ended)], await browser.ReceiveUntilClosedAsync());
        Assert.Equal(0, h.KeyframeRequests);
        Assert.Equal(0, viewer.Skips);
    }

    [Fact]
    public void A_viewer_waiting_for_a_keyframe_on_an_idle_session_is_asked_for_again_until_one_comes()
    {
        // The first request goes out at the join and is never answered (lost with a dropping link, or ignored by an
        // appliance that had just sent one); nothing else flows on the idle session to prompt another.
        using var h = new FanOutHarness();
        var waiting = h.Join("waiting");
        Assert.Equal(1, h.KeyframeRequests);
        Assert.True(waiting.NeedsKeyframe);

        h.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(2, h.KeyframeRequests);
        h.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(3, h.KeyframeRequests);

        // The keyframe comes: nobody waits, and no more requests follow.
        h.Send(h.Keyframe("screen"));
        Assert.False(waiting.NeedsKeyframe);
        h.Time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(3, h.KeyframeRequests);
    }

    [Fact]
    public async Task Viewers_joining_at_different_times_end_on_the_same_frames()
    {
        using var h = new FanOutHarness();
        var early = h.Join("early");
        var k = h.Keyframe("screen");
        var a = h.Output("a");
        h.Send(k, a);
        var late = h.Join("late");
        var b = h.Output("b");
        h.Send(b);
        h.Stream.Complete(Ended);

        await using var earlyBrowser = await OpenAsync(early);
        await using var lateBrowser = await OpenAsync(late);
        Assert.Equal([Binary(k), Binary(a), Binary(b), Text(Ended)], await earlyBrowser.ReceiveUntilClosedAsync());
        Assert.Equal([Binary(k), Binary(a), Binary(b), Text(Ended)], await lateBrowser.ReceiveUntilClosedAsync());
    }

    [Fact]
    public async Task Join_without_a_cached_keyframe_gets_nothing_until_the_next_keyframe_and_asks_for_one()
    {
        using var h = new FanOutHarness();
        var viewer = h.Join();
        Assert.Equal(1, h.KeyframeRequests);
        Assert.False(h.Stream.HasKeyframe);

        // Output without a keyframe before it cannot be rendered: it is not sent.
        h.Send(h.Output("a"), h.Output("b"));
        Assert.Equal(1, h.KeyframeRequests);

        var k = h.Keyframe("screen");
        var c = h.Output("c");
        h.Send(k, c);
        h.Stream.Complete(Ended);

        await using var browser = await OpenAsync(viewer);
        Assert.Equal([Binary(k), Binary(c), Text(Ended)], await browser.ReceiveUntilClosedAsync());
        Assert.Equal(1, h.KeyframeRequests);
    }

    [Fact]
    public async Task A_crowd_joining_and_leaving_is_told_the_viewer_count_once_per_interval_not_once_per_join()
    {
        using var h = new FanOutHarness();
        var k = h.Keyframe("screen");
        h.Send(k);
        var crowd = Enumerable.Range(0, 50).Select(i => h.Join($"viewer-{i}")).ToList();
        foreach (var viewer in crowd)
        {
            h.Stream.ViewersChanged();
        }

        h.Stream.Leave(crowd[^1]);
        h.Stream.ViewersChanged();
        h.Time.Advance(SessionStream.ViewerCountDelay);

        h.Stream.Leave(crowd[^2]);
        h.Stream.ViewersChanged();
        h.Time.Advance(SessionStream.ViewerCountDelay);
        h.Stream.Complete(Ended);

        await using var browser = await OpenAsync(crowd[0]);
        Assert.Equal(
            [Binary(k), Text("""{"type":"viewers","count":49}"""), Text("""{"type":"viewers","count":48}"""), Text(Ended)],
            await browser.ReceiveUntilClosedAsync());
    }

    [Fact]
    public async Task A_viewer_count_still_pending_when_the_session_ends_is_not_sent_after_the_end()
    {
        using var h = new FanOutHarness();
        var k = h.Keyframe("screen");
        h.Send(k);
        var viewer = h.Join();
        h.Stream.ViewersChanged();
        h.Stream.Complete(Ended);
        h.Time.Advance(SessionStream.ViewerCountDelay);
        h.Stream.ViewersChanged(); // the endpoint's leave, after the end
        h.Time.Advance(SessionStream.ViewerCountDelay);

        await using var browser = await OpenAsync(viewer);
        Assert.Equal([Binary(k), Text(Ended)], await browser.ReceiveUntilClosedAsync());
    }

    [Fact]
    public void Join_by_a_crowd_at_once_makes_one_keyframe_request_per_250_ms()
    {
        using var h = new FanOutHarness();
        for (var i = 0; i < 100; i++)
        {
            h.Join($"viewer-{i}");
        }

        Assert.Equal(1, h.KeyframeRequests);
        Assert.Equal(100, h.Stream.ViewerCount);

        h.Time.Advance(RateLimit - TimeSpan.FromMilliseconds(1));
        h.Join("just-before");
        Assert.Equal(1, h.KeyframeRequests);

        h.Time.Advance(TimeSpan.FromMilliseconds(1));
        h.Join("just-after");
        h.Join("right-behind");
        Assert.Equal(2, h.KeyframeRequests);
    }

    [Fact]
    public void Join_with_a_cached_keyframe_asks_for_nothing()
    {
        using var h = new FanOutHarness();
        h.Send(h.Keyframe("screen"), h.Output("a"));
        for (var i = 0; i < 10; i++)
        {
            h.Join($"viewer-{i}");
        }

        Assert.True(h.Stream.HasKeyframe);
        Assert.Equal(0, h.KeyframeRequests);
    }

    [Fact]
    public async Task Viewer_in_sync_is_not_sent_keyframes_while_a_later_joiner_starts_from_the_newest()
    {
        using var h = new FanOutHarness();
        var k1 = h.Keyframe("screen-1");
        var a = h.Output("a");
        h.Send(k1, a);
        var viewer = h.Join("in-sync");
        await using var browser = await OpenAsync(viewer);
        Assert.Equal([Binary(k1), Binary(a)], await browser.ReceiveAsync(2));

        var k2 = h.Keyframe("screen-2");
        var b = h.Output("b");
        h.Send(k2, b);
        Assert.Equal(Binary(b), await browser.ReceiveAsync());

        var late = h.Join("late");
        h.Stream.Complete(Ended);
        await using var lateBrowser = await OpenAsync(late);
        Assert.Equal([Text(Ended)], await browser.ReceiveUntilClosedAsync());
        Assert.Equal([Binary(k2), Binary(b), Text(Ended)], await lateBrowser.ReceiveUntilClosedAsync());
    }

    [Fact]
    public async Task Slow_viewer_over_its_frame_limit_is_skipped_forward_while_a_fast_viewer_gets_every_frame()
    {
        using var h = new FanOutHarness(viewerQueueFrames: 8);
        var slow = h.Join("slow");
        var fast = h.Join("fast");
        await using var fastBrowser = await OpenAsync(fast);
        h.Stream.Broadcast(Hello);
        Assert.Equal(Text(Hello), await fastBrowser.ReceiveAsync());

        // The slow viewer reads nothing: hello, k1 and f1..f6 fill its 8 places.
        var k1 = h.Keyframe("screen-1");
        h.Send(k1);
        Assert.Equal(Binary(k1), await fastBrowser.ReceiveAsync());
        for (var i = 1; i <= 6; i++)
        {
            var f = h.Output($"f{i}");
            h.Send(f);
            Assert.Equal(Binary(f), await fastBrowser.ReceiveAsync());
        }

        var k2 = h.Keyframe("screen-2"); // neither viewer needs it: both are in sync
        h.Send(k2);
        Assert.Equal(0, slow.Skips);

        var f7 = h.Output("f7");
        h.Send(f7); // the slow viewer overflows: its stale frames go, it restarts from k2
        Assert.Equal(Binary(f7), await fastBrowser.ReceiveAsync());
        var f8 = h.Output("f8");
        h.Send(f8);
        Assert.Equal(Binary(f8), await fastBrowser.ReceiveAsync());

        Assert.Equal(1, slow.Skips);
        Assert.Equal(0, fast.Skips);
        Assert.Equal(1, h.SkipsMetric);
        Assert.Equal(1, h.KeyframeRequests); // the one the first join made; the skip found k2 in the cache

        h.Stream.Complete(Ended);
        await using var slowBrowser = await OpenAsync(slow);
        Assert.Equal([Text(Hello), Binary(k2), Binary(f7), Binary(f8), Text(Ended)], await slowBrowser.ReceiveUntilClosedAsync());
        Assert.Equal([Text(Ended)], await fastBrowser.ReceiveUntilClosedAsync());
    }

    [Fact]
    public async Task Slow_viewer_over_its_byte_limit_is_skipped_forward_to_the_cached_keyframe()
    {
        using var h = new FanOutHarness(viewerQueueFrames: 100, viewerQueueBytes: 4096);
        var k1 = h.Keyframe(1024);
        h.Send(k1);
        var slow = h.Join("slow");
        var f1 = h.Output(1024, '1');
        var f2 = h.Output(1024, '2');
        var f3 = h.Output(1024, '3');
        h.Send(f1, f2, f3); // exactly 4096 bytes queued
        Assert.Equal(0, slow.Skips);

        var k2 = h.Keyframe(512);
        var f4 = h.Output(100);
        h.Send(k2, f4);
        Assert.Equal(1, slow.Skips);

        h.Stream.Complete(Ended);
        await using var browser = await OpenAsync(slow);
        Assert.Equal([Binary(k2), Binary(f4), Text(Ended)], await browser.ReceiveUntilClosedAsync());
        Assert.Equal(0, h.KeyframeRequests);
    }

    [Fact]
    public async Task Slow_viewer_overflowing_with_no_keyframe_cached_waits_for_the_next_one_and_asks_for_it()
    {
        // A 200-byte cache holds k1 and four 40-byte frames; the fifth invalidates it.
        using var h = new FanOutHarness(viewerQueueFrames: 8, keyframeCacheBytes: 200);
        var slow = h.Join("slow");
        Assert.Equal(1, h.KeyframeRequests);

        h.Time.Advance(TimeSpan.FromSeconds(1));
        h.Send(h.Keyframe("k1"));
        for (var i = 1; i <= 5; i++)
        {
            h.Send(h.Output(40));
        }

        Assert.False(h.Stream.HasKeyframe);
        Assert.Equal(2, h.KeyframeRequests);

        h.Send(h.Output(40), h.Output(40)); // 8 queued
        h.Time.Advance(TimeSpan.FromSeconds(1));
        h.Send(h.Output("f8")); // overflow, and nothing to restart from
        Assert.Equal(1, slow.Skips);
        Assert.Equal(3, h.KeyframeRequests);

        h.Send(h.Output("unrenderable"));
        var k2 = h.Keyframe("k2");
        var f = h.Output("after-k2");
        h.Send(k2, f);

        h.Stream.Complete(Ended);
        await using var browser = await OpenAsync(slow);
        Assert.Equal([Binary(k2), Binary(f), Text(Ended)], await browser.ReceiveUntilClosedAsync());
    }

    [Fact]
    public async Task Cache_overflow_invalidates_the_cache_and_asks_for_a_keyframe_without_disturbing_viewers_in_sync()
    {
        using var h = new FanOutHarness(keyframeCacheBytes: 1000);
        var k1 = h.Keyframe(400);
        var a = h.Output(400, 'a');
        h.Send(k1, a);
        var early = h.Join("early");
        Assert.True(h.Stream.HasKeyframe);
        Assert.Equal(0, h.KeyframeRequests);

        var b = h.Output(400, 'b'); // 1200 bytes: more than the cache holds
        h.Send(b);
        Assert.False(h.Stream.HasKeyframe);
        Assert.Equal(1, h.KeyframeRequests);

        var late = h.Join("late"); // nothing cached: waits; the request already made covers it
        Assert.Equal(1, h.KeyframeRequests);

        var c = h.Output("c");
        var k2 = h.Keyframe("screen-2");
        var d = h.Output("d");
        h.Send(c, k2, d);
        Assert.True(h.Stream.HasKeyframe);
        Assert.Equal(1, h.KeyframeRequests);

        h.Stream.Complete(Ended);
        await using var earlyBrowser = await OpenAsync(early);
        await using var lateBrowser = await OpenAsync(late);
        Assert.Equal([Binary(k1), Binary(a), Binary(b), Binary(c), Binary(d), Text(Ended)], await earlyBrowser.ReceiveUntilClosedAsync());
        Assert.Equal([Binary(k2), Binary(d), Text(Ended)], await lateBrowser.ReceiveUntilClosedAsync());
    }

    [Fact]
    public async Task End_frame_then_Complete_delivers_the_final_text_after_queued_frames_and_completes_the_viewer()
    {
        using var h = new FanOutHarness();
        var k = h.Keyframe("screen");
        var a = h.Output("a");
        h.Send(k, a);
        var live = h.Join("live");
        var stalled = h.Join("stalled");
        await using var liveBrowser = await OpenAsync(live);
        Assert.Equal([Binary(k), Binary(a)], await liveBrowser.ReceiveAsync(2));

        var b = h.Output("b");
        var end = h.End("logout");
        h.Send(b, end);
        h.Stream.Complete(Ended);

        Assert.Equal([Binary(b), Binary(end), Text(Ended)], await liveBrowser.ReceiveUntilClosedAsync());
        Assert.True(liveBrowser.Pump.IsCompletedSuccessfully);

        await using var stalledBrowser = await OpenAsync(stalled);
        Assert.Equal([Binary(k), Binary(a), Binary(b), Binary(end), Text(Ended)], await stalledBrowser.ReceiveUntilClosedAsync());
        Assert.True(stalledBrowser.Pump.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task Frames_after_the_End_frame_are_ignored()
    {
        using var h = new FanOutHarness();
        var k = h.Keyframe("screen");
        var end = h.End();
        h.Send(k);
        var viewer = h.Join();
        h.Send(end);
        var deliveries = h.DeliveriesMetric;

        h.Send(h.Output("stray"), h.Keyframe("stray"));
        Assert.Equal(deliveries, h.DeliveriesMetric);

        h.Stream.Complete(Ended);
        await using var browser = await OpenAsync(viewer);
        Assert.Equal([Binary(k), Binary(end), Text(Ended)], await browser.ReceiveUntilClosedAsync());
    }

    [Fact]
    public async Task Frames_after_Complete_are_ignored()
    {
        using var h = new FanOutHarness();
        var k = h.Keyframe("screen");
        h.Send(k);
        var viewer = h.Join();
        h.Stream.Complete(Ended);
        h.Stream.Complete("""{"type":"ended","reason":"again"}""");

        h.Send(h.Output("late"), h.Keyframe("late"));
        h.Stream.Broadcast(Hello);

        await using var browser = await OpenAsync(viewer);
        Assert.Equal([Binary(k), Text(Ended)], await browser.ReceiveUntilClosedAsync());
        Assert.Equal(0, h.KeyframeRequests);
    }

    [Fact]
    public async Task Join_after_Complete_gets_the_last_screen_and_the_final_text_and_completes()
    {
        // The WebSocket endpoint finds the session, then awaits the upgrade: the session can end in between.
        using var h = new FanOutHarness();
        var k = h.Keyframe("screen");
        var end = h.End();
        h.Send(k, end);
        h.Stream.Complete(Ended);

        var viewer = h.Join("too-late");
        await using var browser = await OpenAsync(viewer);
        Assert.Equal([Binary(k), Binary(end), Text(Ended)], await browser.ReceiveUntilClosedAsync());
        Assert.Equal(0, h.KeyframeRequests);
    }

    [Fact]
    public async Task Broadcast_reaches_every_viewer_including_one_waiting_for_a_keyframe_in_order_with_frames()
    {
        const string Viewers = """{"type":"viewers","count":2}""";
        using var h = new FanOutHarness();
        var waiting = h.Join("waiting");
        h.Stream.Broadcast(Hello);
        var k = h.Keyframe("screen");
        h.Send(k);
        var late = h.Join("late");
        h.Stream.Broadcast(Viewers);
        var a = h.Output("a");
        h.Send(a);
        h.Stream.Complete(Ended);

        await using var waitingBrowser = await OpenAsync(waiting);
        await using var lateBrowser = await OpenAsync(late);
        Assert.Equal([Text(Hello), Binary(k), Text(Viewers), Binary(a), Text(Ended)], await waitingBrowser.ReceiveUntilClosedAsync());
        Assert.Equal([Binary(k), Text(Viewers), Binary(a), Text(Ended)], await lateBrowser.ReceiveUntilClosedAsync());
    }

    [Fact]
    public async Task Leave_stops_delivery_to_that_viewer_only()
    {
        using var h = new FanOutHarness();
        var k = h.Keyframe("screen");
        h.Send(k);
        var leaving = h.Join("leaving");
        var staying = h.Join("staying");
        Assert.Equal(2, h.Stream.ViewerCount);

        h.Stream.Leave(leaving);
        Assert.Equal(1, h.Stream.ViewerCount);
        var a = h.Output("a");
        h.Send(a);
        h.Stream.Complete(Ended);

        await using var stayingBrowser = await OpenAsync(staying);
        Assert.Equal([Binary(k), Binary(a), Text(Ended)], await stayingBrowser.ReceiveUntilClosedAsync());

        leaving.Complete(Ended); // completed by its endpoint in real life; here, to read what it had
        await using var leavingBrowser = await OpenAsync(leaving);
        Assert.Equal([Binary(k), Text(Ended)], await leavingBrowser.ReceiveUntilClosedAsync());
    }

    [Fact]
    public void Deliveries_count_each_frame_queued_to_each_viewer()
    {
        using var h = new FanOutHarness();
        h.Send(h.Keyframe("screen"));
        h.Join("one");
        h.Join("two");
        h.Join("three");
        var before = h.DeliveriesMetric;

        h.Send(h.Output("a"), h.Output("b"));
        Assert.Equal(before + 6, h.DeliveriesMetric);
    }

    [Fact]
    public async Task Stalled_viewer_is_skipped_once_not_restarted_from_the_cache_on_every_frame()
    {
        // The cache (keyframe and tail) can hold more frames than a viewer's queue: restarting the viewer from it
        // would overflow again on the next frame, and again on each one after, re-queuing the whole cache every time.
        using var h = new FanOutHarness(viewerQueueFrames: 8);
        var stalled = h.Join("stalled");
        h.Time.Advance(TimeSpan.FromSeconds(1));
        h.Send(h.Keyframe("k1"));
        for (var i = 1; i <= 20; i++)
        {
            h.Send(h.Output($"f{i}"));
        }

        Assert.True(h.Stream.HasKeyframe);
        Assert.Equal(1, stalled.Skips);
        Assert.Equal(1, h.SkipsMetric);
        Assert.Equal(2, h.KeyframeRequests); // joining, then the skip: the cached tail is longer than its queue

        var k2 = h.Keyframe("k2");
        var f = h.Output("after-k2");
        h.Send(k2, f);
        h.Stream.Complete(Ended);
        await using var browser = await OpenAsync(stalled);
        Assert.Equal([Binary(k2), Binary(f), Text(Ended)], await browser.ReceiveUntilClosedAsync());
    }

    [Fact]
    public async Task Late_joiner_whose_queue_cannot_hold_the_cached_tail_waits_for_a_fresh_keyframe()
    {
        using var h = new FanOutHarness(viewerQueueFrames: 8);
        h.Send(h.Keyframe("k1"));
        for (var i = 1; i <= 10; i++)
        {
            h.Send(h.Output($"f{i}"));
        }

        var late = h.Join("late");
        Assert.Equal(1, h.KeyframeRequests);

        var k2 = h.Keyframe("k2");
        var f = h.Output("after-k2");
        h.Send(h.Output("f11"), k2, f);
        Assert.Equal(0, late.Skips);

        h.Stream.Complete(Ended);
        await using var browser = await OpenAsync(late);
        Assert.Equal([Binary(k2), Binary(f), Text(Ended)], await browser.ReceiveUntilClosedAsync());
    }

    [Fact]
    public async Task Viewer_waiting_after_a_request_was_refused_by_the_rate_limit_asks_again_once_it_allows()
    {
        // The only request was answered before this viewer needed a keyframe; refusing its own request must not
        // leave it waiting forever while the session keeps producing output.
        using var h = new FanOutHarness(keyframeCacheBytes: 1000);
        h.Join("first");
        Assert.Equal(1, h.KeyframeRequests);

        h.Time.Advance(TimeSpan.FromMilliseconds(50));
        h.Send(h.Keyframe(400), h.Output(400));
        h.Time.Advance(TimeSpan.FromMilliseconds(50));
        h.Send(h.Output(400)); // the cache overflows; the request is refused (100 ms after the last one)
        var waiting = h.Join("waiting");
        Assert.Equal(1, h.KeyframeRequests);

        h.Send(h.Output("a"));
        Assert.Equal(1, h.KeyframeRequests);

        h.Time.Advance(RateLimit);
        h.Send(h.Output("b"));
        h.Send(h.Output("c"));
        Assert.Equal(2, h.KeyframeRequests);

        var k = h.Keyframe("answer");
        h.Send(k);
        h.Time.Advance(RateLimit);
        var d = h.Output("d");
        h.Send(d); // nobody waits any more: nothing to ask for
        Assert.Equal(2, h.KeyframeRequests);

        h.Stream.Complete(Ended);
        await using var browser = await OpenAsync(waiting);
        Assert.Equal([Binary(k), Binary(d), Text(Ended)], await browser.ReceiveUntilClosedAsync());
    }
}
