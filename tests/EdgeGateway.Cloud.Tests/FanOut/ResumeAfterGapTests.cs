using static EdgeGateway.Cloud.Tests.FanOut.BrowserConnection;

namespace EdgeGateway.Cloud.Tests.FanOut;

/// <summary>
/// After the appliance's link dropped and came back, frames sent meanwhile are lost: every viewer — even one that
/// looks in sync — resumes from the keyframe the appliance sends on reconnect, and a late joiner is not started from
/// the cached keyframe whose tail has the gap.
/// </summary>
[Trait("Area", "SshField")]
public sealed class ResumeAfterGapTests
{
    private const string Ended = """{"type":"ended","reason":"ConnectionLost"}""";

    [Fact]
    public async Task Viewer_in_sync_takes_the_keyframe_after_a_gap_and_nothing_before_it()
    {
        using var h = new FanOutHarness();
        var viewer = h.Join();
        var k1 = h.Keyframe("before");
        var a = h.Output("a");
        h.Send(k1, a);

        h.Stream.ResumeAfterGap();
        var stray = h.Output("sent before the keyframe, after a gap");
        var k2 = h.Keyframe("after");
        var b = h.Output("b");
        h.Send(stray, k2, b);
        h.Stream.Complete(Ended);

        await using var browser = await OpenAsync(viewer);
        Assert.Equal([Binary(k1), Binary(a), Binary(k2), Binary(b), Text(Ended)], await browser.ReceiveUntilClosedAsync());
    }

    [Fact]
    public async Task Late_joiner_after_a_gap_waits_for_the_fresh_keyframe_instead_of_the_cached_one()
    {
        using var h = new FanOutHarness();
        var k1 = h.Keyframe("before");
        h.Send(k1, h.Output("a"));
        h.Stream.ResumeAfterGap();
        Assert.False(h.Stream.HasKeyframe);

        var late = h.Join("late");
        var k2 = h.Keyframe("after");
        h.Send(k2);
        h.Stream.Complete(Ended);

        await using var browser = await OpenAsync(late);
        Assert.Equal([Binary(k2), Text(Ended)], await browser.ReceiveUntilClosedAsync());
    }
}
