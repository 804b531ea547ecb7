using System.Buffers;
using System.Buffers.Binary;
using EdgeGateway.Protocol.Display;

namespace EdgeGateway.Protocol.Rfb;

public sealed partial class RfbUpdateDecoder
{
    private const int RreSubrectBytes = BytesPerPixel + 8;

    // An RRE rectangle may paint at most this many times its own area in subrectangles: a server's partition paints
    // each pixel once, and the bound keeps a hostile stream of huge overlapping subrectangles linear in its size.
    private const int RreOverdraw = 4;

    private long _rreSubrectsLeft;
    private long _rrePaintBudget;

    // RRE (RFC 6143 §7.7.3): U32 number-of-subrectangles, PIXEL background; then per subrectangle PIXEL value,
    // U16 x, U16 y, U16 width, U16 height relative to the rectangle.
    private bool ReadRreHeader(ref SequenceReader<byte> reader, IRfbUpdateSink sink)
    {
        if (!TryTake(ref reader, 4 + BytesPerPixel, out var header))
        {
            return false;
        }

        _rreSubrectsLeft = BinaryPrimitives.ReadUInt32BigEndian(header);
        _rrePaintBudget = _rect.Area * RreOverdraw;
        if (!_rect.IsEmpty)
        {
            _framebuffer.Fill(_rect, RfbPixels.Pixel(header[4..]));
        }

        _state = State.RreSubrects;
        return true;
    }

    private bool ReadRreSubrects(ref SequenceReader<byte> reader, IRfbUpdateSink sink)
    {
        while (_rreSubrectsLeft > 0 && TryTake(ref reader, RreSubrectBytes, out var subrect))
        {
            _rreSubrectsLeft--;
            var part = new PixelRect(
                BinaryPrimitives.ReadUInt16BigEndian(subrect[4..]),
                BinaryPrimitives.ReadUInt16BigEndian(subrect[6..]),
                BinaryPrimitives.ReadUInt16BigEndian(subrect[8..]),
                BinaryPrimitives.ReadUInt16BigEndian(subrect[10..]));
            if (!part.FitsIn(_rect.Width, _rect.Height))
            {
                throw new RfbProtocolException(
                    $"The VNC server sent an RRE subrectangle at {part.X},{part.Y} of {part.Width}×{part.Height} pixels, outside its {_rect.Width}×{_rect.Height} rectangle.");
            }

            _rrePaintBudget -= part.Area;
            if (_rrePaintBudget < 0)
            {
                throw new RfbProtocolException(
                    $"The VNC server's RRE subrectangles for a {_rect.Width}×{_rect.Height} rectangle paint more than {RreOverdraw} times its area.");
            }

            if (!part.IsEmpty)
            {
                _framebuffer.Fill(part with { X = _rect.X + part.X, Y = _rect.Y + part.Y }, RfbPixels.Pixel(subrect));
            }
        }

        if (_rreSubrectsLeft > 0)
        {
            return false;
        }

        if (!_rect.IsEmpty)
        {
            sink.OnPixels(_rect);
        }

        FinishRect(sink);
        return true;
    }
}
