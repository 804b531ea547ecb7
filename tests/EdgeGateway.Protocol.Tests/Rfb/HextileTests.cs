using EdgeGateway.Protocol.Rfb;

namespace EdgeGateway.Protocol.Tests.Rfb;

/// <summary>Hextile (RFC 6143 §7.7.4) from bytes written by hand.</summary>
[Trait("Area", "Vnc")]
public sealed class HextileTests
{
    [Fact]
    public void Tiles_with_background_foreground_coloured_subrects_raw_and_carried_background()
    {
        // An 18×17 rectangle at 1,1: tiles 16×16, 2×16, 16×1, 2×1.
        var bytes = new RfbBytes().Update(1).Rect(1, 1, 18, 17, 5)
            // Tile 1: background, foreground, two subrects: 1×1 at 0,0 and 2×3 at 3,4.
            .U8(2 | 4 | 8).Pixel(0x111111).Pixel(0xFF0000).U8(2).U8(0x00).U8(0x00).U8(0x34).U8(0x12)
            // Tile 2: raw 2×16.
            .U8(1);
        for (var i = 0; i < 32; i++)
        {
            bytes.Pixel((uint)(0x000100 * (i + 1)));
        }

        // Tile 3: new background, one coloured subrect 3×1 at 5,0. Tile 4: the background carried over.
        var input = bytes.U8(2 | 8 | 16).Pixel(0x222222).U8(1).Pixel(0x0000FF).U8(0x50).U8(0x20)
            .U8(0)
            .ToArray();

        var result = RfbFeeder.AllSplitsAgree(input);

        var fb = result.Framebuffer;
        Assert.Equal(0xFF0000u, fb.Row(1)[1]);
        Assert.Equal(0x111111u, fb.Row(1)[2]);
        Assert.Equal(0xFF0000u, fb.Row(5)[4]);
        Assert.Equal(0xFF0000u, fb.Row(7)[5]);
        Assert.Equal(0x111111u, fb.Row(8)[5]);
        Assert.Equal(0x111111u, fb.Row(16)[16]);
        Assert.Equal(0x000100u, fb.Row(1)[17]);
        Assert.Equal(0x000200u, fb.Row(1)[18]);
        Assert.Equal(0x002000u, fb.Row(16)[18]);
        Assert.Equal<uint>([0, 0x222222, 0x222222, 0x222222, 0x222222, 0x222222, 0x0000FF, 0x0000FF, 0x0000FF, 0x222222], fb.Row(17)[..10].ToArray());
        Assert.Equal<uint>([0x222222, 0x222222, 0x222222, 0], fb.Row(17).Slice(16, 4).ToArray());
        Assert.Equal(0u, fb.Row(18)[1]);
        Assert.Equal(18 * 17, result.Sink.Covered.Count(c => c));
        Assert.Equal(["complete"], result.Sink.Events);
    }

    [Theory]
    [InlineData(new byte[] { 2 | 8, 0, 0, 0, 0, 1, 0x00, 0x00 }, "without a foreground colour")]
    [InlineData(new byte[] { 8, 1, 0x00, 0x00 }, "without a background colour")]
    [InlineData(new byte[] { 32 }, "subencoding 32")]
    [InlineData(new byte[] { 2 | 4 | 8, 0, 0, 0, 0, 1, 1, 1, 0, 1, 0x31, 0x00 }, "Hextile subrectangle at 3,1 of 1×1 pixels, outside its 3×2 tile")]
    [InlineData(new byte[] { 2 | 4 | 8, 0, 0, 0, 0, 1, 1, 1, 0, 1, 0x00, 0x30 }, "at 0,0 of 4×1 pixels")]
    public void Malformed_tiles_are_refused(byte[] tile, string expected)
    {
        var input = new RfbBytes().Update(1).Rect(4, 5, 3, 2, 5).Bytes(tile).Bytes(new byte[16]).ToArray();

        var error = Assert.Throws<RfbProtocolException>(() => RfbFeeder.Whole(input));

        Assert.Contains(expected, error.Message);
    }
}
