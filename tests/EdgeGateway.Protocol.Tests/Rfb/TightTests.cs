using EdgeGateway.Protocol.Rfb;

namespace EdgeGateway.Protocol.Tests.Rfb;

/// <summary>Tight (rfbproto "Tight Encoding") from bytes written by hand: fill, copy, palette, gradient, streams and resets.</summary>
[Trait("Area", "Vnc")]
public sealed class TightTests
{
    private const uint A = 0xA1A2A3;
    private const uint B = 0xB1B2B3;
    private const uint C = 0xC1C2C3;
    private const uint D = 0x0D0E0F;

    [Fact]
    public void Fill_and_short_uncompressed_copy_data()
    {
        var input = new RfbBytes()
            .Update(2)
            .Rect(0, 0, 4, 2, 7).U8(0x80).TPixel(A)
            .Rect(1, 2, 1, 3, 7).U8(0x00).TPixel(B).TPixel(C).TPixel(D)
            .ToArray();

        var result = RfbFeeder.AllSplitsAgree(input, 4, 5);

        Assert.Equal<uint>([A, A, A, A, A, A, A, A, 0, B, 0, 0, 0, C, 0, 0, 0, D, 0, 0], result.Framebuffer.Pixels.ToArray());
        Assert.Equal(11, result.Sink.Covered.Count(c => c));
    }

    [Fact]
    public void Copy_filter_compressed_on_two_streams_with_a_reset()
    {
        using var stream0 = new ZlibBlocks();
        using var stream3 = new ZlibBlocks();
        var pixels = new RfbBytes();
        for (var i = 0; i < 8; i++)
        {
            pixels.TPixel((uint)(0x102030 * (i + 1)));
        }

        var raw = pixels.ToArray();
        var first = stream0.Block(raw);
        var other = stream3.Block(raw);
        var second = stream0.Block(raw);
        stream0.Reset();
        var afterReset = stream0.Block(raw);

        // Control: bits 4-5 the stream, bit 0 resets stream 0 (before this rectangle is decoded).
        var input = new RfbBytes()
            .Update(4)
            .Rect(0, 0, 4, 2, 7).U8(0x00).CompactLength(first.Length).Bytes(first)
            .Rect(4, 0, 4, 2, 7).U8(0x30).CompactLength(other.Length).Bytes(other)
            .Rect(0, 2, 4, 2, 7).U8(0x00).CompactLength(second.Length).Bytes(second)
            .Rect(4, 2, 4, 2, 7).U8(0x01).CompactLength(afterReset.Length).Bytes(afterReset)
            .ToArray();

        var result = RfbFeeder.AllSplitsAgree(input, 8, 4);

        var fb = result.Framebuffer;
        for (var quadrant = 0; quadrant < 4; quadrant++)
        {
            var x0 = quadrant % 2 * 4;
            var y0 = quadrant / 2 * 2;
            for (var i = 0; i < 8; i++)
            {
                Assert.Equal((uint)(0x102030 * (i + 1)), fb.Row(y0 + (i / 4))[x0 + (i % 4)]);
            }
        }
    }

    [Fact]
    public void Palette_filter_one_bit_uncompressed_and_eight_bit_compressed()
    {
        using var stream1 = new ZlibBlocks();
        var indices = stream1.Block([0, 1, 2, 3, 3, 2, 1, 0, 1, 1, 1, 1, 2, 2, 2, 2]);
        var input = new RfbBytes()
            .Update(2)
            // 10×2, two colours: 1 bit per pixel, rows padded to 2 bytes, 4 bytes in all (under 12: sent as is).
            .Rect(0, 0, 10, 2, 7).U8(0x40).U8(1).U8(1).TPixel(A).TPixel(B).U8(0b1000_0000).U8(0b0100_0000).U8(0b0111_1111).U8(0b1100_0000)
            // 4×4, four colours on stream 1: 8 bits per pixel.
            .Rect(0, 2, 4, 4, 7).U8(0x50).U8(1).U8(3).TPixel(A).TPixel(B).TPixel(C).TPixel(D).CompactLength(indices.Length).Bytes(indices)
            .ToArray();

        var result = RfbFeeder.AllSplitsAgree(input, 10, 6);

        var fb = result.Framebuffer;
        Assert.Equal<uint>([B, A, A, A, A, A, A, A, A, B], fb.Row(0).ToArray());
        Assert.Equal<uint>([A, B, B, B, B, B, B, B, B, B], fb.Row(1).ToArray());
        Assert.Equal<uint>([A, B, C, D], fb.Row(2)[..4].ToArray());
        Assert.Equal<uint>([D, C, B, A], fb.Row(3)[..4].ToArray());
        Assert.Equal<uint>([B, B, B, B], fb.Row(4)[..4].ToArray());
        Assert.Equal<uint>([C, C, C, C], fb.Row(5)[..4].ToArray());
    }

    [Fact]
    public void Gradient_filter_reverses_the_specs_prediction()
    {
        uint[,] picture = { { 0x102030, 0x112233, 0xFF0000, 0x00FF00 }, { 0x0000FF, 0x808080, 0x7F7F7F, 0xFEFDFC }, { 0x010101, 0xFFFFFF, 0, 0x123456 } };
        var filtered = GradientFilter(picture);
        using var stream2 = new ZlibBlocks();
        var block = stream2.Block(filtered);
        var input = new RfbBytes().Update(1).Rect(1, 1, 4, 3, 7).U8(0x60).U8(2).CompactLength(block.Length).Bytes(block).ToArray();

        var result = RfbFeeder.AllSplitsAgree(input, 6, 5);

        for (var y = 0; y < 3; y++)
        {
            for (var x = 0; x < 4; x++)
            {
                Assert.Equal(picture[y, x], result.Framebuffer.Row(y + 1)[x + 1]);
            }
        }
    }

    [Fact]
    public void A_three_byte_compact_length_and_a_hand_written_zlib_stream()
    {
        // 2048×3 copy-filtered pixels in stored blocks: 18432 bytes, over 16383, so the length takes 3 bytes.
        var raw = new byte[2048 * 3 * 3];
        new Random(5).NextBytes(raw);
        var block = ZlibBlocks.Stored(raw, withHeader: true);
        var input = new RfbBytes().Update(1).Rect(0, 0, 2048, 3, 7).U8(0x00).CompactLength(block.Length).Bytes(block).ToArray();
        Assert.Equal(new byte[] { 0x90, 0x4E }, new RfbBytes().CompactLength(10000).ToArray()); // the spec's example

        var result = RfbFeeder.AllSplitsAgree(input, 2048, 3);

        Assert.Equal(((uint)raw[0] << 16) | ((uint)raw[1] << 8) | raw[2], result.Framebuffer.Pixels[0]);
        Assert.Equal(((uint)raw[^3] << 16) | ((uint)raw[^2] << 8) | raw[^1], result.Framebuffer.Pixels[^1]);
    }

    [Theory]
    [InlineData(4, new byte[] { 0x90, 0x05, 1, 2, 3, 4, 5 }, "Tight JPEG rectangle at 0,0")]
    [InlineData(4, new byte[] { 0xA0, 1, 2, 3 }, "without zlib")]
    [InlineData(4, new byte[] { 0xB0 }, "compression-control byte 0xB0")]
    [InlineData(4, new byte[] { 0x40, 3 }, "filter 3")]
    [InlineData(4, new byte[] { 0x40, 1, 0, 1, 2, 3 }, "palette of 1 colour")]
    [InlineData(3, new byte[] { 0x40, 1, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 0, 1, 3 }, "palette index 3 at 2,0 in a palette of 3 colours")]
    [InlineData(4, new byte[] { 0x00, 0xFF, 0xFF, 0xFF }, "4194303 bytes of compressed Tight data for one 4×1 rectangle; at most 1048576")]
    [InlineData(4, new byte[] { 0x00, 0x05, 0x78, 0x9C, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0 }, "Tight stream 0 data that is not a valid zlib stream")]
    public void Malformed_rectangles_are_refused(int width, byte[] data, string expected)
    {
        var input = new RfbBytes().Update(1).Rect(0, 0, width, 1, 7).Bytes(data).Bytes(new byte[8]).ToArray();

        var error = Assert.Throws<RfbProtocolException>(() => RfbFeeder.Whole(input, limits: new RfbLimits { MaxCompressedBytes = 1024 * 1024 }));

        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Compressed_data_must_inflate_to_exactly_the_rectangle()
    {
        using var zlib = new ZlibBlocks();
        var tooShort = zlib.Block(new byte[35]);
        zlib.Reset();
        var tooLong = zlib.Block(new byte[37]);

        var shortError = Assert.Throws<RfbProtocolException>(() => RfbFeeder.Whole(new RfbBytes().Update(1).Rect(0, 0, 3, 4, 7).U8(0).CompactLength(tooShort.Length).Bytes(tooShort).ToArray()));
        var longError = Assert.Throws<RfbProtocolException>(() => RfbFeeder.Whole(new RfbBytes().Update(1).Rect(0, 0, 3, 4, 7).U8(0).CompactLength(tooLong.Length).Bytes(tooLong).ToArray()));

        Assert.Equal("The VNC server's Tight data for the 3×4 rectangle at 0,0 ends before the rectangle is complete.", shortError.Message);
        Assert.Equal("The VNC server's Tight data for the 3×4 rectangle at 0,0 holds more than the rectangle.", longError.Message);
    }

    [Fact]
    public void A_rectangle_wider_than_2048_is_refused()
    {
        var error = Assert.Throws<RfbProtocolException>(() => RfbFeeder.Whole(new RfbBytes().Update(1).Rect(0, 0, 2049, 1, 7).U8(0x80).TPixel(A).ToArray(), 2100, 2));

        Assert.Contains("2049 pixels wide", error.Message);
    }

    /// <summary>The encoder side of the gradient filter, written from the spec's pseudo-code.</summary>
    private static byte[] GradientFilter(uint[,] picture)
    {
        var height = picture.GetLength(0);
        var width = picture.GetLength(1);
        var output = new byte[width * height * 3];
        int V(int y, int x, int shift) => y < 0 || x < 0 ? 0 : (int)((picture[y, x] >> shift) & 0xFF);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                for (var c = 0; c < 3; c++)
                {
                    var shift = 16 - (8 * c);
                    var p = Math.Clamp(V(y, x - 1, shift) + V(y - 1, x, shift) - V(y - 1, x - 1, shift), 0, 255);
                    output[(((y * width) + x) * 3) + c] = (byte)(V(y, x, shift) - p);
                }
            }
        }

        return output;
    }
}
