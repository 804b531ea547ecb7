using System.IO.Compression;
using EdgeGateway.Protocol.Stream;

namespace EdgeGateway.Protocol.Display;

/// <summary>
/// A reference viewer of the display stream (VNC contract §1): applies DisplayInit, DisplayUpdate, DisplayCursor,
/// DisplayPointer and DisplayClipboard frames to an RGB framebuffer with its own inflate context, as the browser
/// does. Tests use it to check that what a viewer reconstructs equals the appliance's framebuffer.
/// </summary>
/// <remarks>
/// Invariant: a frame is either refused before any pixel changes (a bad header, a bad geometry, a bad data size), or
/// applied; a deflated section that turns out corrupt while being applied leaves the canvas waiting for the next
/// DisplayInit (<see cref="NeedsKeyframe"/>), as a browser would. Memory is bounded by <see cref="MaxPixels"/> plus
/// one compressed frame and one row: data is inflated row by row into reused buffers, never whole.
/// Not thread-safe.
/// </remarks>
public sealed class DisplayCanvas : IDisposable
{
    private readonly FeedStream _feed = new();
    private DeflateStream? _inflater;
    private Framebuffer? _screen;
    private byte[] _row = [];
    private byte[] _indices = [];
    private readonly uint[] _palette = new uint[256];
    private readonly byte[] _paletteBytes = new byte[256 * 3];
    private readonly byte[] _probe = new byte[1];

    /// <summary>Creates an empty canvas that accepts displays of up to <paramref name="maxPixels"/> pixels.</summary>
    public DisplayCanvas(long maxPixels = 3840L * 2160 * 4)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPixels, 1);
        MaxPixels = maxPixels;
    }

    /// <summary>Largest display (width × height) this canvas accepts; a larger DisplayInit is refused.</summary>
    public long MaxPixels { get; }

    /// <summary>True before the first DisplayInit and after a corrupt compressed section.</summary>
    public bool NeedsKeyframe { get; private set; } = true;

    /// <summary>Width in pixels (0 before the first DisplayInit).</summary>
    public int Width => _screen?.Width ?? 0;

    /// <summary>Height in pixels (0 before the first DisplayInit).</summary>
    public int Height => _screen?.Height ?? 0;

    /// <summary>The display's name from the last DisplayInit.</summary>
    public string Name { get; private set; } = string.Empty;

    /// <summary>The pixels (<c>0x00RRGGBB</c>, row-major, stride = <see cref="Width"/>).</summary>
    public ReadOnlySpan<uint> Pixels => _screen is null ? default : _screen.Pixels;

    /// <summary>The last cursor shape (0 × 0: the viewer's default); null before any DisplayCursor.</summary>
    public DisplayCursorInfo? Cursor { get; private set; }

    /// <summary>The last cursor's R, G, B, A bytes.</summary>
    public byte[] CursorRgba { get; private set; } = [];

    /// <summary>The Controller's pointer from the last DisplayPointer.</summary>
    public DisplayPointerInfo? PointerPosition { get; private set; }

    /// <summary>The last DisplayClipboard text.</summary>
    public string? Clipboard { get; private set; }

    /// <summary>DisplayInit frames applied.</summary>
    public int Inits { get; private set; }

    /// <summary>DisplayUpdate frames applied.</summary>
    public int Updates { get; private set; }

    /// <summary>The pixel at (<paramref name="x"/>, <paramref name="y"/>).</summary>
    public uint GetPixel(int x, int y) => Pixels[(y * Width) + x];

    /// <summary>Applies one display frame; returns <see cref="DisplayReadStatus.Ok"/> or why it was refused. Never throws for bad input.</summary>
    public DisplayReadStatus Apply(FrameType type, FrameFlags flags, ReadOnlySpan<byte> payload) => type switch
    {
        FrameType.DisplayInit => ApplyInit(flags, payload),
        FrameType.DisplayUpdate => ApplyUpdate(payload),
        FrameType.DisplayCursor => ApplyCursor(payload),
        FrameType.DisplayPointer => ApplyPointer(payload),
        FrameType.DisplayClipboard => ApplyClipboard(payload),
        _ => DisplayReadStatus.UnexpectedFrame,
    };

    /// <inheritdoc />
    public void Dispose() => _inflater?.Dispose();

    private DisplayReadStatus ApplyInit(FrameFlags flags, ReadOnlySpan<byte> payload)
    {
        if ((flags & FrameFlags.Keyframe) == 0)
        {
            return DisplayReadStatus.BadField;
        }

        var status = DisplayFrames.TryReadInit(payload, out var init);
        if (status != DisplayReadStatus.Ok)
        {
            return status;
        }

        if ((long)init.Width * init.Height > MaxPixels)
        {
            return DisplayReadStatus.BadGeometry;
        }

        if (_screen is null)
        {
            _screen = new Framebuffer(init.Width, init.Height);
        }
        else
        {
            _screen.Resize(init.Width, init.Height);
        }

        Name = init.Name;
        _inflater?.Dispose();
        _feed.Reset();
        _inflater = new DeflateStream(_feed, CompressionMode.Decompress, leaveOpen: true);
        NeedsKeyframe = false;
        Inits++;
        return DisplayReadStatus.Ok;
    }

    private DisplayReadStatus ApplyUpdate(ReadOnlySpan<byte> payload)
    {
        if (NeedsKeyframe || _screen is null || _inflater is null)
        {
            return DisplayReadStatus.NeedsKeyframe;
        }

        var status = DisplayFrames.TryReadUpdate(payload, _screen.Width, _screen.Height, out var update);
        if (status != DisplayReadStatus.Ok)
        {
            return status;
        }

        var data = payload[update.DataOffset..];
        var deflated = update.Compression == DisplayCompression.Deflate && update.DataLength > 0;
        if (deflated)
        {
            _feed.Set(data);
        }

        try
        {
            var source = new DataSource(this, deflated, data);
            var rects = DisplayFrames.ReadRects(payload, update);
            while (rects.TryNext(out var rect))
            {
                status = ApplyRect(rect, ref source);
                if (status != DisplayReadStatus.Ok)
                {
                    return Fail(status);
                }
            }

            // Exactly the announced size: nothing more inflates, and the whole chunk was consumed.
            if (deflated && (_inflater.Read(_probe) != 0 || !_feed.Drained))
            {
                return Fail(DisplayReadStatus.DataSizeMismatch);
            }
        }
        catch (InvalidDataException)
        {
            return Fail(DisplayReadStatus.CorruptData);
        }

        Updates++;
        return DisplayReadStatus.Ok;
    }

    // After pixels changed or the inflate context moved, only a keyframe brings the canvas back to a known state.
    private DisplayReadStatus Fail(DisplayReadStatus status)
    {
        NeedsKeyframe = true;
        return status;
    }

    private DisplayReadStatus ApplyRect(in DisplayRect rect, ref DataSource source)
    {
        var screen = _screen!;
        var area = rect.Area;
        switch (rect.Kind)
        {
            case DisplayRectKind.Solid:
                screen.Fill(area, rect.Colour);
                return DisplayReadStatus.Ok;
            case DisplayRectKind.CopyRect:
                screen.Copy(rect.SourceX, rect.SourceY, area);
                return DisplayReadStatus.Ok;
            case DisplayRectKind.Pixels:
                EnsureRow(area.Width * 3);
                for (var y = area.Y; y < area.Bottom; y++)
                {
                    var row = _row.AsSpan(0, area.Width * 3);
                    if (!source.Read(row))
                    {
                        return DisplayReadStatus.DataSizeMismatch;
                    }

                    DisplayFrames.ReadPixelRow(row, screen.Row(y).Slice(area.X, area.Width));
                }

                return DisplayReadStatus.Ok;
            default:
                var n = rect.PaletteSize;
                if (!source.Read(_paletteBytes.AsSpan(0, n * 3)))
                {
                    return DisplayReadStatus.DataSizeMismatch;
                }

                DisplayFrames.ReadPixelRow(_paletteBytes.AsSpan(0, n * 3), _palette.AsSpan(0, n));
                var rowLength = DisplayFrames.PaletteRowLength(n, area.Width);
                EnsureRow(rowLength);
                if (_indices.Length < area.Width)
                {
                    _indices = new byte[area.Width];
                }

                for (var y = area.Y; y < area.Bottom; y++)
                {
                    var packed = _row.AsSpan(0, rowLength);
                    if (!source.Read(packed))
                    {
                        return DisplayReadStatus.DataSizeMismatch;
                    }

                    var indices = _indices.AsSpan(0, area.Width);
                    if (!DisplayFrames.UnpackIndexRow(packed, indices, n))
                    {
                        return DisplayReadStatus.BadPalette;
                    }

                    var pixels = screen.Row(y).Slice(area.X, area.Width);
                    for (var x = 0; x < indices.Length; x++)
                    {
                        pixels[x] = _palette[indices[x]];
                    }
                }

                return DisplayReadStatus.Ok;
        }
    }

    private void EnsureRow(int length)
    {
        if (_row.Length < length)
        {
            _row = new byte[length];
        }
    }

    private DisplayReadStatus ApplyCursor(ReadOnlySpan<byte> payload)
    {
        var status = DisplayFrames.TryReadCursor(payload, out var cursor, out var rgba);
        if (status == DisplayReadStatus.Ok)
        {
            Cursor = cursor;
            CursorRgba = rgba.ToArray();
        }

        return status;
    }

    private DisplayReadStatus ApplyPointer(ReadOnlySpan<byte> payload)
    {
        var status = DisplayFrames.TryReadPointer(payload, out var pointer);
        if (status != DisplayReadStatus.Ok)
        {
            return status;
        }

        if (_screen is null)
        {
            return DisplayReadStatus.NeedsKeyframe;
        }

        if (pointer.X >= _screen.Width || pointer.Y >= _screen.Height)
        {
            return DisplayReadStatus.BadGeometry;
        }

        PointerPosition = pointer;
        return DisplayReadStatus.Ok;
    }

    private DisplayReadStatus ApplyClipboard(ReadOnlySpan<byte> payload)
    {
        var status = DisplayFrames.TryReadClipboard(payload, out var text);
        if (status == DisplayReadStatus.Ok)
        {
            Clipboard = text;
        }

        return status;
    }

    /// <summary>Where a rectangle's data comes from: the payload as it is, or the inflater over it.</summary>
    private ref struct DataSource(DisplayCanvas canvas, bool deflated, ReadOnlySpan<byte> plain)
    {
        private ReadOnlySpan<byte> _plain = plain;

        public bool Read(Span<byte> destination)
        {
            if (!deflated)
            {
                if (_plain.Length < destination.Length)
                {
                    return false;
                }

                _plain[..destination.Length].CopyTo(destination);
                _plain = _plain[destination.Length..];
                return true;
            }

            while (!destination.IsEmpty)
            {
                var n = canvas._inflater!.Read(destination);
                if (n == 0)
                {
                    return false;
                }

                destination = destination[n..];
            }

            return true;
        }
    }

    /// <summary>
    /// The inflater's input: one compressed section at a time. Returning 0 at the end of a section makes the inflater
    /// stop without ending the deflate stream, so the next section continues it.
    /// </summary>
    private sealed class FeedStream : System.IO.Stream
    {
        private byte[] _buffer = [];
        private int _length;
        private int _position;

        public bool Drained => _position == _length;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public void Set(ReadOnlySpan<byte> data)
        {
            if (_buffer.Length < data.Length)
            {
                _buffer = new byte[Math.Max(data.Length, 64 * 1024)];
            }

            data.CopyTo(_buffer);
            _length = data.Length;
            _position = 0;
        }

        public void Reset() => _length = _position = 0;

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = Math.Min(buffer.Length, _length - _position);
            _buffer.AsSpan(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
