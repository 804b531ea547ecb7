using EdgeGateway.Protocol.Rfb;

namespace EdgeGateway.Protocol.Tests.Rfb;

/// <summary>RRE (RFC 6143 §7.7.3) from bytes written by hand.</summary>
[Trait("Area", "Vnc")]
public sealed class RreTests
{
    [Fact]
    public void Background_then_subrectangles_relative_to_the_rectangle()
    {
        var input = new RfbBytes().Update(1).Rect(1, 1, 4, 3, 2)
            .U32(2).Pixel(0x101010)
            .Pixel(0xFF0000).U16(0).U16(0).U16(2).U16(1)
            .Pixel(0x00FF00).U16(3).U16(1).U16(1).U16(2)
            .ToArray();

        var result = RfbFeeder.AllSplitsAgree(input, 6, 5);

        var fb = result.Framebuffer;
        Assert.Equal<uint>([0, 0xFF0000, 0xFF0000, 0x101010, 0x101010, 0], fb.Row(1).ToArray());
        Assert.Equal<uint>([0, 0x101010, 0x101010, 0x101010, 0x00FF00, 0], fb.Row(2).ToArray());
        Assert.Equal<uint>([0, 0x101010, 0x101010, 0x101010, 0x00FF00, 0], fb.Row(3).ToArray());
        Assert.Equal<uint>([0, 0, 0, 0, 0, 0], fb.Row(4).ToArray());
        Assert.Equal(12, result.Sink.Covered.Count(c => c));
        Assert.Equal(["complete"], result.Sink.Events);
    }

    [Fact]
    public void A_subrectangle_outside_its_rectangle_is_refused()
    {
        var input = new RfbBytes().Update(1).Rect(0, 0, 4, 4, 2).U32(1).Pixel(0).Pixel(1).U16(2).U16(2).U16(3).U16(1).ToArray();

        var error = Assert.Throws<RfbProtocolException>(() => RfbFeeder.Whole(input));

        Assert.Contains("RRE subrectangle at 2,2 of 3×1 pixels, outside its 4×4 rectangle", error.Message);
    }

    [Fact]
    public void Endless_overlapping_subrectangles_are_refused_before_they_cost_more_than_a_few_repaints()
    {
        var bytes = new RfbBytes().Update(1).Rect(0, 0, 32, 24, 2).U32(uint.MaxValue).Pixel(0);
        for (var i = 0; i < 5; i++)
        {
            bytes.Pixel(1).U16(0).U16(0).U16(32).U16(24);
        }

        var error = Assert.Throws<RfbProtocolException>(() => RfbFeeder.Whole(bytes.ToArray()));

        Assert.Contains("paint more than 4 times its area", error.Message);
    }
}
