using System.Buffers.Binary;
using System.Text;
using EdgeGateway.Protocol.Display;

namespace EdgeGateway.Protocol.Tests.Display;

/// <summary>Every display payload of VNC contract §1 round-trips, and each malformed field gets its own status.</summary>
[Trait("Area", "Vnc")]
public sealed class DisplayFramesTests
{
    [Fact]
    public void Init_round_trips_size_and_name()
    {
        var payload = DisplayTestEncoder.Init(1280, 800, "Büro-PC: 1");

        Assert.Equal(DisplayReadStatus.Ok, DisplayFrames.TryReadInit(payload, out var init));
        Assert.Equal(new DisplayInitInfo(1280, 800, "Büro-PC: 1"), init);
        Assert.Equal(DisplayFrames.PixelFormatRgb888, payload[4]);
    }

    [Fact]
    public void Init_name_over_1024_bytes_is_cut_at_a_character_boundary()
    {
        var name = new string('x', 1023) + "é" + "tail";
        var payload = new byte[DisplayFrames.GetInitSize(name)];

        var length = DisplayFrames.WriteInit(payload, 10, 10, name);

        Assert.Equal(DisplayFrames.InitHeaderSize + 1023, length);
        Assert.Equal(DisplayReadStatus.Ok, DisplayFrames.TryReadInit(payload.AsSpan(0, length), out var init));
        Assert.Equal(new string('x', 1023), init.Name);
    }

    [Theory]
    [InlineData(0, 0x00, DisplayReadStatus.BadGeometry)] // width 0
    [InlineData(4, 0x02, DisplayReadStatus.UnsupportedPixelFormat)]
    [InlineData(5, 0x01, DisplayReadStatus.BadField)] // reserved
    [InlineData(6, 0x04, DisplayReadStatus.BadText)] // name length 1024+
    [InlineData(8, 0xFF, DisplayReadStatus.BadText)] // not UTF-8
    public void Init_refuses_a_bad_field(int offset, byte value, DisplayReadStatus expected)
    {
        var payload = DisplayTestEncoder.Init(300, 200, "abc");
        payload[offset] = value;
        if (offset == 0)
        {
            payload[1] = 0;
        }

        Assert.Equal(expected, DisplayFrames.TryReadInit(payload, out _));
    }

    [Fact]
    public void Init_refuses_short_and_long_payloads()
    {
        var payload = DisplayTestEncoder.Init(300, 200, "abc");

        Assert.Equal(DisplayReadStatus.Truncated, DisplayFrames.TryReadInit(payload.AsSpan(0, 5), out _));
        Assert.Equal(DisplayReadStatus.Truncated, DisplayFrames.TryReadInit(payload.AsSpan(0, payload.Length - 1), out _));
        Assert.Equal(DisplayReadStatus.TrailingBytes, DisplayFrames.TryReadInit([.. payload, 0], out _));
    }

    [Fact]
    public void Update_headers_round_trip_with_the_exact_data_size()
    {
        using var encoder = new DisplayTestEncoder();
        var payload = encoder
            .Solid(0, 0, 10, 5, 0x123456)
            .Copy(0, 0, 10, 10, 5, 5)
            .Pixels(1, 2, 2, 2, [1, 2, 3, 4])
            .Palette(3, 3, 5, 2, [0xFF0000, 0x00FF00, 0x0000FF], [0, 1, 2, 0, 1, 2, 0, 1, 2, 0])
            .Build(deflate: false);

        Assert.Equal(DisplayReadStatus.Ok, DisplayFrames.TryReadUpdate(payload, 20, 20, out var update));
        Assert.Equal(4, update.RectCount);
        Assert.Equal(DisplayCompression.None, update.Compression);
        Assert.Equal(12 + (9 + 4), update.DataLength); // 2×2×3, then 3 colours and 2 rows of 2-bit indices (2 bytes each)
        var rects = DisplayFrames.ReadRects(payload, update);
        var read = new List<DisplayRect>();
        while (rects.TryNext(out var rect))
        {
            read.Add(rect);
        }

        Assert.Equal(
            [
                new DisplayRect(DisplayRectKind.Solid, new PixelRect(0, 0, 10, 5), Colour: 0x123456),
                new DisplayRect(DisplayRectKind.CopyRect, new PixelRect(10, 10, 5, 5), SourceX: 0, SourceY: 0),
                new DisplayRect(DisplayRectKind.Pixels, new PixelRect(1, 2, 2, 2)),
                new DisplayRect(DisplayRectKind.Palette, new PixelRect(3, 3, 5, 2), PaletteSize: 3),
            ],
            read);
    }

    [Fact]
    public void Update_refuses_geometry_outside_the_display()
    {
        using var encoder = new DisplayTestEncoder();

        Assert.Equal(DisplayReadStatus.BadGeometry, DisplayFrames.TryReadUpdate(encoder.Solid(15, 0, 6, 1, 0).Build(), 20, 20, out _));
        Assert.Equal(DisplayReadStatus.BadGeometry, DisplayFrames.TryReadUpdate(encoder.Solid(0, 19, 1, 2, 0).Build(), 20, 20, out _));
        Assert.Equal(DisplayReadStatus.BadGeometry, DisplayFrames.TryReadUpdate(encoder.Copy(16, 0, 0, 0, 5, 5).Build(), 20, 20, out _));
        var zeroWidth = encoder.Solid(0, 0, 1, 1, 0).Build();
        zeroWidth[4 + 6] = 0; // low byte of w
        Assert.Equal(DisplayReadStatus.BadGeometry, DisplayFrames.TryReadUpdate(zeroWidth, 20, 20, out _));
    }

    [Fact]
    public void Update_refuses_unknown_kinds_small_palettes_and_bad_fields()
    {
        using var encoder = new DisplayTestEncoder();
        var solid = encoder.Solid(0, 0, 1, 1, 0).Build();
        var palette = encoder.Palette(0, 0, 2, 1, [1, 2], [0, 1]).Build(deflate: false);

        Assert.Equal(DisplayReadStatus.UnknownRectKind, DisplayFrames.TryReadUpdate(With(solid, 4, 5), 20, 20, out _));
        Assert.Equal(DisplayReadStatus.UnknownRectKind, DisplayFrames.TryReadUpdate(With(solid, 4, 0), 20, 20, out _));
        Assert.Equal(DisplayReadStatus.BadPalette, DisplayFrames.TryReadUpdate(With(palette, 4 + 9, 1), 20, 20, out _));
        Assert.Equal(DisplayReadStatus.BadField, DisplayFrames.TryReadUpdate(With(solid, 2, 2), 20, 20, out _));
        Assert.Equal(DisplayReadStatus.BadField, DisplayFrames.TryReadUpdate(With(solid, 3, 1), 20, 20, out _));
        Assert.Equal(DisplayReadStatus.Truncated, DisplayFrames.TryReadUpdate(solid.AsSpan(0, 10), 20, 20, out _));
        Assert.Equal(DisplayReadStatus.Truncated, DisplayFrames.TryReadUpdate(solid.AsSpan(0, 3), 20, 20, out _));
    }

    [Fact]
    public void Update_refuses_a_data_section_of_the_wrong_size()
    {
        using var encoder = new DisplayTestEncoder();
        var plain = encoder.Pixels(0, 0, 2, 1, [1, 2]).Build(deflate: false);
        var solid = encoder.Solid(0, 0, 1, 1, 0).Build();
        var deflated = encoder.Pixels(0, 0, 2, 1, [1, 2]).Build(deflate: true);

        Assert.Equal(DisplayReadStatus.Truncated, DisplayFrames.TryReadUpdate(plain.AsSpan(0, plain.Length - 1), 20, 20, out _));
        Assert.Equal(DisplayReadStatus.DataSizeMismatch, DisplayFrames.TryReadUpdate([.. plain, 0], 20, 20, out _));
        Assert.Equal(DisplayReadStatus.DataSizeMismatch, DisplayFrames.TryReadUpdate([.. solid, 0], 20, 20, out _));
        Assert.Equal(DisplayReadStatus.Ok, DisplayFrames.TryReadUpdate(deflated, 20, 20, out var update));
        Assert.Equal(6, update.DataLength);
        Assert.Equal(DisplayReadStatus.CorruptData, DisplayFrames.TryReadUpdate(deflated.AsSpan(0, deflated.Length - 1), 20, 20, out _));
    }

    [Fact]
    public void Deflated_data_claiming_more_than_deflate_can_give_is_refused_before_inflating()
    {
        // 65535 × 65535 pixels from a 4-byte section: the claim alone is refused.
        var payload = new byte[4 + 9 + 4];
        DisplayFrames.WriteUpdateHeader(payload, 1, DisplayCompression.Deflate);
        DisplayFrames.WriteRect(payload.AsSpan(4), new DisplayRect(DisplayRectKind.Pixels, new PixelRect(0, 0, 65535, 65535)));
        payload[^2] = 0xFF;
        payload[^1] = 0xFF;

        Assert.Equal(DisplayReadStatus.DataSizeMismatch, DisplayFrames.TryReadUpdate(payload, 65535, 65535, out _));
    }

    [Theory]
    [InlineData(2, 1)]
    [InlineData(3, 2)]
    [InlineData(4, 2)]
    [InlineData(5, 4)]
    [InlineData(16, 4)]
    [InlineData(17, 8)]
    [InlineData(255, 8)]
    public void Palette_indices_pack_most_significant_first_and_round_trip(int colours, int bits)
    {
        Assert.Equal(bits, DisplayFrames.PaletteIndexBits(colours));
        var random = new Random(colours);
        foreach (var width in new[] { 1, 7, 8, 9, 64 })
        {
            var indices = new byte[width];
            for (var i = 0; i < width; i++)
            {
                indices[i] = (byte)random.Next(colours);
            }

            indices[0] = 1;
            var packed = new byte[DisplayFrames.PaletteRowLength(colours, width)];
            Assert.Equal(((width * bits) + 7) / 8, DisplayFrames.PackIndexRow(packed, indices, colours));
            Assert.Equal(1, packed[0] >> (8 - bits)); // the leftmost pixel in the high bits
            var back = new byte[width];
            Assert.True(DisplayFrames.UnpackIndexRow(packed, back, colours));
            Assert.Equal(indices, back);
        }
    }

    [Fact]
    public void An_index_past_the_palette_is_found_when_unpacking()
    {
        var back = new byte[2];

        Assert.False(DisplayFrames.UnpackIndexRow([0b_0011_0000], back, 3));
        Assert.True(DisplayFrames.UnpackIndexRow([0b_0010_1100], back, 3));
    }

    [Fact]
    public void Cursor_round_trips_with_alpha_0_or_255()
    {
        uint[] argb = [0xFF112233, 0x00445566, 0x80778899, 0x7FAABBCC];
        var payload = new byte[DisplayFrames.GetCursorSize(2, 2)];
        DisplayFrames.WriteCursor(payload, 1, 0, 2, 2, argb);

        Assert.Equal(DisplayReadStatus.Ok, DisplayFrames.TryReadCursor(payload, out var cursor, out var rgba));
        Assert.Equal(new DisplayCursorInfo(1, 0, 2, 2), cursor);
        Assert.Equal(new byte[] { 0x11, 0x22, 0x33, 255, 0x44, 0x55, 0x66, 0, 0x77, 0x88, 0x99, 255, 0xAA, 0xBB, 0xCC, 0 }, rgba.ToArray());
    }

    [Fact]
    public void Cursor_refuses_bad_geometry_and_alpha()
    {
        var none = new byte[DisplayFrames.CursorHeaderSize];
        Assert.Equal(DisplayReadStatus.Ok, DisplayFrames.TryReadCursor(none, out var cursor, out _));
        Assert.Equal(default, cursor);

        var payload = new byte[DisplayFrames.GetCursorSize(2, 2)];
        DisplayFrames.WriteCursor(payload, 0, 0, 2, 2, [0, 0, 0, 0]);
        Assert.Equal(DisplayReadStatus.BadField, DisplayFrames.TryReadCursor(With(payload, 11, 7), out _, out _));
        Assert.Equal(DisplayReadStatus.BadGeometry, DisplayFrames.TryReadCursor(With(payload, 1, 2), out _, out _)); // hot x past the cursor
        Assert.Equal(DisplayReadStatus.Truncated, DisplayFrames.TryReadCursor(payload.AsSpan(0, payload.Length - 1), out _, out _));
        var big = new byte[8];
        BinaryPrimitives.WriteUInt16BigEndian(big.AsSpan(4), 257);
        BinaryPrimitives.WriteUInt16BigEndian(big.AsSpan(6), 1);
        Assert.Equal(DisplayReadStatus.BadGeometry, DisplayFrames.TryReadCursor(big, out _, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => DisplayFrames.WriteCursor(new byte[8], 0, 0, 0, 3, []));
    }

    [Fact]
    public void Pointer_and_input_payloads_round_trip()
    {
        var buffer = new byte[5];

        DisplayFrames.WritePointer(buffer, 1279, 799, 0b101);
        Assert.Equal(DisplayReadStatus.Ok, DisplayFrames.TryReadPointer(buffer, out var pointer));
        Assert.Equal(new DisplayPointerInfo(1279, 799, 0b101), pointer);

        DisplayFrames.WritePointerInput(buffer, 0b1000, 65535, 0);
        Assert.Equal(new byte[] { 0b1000, 0xFF, 0xFF, 0, 0 }, buffer);
        Assert.Equal(DisplayReadStatus.Ok, DisplayFrames.TryReadPointerInput(buffer, out pointer));
        Assert.Equal(new DisplayPointerInfo(65535, 0, 0b1000), pointer);

        DisplayFrames.WriteKeyInput(buffer, true, 0xFFE3);
        Assert.Equal(DisplayReadStatus.Ok, DisplayFrames.TryReadKeyInput(buffer, out var key));
        Assert.Equal(new KeyInputInfo(true, 0xFFE3), key);

        Assert.Equal(DisplayReadStatus.BadField, DisplayFrames.TryReadKeyInput(With(buffer, 0, 2), out _));
        Assert.Equal(DisplayReadStatus.Truncated, DisplayFrames.TryReadKeyInput(buffer.AsSpan(0, 4), out _));
        Assert.Equal(DisplayReadStatus.TrailingBytes, DisplayFrames.TryReadPointer(new byte[6], out _));
        Assert.Equal(DisplayReadStatus.Truncated, DisplayFrames.TryReadPointerInput(new byte[4], out _));
    }

    [Fact]
    public void Clipboard_is_utf8_up_to_256_KiB()
    {
        var text = "grüß 👋";
        var payload = new byte[DisplayFrames.GetClipboardSize(text)];
        DisplayFrames.WriteClipboard(payload, text);
        Assert.Equal(DisplayReadStatus.Ok, DisplayFrames.TryReadClipboard(payload, out var read));
        Assert.Equal(text, read);

        Assert.Equal(DisplayReadStatus.BadText, DisplayFrames.TryReadClipboard([0xC3], out _));
        Assert.Equal(DisplayReadStatus.BadText, DisplayFrames.TryReadClipboard(new byte[DisplayFrames.MaxClipboardBytes + 1], out _));

        var huge = new string('ä', DisplayFrames.MaxClipboardBytes); // 2 bytes each: cut to 128 Ki characters
        var cut = new byte[DisplayFrames.GetClipboardSize(huge)];
        Assert.Equal(DisplayFrames.MaxClipboardBytes, DisplayFrames.WriteClipboard(cut, huge));
        Assert.Equal(DisplayReadStatus.Ok, DisplayFrames.TryReadClipboard(cut, out read));
        Assert.Equal(DisplayFrames.MaxClipboardBytes / 2, read.Length);
        Assert.Equal(DisplayFrames.MaxClipboardBytes, Encoding.UTF8.GetByteCount(read));
    }

    private static byte[] With(byte[] payload, int offset, byte value)
    {
        var copy = payload.ToArray();
        copy[offset] = value;
        return copy;
    }
}
