using System.Buffers;
using EdgeGateway.Protocol.Display;

namespace EdgeGateway.Protocol.Rfb;

public sealed partial class RfbUpdateDecoder
{
    private const int TightMaxWidth = 2048;
    private const int TPixelBytes = 3;
    private const int TightMinCompressed = 12;

    // Control byte, filter id, palette size, 256 TPIXELs, then an 11-byte uncompressed block or a 3-byte length.
    private const int TightMaxHeader = 3 + (256 * TPixelBytes) + TightMinCompressed - 1;

    private const int TightCopyFilter = 0;
    private const int TightPaletteFilter = 1;
    private const int TightGradientFilter = 2;

    private readonly ZlibInflater?[] _tightStreams = new ZlibInflater?[4];
    private int _tightStream;
    private int _tightFilter;
    private int _tightPaletteSize;
    private int _tightRowBytes;
    private byte[] _gradientRows = [];

    private void BeginTight(IRfbUpdateSink sink)
    {
        CheckRectInside();
        if (_rect.Width > TightMaxWidth)
        {
            throw new RfbProtocolException(
                $"The VNC server sent a Tight rectangle {_rect.Width} pixels wide; Tight allows at most {TightMaxWidth}.");
        }

        _state = State.TightHeader;
    }

    // Tight (rfbproto "Tight Encoding"): U8 compression-control (bits 0-3 reset streams 0-3; bits 4-7 the method), then
    //   Fill 1000: TPIXEL.   JPEG 1001: refused (no JPEG quality level is advertised).
    //   Basic 0xxx: bits 4-5 stream, bit 6 a U8 filter-id follows (0 copy, 1 palette, 2 gradient); palette: U8 size-1,
    //   TPIXELs; then the filtered data: under 12 bytes as is, else a compact length (1-3 bytes, 7 bits each) and zlib data.
    // The header up to the compressed data is taken whole (it is at most TightMaxHeader bytes).
    private bool ReadTightHeader(ref SequenceReader<byte> reader, IRfbUpdateSink sink)
    {
        Span<byte> header = stackalloc byte[TightMaxHeader];
        header = header[..(int)Math.Min(reader.Remaining, TightMaxHeader)];
        reader.TryCopyTo(header);
        if (header.IsEmpty)
        {
            return false;
        }

        int control = header[0];
        var method = control >> 4;
        var at = 1;
        if (method == 8)
        {
            if (header.Length < at + TPixelBytes)
            {
                return false;
            }

            reader.Advance(at + TPixelBytes);
            ResetTightStreams(control);
            if (!_rect.IsEmpty)
            {
                _framebuffer.Fill(_rect, RfbPixels.TPixel(header[at..]));
                sink.OnPixels(_rect);
            }

            FinishRect(sink);
            return true;
        }

        if (method == 9)
        {
            throw new RfbProtocolException(
                $"The VNC server sent a Tight JPEG rectangle at {_rect.X},{_rect.Y} although the client asked for no JPEG quality level; JPEG is not supported.");
        }

        if (method > 9)
        {
            throw new RfbProtocolException(
                method is 10 or 14
                    ? "The VNC server sent a Tight rectangle without zlib, which the client did not ask for."
                    : $"The VNC server sent a Tight rectangle with compression-control byte 0x{control:X2}, which Tight does not define.");
        }

        _tightStream = (control >> 4) & 3;
        _tightFilter = TightCopyFilter;
        if ((control & 0x40) != 0)
        {
            if (header.Length < at + 1)
            {
                return false;
            }

            _tightFilter = header[at++];
        }

        switch (_tightFilter)
        {
            case TightCopyFilter or TightGradientFilter:
                _tightRowBytes = _rect.Width * TPixelBytes;
                break;
            case TightPaletteFilter:
                if (header.Length < at + 1)
                {
                    return false;
                }

                _tightPaletteSize = header[at++] + 1;
                if (_tightPaletteSize < 2)
                {
                    throw new RfbProtocolException("The VNC server sent a Tight palette of 1 colour; Tight palettes have 2 to 256.");
                }

                if (header.Length < at + (_tightPaletteSize * TPixelBytes))
                {
                    return false;
                }

                for (var i = 0; i < _tightPaletteSize; i++)
                {
                    _palette[i] = RfbPixels.TPixel(header[(at + (i * TPixelBytes))..]);
                }

                at += _tightPaletteSize * TPixelBytes;
                _tightRowBytes = _tightPaletteSize == 2 ? (_rect.Width + 7) / 8 : _rect.Width;
                break;
            default:
                throw new RfbProtocolException($"The VNC server sent a Tight rectangle with filter {_tightFilter}, which Tight does not define.");
        }

        var rawLength = _tightRowBytes * _rect.Height;
        if (rawLength < TightMinCompressed)
        {
            if (header.Length < at + rawLength)
            {
                return false;
            }

            reader.Advance(at + rawLength);
            ResetTightStreams(control);
            var data = header.Slice(at, rawLength);
            BeginTightRows();
            for (var row = 0; row < _rect.Height; row++)
            {
                ReadTightRow(data.Slice(row * _tightRowBytes, _tightRowBytes), row);
            }

            EndTightRect(sink);
            return true;
        }

        // Compact length: bits 0-6, then 7-13, then 14-21, each byte but the third flagging another with its top bit.
        var length = 0;
        for (var shift = 0; ; shift += 7)
        {
            if (header.Length <= at)
            {
                return false;
            }

            int part = header[at++];
            length |= (shift == 14 ? part : part & 0x7F) << shift;
            if (shift == 14 || (part & 0x80) == 0)
            {
                break;
            }
        }

        reader.Advance(at);
        ResetTightStreams(control);
        _blockLength = CheckBlockLength(length);
        _state = State.TightData;
        return true;
    }

    private bool ReadTightData(ref SequenceReader<byte> reader, IRfbUpdateSink sink)
    {
        if (reader.Remaining < _blockLength)
        {
            return false;
        }

        var zlib = BeginBlock(_tightStreams[_tightStream] ??= new ZlibInflater(StreamName(_tightStream)), ref reader);
        BeginTightRows();
        for (var row = 0; row < _rect.Height; row++)
        {
            ReadTightRow(Take(zlib, _tightRowBytes), row);
        }

        EndBlock(zlib, ref reader);
        EndTightRect(sink);
        return true;
    }

    private static string StreamName(int stream) => stream switch
    {
        0 => "Tight stream 0",
        1 => "Tight stream 1",
        2 => "Tight stream 2",
        _ => "Tight stream 3",
    };

    private void ResetTightStreams(int control)
    {
        for (var i = 0; i < _tightStreams.Length; i++)
        {
            if ((control & (1 << i)) != 0)
            {
                _tightStreams[i]?.Reset();
            }
        }
    }

    private void BeginTightRows()
    {
        if (_tightFilter == TightGradientFilter)
        {
            // Two rows of R,G,B bytes: the one above (zero above the rectangle) and the one being decoded.
            Rent(ref _gradientRows, 2 * _rect.Width * TPixelBytes).Clear();
        }
    }

    private void EndTightRect(IRfbUpdateSink sink)
    {
        if (!_rect.IsEmpty)
        {
            sink.OnPixels(_rect);
        }

        FinishRect(sink);
    }

    private void ReadTightRow(ReadOnlySpan<byte> data, int row)
    {
        var target = _framebuffer.Row(_rect.Y + row).Slice(_rect.X, _rect.Width);
        switch (_tightFilter)
        {
            case TightCopyFilter:
                for (var i = 0; i < target.Length; i++)
                {
                    target[i] = RfbPixels.TPixel(data[(i * TPixelBytes)..]);
                }

                break;
            case TightPaletteFilter:
                Unpack(data, _tightPaletteSize == 2 ? 1 : 8, _palette.AsSpan(0, _tightPaletteSize), target, _rect.X, _rect.Y + row);
                break;
            default:
                ReadGradientRow(data, row, target);
                break;
        }
    }

    // Gradient filter: each component is sent as V - P, P = left + above - above-left clamped to 0..255 (zero outside).
    private void ReadGradientRow(ReadOnlySpan<byte> data, int row, Span<uint> target)
    {
        var rowBytes = _rect.Width * TPixelBytes;
        var above = _gradientRows.AsSpan((row & 1) * rowBytes, rowBytes);
        var current = _gradientRows.AsSpan(((row + 1) & 1) * rowBytes, rowBytes);
        for (var i = 0; i < rowBytes; i++)
        {
            var left = i >= TPixelBytes ? current[i - TPixelBytes] : 0;
            var aboveLeft = i >= TPixelBytes ? above[i - TPixelBytes] : 0;
            var predicted = Math.Clamp(left + above[i] - aboveLeft, 0, 255);
            current[i] = (byte)(data[i] + predicted);
        }

        for (var i = 0; i < target.Length; i++)
        {
            target[i] = RfbPixels.TPixel(current[(i * TPixelBytes)..]);
        }
    }
}
