using System.Text;
using EdgeGateway.Cloud.FanOut;
using EdgeGateway.Protocol.Stream;
using static EdgeGateway.Cloud.Tests.FanOut.BrowserConnection;

namespace EdgeGateway.Cloud.Tests.FanOut;

[Trait("Area", "Ssh")]
public sealed class StreamViewerTests
{
    private const string Ended = """{"type":"ended"}""";

    private ulong _sequence;

    [Fact]
    public void Constructor_keeps_who_is_watching()
    {
        var viewer = new StreamViewer("u-1", "alice", isController: true, maxFrames: 8, maxBytes: 1024);

        Assert.Equal("u-1", viewer.UserId);
        Assert.Equal("alice", viewer.UserName);
        Assert.True(viewer.IsController);
        Assert.Equal(0, viewer.Skips);
    }

    [Fact]
    public async Task Offer_beyond_the_frame_limit_overflows_without_queuing_the_frame()
    {
        var viewer = new StreamViewer("u", "u", false, maxFrames: 3, maxBytes: 1 << 20);
        var k = Keyframe("k");
        var a = Output("a");
        var b = Output("b");
        Assert.True(viewer.StartFrom([k]));
        Assert.Equal(OfferResult.Queued, viewer.Offer(a, isKeyframe: false));
        Assert.Equal(OfferResult.Queued, viewer.Offer(b, isKeyframe: false));

        Assert.Equal(OfferResult.Overflowed, viewer.Offer(Output("c"), isKeyframe: false));
        Assert.Equal(1, viewer.Skips);

        viewer.Complete(Ended);
        await using var browser = await OpenAsync(viewer);
        Assert.Equal([Binary(k), Binary(a), Binary(b), Text(Ended)], await browser.ReceiveUntilClosedAsync());
    }

    [Fact]
    public void Offer_beyond_the_byte_limit_overflows()
    {
        var viewer = new StreamViewer("u", "u", false, maxFrames: 100, maxBytes: 100);
        Assert.Equal(OfferResult.Queued, viewer.Offer(Output(new string('a', 100 - FrameCodec.HeaderSize)), isKeyframe: false));
        Assert.Equal(OfferResult.Overflowed, viewer.Offer(Output("b"), isKeyframe: false));
        Assert.Equal(1, viewer.Skips);
    }

    [Fact]
    public void Offer_of_a_keyframe_to_a_viewer_in_sync_is_skipped()
    {
        var viewer = new StreamViewer("u", "u", false, 8, 1 << 20);
        Assert.True(viewer.StartFrom([Keyframe("k1")]));

        Assert.Equal(OfferResult.Skipped, viewer.Offer(Keyframe("k2"), isKeyframe: true));
        Assert.Equal(OfferResult.Queued, viewer.Offer(Output("a"), isKeyframe: false));
    }

    [Fact]
    public async Task StartFrom_nothing_waits_for_the_next_keyframe_and_skips_what_comes_before_it()
    {
        var viewer = new StreamViewer("u", "u", false, 8, 1 << 20);
        Assert.False(viewer.StartFrom(null));
        Assert.False(viewer.StartFrom([]));

        Assert.Equal(OfferResult.Skipped, viewer.Offer(Output("a"), isKeyframe: false));
        var k = Keyframe("k");
        Assert.Equal(OfferResult.Queued, viewer.Offer(k, isKeyframe: true));
        var b = Output("b");
        Assert.Equal(OfferResult.Queued, viewer.Offer(b, isKeyframe: false));
        Assert.Equal(0, viewer.Skips);

        viewer.Complete(Ended);
        await using var browser = await OpenAsync(viewer);
        Assert.Equal([Binary(k), Binary(b), Text(Ended)], await browser.ReceiveUntilClosedAsync());
    }

    [Fact]
    public async Task StartFrom_drops_queued_frames_and_keeps_text_messages_in_order()
    {
        var viewer = new StreamViewer("u", "u", false, 8, 1 << 20);
        viewer.OfferText("""{"n":1}""");
        viewer.Offer(Output("stale-1"), isKeyframe: false);
        viewer.OfferText("""{"n":2}""");
        viewer.Offer(Output("stale-2"), isKeyframe: false);

        var k = Keyframe("k");
        var c = Output("c");
        Assert.True(viewer.StartFrom([k, c]));

        viewer.Complete(Ended);
        await using var browser = await OpenAsync(viewer);
        Assert.Equal([Text("""{"n":1}"""), Text("""{"n":2}"""), Binary(k), Binary(c), Text(Ended)], await browser.ReceiveUntilClosedAsync());
    }

    [Fact]
    public async Task StartFrom_a_tail_longer_than_the_queue_waits_for_the_next_keyframe()
    {
        var viewer = new StreamViewer("u", "u", false, maxFrames: 3, maxBytes: 1 << 20);
        Assert.False(viewer.StartFrom([Keyframe("k1"), Output("a"), Output("b"), Output("c")]));

        Assert.Equal(OfferResult.Skipped, viewer.Offer(Output("d"), isKeyframe: false));
        var k2 = Keyframe("k2");
        Assert.Equal(OfferResult.Queued, viewer.Offer(k2, isKeyframe: true));

        viewer.Complete(Ended);
        await using var browser = await OpenAsync(viewer);
        Assert.Equal([Binary(k2), Text(Ended)], await browser.ReceiveUntilClosedAsync());
    }

    [Fact]
    public async Task Pump_sends_frames_as_binary_and_events_as_text_and_frees_their_places()
    {
        var viewer = new StreamViewer("u", "u", false, maxFrames: 3, maxBytes: 1 << 20);
        await using var browser = await OpenAsync(viewer);
        var k = Keyframe("k");
        viewer.StartFrom([k]);
        viewer.OfferText("""{"type":"hello"}""");
        var a = Output("a");
        viewer.Offer(a, isKeyframe: false);
        Assert.Equal([Binary(k), Text("""{"type":"hello"}"""), Binary(a)], await browser.ReceiveAsync(3));

        // The queue was full (3 of 3); once sent, all three places are free again.
        var more = new[] { Output("b"), Output("c"), Output("d") };
        foreach (var frame in more)
        {
            Assert.Equal(OfferResult.Queued, viewer.Offer(frame, isKeyframe: false));
        }

        Assert.Equal(more.Select(Binary), await browser.ReceiveAsync(3));
        Assert.Equal(0, viewer.Skips);
    }

    [Fact]
    public async Task Complete_is_final_and_only_the_first_final_message_is_sent()
    {
        var viewer = new StreamViewer("u", "u", false, 8, 1 << 20);
        var k = Keyframe("k");
        viewer.StartFrom([k]);
        viewer.Complete(Ended);
        viewer.Complete("""{"type":"ended","again":true}""");

        Assert.Equal(OfferResult.Skipped, viewer.Offer(Output("late"), isKeyframe: false));
        Assert.Equal(OfferResult.Skipped, viewer.Offer(Keyframe("late"), isKeyframe: true));
        viewer.OfferText("""{"type":"viewers"}""");
        Assert.True(viewer.StartFrom([Keyframe("late")]));

        await using var browser = await OpenAsync(viewer);
        Assert.Equal([Binary(k), Text(Ended)], await browser.ReceiveUntilClosedAsync());
        Assert.True(browser.Pump.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task Text_messages_are_sent_as_UTF8()
    {
        var viewer = new StreamViewer("u", "u", false, 8, 1 << 20);
        viewer.OfferText("""{"message":"Zugang verweigert – Schlüssel"}""");
        viewer.Complete(Ended);

        await using var browser = await OpenAsync(viewer);
        Assert.Equal([Text("""{"message":"Zugang verweigert – Schlüssel"}"""), Text(Ended)], await browser.ReceiveUntilClosedAsync());
    }

    [Fact]
    public async Task A_connection_that_reads_nothing_while_texts_pile_up_is_dropped_and_its_queue_let_go()
    {
        var viewer = new StreamViewer("u", "u", false, maxFrames: 8, maxBytes: 1 << 20);
        viewer.StartFrom([Keyframe("k")]);
        for (var i = 0; i < StreamViewer.MaxQueuedTexts; i++)
        {
            viewer.OfferText($$"""{"type":"viewers","count":{{i}}}""");
        }

        Assert.False(viewer.Dropped.IsCompleted);

        viewer.OfferText("""{"type":"viewers","count":-1}""");

        Assert.True(viewer.Dropped.IsCompleted);
        Assert.Equal(OfferResult.Skipped, viewer.Offer(Output("after"), isKeyframe: false));
        viewer.Complete(Ended);
        await using var browser = await OpenAsync(viewer);
        Assert.Empty(await browser.ReceiveUntilClosedAsync());
    }

    [Fact]
    public async Task A_connection_that_reads_its_texts_is_never_dropped_however_many_arrive()
    {
        var viewer = new StreamViewer("u", "u", false, maxFrames: 8, maxBytes: 1 << 20);
        await using var browser = await OpenAsync(viewer);
        for (var round = 0; round < 3; round++)
        {
            var texts = Enumerable.Range(0, StreamViewer.MaxQueuedTexts).Select(i => $$"""{"type":"viewers","count":{{i}}}""").ToList();
            texts.ForEach(viewer.OfferText);
            Assert.Equal(texts.Select(Text), await browser.ReceiveAsync(texts.Count));
        }

        Assert.False(viewer.Dropped.IsCompleted);
    }

    private byte[] Output(string text) => FrameCodec.Encode(FrameType.TerminalOutput, FrameFlags.None, ++_sequence, Encoding.ASCII.GetBytes(text));

    private byte[] Keyframe(string text) => FrameCodec.Encode(FrameType.TerminalSnapshot, FrameFlags.Keyframe, ++_sequence, Encoding.ASCII.GetBytes(text));
}
