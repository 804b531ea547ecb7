using EdgeGateway.Protocol.Display;
using EdgeGateway.Protocol.Rfb;

namespace EdgeGateway.Protocol.Tests.Rfb;

/// <summary>Server messages, Raw, CopyRect and the pseudo-encodings, from bytes written by hand after RFC 6143 and rfbproto.</summary>
[Trait("Area", "Vnc")]
public sealed class RfbUpdateDecoderTests
{
    [Fact]
    public void Raw_rectangle_paints_its_pixels_in_row_order()
    {
        var input = new RfbBytes().Update(1).Rect(2, 3, 3, 2, 0)
            .Pixel(0xFF0000).Pixel(0x00FF00).Pixel(0x0000FF)
            .Pixel(0x123456).Pixel(0xABCDEF).Pixel(0x000001)
            .ToArray();

        var result = RfbFeeder.AllSplitsAgree(input, 8, 6);

        var fb = result.Framebuffer;
        Assert.Equal<uint>([0xFF0000, 0x00FF00, 0x0000FF], fb.Row(3).Slice(2, 3).ToArray());
        Assert.Equal<uint>([0x123456, 0xABCDEF, 0x000001], fb.Row(4).Slice(2, 3).ToArray());
        Assert.Equal(0u, fb.Row(3)[1]);
        Assert.Equal(0u, fb.Row(5)[2]);
        Assert.Equal(["complete"], result.Sink.Events);
        Assert.Equal(6, result.Sink.Covered.Count(c => c));
        Assert.Equal(0, result.Unconsumed);
    }

    [Fact]
    public void A_partial_message_is_left_unconsumed_until_the_rest_arrives()
    {
        var input = new RfbBytes().Update(1).Rect(0, 0, 2, 2, 0).Pixel(1).Pixel(2).Pixel(3).ToArray();

        var result = RfbFeeder.Whole(input, 4, 4);

        // Header and the first whole row are applied; the half row waits.
        Assert.Equal(4, result.Unconsumed);
        Assert.Equal<uint>([1, 2], result.Framebuffer.Row(0)[..2].ToArray());
        Assert.Empty(result.Sink.Events);
    }

    [Fact]
    public void CopyRect_copies_overlapping_areas_as_they_were_before()
    {
        var input = new RfbBytes().Update(2)
            .Rect(0, 0, 4, 1, 0).Pixel(1).Pixel(2).Pixel(3).Pixel(4)
            .Rect(1, 0, 3, 1, 1).U16(0).U16(0)
            .ToArray();

        var result = RfbFeeder.AllSplitsAgree(input, 4, 2);

        Assert.Equal<uint>([1, 1, 2, 3], result.Framebuffer.Row(0).ToArray());
        Assert.Equal(["copy 0,0 -> 1,0 3x1", "complete"], result.Sink.Events);
    }

    [Fact]
    public void DesktopSize_resizes_and_an_unchanged_size_keeps_the_picture()
    {
        var input = new RfbBytes()
            .Update(2).Rect(0, 0, 1, 1, 0).Pixel(0x445566).Rect(0, 0, 8, 6, -223)
            .Update(1).Rect(0, 0, 10, 7, -223)
            .Update(1).Rect(0, 0, 1, 1, 0).Pixel(0x778899)
            .Update(1).Rect(0, 0, 10, 7, -223)
            .ToArray();

        var result = RfbFeeder.AllSplitsAgree(input, 8, 6);

        Assert.Equal(10, result.Framebuffer.Width);
        Assert.Equal(7, result.Framebuffer.Height);
        Assert.Equal(0x778899u, result.Framebuffer.Pixels[0]);
        Assert.Equal(["complete", "resize 10x7 ", "complete", "complete", "complete"], result.Sink.Events);
    }

    [Fact]
    public void ExtendedDesktopSize_resizes_unless_it_reports_a_refused_request()
    {
        var input = new RfbBytes()
            .Update(1).Rect(0, 0, 12, 9, -308).U8(2).Bytes(0, 0, 0)
            .U32(1).U16(0).U16(0).U16(6).U16(9).U32(0)
            .U32(2).U16(6).U16(0).U16(6).U16(9).U32(0)
            .Update(1).Rect(1, 3, 20, 20, -308).U8(1).Bytes(0, 0, 0).U32(1).U16(0).U16(0).U16(12).U16(9).U32(0)
            .ToArray();

        var result = RfbFeeder.AllSplitsAgree(input, 8, 6);

        Assert.Equal((12, 9), (result.Framebuffer.Width, result.Framebuffer.Height));
        Assert.Equal(["resize 12x9 ", "complete", "complete"], result.Sink.Events);
    }

    [Fact]
    public void Cursor_gives_opaque_pixels_where_the_mask_is_set()
    {
        // 9 pixels wide: the mask row takes 2 bytes, the leftmost pixel in the most significant bit.
        var bytes = new RfbBytes().Update(1).Rect(4, 5, 9, 2, -239);
        for (var i = 0; i < 18; i++)
        {
            bytes.Pixel((uint)(0x010203 * (i + 1)));
        }

        var input = bytes.Bytes(0b1000_0001, 0b1000_0000, 0b0100_0000, 0b0000_0000).ToArray();

        var result = RfbFeeder.AllSplitsAgree(input);

        var cursor = result.Sink.LastCursor;
        Assert.Equal(18, cursor.Length);
        Assert.Equal(0xFF010203u, cursor[0]);
        Assert.Equal(0u, cursor[1]);
        Assert.Equal(0xFF000000u | (0x010203u * 8), cursor[7]);
        Assert.Equal(0xFF000000u | (0x010203u * 9), cursor[8]);
        Assert.Equal(0xFF000000u | (0x010203u * 11), cursor[10]);
        Assert.Equal(4, cursor.Count(p => p != 0));
        Assert.StartsWith("cursor 4,5 9x2 ", result.Sink.Events[0]);
    }

    [Fact]
    public void An_empty_cursor_means_the_device_draws_none()
    {
        var result = RfbFeeder.AllSplitsAgree(new RfbBytes().Update(1).Rect(0, 0, 0, 0, -239).ToArray());

        Assert.Equal(["cursor 0,0 0x0 ", "complete"], result.Sink.Events);
    }

    [Fact]
    public void LastRect_ends_an_update_announced_with_65535_rectangles()
    {
        var input = new RfbBytes()
            .Update(65535).Rect(0, 0, 1, 1, 0).Pixel(0xABCDEF).Rect(0, 0, 0, 0, -224)
            .U8(2)
            .ToArray();

        var result = RfbFeeder.AllSplitsAgree(input, 4, 4);

        Assert.Equal(["complete", "bell"], result.Sink.Events);
        Assert.Equal(0xABCDEFu, result.Framebuffer.Pixels[0]);
    }

    [Fact]
    public void Empty_updates_bells_and_cut_text_are_reported_in_order()
    {
        var input = new RfbBytes()
            .Update(0).U8(2)
            .U8(3).Bytes(0, 0, 0).U32(5).Bytes((byte)'c', 0xE9, (byte)'l', 0xE8, (byte)'\n')
            .U8(3).Bytes(0, 0, 0).U32(0)
            .ToArray();

        var result = RfbFeeder.AllSplitsAgree(input);

        Assert.Equal(["complete", "bell", "cut 5 False célè\n", "cut 0 False "], result.Sink.Events);
    }

    [Fact]
    public void Cut_text_over_the_limit_is_skipped_and_reported_truncated()
    {
        var text = Enumerable.Range(0, 5000).Select(i => (byte)('a' + (i % 26))).ToArray();
        var input = new RfbBytes().U8(3).Bytes(0, 0, 0).U32((uint)text.Length).Bytes(text).U8(2).ToArray();

        var result = RfbFeeder.AllSplitsAgree(input, limits: new RfbLimits { MaxCutTextBytes = 100 });

        Assert.Equal(["cut 100 True abcdefghijklmnopqrstuvwxyzabcdefghijklmn", "bell"], result.Sink.Events);
    }

    [Fact]
    public void A_huge_announced_cut_text_holds_no_more_than_the_limit()
    {
        var framebuffer = new Framebuffer(4, 4);
        var decoder = new RfbUpdateDecoder(framebuffer, new RfbLimits { MaxCutTextBytes = 1024 });
        var sink = new RecordingSink(framebuffer);
        var chunk = new byte[64 * 1024];
        var header = new RfbBytes().U8(3).Bytes(0, 0, 0).U32(uint.MaxValue).ToArray();

        var before = GC.GetAllocatedBytesForCurrentThread();
        var consumed = decoder.Decode(new(header), sink);
        for (var i = 0; i < 100; i++)
        {
            consumed += decoder.Decode(new(chunk), sink);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(header.Length + (100L * chunk.Length), consumed);
        Assert.InRange(allocated, 1024, 2 * 1024);
        Assert.Empty(sink.Events);
    }

    [Fact]
    public void Colour_map_is_refused_with_a_clear_error()
    {
        var input = new RfbBytes().U8(1).U8(0).U16(0).U16(256).ToArray();

        var error = Assert.Throws<RfbProtocolException>(() => RfbFeeder.Whole(input));

        Assert.Contains("colour map", error.Message);
        Assert.Contains("256 colours", error.Message);
    }

    [Theory]
    [InlineData(0, 0, 33, 1, 0, "outside its 32×24 framebuffer")]
    [InlineData(30, 20, 3, 3, 0, "rectangle at 30,20 of 3×3 pixels (Raw), outside")]
    [InlineData(0, 0, 1, 1, 99, "encoding 99")]
    [InlineData(0, 0, 1, 1, -240, "encoding -240")]
    [InlineData(0, 0, 4000, 3000, -223, "resized its desktop to 4000×3000")]
    [InlineData(0, 0, 0, 5, -223, "resized its desktop to 0×5")]
    [InlineData(0, 0, 257, 2, -239, "257×2 cursor")]
    public void Hostile_rectangles_are_refused_naming_what_was_sent(int x, int y, int width, int height, int encoding, string expected)
    {
        var input = new RfbBytes().Update(1).Rect(x, y, width, height, encoding).Bytes(new byte[64]).ToArray();

        var error = Assert.Throws<RfbProtocolException>(() => RfbFeeder.Whole(input));

        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void CopyRect_from_outside_the_framebuffer_is_refused()
    {
        var input = new RfbBytes().Update(1).Rect(0, 0, 4, 4, 1).U16(30).U16(0).ToArray();

        var error = Assert.Throws<RfbProtocolException>(() => RfbFeeder.Whole(input));

        Assert.Contains("CopyRect from 30,0 of 4×4 pixels, outside", error.Message);
    }

    [Fact]
    public void Unknown_message_types_are_refused_and_the_decoder_stays_failed()
    {
        var framebuffer = new Framebuffer(4, 4);
        var decoder = new RfbUpdateDecoder(framebuffer, RfbLimits.Default);
        var sink = new RecordingSink(framebuffer);

        var error = Assert.Throws<RfbProtocolException>(() => decoder.Decode(new([200]), sink));
        var again = Assert.Throws<RfbProtocolException>(() => decoder.Decode(new([2]), sink));

        Assert.Equal("The VNC server sent an unknown message type 200.", error.Message);
        Assert.Equal(error.Message, again.Message);
        Assert.Empty(sink.Events);
    }

    [Fact]
    public void Raw_rows_decode_without_allocating()
    {
        var framebuffer = new Framebuffer(640, 480);
        var decoder = new RfbUpdateDecoder(framebuffer, RfbLimits.Default);
        var sink = new CountingSink();
        var bytes = new RfbBytes().Update(1).Rect(0, 0, 640, 480, 0);
        var input = bytes.Bytes(new byte[640 * 480 * 4]).ToArray();
        // Split mid-row so the scratch path is used too.
        var split = RfbFeeder.Sequence([input.AsMemory(0, 1001), input.AsMemory(1001)]);
        decoder.Decode(split, sink);

        // The runtime may allocate once on this thread while it re-compiles hot methods; a round with none proves
        // decoding itself allocates nothing (a per-decode allocation would show in every round).
        var rounds = 0;
        long allocated;
        do
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 5; i++)
            {
                decoder.Decode(split, sink);
            }

            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        }
        while (allocated != 0 && ++rounds < 10);

        Assert.Equal(0, allocated);
        Assert.Equal(1 + (5 * (rounds + 1)), sink.Updates);
        Assert.Equal(sink.Updates * 640L * 480, sink.Pixels);
    }

    [Fact]
    public void Limits_that_cannot_work_are_refused_at_construction()
    {
        var framebuffer = new Framebuffer(4, 4);

        Assert.Throws<ArgumentOutOfRangeException>(() => new RfbUpdateDecoder(framebuffer, new RfbLimits { MaxPixels = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RfbUpdateDecoder(framebuffer, new RfbLimits { MaxCutTextBytes = -1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RfbUpdateDecoder(framebuffer, new RfbLimits { MaxCompressedBytes = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RfbUpdateDecoder(framebuffer, new RfbLimits { MaxCursorSide = 5000 }));
    }

    [Fact]
    public void Default_encodings_prefer_compression_and_ask_for_no_jpeg()
    {
        Assert.Equal([7, 16, 5, 2, 1, 0, -308, -223, -239, -224], RfbUpdateDecoder.DefaultEncodings);
        Assert.DoesNotContain(RfbUpdateDecoder.DefaultEncodings, e => e is >= -32 and <= -23 or >= -512 and <= -412);
    }

    /// <summary>A sink that allocates nothing, for allocation measurements.</summary>
    internal sealed class CountingSink : IRfbUpdateSink
    {
        public int Updates { get; private set; }

        public long Pixels { get; private set; }

        public void OnPixels(PixelRect rect) => Pixels += rect.Area;

        public void OnCopyRect(int sourceX, int sourceY, PixelRect destination) => Pixels += destination.Area;

        public void OnResize(int width, int height, string? name)
        {
        }

        public void OnCursor(int hotX, int hotY, int width, int height, ReadOnlySpan<uint> argb)
        {
        }

        public void OnUpdateComplete() => Updates++;

        public void OnBell()
        {
        }

        public void OnServerCutText(string text, bool truncated)
        {
        }
    }
}
