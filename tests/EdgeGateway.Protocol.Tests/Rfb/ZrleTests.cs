using EdgeGateway.Protocol.Rfb;

namespace EdgeGateway.Protocol.Tests.Rfb;

/// <summary>ZRLE (RFC 6143 §7.7.6): tile bytes written by hand, compressed as one continuing zlib stream.</summary>
[Trait("Area", "Vnc")]
public sealed class ZrleTests
{
    private const uint A = 0xA1A2A3;
    private const uint B = 0xB1B2B3;
    private const uint C = 0xC1C2C3;

    [Fact]
    public void Rle_palette_packed_solid_and_raw_tiles_over_one_stream()
    {
        using var zlib = new ZlibBlocks();

        // Rect 1, 70×3: a 64×3 plain-RLE tile (A for 100 pixels, across rows, then B for 92) and a 6×3 palette-RLE tile.
        var rect1 = new RfbBytes()
            .U8(128).CPixel(A).U8(99).CPixel(B).U8(91)
            .U8(128 + 3).CPixel(A).CPixel(B).CPixel(C).U8(0).U8(0x81).U8(15).U8(2)
            .ToArray();

        // Rect 2, 5×2 at 70,0: packed 2-colour palette, 1 bit per pixel, rows padded to a byte.
        var rect2 = new RfbBytes().U8(2).CPixel(A).CPixel(C).U8(0b1010_0000).U8(0b0101_1000).ToArray();

        // Rect 3, 3×1 at 0,3: raw CPIXELs. Rect 4, 2×1 at 5,3: solid.
        var rect3 = new RfbBytes().U8(0).CPixel(A).CPixel(B).CPixel(C).ToArray();
        var rect4 = new RfbBytes().U8(1).CPixel(B).ToArray();

        var input = new RfbBytes()
            .Update(2).Rect(0, 0, 70, 3, 16).Block(zlib.Block(rect1)).Rect(70, 0, 5, 2, 16).Block(zlib.Block(rect2))
            .Update(2).Rect(0, 3, 3, 1, 16).Block(zlib.Block(rect3)).Rect(5, 3, 2, 1, 16).Block(zlib.Block(rect4))
            .ToArray();

        var result = RfbFeeder.AllSplitsAgree(input, 80, 4);

        var fb = result.Framebuffer;
        Assert.All(fb.Row(0)[..64].ToArray(), p => Assert.Equal(A, p));
        Assert.All(fb.Row(1)[..36].ToArray(), p => Assert.Equal(A, p));
        Assert.All(fb.Row(1)[36..64].ToArray(), p => Assert.Equal(B, p));
        Assert.All(fb.Row(2)[..64].ToArray(), p => Assert.Equal(B, p));
        Assert.Equal<uint>([A, B, B, B, B, B], fb.Row(0)[64..70].ToArray());
        Assert.Equal<uint>([B, B, B, B, B, B], fb.Row(1)[64..70].ToArray());
        Assert.Equal<uint>([B, B, B, B, B, C], fb.Row(2)[64..70].ToArray());
        Assert.Equal<uint>([C, A, C, A, A, 0], fb.Row(0)[70..76].ToArray());
        Assert.Equal<uint>([A, C, A, C, C, 0], fb.Row(1)[70..76].ToArray());
        Assert.Equal<uint>([A, B, C, 0, 0, B, B, 0], fb.Row(3)[..8].ToArray());
        Assert.Equal(["complete", "complete"], result.Sink.Events);
    }

    [Fact]
    public void A_hand_written_zlib_stream_of_stored_blocks_decodes()
    {
        var tile1 = new RfbBytes().U8(1).CPixel(C).ToArray();
        var tile2 = new RfbBytes().U8(4).CPixel(A).CPixel(B).CPixel(C).CPixel(0x010203).U8(0b0001_1011).ToArray();
        var block1 = ZlibBlocks.Stored(tile1, withHeader: true);
        var block2 = ZlibBlocks.Stored(tile2, withHeader: false);
        var input = new RfbBytes()
            .Update(2).Rect(0, 0, 2, 2, 16).Block(block1).Rect(0, 2, 4, 1, 16).Block(block2)
            .ToArray();

        var result = RfbFeeder.AllSplitsAgree(input, 4, 3);

        Assert.Equal<uint>([C, C, 0, 0, C, C, 0, 0, A, B, C, 0x010203], result.Framebuffer.Pixels.ToArray());
    }

    [Theory]
    [InlineData(new byte[] { 1, 1, 2 }, "ends before the rectangle is complete")]
    [InlineData(new byte[] { 1, 1, 2, 3, 9 }, "holds more than the rectangle")]
    [InlineData(new byte[] { 17 }, "subencoding 17, which ZRLE leaves unused")]
    [InlineData(new byte[] { 129 }, "subencoding 129")]
    [InlineData(new byte[] { 128, 1, 2, 3, 4 }, "run of 5+ pixels in a tile at 1,1 with 4 pixels left")]
    [InlineData(new byte[] { 128, 1, 2, 3, 255, 255, 255, 255 }, "run of 256+ pixels")]
    [InlineData(new byte[] { 130, 1, 2, 3, 4, 5, 6, 2, 0, 0, 0 }, "palette index 2 in a tile at 1,1 whose palette has 2 colours")]
    [InlineData(new byte[] { 3, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0b1100_0000, 0 }, "palette index 3 at 1,1 in a palette of 3 colours")]
    public void Malformed_tiles_are_refused(byte[] tile, string expected)
    {
        using var zlib = new ZlibBlocks();
        var input = new RfbBytes().Update(1).Rect(1, 1, 2, 2, 16).Block(zlib.Block(tile)).ToArray();

        var error = Assert.Throws<RfbProtocolException>(() => RfbFeeder.Whole(input));

        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Data_that_is_not_zlib_is_refused()
    {
        var input = new RfbBytes().Update(1).Rect(0, 0, 2, 2, 16).U32(6).Bytes(0x78, 0x9C, 0xFF, 0xFF, 0xFF, 0xFF).ToArray();

        var error = Assert.Throws<RfbProtocolException>(() => RfbFeeder.Whole(input));

        Assert.StartsWith("The VNC server sent ZRLE data that is not a valid zlib stream", error.Message);
    }

    [Fact]
    public void A_compressed_length_over_the_limit_is_refused_before_waiting_for_it()
    {
        var input = new RfbBytes().Update(1).Rect(0, 0, 2, 2, 16).U32(20_000_000).ToArray();

        var error = Assert.Throws<RfbProtocolException>(() => RfbFeeder.Whole(input));

        Assert.Equal("The VNC server sent 20000000 bytes of compressed ZRLE data for one 2×2 rectangle; at most 16777216 are accepted.", error.Message);
    }
}
