using System.Buffers.Binary;
using System.Text;
using System.Text.Unicode;

namespace EdgeGateway.Protocol.Display;

/// <summary>Why a display payload was refused; <see cref="Ok"/> when it was read.</summary>
public enum DisplayReadStatus
{
    /// <summary>The payload is well formed (and, for the canvas, applied).</summary>
    Ok = 0,

    /// <summary>The payload ends before a field it announces.</summary>
    Truncated,

    /// <summary>Bytes follow the last field.</summary>
    TrailingBytes,

    /// <summary>A width, height or position is out of range (zero size, over a limit, past the display).</summary>
    BadGeometry,

    /// <summary>A pixel format other than RGB888 (1).</summary>
    UnsupportedPixelFormat,

    /// <summary>A reserved byte is not 0, or a flag or enumeration has an unknown value.</summary>
    BadField,

    /// <summary>Text is not valid UTF-8 or is over its limit.</summary>
    BadText,

    /// <summary>A rectangle kind other than Solid (1), CopyRect (2), Pixels (3) or Palette (4).</summary>
    UnknownRectKind,

    /// <summary>A palette of fewer than 2 colours, or an index past the palette.</summary>
    BadPalette,

    /// <summary>The data section (inflated, when compressed) is not exactly what the rectangle headers need.</summary>
    DataSizeMismatch,

    /// <summary>The compressed data does not inflate (not raw deflate, or not ended with a sync flush).</summary>
    CorruptData,

    /// <summary>The canvas has no display yet, or lost its inflate context: it waits for a keyframe.</summary>
    NeedsKeyframe,

    /// <summary>A frame type the display canvas does not read.</summary>
    UnexpectedFrame,
}

/// <summary>DisplayUpdate rectangle kinds (VNC contract §1).</summary>
public enum DisplayRectKind : byte
{
    /// <summary>Fill with one colour; header carries R, G, B.</summary>
    Solid = 1,

    /// <summary>Copy from elsewhere on the display (source as it was before the copy); header carries srcX, srcY.</summary>
    CopyRect = 2,

    /// <summary>w × h × 3 bytes R, G, B, row-major, in the data section.</summary>
    Pixels = 3,

    /// <summary>An n-colour palette then packed indices, in the data section; header carries n (2..255).</summary>
    Palette = 4,
}

/// <summary>How a DisplayUpdate's data section is carried.</summary>
public enum DisplayCompression : byte
{
    /// <summary>The data section is the rectangles' data as it is.</summary>
    None = 0,

    /// <summary>The data section is one sync-flushed chunk of the session's raw deflate stream (RFC 1951).</summary>
    Deflate = 1,
}

/// <summary>A DisplayInit payload: the display's size in pixels and its name.</summary>
public readonly record struct DisplayInitInfo(int Width, int Height, string Name);

/// <summary>
/// One DisplayUpdate rectangle header. <see cref="Colour"/> (0x00RRGGBB) is set for Solid, <see cref="SourceX"/> /
/// <see cref="SourceY"/> for CopyRect, <see cref="PaletteSize"/> for Palette.
/// </summary>
public readonly record struct DisplayRect(DisplayRectKind Kind, PixelRect Area, uint Colour = 0, int SourceX = 0, int SourceY = 0, int PaletteSize = 0)
{
    /// <summary>Bytes this rectangle takes in the (inflated) data section.</summary>
    public long DataLength => Kind switch
    {
        DisplayRectKind.Pixels => DisplayFrames.PixelDataLength(Area.Width, Area.Height),
        DisplayRectKind.Palette => DisplayFrames.PaletteDataLength(PaletteSize, Area.Width, Area.Height),
        _ => 0,
    };
}

/// <summary>A validated DisplayUpdate: its rectangles start at <see cref="HeadersOffset"/>, its data section at <see cref="DataOffset"/>.</summary>
/// <param name="RectCount">Rectangles in the batch.</param>
/// <param name="Compression">How the data section is carried.</param>
/// <param name="HeadersOffset">Offset of the first rectangle header in the payload (always 4).</param>
/// <param name="DataOffset">Offset of the data section in the payload.</param>
/// <param name="DataLength">Exact length of the data section once inflated (= its length when not compressed).</param>
public readonly record struct DisplayUpdateInfo(int RectCount, DisplayCompression Compression, int HeadersOffset, int DataOffset, long DataLength);

/// <summary>A DisplayCursor header: hot spot and size in pixels (0 × 0: the device shows no cursor of its own).</summary>
public readonly record struct DisplayCursorInfo(int HotX, int HotY, int Width, int Height);

/// <summary>A DisplayPointer payload, or a PointerInput payload: position in framebuffer pixels and RFB button mask.</summary>
public readonly record struct DisplayPointerInfo(int X, int Y, byte Buttons);

/// <summary>A KeyInput payload: press (true) or release of an X keysym.</summary>
public readonly record struct KeyInputInfo(bool Down, uint Keysym);

/// <summary>
/// Writers and readers for the display stream's payloads (VNC contract §1). Integers are big-endian. Writers work on
/// caller-owned spans and do not allocate; they throw <see cref="ArgumentException"/> for arguments a caller should
/// not pass (a programming error). Readers never throw for malformed input: they return a
/// <see cref="DisplayReadStatus"/> saying what is wrong, and look at nothing past the given payload.
/// </summary>
/// <remarks>
/// <code>
/// DisplayInit (0x10, Keyframe): u16 width, u16 height, u8 pixelFormat (1 = RGB888), u8 0, u16 nameLength, name (UTF-8, ≤ 1024)
/// DisplayUpdate (0x11): u16 rectCount, u8 compression (0 none, 1 deflate), u8 0, rect headers, data section
///   rect header: u8 kind, u16 x, u16 y, u16 w, u16 h, then Solid: u8 r, g, b | CopyRect: u16 srcX, srcY
///                | Pixels: nothing | Palette: u8 n (2..255)
///   data: per Pixels rect w*h*3 bytes R,G,B; per Palette rect n*3 bytes palette then rows of indices, each row
///   padded to a byte, 1/2/4/8 bits per index for n = 2 / ≤ 4 / ≤ 16 / more, leftmost pixel in the high bits
/// DisplayCursor (0x12): u16 hotX, u16 hotY, u16 w, u16 h (≤ 256), w*h*4 bytes R,G,B,A (A 0 or 255)
/// DisplayPointer (0x13): u16 x, u16 y, u8 buttonMask
/// DisplayClipboard (0x14), ClipboardInput (0x84): UTF-8 text ≤ 256 KiB
/// PointerInput (0x82): u8 buttonMask, u16 x, u16 y      KeyInput (0x83): u8 down, u32 keysym
/// </code>
/// </remarks>
public static class DisplayFrames
{
    /// <summary>The only pixel format of version 1: 3 bytes R, G, B per pixel.</summary>
    public const byte PixelFormatRgb888 = 1;

    /// <summary>Longest display name, in UTF-8 bytes; a writer cuts a longer one at a character boundary.</summary>
    public const int MaxNameBytes = 1024;

    /// <summary>Fixed part of a DisplayInit payload.</summary>
    public const int InitHeaderSize = 8;

    /// <summary>Largest DisplayInit payload.</summary>
    public const int MaxInitSize = InitHeaderSize + MaxNameBytes;

    /// <summary>Fixed part of a DisplayUpdate payload (before the rectangle headers).</summary>
    public const int UpdateHeaderSize = 4;

    /// <summary>Largest rectangle header (CopyRect).</summary>
    public const int MaxRectHeaderSize = 13;

    /// <summary>Most rectangles in one DisplayUpdate.</summary>
    public const int MaxRects = ushort.MaxValue;

    /// <summary>Largest cursor width or height.</summary>
    public const int MaxCursorSide = 256;

    /// <summary>Fixed part of a DisplayCursor payload.</summary>
    public const int CursorHeaderSize = 8;

    /// <summary>DisplayPointer payload size.</summary>
    public const int PointerSize = 5;

    /// <summary>PointerInput payload size.</summary>
    public const int PointerInputSize = 5;

    /// <summary>KeyInput payload size.</summary>
    public const int KeyInputSize = 5;

    /// <summary>Size of a DisplayResizeRequest payload: width, height (u16 big-endian each, pixels).</summary>
    public const int ResizeRequestSize = 4;

    /// <summary>Smallest desktop side a resize request may ask for (MS-RDPEDISP §2.2.2.2.1 allows 200 to 8192).</summary>
    public const int MinRequestedSide = 200;

    /// <summary>Largest desktop side a resize request may ask for.</summary>
    public const int MaxRequestedSide = 8192;

    /// <summary>Longest clipboard text (DisplayClipboard, ClipboardInput), in UTF-8 bytes.</summary>
    public const int MaxClipboardBytes = 256 * 1024;

    // Deflate cannot expand a bit into more than 258 bytes... in practice about 1032:1; a chunk that claims more
    // inflated bytes than that is refused before anything is inflated.
    private const int MaxDeflateRatio = 1032;

    // The empty stored block a sync flush ends with (RFC 1951 §3.2.4): BTYPE 00, LEN 0, NLEN 0xFFFF.
    private static ReadOnlySpan<byte> SyncFlushTail => [0x00, 0x00, 0xFF, 0xFF];

    // ---- DisplayInit ----

    /// <summary>Bytes <see cref="WriteInit"/> writes for <paramref name="name"/> (cut to <see cref="MaxNameBytes"/>).</summary>
    public static int GetInitSize(ReadOnlySpan<char> name) => InitHeaderSize + Math.Min(Encoding.UTF8.GetByteCount(name), MaxNameBytes);

    /// <summary>Writes a DisplayInit payload (RGB888); a name over <see cref="MaxNameBytes"/> is cut at a character boundary. Returns the bytes written.</summary>
    /// <exception cref="ArgumentException">A side out of 1..65535, or the destination is too short.</exception>
    public static int WriteInit(Span<byte> destination, int width, int height, ReadOnlySpan<char> name)
    {
        CheckSide(width, nameof(width));
        CheckSide(height, nameof(height));
        CheckLength(destination, InitHeaderSize);
        var nameBytes = WriteTextCut(destination[InitHeaderSize..], name, MaxNameBytes);
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)width);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)height);
        destination[4] = PixelFormatRgb888;
        destination[5] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(destination[6..], (ushort)nameBytes);
        return InitHeaderSize + nameBytes;
    }

    /// <summary>Reads a DisplayInit payload.</summary>
    public static DisplayReadStatus TryReadInit(ReadOnlySpan<byte> payload, out DisplayInitInfo init)
    {
        init = default;
        if (payload.Length < InitHeaderSize)
        {
            return DisplayReadStatus.Truncated;
        }

        int width = BinaryPrimitives.ReadUInt16BigEndian(payload);
        int height = BinaryPrimitives.ReadUInt16BigEndian(payload[2..]);
        int nameLength = BinaryPrimitives.ReadUInt16BigEndian(payload[6..]);
        if (width == 0 || height == 0)
        {
            return DisplayReadStatus.BadGeometry;
        }

        if (payload[4] != PixelFormatRgb888)
        {
            return DisplayReadStatus.UnsupportedPixelFormat;
        }

        if (payload[5] != 0)
        {
            return DisplayReadStatus.BadField;
        }

        if (nameLength > MaxNameBytes)
        {
            return DisplayReadStatus.BadText;
        }

        var status = CheckExact(payload.Length, InitHeaderSize + nameLength);
        if (status != DisplayReadStatus.Ok)
        {
            return status;
        }

        var name = payload.Slice(InitHeaderSize, nameLength);
        if (!Utf8.IsValid(name))
        {
            return DisplayReadStatus.BadText;
        }

        init = new DisplayInitInfo(width, height, Encoding.UTF8.GetString(name));
        return DisplayReadStatus.Ok;
    }

    // ---- DisplayUpdate ----

    /// <summary>Writes a DisplayUpdate's fixed header. Returns <see cref="UpdateHeaderSize"/>.</summary>
    /// <exception cref="ArgumentException">More than <see cref="MaxRects"/> rectangles, or the destination is too short.</exception>
    public static int WriteUpdateHeader(Span<byte> destination, int rectCount, DisplayCompression compression)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rectCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(rectCount, MaxRects);
        CheckLength(destination, UpdateHeaderSize);
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)rectCount);
        destination[2] = (byte)compression;
        destination[3] = 0;
        return UpdateHeaderSize;
    }

    /// <summary>Size of a rectangle header of <paramref name="kind"/>.</summary>
    public static int RectHeaderSize(DisplayRectKind kind) => kind switch
    {
        DisplayRectKind.Solid => 12,
        DisplayRectKind.CopyRect => 13,
        DisplayRectKind.Pixels => 9,
        DisplayRectKind.Palette => 10,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown rectangle kind."),
    };

    /// <summary>Writes one rectangle header. Returns the bytes written (<see cref="RectHeaderSize"/>).</summary>
    /// <exception cref="ArgumentException">A field out of range (sides 1..65535, positions 0..65535, palette 2..255), or the destination is too short.</exception>
    public static int WriteRect(Span<byte> destination, in DisplayRect rect)
    {
        var size = RectHeaderSize(rect.Kind);
        CheckLength(destination, size);
        var area = rect.Area;
        CheckPosition(area.X, nameof(rect));
        CheckPosition(area.Y, nameof(rect));
        CheckSide(area.Width, nameof(rect));
        CheckSide(area.Height, nameof(rect));
        destination[0] = (byte)rect.Kind;
        BinaryPrimitives.WriteUInt16BigEndian(destination[1..], (ushort)area.X);
        BinaryPrimitives.WriteUInt16BigEndian(destination[3..], (ushort)area.Y);
        BinaryPrimitives.WriteUInt16BigEndian(destination[5..], (ushort)area.Width);
        BinaryPrimitives.WriteUInt16BigEndian(destination[7..], (ushort)area.Height);
        switch (rect.Kind)
        {
            case DisplayRectKind.Solid:
                WriteRgb(destination[9..], rect.Colour);
                break;
            case DisplayRectKind.CopyRect:
                CheckPosition(rect.SourceX, nameof(rect));
                CheckPosition(rect.SourceY, nameof(rect));
                BinaryPrimitives.WriteUInt16BigEndian(destination[9..], (ushort)rect.SourceX);
                BinaryPrimitives.WriteUInt16BigEndian(destination[11..], (ushort)rect.SourceY);
                break;
            case DisplayRectKind.Palette:
                ArgumentOutOfRangeException.ThrowIfLessThan(rect.PaletteSize, 2, nameof(rect));
                ArgumentOutOfRangeException.ThrowIfGreaterThan(rect.PaletteSize, 255, nameof(rect));
                destination[9] = (byte)rect.PaletteSize;
                break;
        }

        return size;
    }

    /// <summary>
    /// Reads and validates a DisplayUpdate for a <paramref name="displayWidth"/> × <paramref name="displayHeight"/>
    /// display: every rectangle header (kind, wholly inside the display, CopyRect source inside, palette size), and the
    /// data section's size — exact when not compressed; when deflated, present exactly when data is needed, ended by a
    /// sync flush, and not claiming more than deflate can produce. Whether a deflated section inflates to exactly
    /// <see cref="DisplayUpdateInfo.DataLength"/> bytes is checked by whoever inflates it (<see cref="DisplayCanvas"/>).
    /// Read the rectangles with <see cref="ReadRects"/>.
    /// </summary>
    public static DisplayReadStatus TryReadUpdate(ReadOnlySpan<byte> payload, int displayWidth, int displayHeight, out DisplayUpdateInfo update)
    {
        update = default;
        if (payload.Length < UpdateHeaderSize)
        {
            return DisplayReadStatus.Truncated;
        }

        int count = BinaryPrimitives.ReadUInt16BigEndian(payload);
        var compression = (DisplayCompression)payload[2];
        if (compression is not (DisplayCompression.None or DisplayCompression.Deflate) || payload[3] != 0)
        {
            return DisplayReadStatus.BadField;
        }

        var offset = UpdateHeaderSize;
        long dataLength = 0;
        for (var i = 0; i < count; i++)
        {
            var status = TryReadRect(payload, ref offset, displayWidth, displayHeight, out var rect);
            if (status != DisplayReadStatus.Ok)
            {
                return status;
            }

            dataLength += rect.DataLength;
        }

        var section = payload.Length - offset;
        if (compression == DisplayCompression.None || dataLength == 0)
        {
            if (section != dataLength)
            {
                return section < dataLength ? DisplayReadStatus.Truncated : DisplayReadStatus.DataSizeMismatch;
            }
        }
        else if (section < SyncFlushTail.Length || !payload[^SyncFlushTail.Length..].SequenceEqual(SyncFlushTail))
        {
            return DisplayReadStatus.CorruptData;
        }
        else if (dataLength > (long)section * MaxDeflateRatio)
        {
            return DisplayReadStatus.DataSizeMismatch;
        }

        update = new DisplayUpdateInfo(count, compression, UpdateHeaderSize, offset, dataLength);
        return DisplayReadStatus.Ok;
    }

    /// <summary>The rectangles of a DisplayUpdate that <see cref="TryReadUpdate"/> accepted.</summary>
    public static DisplayRectReader ReadRects(ReadOnlySpan<byte> payload, in DisplayUpdateInfo update) =>
        new(payload[update.HeadersOffset..update.DataOffset], update.RectCount);

    /// <summary>Bytes a Pixels rectangle's data takes.</summary>
    public static long PixelDataLength(int width, int height) => (long)width * height * 3;

    /// <summary>Bits per index in a Palette rectangle of <paramref name="paletteSize"/> colours: 1, 2, 4 or 8.</summary>
    public static int PaletteIndexBits(int paletteSize) => paletteSize switch
    {
        <= 2 => 1,
        <= 4 => 2,
        <= 16 => 4,
        _ => 8,
    };

    /// <summary>Bytes one row of packed indices takes (padded to a whole byte).</summary>
    public static int PaletteRowLength(int paletteSize, int width) => (int)((((long)width * PaletteIndexBits(paletteSize)) + 7) / 8);

    /// <summary>Bytes a Palette rectangle's data takes: the palette then the packed index rows.</summary>
    public static long PaletteDataLength(int paletteSize, int width, int height) => (paletteSize * 3L) + ((long)PaletteRowLength(paletteSize, width) * height);

    /// <summary>Writes one row of pixels (<c>0x00RRGGBB</c>) as R, G, B bytes. Returns the bytes written (3 per pixel).</summary>
    public static int WritePixelRow(Span<byte> destination, ReadOnlySpan<uint> pixels)
    {
        CheckLength(destination, pixels.Length * 3);
        for (var i = 0; i < pixels.Length; i++)
        {
            var p = pixels[i];
            var d = destination.Slice(i * 3, 3);
            d[2] = (byte)p;
            d[1] = (byte)(p >> 8);
            d[0] = (byte)(p >> 16);
        }

        return pixels.Length * 3;
    }

    /// <summary>Reads one row of R, G, B bytes into pixels (<c>0x00RRGGBB</c>).</summary>
    public static void ReadPixelRow(ReadOnlySpan<byte> source, Span<uint> pixels)
    {
        CheckLength(source, pixels.Length * 3);
        for (var i = 0; i < pixels.Length; i++)
        {
            var s = source.Slice(i * 3, 3);
            pixels[i] = ((uint)s[0] << 16) | ((uint)s[1] << 8) | s[2];
        }
    }

    /// <summary>
    /// Packs one row of palette indices (each below <paramref name="paletteSize"/>) at
    /// <see cref="PaletteIndexBits"/> bits each, leftmost in the high bits, padded to a byte. Returns the bytes written.
    /// </summary>
    public static int PackIndexRow(Span<byte> destination, ReadOnlySpan<byte> indices, int paletteSize)
    {
        var bits = PaletteIndexBits(paletteSize);
        var length = PaletteRowLength(paletteSize, indices.Length);
        CheckLength(destination, length);
        if (bits == 8)
        {
            indices.CopyTo(destination);
            return length;
        }

        var perByte = 8 / bits;
        var row = destination[..length];
        row.Clear();
        for (var i = 0; i < indices.Length; i++)
        {
            row[i / perByte] |= (byte)(indices[i] << (8 - (bits * ((i % perByte) + 1))));
        }

        return length;
    }

    /// <summary>
    /// Unpacks one row of <paramref name="indices"/>.Length palette indices. Returns false when one is not below
    /// <paramref name="paletteSize"/>.
    /// </summary>
    public static bool UnpackIndexRow(ReadOnlySpan<byte> source, Span<byte> indices, int paletteSize)
    {
        var bits = PaletteIndexBits(paletteSize);
        CheckLength(source, PaletteRowLength(paletteSize, indices.Length));
        var mask = (1 << bits) - 1;
        var perByte = 8 / bits;
        var max = 0;
        for (var i = 0; i < indices.Length; i++)
        {
            var index = bits == 8 ? source[i] : (source[i / perByte] >> (8 - (bits * ((i % perByte) + 1)))) & mask;
            indices[i] = (byte)index;
            max = Math.Max(max, index);
        }

        return max < paletteSize;
    }

    private static DisplayReadStatus TryReadRect(ReadOnlySpan<byte> payload, ref int offset, int displayWidth, int displayHeight, out DisplayRect rect)
    {
        rect = default;
        var rest = payload[offset..];
        if (rest.Length < 9)
        {
            return DisplayReadStatus.Truncated;
        }

        var kind = (DisplayRectKind)rest[0];
        if (kind is < DisplayRectKind.Solid or > DisplayRectKind.Palette)
        {
            return DisplayReadStatus.UnknownRectKind;
        }

        var size = RectHeaderSize(kind);
        if (rest.Length < size)
        {
            return DisplayReadStatus.Truncated;
        }

        rect = ParseRect(rest);
        var area = rect.Area;
        if (area.IsEmpty || !area.FitsIn(displayWidth, displayHeight))
        {
            return DisplayReadStatus.BadGeometry;
        }

        if (kind == DisplayRectKind.CopyRect && !(area with { X = rect.SourceX, Y = rect.SourceY }).FitsIn(displayWidth, displayHeight))
        {
            return DisplayReadStatus.BadGeometry;
        }

        if (kind == DisplayRectKind.Palette && rect.PaletteSize < 2)
        {
            return DisplayReadStatus.BadPalette;
        }

        offset += size;
        return DisplayReadStatus.Ok;
    }

    /// <summary>Parses a rectangle header whose kind and length are known good.</summary>
    internal static DisplayRect ParseRect(ReadOnlySpan<byte> h)
    {
        var kind = (DisplayRectKind)h[0];
        var area = new PixelRect(BinaryPrimitives.ReadUInt16BigEndian(h[1..]), BinaryPrimitives.ReadUInt16BigEndian(h[3..]), BinaryPrimitives.ReadUInt16BigEndian(h[5..]), BinaryPrimitives.ReadUInt16BigEndian(h[7..]));
        return kind switch
        {
            DisplayRectKind.Solid => new DisplayRect(kind, area, Colour: ((uint)h[9] << 16) | ((uint)h[10] << 8) | h[11]),
            DisplayRectKind.CopyRect => new DisplayRect(kind, area, SourceX: BinaryPrimitives.ReadUInt16BigEndian(h[9..]), SourceY: BinaryPrimitives.ReadUInt16BigEndian(h[11..])),
            DisplayRectKind.Palette => new DisplayRect(kind, area, PaletteSize: h[9]),
            _ => new DisplayRect(kind, area),
        };
    }

    // ---- DisplayCursor ----

    /// <summary>Bytes <see cref="WriteCursor"/> writes for a <paramref name="width"/> × <paramref name="height"/> cursor.</summary>
    public static int GetCursorSize(int width, int height) => CursorHeaderSize + (width * height * 4);

    /// <summary>
    /// Writes a DisplayCursor payload from <paramref name="argb"/> (<c>0xAARRGGBB</c>, row-major; an alpha of 128 or
    /// more becomes 255, less becomes 0). A 0 × 0 cursor means the device shows none of its own. Returns the bytes written.
    /// </summary>
    /// <exception cref="ArgumentException">A side over <see cref="MaxCursorSide"/>, one side 0 but not the other, a hot spot outside the cursor, too few pixels, or the destination is too short.</exception>
    public static int WriteCursor(Span<byte> destination, int hotX, int hotY, int width, int height, ReadOnlySpan<uint> argb)
    {
        if (!CursorGeometryValid(hotX, hotY, width, height))
        {
            throw new ArgumentOutOfRangeException(nameof(width), $"Bad cursor geometry {width}×{height} hot spot ({hotX},{hotY}).");
        }

        var pixels = width * height;
        ArgumentOutOfRangeException.ThrowIfLessThan(argb.Length, pixels, nameof(argb));
        var size = GetCursorSize(width, height);
        CheckLength(destination, size);
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)hotX);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)hotY);
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], (ushort)width);
        BinaryPrimitives.WriteUInt16BigEndian(destination[6..], (ushort)height);
        for (var i = 0; i < pixels; i++)
        {
            var p = argb[i];
            var d = destination.Slice(CursorHeaderSize + (i * 4), 4);
            WriteRgb(d, p);
            d[3] = p >= 0x8000_0000u ? (byte)255 : (byte)0;
        }

        return size;
    }

    /// <summary>Reads a DisplayCursor payload; <paramref name="rgba"/> is the payload's w*h*4 bytes R, G, B, A.</summary>
    public static DisplayReadStatus TryReadCursor(ReadOnlySpan<byte> payload, out DisplayCursorInfo cursor, out ReadOnlySpan<byte> rgba)
    {
        cursor = default;
        rgba = default;
        if (payload.Length < CursorHeaderSize)
        {
            return DisplayReadStatus.Truncated;
        }

        var info = new DisplayCursorInfo(
            BinaryPrimitives.ReadUInt16BigEndian(payload),
            BinaryPrimitives.ReadUInt16BigEndian(payload[2..]),
            BinaryPrimitives.ReadUInt16BigEndian(payload[4..]),
            BinaryPrimitives.ReadUInt16BigEndian(payload[6..]));
        if (!CursorGeometryValid(info.HotX, info.HotY, info.Width, info.Height))
        {
            return DisplayReadStatus.BadGeometry;
        }

        var status = CheckExact(payload.Length, GetCursorSize(info.Width, info.Height));
        if (status != DisplayReadStatus.Ok)
        {
            return status;
        }

        var pixels = payload[CursorHeaderSize..];
        for (var i = 3; i < pixels.Length; i += 4)
        {
            if (pixels[i] is not (0 or 255))
            {
                return DisplayReadStatus.BadField;
            }
        }

        cursor = info;
        rgba = pixels;
        return DisplayReadStatus.Ok;
    }

    private static bool CursorGeometryValid(int hotX, int hotY, int width, int height) =>
        width is >= 0 and <= MaxCursorSide && height is >= 0 and <= MaxCursorSide && (width == 0) == (height == 0)
        && (width == 0 ? hotX == 0 && hotY == 0 : hotX >= 0 && hotY >= 0 && hotX < width && hotY < height);

    // ---- Pointer, keys ----

    /// <summary>Writes a DisplayPointer payload. Returns <see cref="PointerSize"/>.</summary>
    public static int WritePointer(Span<byte> destination, int x, int y, byte buttons)
    {
        CheckLength(destination, PointerSize);
        CheckPosition(x, nameof(x));
        CheckPosition(y, nameof(y));
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)x);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)y);
        destination[4] = buttons;
        return PointerSize;
    }

    /// <summary>Reads a DisplayPointer payload (the position is not checked against a display here).</summary>
    public static DisplayReadStatus TryReadPointer(ReadOnlySpan<byte> payload, out DisplayPointerInfo position)
    {
        position = default;
        var status = CheckExact(payload.Length, PointerSize);
        if (status == DisplayReadStatus.Ok)
        {
            position = new DisplayPointerInfo(BinaryPrimitives.ReadUInt16BigEndian(payload), BinaryPrimitives.ReadUInt16BigEndian(payload[2..]), payload[4]);
        }

        return status;
    }

    /// <summary>Writes a PointerInput payload (RFC 6143 §7.5.5 button mask). Returns <see cref="PointerInputSize"/>.</summary>
    public static int WritePointerInput(Span<byte> destination, byte buttons, int x, int y)
    {
        CheckLength(destination, PointerInputSize);
        CheckPosition(x, nameof(x));
        CheckPosition(y, nameof(y));
        destination[0] = buttons;
        BinaryPrimitives.WriteUInt16BigEndian(destination[1..], (ushort)x);
        BinaryPrimitives.WriteUInt16BigEndian(destination[3..], (ushort)y);
        return PointerInputSize;
    }

    /// <summary>Reads a PointerInput payload (the position is not checked against a display here: the VNC session clamps it).</summary>
    public static DisplayReadStatus TryReadPointerInput(ReadOnlySpan<byte> payload, out DisplayPointerInfo position)
    {
        position = default;
        var status = CheckExact(payload.Length, PointerInputSize);
        if (status == DisplayReadStatus.Ok)
        {
            position = new DisplayPointerInfo(BinaryPrimitives.ReadUInt16BigEndian(payload[1..]), BinaryPrimitives.ReadUInt16BigEndian(payload[3..]), payload[0]);
        }

        return status;
    }

    /// <summary>
    /// Writes a DisplayResizeRequest payload: the desktop size in pixels the Controller's viewer has room for, each side
    /// <see cref="MinRequestedSide"/> to <see cref="MaxRequestedSide"/>. Returns <see cref="ResizeRequestSize"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A side outside that range.</exception>
    public static int WriteResizeRequest(Span<byte> destination, int width, int height)
    {
        CheckLength(destination, ResizeRequestSize);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, MinRequestedSide);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(width, MaxRequestedSide);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, MinRequestedSide);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(height, MaxRequestedSide);
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)width);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)height);
        return ResizeRequestSize;
    }

    /// <summary>Reads a DisplayResizeRequest payload; a side outside the allowed range is <see cref="DisplayReadStatus.BadGeometry"/>.</summary>
    public static DisplayReadStatus TryReadResizeRequest(ReadOnlySpan<byte> payload, out int width, out int height)
    {
        (width, height) = (0, 0);
        var status = CheckExact(payload.Length, ResizeRequestSize);
        if (status != DisplayReadStatus.Ok)
        {
            return status;
        }

        int w = BinaryPrimitives.ReadUInt16BigEndian(payload), h = BinaryPrimitives.ReadUInt16BigEndian(payload[2..]);
        if (w is < MinRequestedSide or > MaxRequestedSide || h is < MinRequestedSide or > MaxRequestedSide)
        {
            return DisplayReadStatus.BadGeometry;
        }

        (width, height) = (w, h);
        return DisplayReadStatus.Ok;
    }

    /// <summary>Writes a KeyInput payload (X11 keysym, RFC 6143 §7.5.4). Returns <see cref="KeyInputSize"/>.</summary>
    public static int WriteKeyInput(Span<byte> destination, bool down, uint keysym)
    {
        CheckLength(destination, KeyInputSize);
        destination[0] = down ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt32BigEndian(destination[1..], keysym);
        return KeyInputSize;
    }

    /// <summary>Reads a KeyInput payload; the down byte must be 0 or 1.</summary>
    public static DisplayReadStatus TryReadKeyInput(ReadOnlySpan<byte> payload, out KeyInputInfo key)
    {
        key = default;
        var status = CheckExact(payload.Length, KeyInputSize);
        if (status != DisplayReadStatus.Ok)
        {
            return status;
        }

        if (payload[0] > 1)
        {
            return DisplayReadStatus.BadField;
        }

        key = new KeyInputInfo(payload[0] == 1, BinaryPrimitives.ReadUInt32BigEndian(payload[1..]));
        return DisplayReadStatus.Ok;
    }

    // ---- Clipboard (DisplayClipboard and ClipboardInput share the format) ----

    /// <summary>Bytes <see cref="WriteClipboard"/> writes for <paramref name="text"/> (cut to <see cref="MaxClipboardBytes"/>).</summary>
    public static int GetClipboardSize(ReadOnlySpan<char> text) => Math.Min(Encoding.UTF8.GetByteCount(text), MaxClipboardBytes);

    /// <summary>Writes clipboard text as UTF-8, cut at a character boundary to <see cref="MaxClipboardBytes"/>. Returns the bytes written.</summary>
    public static int WriteClipboard(Span<byte> destination, ReadOnlySpan<char> text) => WriteTextCut(destination, text, MaxClipboardBytes);

    /// <summary>Reads clipboard text: valid UTF-8 of at most <see cref="MaxClipboardBytes"/>.</summary>
    public static DisplayReadStatus TryReadClipboard(ReadOnlySpan<byte> payload, out string text)
    {
        text = string.Empty;
        if (payload.Length > MaxClipboardBytes || !Utf8.IsValid(payload))
        {
            return DisplayReadStatus.BadText;
        }

        text = Encoding.UTF8.GetString(payload);
        return DisplayReadStatus.Ok;
    }

    // ---- helpers ----

    private static int WriteTextCut(Span<byte> destination, ReadOnlySpan<char> text, int maxBytes)
    {
        var room = Math.Min(destination.Length, maxBytes);
        var status = Utf8.FromUtf16(text, destination[..room], out _, out var written, replaceInvalidSequences: true, isFinalBlock: true);
        if (status == System.Buffers.OperationStatus.DestinationTooSmall && room < maxBytes && room < Encoding.UTF8.GetByteCount(text))
        {
            throw new ArgumentException("Destination is too short for the text.", nameof(destination));
        }

        return written;
    }

    private static void WriteRgb(Span<byte> destination, uint colour)
    {
        destination[0] = (byte)(colour >> 16);
        destination[1] = (byte)(colour >> 8);
        destination[2] = (byte)colour;
    }

    private static DisplayReadStatus CheckExact(int length, long expected) =>
        length < expected ? DisplayReadStatus.Truncated : length > expected ? DisplayReadStatus.TrailingBytes : DisplayReadStatus.Ok;

    private static void CheckLength(ReadOnlySpan<byte> buffer, int needed)
    {
        if (buffer.Length < needed)
        {
            throw new ArgumentException($"Buffer of {buffer.Length} bytes is shorter than the {needed} needed.", nameof(buffer));
        }
    }

    private static void CheckSide(int value, string name)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, name);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(value, ushort.MaxValue, name);
    }

    private static void CheckPosition(int value, string name)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value, name);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(value, ushort.MaxValue, name);
    }
}

/// <summary>Walks the rectangle headers of a DisplayUpdate that <see cref="DisplayFrames.TryReadUpdate"/> accepted.</summary>
public ref struct DisplayRectReader
{
    private readonly ReadOnlySpan<byte> _headers;
    private int _left;
    private int _offset;

    internal DisplayRectReader(ReadOnlySpan<byte> headers, int count)
    {
        _headers = headers;
        _left = count;
    }

    /// <summary>The next rectangle; false after the last.</summary>
    public bool TryNext(out DisplayRect rect)
    {
        rect = default;
        if (_left == 0)
        {
            return false;
        }

        rect = DisplayFrames.ParseRect(_headers[_offset..]);
        _offset += DisplayFrames.RectHeaderSize(rect.Kind);
        _left--;
        return true;
    }
}
