using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using EdgeGateway.Protocol.Display;

namespace EdgeGateway.Protocol.Rfb;

/// <summary>
/// Decodes the server-to-client messages of RFB (RFC 6143 §7.6; encodings §7.7 and rfbproto) into a
/// <see cref="Framebuffer"/> and an <see cref="IRfbUpdateSink"/>. No I/O: the caller hands it whatever bytes arrived.
/// </summary>
/// <remarks>
/// <para>
/// Resumable: <see cref="Decode"/> consumes whole messages or whole resumable parts of one (Raw rows, RRE subrectangles,
/// Hextile tiles, a ZRLE rectangle's zlib data or a Tight chunk once all of it has arrived) and keeps its place between
/// calls, so bytes dripping in one at a time decode to the same pixels as one big buffer. A part that has not fully
/// arrived is left unconsumed and looked at again next call; no part is larger than one row, one tile, one cursor, a
/// Tight header or a compressed block (bounded by <see cref="RfbLimits.MaxCompressedBytes"/>), so re-reading costs no more
/// than that part.
/// </para>
/// <para>
/// Pixel format: the client always sets 32 bpp, depth 24, little-endian, true colour, shifts R 16 G 8 B 0 (the
/// handshake's SetPixelFormat), so a PIXEL is 4 bytes B,G,R,0, a ZRLE CPIXEL 3 bytes B,G,R and a Tight TPIXEL 3 bytes
/// R,G,B. Framebuffer pixels are <c>0x00RRGGBB</c>.
/// </para>
/// <para>
/// Allocation: buffers (a row, a tile, the zlib streams, the cursor) are made on first need and reused; decoding pixels
/// allocates nothing after that. Not thread-safe: one session's reader owns it. After an
/// <see cref="RfbProtocolException"/> every later call throws again. <see cref="Dispose"/> frees the zlib streams'
/// native memory at once (the finalizers would, later).
/// </para>
/// </remarks>
public sealed partial class RfbUpdateDecoder : IDisposable
{
    private const int BytesPerPixel = 4;

    private readonly Framebuffer _framebuffer;
    private readonly RfbLimits _limits;
    private State _state;
    private string? _fault;

    // The FramebufferUpdate being read and its current rectangle.
    private int _rectsLeft;
    private PixelRect _rect;
    private int _encoding;
    private int _rowsDone;

    // ServerCutText: what is left to read, what was kept.
    private long _cutLeft;
    private int _cutKept;
    private bool _cutTruncated;
    private byte[] _cutBuffer = [];

    // Holds a unit (row, tile, header) that arrived split over buffer segments.
    private byte[] _scratch = [];

    // The last cursor's pixels, 0xAARRGGBB.
    private uint[] _cursor = [];

    /// <summary>Creates a decoder writing into <paramref name="framebuffer"/> (sized from ServerInit by the caller).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A limit is below 1 (cut text: below 0), or the cursor side above 4096.</exception>
    public RfbUpdateDecoder(Framebuffer framebuffer, RfbLimits limits)
    {
        ArgumentNullException.ThrowIfNull(framebuffer);
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentOutOfRangeException.ThrowIfLessThan(limits.MaxPixels, 1, nameof(limits));
        ArgumentOutOfRangeException.ThrowIfLessThan(limits.MaxCutTextBytes, 0, nameof(limits));
        ArgumentOutOfRangeException.ThrowIfLessThan(limits.MaxCompressedBytes, 1, nameof(limits));
        ArgumentOutOfRangeException.ThrowIfLessThan(limits.MaxCursorSide, 1, nameof(limits));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limits.MaxCursorSide, 4096, nameof(limits));
        _framebuffer = framebuffer;
        _limits = limits;
    }

    private enum State
    {
        MessageType,
        RectHeader,
        Raw,
        CopyRect,
        ExtendedDesktopSize,
        Cursor,
        RreHeader,
        RreSubrects,
        Hextile,
        ZrleLength,
        ZrleData,
        TightHeader,
        TightData,
        CutText,
    }

    /// <summary>
    /// The SetEncodings list this decoder understands, preferred first: Tight, ZRLE, Hextile, RRE, CopyRect, Raw, then the
    /// pseudo-encodings ExtendedDesktopSize, DesktopSize, Cursor, LastRect. No JPEG quality level is listed, so a server
    /// never sends Tight JPEG.
    /// </summary>
    public static IReadOnlyList<int> DefaultEncodings { get; } =
    [
        RfbEncoding.Tight, RfbEncoding.Zrle, RfbEncoding.Hextile, RfbEncoding.Rre, RfbEncoding.CopyRect, RfbEncoding.Raw,
        RfbEncoding.ExtendedDesktopSize, RfbEncoding.DesktopSize, RfbEncoding.Cursor, RfbEncoding.LastRect,
    ];

    /// <summary>
    /// Reads as many whole server-to-client messages, or resumable parts of one, as <paramref name="buffer"/> holds,
    /// applying them to the framebuffer and <paramref name="sink"/>. Returns how many bytes it consumed; the caller keeps
    /// the rest and calls again with it and more.
    /// </summary>
    /// <exception cref="RfbProtocolException">The server sent something malformed, out of bounds or over a limit; the message says what.</exception>
    public long Decode(ReadOnlySequence<byte> buffer, IRfbUpdateSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        if (_fault is not null)
        {
            throw new RfbProtocolException(_fault);
        }

        var reader = new SequenceReader<byte>(buffer);
        try
        {
            while (Step(ref reader, sink))
            {
            }
        }
        catch (RfbProtocolException e)
        {
            _fault = e.Message;
            throw;
        }

        return reader.Consumed;
    }

    /// <summary>Frees the zlib streams (ZRLE's and Tight's).</summary>
    public void Dispose()
    {
        _zrleStream?.Dispose();
        foreach (var stream in _tightStreams)
        {
            stream?.Dispose();
        }
    }

    /// <summary>Reads one unit; false when the buffer does not hold the next whole unit.</summary>
    private bool Step(ref SequenceReader<byte> reader, IRfbUpdateSink sink) => _state switch
    {
        State.MessageType => ReadMessage(ref reader, sink),
        State.RectHeader => ReadRectHeader(ref reader, sink),
        State.Raw => ReadRawRows(ref reader, sink),
        State.CopyRect => ReadCopyRect(ref reader, sink),
        State.ExtendedDesktopSize => ReadExtendedDesktopSize(ref reader, sink),
        State.Cursor => ReadCursor(ref reader, sink),
        State.RreHeader => ReadRreHeader(ref reader, sink),
        State.RreSubrects => ReadRreSubrects(ref reader, sink),
        State.Hextile => ReadHextileTiles(ref reader, sink),
        State.ZrleLength => ReadZrleLength(ref reader),
        State.ZrleData => ReadZrleData(ref reader, sink),
        State.TightHeader => ReadTightHeader(ref reader, sink),
        State.TightData => ReadTightData(ref reader, sink),
        State.CutText => ReadCutText(ref reader, sink),
        _ => throw new InvalidOperationException($"RFB decoder state {_state}."),
    };

    // RFC 6143 §7.6: every server message starts with a U8 message-type.
    //   0 FramebufferUpdate: U8 0, pad 1, U16 number-of-rectangles
    //   1 SetColourMapEntries: U8 1, pad 1, U16 first-colour, U16 number-of-colours, 6 bytes per colour
    //   2 Bell: U8 2
    //   3 ServerCutText: U8 3, pad 3, U32 length, length bytes ISO 8859-1
    private bool ReadMessage(ref SequenceReader<byte> reader, IRfbUpdateSink sink)
    {
        if (!reader.TryPeek(out var type))
        {
            return false;
        }

        switch (type)
        {
            case 0:
                if (!TryTake(ref reader, 4, out var update))
                {
                    return false;
                }

                _rectsLeft = BinaryPrimitives.ReadUInt16BigEndian(update[2..]);
                if (_rectsLeft == 0)
                {
                    sink.OnUpdateComplete();
                }
                else
                {
                    _state = State.RectHeader;
                }

                return true;
            case 1:
                if (!TryTake(ref reader, 6, out var colours))
                {
                    return false;
                }

                throw new RfbProtocolException(
                    $"The VNC server sent a colour map (SetColourMapEntries: {BinaryPrimitives.ReadUInt16BigEndian(colours[4..])} colours from {BinaryPrimitives.ReadUInt16BigEndian(colours[2..])}) although the client asked for true colour; colour-mapped displays are not supported.");
            case 2:
                reader.Advance(1);
                sink.OnBell();
                return true;
            case 3:
                if (!TryTake(ref reader, 8, out var cut))
                {
                    return false;
                }

                _cutLeft = BinaryPrimitives.ReadUInt32BigEndian(cut[4..]);
                _cutKept = 0;
                _cutTruncated = _cutLeft > _limits.MaxCutTextBytes;
                var keep = (int)Math.Min(_cutLeft, _limits.MaxCutTextBytes);
                if (_cutBuffer.Length < keep)
                {
                    _cutBuffer = new byte[keep];
                }

                _state = State.CutText;
                return true;
            default:
                throw new RfbProtocolException($"The VNC server sent an unknown message type {type}.");
        }
    }

    private bool ReadCutText(ref SequenceReader<byte> reader, IRfbUpdateSink sink)
    {
        while (_cutLeft > 0 && !reader.End)
        {
            var span = reader.UnreadSpan;
            var count = (int)Math.Min(span.Length, _cutLeft);
            var keep = Math.Min(count, _cutBuffer.Length - _cutKept);
            span[..keep].CopyTo(_cutBuffer.AsSpan(_cutKept));
            _cutKept += keep;
            reader.Advance(count);
            _cutLeft -= count;
        }

        if (_cutLeft > 0)
        {
            return false;
        }

        _state = State.MessageType;
        sink.OnServerCutText(Encoding.Latin1.GetString(_cutBuffer, 0, _cutKept), _cutTruncated);
        return true;
    }

    // RFC 6143 §7.6.1: each rectangle is U16 x, U16 y, U16 width, U16 height, S32 encoding-type, then its data.
    private bool ReadRectHeader(ref SequenceReader<byte> reader, IRfbUpdateSink sink)
    {
        if (!TryTake(ref reader, 12, out var header))
        {
            return false;
        }

        _rectsLeft--;
        _rect = new PixelRect(
            BinaryPrimitives.ReadUInt16BigEndian(header),
            BinaryPrimitives.ReadUInt16BigEndian(header[2..]),
            BinaryPrimitives.ReadUInt16BigEndian(header[4..]),
            BinaryPrimitives.ReadUInt16BigEndian(header[6..]));
        _encoding = BinaryPrimitives.ReadInt32BigEndian(header[8..]);
        switch (_encoding)
        {
            case RfbEncoding.Raw:
                BeginPixels(State.Raw, sink);
                break;
            case RfbEncoding.CopyRect:
                CheckRectInside();
                _state = State.CopyRect;
                break;
            case RfbEncoding.Rre:
                BeginPixels(State.RreHeader, sink);
                break;
            case RfbEncoding.Hextile:
                BeginHextile(sink);
                break;
            case RfbEncoding.Zrle:
                BeginPixels(State.ZrleLength, sink);
                break;
            case RfbEncoding.Tight:
                BeginTight(sink);
                break;
            case RfbEncoding.DesktopSize:
                ApplyResize(_rect.Width, _rect.Height, sink);
                FinishRect(sink);
                break;
            case RfbEncoding.ExtendedDesktopSize:
                _state = State.ExtendedDesktopSize;
                break;
            case RfbEncoding.Cursor:
                if (_rect.Width > _limits.MaxCursorSide || _rect.Height > _limits.MaxCursorSide)
                {
                    throw new RfbProtocolException(
                        $"The VNC server sent a {_rect.Width}×{_rect.Height} cursor; at most {_limits.MaxCursorSide}×{_limits.MaxCursorSide} is accepted.");
                }

                _state = State.Cursor;
                break;
            case RfbEncoding.LastRect:
                _rectsLeft = 0;
                FinishRect(sink);
                break;
            default:
                throw new RfbProtocolException(
                    $"The VNC server sent a rectangle in encoding {_encoding}, which the client did not ask for.");
        }

        return true;
    }

    /// <summary>Starts a pixel rectangle: checks it lies inside; an empty one has no data and ends at once.</summary>
    private void BeginPixels(State state, IRfbUpdateSink sink)
    {
        CheckRectInside();
        _rowsDone = 0;
        if (_rect.IsEmpty && state == State.Raw)
        {
            FinishRect(sink);
            return;
        }

        _state = state;
    }

    private void CheckRectInside()
    {
        if (!_rect.FitsIn(_framebuffer.Width, _framebuffer.Height))
        {
            throw new RfbProtocolException(
                $"The VNC server sent a rectangle at {_rect.X},{_rect.Y} of {_rect.Width}×{_rect.Height} pixels ({RfbEncoding.Name(_encoding)}), outside its {_framebuffer.Width}×{_framebuffer.Height} framebuffer.");
        }
    }

    /// <summary>Ends the current rectangle, and the update when it was the last.</summary>
    private void FinishRect(IRfbUpdateSink sink)
    {
        if (_rectsLeft == 0)
        {
            _state = State.MessageType;
            sink.OnUpdateComplete();
        }
        else
        {
            _state = State.RectHeader;
        }
    }

    // Raw (RFC 6143 §7.7.1): width × height PIXELs, row by row; each whole row that has arrived is applied.
    private bool ReadRawRows(ref SequenceReader<byte> reader, IRfbUpdateSink sink)
    {
        var rowBytes = _rect.Width * BytesPerPixel;
        var first = _rowsDone;
        while (_rowsDone < _rect.Height && TryTake(ref reader, rowBytes, out var row))
        {
            RfbPixels.ReadPixels(row, _framebuffer.Row(_rect.Y + _rowsDone).Slice(_rect.X, _rect.Width));
            _rowsDone++;
        }

        if (_rowsDone > first)
        {
            sink.OnPixels(_rect with { Y = _rect.Y + first, Height = _rowsDone - first });
        }

        if (_rowsDone < _rect.Height)
        {
            return false;
        }

        FinishRect(sink);
        return true;
    }

    // CopyRect (RFC 6143 §7.7.2): U16 src-x-position, U16 src-y-position.
    private bool ReadCopyRect(ref SequenceReader<byte> reader, IRfbUpdateSink sink)
    {
        if (!TryTake(ref reader, 4, out var source))
        {
            return false;
        }

        int sourceX = BinaryPrimitives.ReadUInt16BigEndian(source);
        int sourceY = BinaryPrimitives.ReadUInt16BigEndian(source[2..]);
        if (!(_rect with { X = sourceX, Y = sourceY }).FitsIn(_framebuffer.Width, _framebuffer.Height))
        {
            throw new RfbProtocolException(
                $"The VNC server sent a CopyRect from {sourceX},{sourceY} of {_rect.Width}×{_rect.Height} pixels, outside its {_framebuffer.Width}×{_framebuffer.Height} framebuffer.");
        }

        if (!_rect.IsEmpty)
        {
            _framebuffer.Copy(sourceX, sourceY, _rect);
            sink.OnCopyRect(sourceX, sourceY, _rect);
        }

        FinishRect(sink);
        return true;
    }

    /// <summary>
    /// Takes the next <paramref name="count"/> bytes when all of them have arrived: a slice of the buffer when they lie in
    /// one segment, else a copy in the scratch buffer (valid until the next take).
    /// </summary>
    private bool TryTake(ref SequenceReader<byte> reader, int count, out ReadOnlySpan<byte> bytes)
    {
        var unread = reader.UnreadSpan;
        if (unread.Length >= count)
        {
            bytes = unread[..count];
            reader.Advance(count);
            return true;
        }

        if (reader.Remaining < count)
        {
            bytes = default;
            return false;
        }

        var copy = Rent(ref _scratch, count);
        reader.TryCopyTo(copy);
        reader.Advance(count);
        bytes = copy;
        return true;
    }

    /// <summary>The first <paramref name="length"/> items of a reused buffer, grown when too small.</summary>
    private static Span<T> Rent<T>(ref T[] buffer, int length)
    {
        if (buffer.Length < length)
        {
            buffer = new T[Math.Max(length, buffer.Length * 2)];
        }

        return buffer.AsSpan(0, length);
    }
}
