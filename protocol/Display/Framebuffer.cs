namespace EdgeGateway.Protocol.Display;

/// <summary>
/// A rectangle of pixels: left, top, width, height, in pixels, origin top-left. Width and height may be 0 (empty).
/// </summary>
public readonly record struct PixelRect(int X, int Y, int Width, int Height)
{
    /// <summary>True when the rectangle holds no pixel.</summary>
    public bool IsEmpty => Width <= 0 || Height <= 0;

    /// <summary>Exclusive right edge.</summary>
    public int Right => X + Width;

    /// <summary>Exclusive bottom edge.</summary>
    public int Bottom => Y + Height;

    /// <summary>Pixels covered, as a 64-bit count (no overflow for any 16-bit geometry).</summary>
    public long Area => IsEmpty ? 0 : (long)Width * Height;

    /// <summary>True when the rectangle lies wholly within a <paramref name="width"/> × <paramref name="height"/> surface.</summary>
    public bool FitsIn(int width, int height) =>
        X >= 0 && Y >= 0 && Width >= 0 && Height >= 0 && (long)X + Width <= width && (long)Y + Height <= height;

    /// <summary>The smallest rectangle covering both (an empty one counts as nothing).</summary>
    public PixelRect Union(PixelRect other)
    {
        if (IsEmpty)
        {
            return other;
        }

        if (other.IsEmpty)
        {
            return this;
        }

        var x = Math.Min(X, other.X);
        var y = Math.Min(Y, other.Y);
        return new PixelRect(x, y, Math.Max(Right, other.Right) - x, Math.Max(Bottom, other.Bottom) - y);
    }

    /// <summary>The overlap of both; empty when they do not meet.</summary>
    public PixelRect Intersect(PixelRect other)
    {
        var x = Math.Max(X, other.X);
        var y = Math.Max(Y, other.Y);
        var right = Math.Min(Right, other.Right);
        var bottom = Math.Min(Bottom, other.Bottom);
        return right > x && bottom > y ? new PixelRect(x, y, right - x, bottom - y) : default;
    }
}

/// <summary>
/// A remote display's pixels as the appliance keeps them: row-major, stride = <see cref="Width"/>, one
/// <see cref="uint"/> per pixel holding <c>0x00RRGGBB</c> (the top byte is always 0). The RFB decoders write into it;
/// the display encoder reads it to make keyframes and updates.
/// </summary>
/// <remarks>
/// Not thread-safe: one session's reader owns it. Size is bounded by the caller (see the RFB client's limits) before
/// construction; the constructor only rejects what cannot be represented.
/// </remarks>
public sealed class Framebuffer
{
    /// <summary>Largest width or height a framebuffer may have, in pixels (RFB carries 16-bit sizes).</summary>
    public const int MaxSide = ushort.MaxValue;

    private uint[] _pixels;

    /// <summary>Creates a black framebuffer.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A side is below 1 or above <see cref="MaxSide"/>.</exception>
    public Framebuffer(int width, int height)
    {
        Check(width, height);
        Width = width;
        Height = height;
        _pixels = new uint[width * height];
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; private set; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; private set; }

    /// <summary>The whole surface as a rectangle.</summary>
    public PixelRect Bounds => new(0, 0, Width, Height);

    /// <summary>All pixels, <see cref="Width"/> × <see cref="Height"/>, row-major.</summary>
    public Span<uint> Pixels => _pixels.AsSpan(0, Width * Height);

    /// <summary>One row's pixels.</summary>
    public Span<uint> Row(int y) => _pixels.AsSpan(y * Width, Width);

    /// <summary>Changes the size; the content becomes black (RFB DesktopSize: the server repaints everything).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A side is below 1 or above <see cref="MaxSide"/>.</exception>
    public void Resize(int width, int height)
    {
        Check(width, height);
        if (_pixels.Length < width * height)
        {
            _pixels = new uint[width * height];
        }
        else
        {
            _pixels.AsSpan(0, width * height).Clear();
        }

        Width = width;
        Height = height;
    }

    /// <summary>Fills a rectangle with one colour (<c>0x00RRGGBB</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The rectangle is not within the framebuffer.</exception>
    public void Fill(PixelRect rect, uint colour)
    {
        CheckInside(rect);
        for (var y = rect.Y; y < rect.Bottom; y++)
        {
            Row(y).Slice(rect.X, rect.Width).Fill(colour & 0x00FFFFFF);
        }
    }

    /// <summary>
    /// Copies the pixels at (<paramref name="sourceX"/>, <paramref name="sourceY"/>) to <paramref name="destination"/>,
    /// as RFB CopyRect (RFC 6143 §7.7.2) does: overlapping source and destination give what the source held before the copy.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The source or destination is not within the framebuffer.</exception>
    public void Copy(int sourceX, int sourceY, PixelRect destination)
    {
        CheckInside(destination);
        CheckInside(destination with { X = sourceX, Y = sourceY });
        var rows = destination.Height;
        if (sourceY >= destination.Y)
        {
            for (var i = 0; i < rows; i++)
            {
                Row(sourceY + i).Slice(sourceX, destination.Width).CopyTo(Row(destination.Y + i).Slice(destination.X, destination.Width));
            }
        }
        else
        {
            for (var i = rows - 1; i >= 0; i--)
            {
                Row(sourceY + i).Slice(sourceX, destination.Width).CopyTo(Row(destination.Y + i).Slice(destination.X, destination.Width));
            }
        }
    }

    private void CheckInside(PixelRect rect)
    {
        if (!rect.FitsIn(Width, Height))
        {
            throw new ArgumentOutOfRangeException(nameof(rect), rect, $"Not within the {Width}×{Height} framebuffer.");
        }
    }

    private static void Check(int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(width, MaxSide);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(height, MaxSide);
    }
}
