using EdgeGateway.Protocol.Display;
using EdgeGateway.Protocol.Stream;

namespace EdgeGateway.Protocol.Tests.Display;

/// <summary>The reference viewer paints what the frames say, keeps one inflate context per DisplayInit, and refuses what is malformed.</summary>
[Trait("Area", "Vnc")]
public sealed class DisplayCanvasTests : IDisposable
{
    private readonly DisplayCanvas _canvas = new(maxPixels: 1_000_000);
    private readonly DisplayTestEncoder _encoder = new();
    private readonly Framebuffer _expected = new(40, 30);

    public DisplayCanvasTests() => Assert.Equal(DisplayReadStatus.Ok, _canvas.Apply(FrameType.DisplayInit, FrameFlags.Keyframe, DisplayTestEncoder.Init(40, 30, "desk")));

    public void Dispose()
    {
        _canvas.Dispose();
        _encoder.Dispose();
    }

    [Fact]
    public void Init_sizes_a_black_canvas()
    {
        Assert.Equal((40, 30, "desk"), (_canvas.Width, _canvas.Height, _canvas.Name));
        Assert.All(_canvas.Pixels.ToArray(), p => Assert.Equal(0u, p));
        Assert.False(_canvas.NeedsKeyframe);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Every_rect_kind_paints_what_it_says(bool deflate)
    {
        var pixels = Enumerable.Range(0, 12).Select(i => (uint)(i * 0x010203)).ToArray();
        var indices = Enumerable.Range(0, 35).Select(i => (byte)(i % 5)).ToArray();
        uint[] palette = [0xFF0000, 0x00FF00, 0x0000FF, 0xFFFFFF, 0x808080];
        var payload = _encoder
            .Solid(0, 0, 40, 30, 0x202020)
            .Pixels(2, 3, 4, 3, pixels)
            .Palette(10, 10, 7, 5, palette, indices)
            .Copy(0, 0, 20, 1, 12, 12) // overlaps nothing it wrote itself
            .Copy(2, 3, 3, 4, 4, 3) // overlapping: the source as it was
            .Build(deflate);
        _expected.Fill(_expected.Bounds, 0x202020);
        Paint(new PixelRect(2, 3, 4, 3), pixels);
        Paint(new PixelRect(10, 10, 7, 5), indices.Select(i => palette[i]).ToArray());
        _expected.Copy(0, 0, new PixelRect(20, 1, 12, 12));
        _expected.Copy(2, 3, new PixelRect(3, 4, 4, 3));

        Assert.Equal(DisplayReadStatus.Ok, _canvas.Apply(FrameType.DisplayUpdate, FrameFlags.None, payload));

        Assert.Equal(_expected.Pixels.ToArray(), _canvas.Pixels.ToArray());
    }

    [Fact]
    public void The_inflate_context_continues_across_updates_until_the_next_init()
    {
        var random = new Random(7);
        var noise = new uint[20 * 10];
        for (var i = 0; i < noise.Length; i++)
        {
            noise[i] = (uint)random.Next(0x1000000);
        }

        var first = _encoder.Pixels(0, 0, 20, 10, noise).Build();
        var second = _encoder.Pixels(20, 20, 20, 10, noise).Build();
        Assert.True(second.Length < first.Length / 4, $"the repeat refers back to the first: {second.Length} vs {first.Length} bytes");
        Paint(new PixelRect(0, 0, 20, 10), noise);
        Paint(new PixelRect(20, 20, 20, 10), noise);

        Assert.Equal(DisplayReadStatus.Ok, _canvas.Apply(FrameType.DisplayUpdate, FrameFlags.None, first));
        Assert.Equal(DisplayReadStatus.Ok, _canvas.Apply(FrameType.DisplayUpdate, FrameFlags.None, second));
        Assert.Equal(_expected.Pixels.ToArray(), _canvas.Pixels.ToArray());

        // After a DisplayInit the viewer starts a new context: so must the sender.
        Assert.Equal(DisplayReadStatus.Ok, _canvas.Apply(FrameType.DisplayInit, FrameFlags.Keyframe, DisplayTestEncoder.Init(40, 30)));
        _encoder.Reset();
        Assert.Equal(DisplayReadStatus.Ok, _canvas.Apply(FrameType.DisplayUpdate, FrameFlags.None, _encoder.Pixels(0, 0, 20, 10, noise).Build()));
        Assert.Equal(noise[0], _canvas.GetPixel(0, 0));
        Assert.Equal(0u, _canvas.GetPixel(20, 20));
    }

    [Fact]
    public void Deflated_data_inflating_to_more_or_less_than_the_headers_need_is_refused()
    {
        var longer = _encoder.Pixels(0, 0, 2, 2, [1, 2, 3, 4]).Build();
        longer[4 + 8] = 1; // h 2 → 1: the chunk inflates to more than the rect needs
        Assert.Equal(DisplayReadStatus.DataSizeMismatch, _canvas.Apply(FrameType.DisplayUpdate, FrameFlags.None, longer));
        Assert.True(_canvas.NeedsKeyframe);
        Assert.Equal(DisplayReadStatus.NeedsKeyframe, _canvas.Apply(FrameType.DisplayUpdate, FrameFlags.None, _encoder.Solid(0, 0, 1, 1, 0).Build()));

        Assert.Equal(DisplayReadStatus.Ok, _canvas.Apply(FrameType.DisplayInit, FrameFlags.Keyframe, DisplayTestEncoder.Init(40, 30)));
        _encoder.Reset();
        var shorter = _encoder.Pixels(0, 0, 2, 2, [1, 2, 3, 4]).Build();
        shorter[4 + 8] = 3; // h 2 → 3
        Assert.Equal(DisplayReadStatus.DataSizeMismatch, _canvas.Apply(FrameType.DisplayUpdate, FrameFlags.None, shorter));
        Assert.True(_canvas.NeedsKeyframe);
    }

    [Fact]
    public void Corrupt_deflate_data_is_refused()
    {
        var payload = _encoder.Pixels(0, 0, 4, 4, new uint[16]).Build();
        payload[4 + 9] ^= 0xFF; // the first byte of the deflate chunk: its block header

        Assert.Contains(_canvas.Apply(FrameType.DisplayUpdate, FrameFlags.None, payload), new[] { DisplayReadStatus.CorruptData, DisplayReadStatus.DataSizeMismatch });
        Assert.True(_canvas.NeedsKeyframe);
    }

    [Fact]
    public void A_palette_index_past_the_palette_is_refused()
    {
        var payload = _encoder.Palette(0, 0, 2, 1, [1, 2, 3], [0, 2]).Build(deflate: false);
        payload[^1] = 0b_1100_0000; // index 3 of a 3-colour palette

        Assert.Equal(DisplayReadStatus.BadPalette, _canvas.Apply(FrameType.DisplayUpdate, FrameFlags.None, payload));
    }

    [Fact]
    public void Updates_before_an_init_and_inits_without_the_keyframe_flag_are_refused()
    {
        using var fresh = new DisplayCanvas();

        Assert.Equal(DisplayReadStatus.NeedsKeyframe, fresh.Apply(FrameType.DisplayUpdate, FrameFlags.None, _encoder.Solid(0, 0, 1, 1, 0).Build()));
        Assert.Equal(DisplayReadStatus.BadField, fresh.Apply(FrameType.DisplayInit, FrameFlags.None, DisplayTestEncoder.Init(4, 4)));
        Assert.Equal(DisplayReadStatus.BadGeometry, _canvas.Apply(FrameType.DisplayInit, FrameFlags.Keyframe, DisplayTestEncoder.Init(2000, 1000)));
        Assert.Equal(DisplayReadStatus.UnexpectedFrame, fresh.Apply(FrameType.TerminalOutput, FrameFlags.None, []));
    }

    [Fact]
    public void Cursor_pointer_and_clipboard_are_kept()
    {
        var cursor = new byte[DisplayFrames.GetCursorSize(1, 1)];
        DisplayFrames.WriteCursor(cursor, 0, 0, 1, 1, [0xFFABCDEF]);
        var pointer = new byte[DisplayFrames.PointerSize];
        DisplayFrames.WritePointer(pointer, 39, 29, 1);

        Assert.Equal(DisplayReadStatus.Ok, _canvas.Apply(FrameType.DisplayCursor, FrameFlags.None, cursor));
        Assert.Equal(DisplayReadStatus.Ok, _canvas.Apply(FrameType.DisplayPointer, FrameFlags.None, pointer));
        Assert.Equal(DisplayReadStatus.Ok, _canvas.Apply(FrameType.DisplayClipboard, FrameFlags.None, "copied"u8));

        Assert.Equal(new DisplayCursorInfo(0, 0, 1, 1), _canvas.Cursor);
        Assert.Equal(new byte[] { 0xAB, 0xCD, 0xEF, 255 }, _canvas.CursorRgba);
        Assert.Equal(new DisplayPointerInfo(39, 29, 1), _canvas.PointerPosition);
        Assert.Equal("copied", _canvas.Clipboard);
        DisplayFrames.WritePointer(pointer, 40, 0, 0);
        Assert.Equal(DisplayReadStatus.BadGeometry, _canvas.Apply(FrameType.DisplayPointer, FrameFlags.None, pointer));
    }

    private void Paint(PixelRect rect, uint[] pixels)
    {
        for (var y = 0; y < rect.Height; y++)
        {
            pixels.AsSpan(y * rect.Width, rect.Width).CopyTo(_expected.Row(rect.Y + y).Slice(rect.X, rect.Width));
        }
    }
}
