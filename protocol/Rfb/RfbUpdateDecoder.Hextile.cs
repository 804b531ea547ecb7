using System.Buffers;
using EdgeGateway.Protocol.Display;

namespace EdgeGateway.Protocol.Rfb;

public sealed partial class RfbUpdateDecoder
{
    private const int HextileSide = 16;
    private const int HextileRaw = 1;
    private const int HextileBackgroundSpecified = 2;
    private const int HextileForegroundSpecified = 4;
    private const int HextileAnySubrects = 8;
    private const int HextileSubrectsColoured = 16;

    private int _tileIndex;
    private uint _hextileBackground;
    private uint _hextileForeground;
    private bool _hextileBackgroundSet;
    private bool _hextileForegroundSet;

    private void BeginHextile(IRfbUpdateSink sink)
    {
        CheckRectInside();
        _tileIndex = 0;
        _hextileBackgroundSet = false;
        _hextileForegroundSet = false;
        if (_rect.IsEmpty)
        {
            FinishRect(sink);
            return;
        }

        _state = State.Hextile;
    }

    // Hextile (RFC 6143 §7.7.4): 16×16 tiles left to right, top to bottom; each whole tile that has arrived is applied.
    // The tiles of one tile row done in one call are reported together.
    private bool ReadHextileTiles(ref SequenceReader<byte> reader, IRfbUpdateSink sink)
    {
        var across = (_rect.Width + HextileSide - 1) / HextileSide;
        var total = across * ((_rect.Height + HextileSide - 1) / HextileSide);
        var done = default(PixelRect);
        while (_tileIndex < total)
        {
            var x = _rect.X + (_tileIndex % across * HextileSide);
            var y = _rect.Y + (_tileIndex / across * HextileSide);
            var tile = new PixelRect(x, y, Math.Min(HextileSide, _rect.Right - x), Math.Min(HextileSide, _rect.Bottom - y));
            if (!TryReadTile(ref reader, tile))
            {
                break;
            }

            if (!done.IsEmpty && done.Y != tile.Y)
            {
                sink.OnPixels(done);
                done = default;
            }

            done = done.Union(tile);
            _tileIndex++;
        }

        if (!done.IsEmpty)
        {
            sink.OnPixels(done);
        }

        if (_tileIndex < total)
        {
            return false;
        }

        FinishRect(sink);
        return true;
    }

    // A tile: U8 subencoding-mask; Raw: width × height PIXELs. Otherwise [PIXEL background] [PIXEL foreground]
    // [U8 number-of-subrectangles, then per subrectangle [PIXEL colour] U8 x<<4|y, U8 (width-1)<<4|(height-1)].
    private bool TryReadTile(ref SequenceReader<byte> reader, PixelRect tile)
    {
        if (!reader.TryPeek(out var mask))
        {
            return false;
        }

        int length;
        if ((mask & HextileRaw) != 0)
        {
            length = 1 + (tile.Width * tile.Height * BytesPerPixel);
        }
        else
        {
            if (mask > 31)
            {
                throw new RfbProtocolException(
                    $"The VNC server sent a Hextile tile at {tile.X},{tile.Y} with subencoding {mask}, which has bits Hextile does not define.");
            }

            length = 1 + ((mask & HextileBackgroundSpecified) != 0 ? BytesPerPixel : 0) + ((mask & HextileForegroundSpecified) != 0 ? BytesPerPixel : 0);
            if ((mask & HextileAnySubrects) != 0)
            {
                if (!reader.TryPeek(length, out var count))
                {
                    return false;
                }

                length += 1 + (count * ((mask & HextileSubrectsColoured) != 0 ? BytesPerPixel + 2 : 2));
            }
        }

        if (!TryTake(ref reader, length, out var data))
        {
            return false;
        }

        if ((mask & HextileRaw) != 0)
        {
            for (var row = 0; row < tile.Height; row++)
            {
                RfbPixels.ReadPixels(data.Slice(1 + (row * tile.Width * BytesPerPixel)), _framebuffer.Row(tile.Y + row).Slice(tile.X, tile.Width));
            }

            return true;
        }

        var at = 1;
        if ((mask & HextileBackgroundSpecified) != 0)
        {
            _hextileBackground = RfbPixels.Pixel(data[at..]);
            _hextileBackgroundSet = true;
            at += BytesPerPixel;
        }
        else if (!_hextileBackgroundSet)
        {
            throw new RfbProtocolException(
                $"The VNC server sent a Hextile tile at {tile.X},{tile.Y} without a background colour, and no earlier tile of the rectangle gave one.");
        }

        if ((mask & HextileForegroundSpecified) != 0)
        {
            _hextileForeground = RfbPixels.Pixel(data[at..]);
            _hextileForegroundSet = true;
            at += BytesPerPixel;
        }

        _framebuffer.Fill(tile, _hextileBackground);
        if ((mask & HextileAnySubrects) == 0)
        {
            return true;
        }

        var coloured = (mask & HextileSubrectsColoured) != 0;
        if (!coloured && !_hextileForegroundSet)
        {
            throw new RfbProtocolException(
                $"The VNC server sent Hextile subrectangles at {tile.X},{tile.Y} without a foreground colour, and no earlier tile of the rectangle gave one.");
        }

        int subrects = data[at++];
        for (var i = 0; i < subrects; i++)
        {
            var colour = _hextileForeground;
            if (coloured)
            {
                colour = RfbPixels.Pixel(data[at..]);
                at += BytesPerPixel;
            }

            int position = data[at++];
            int size = data[at++];
            var part = new PixelRect(position >> 4, position & 15, (size >> 4) + 1, (size & 15) + 1);
            if (!part.FitsIn(tile.Width, tile.Height))
            {
                throw new RfbProtocolException(
                    $"The VNC server sent a Hextile subrectangle at {part.X},{part.Y} of {part.Width}×{part.Height} pixels, outside its {tile.Width}×{tile.Height} tile at {tile.X},{tile.Y}.");
            }

            _framebuffer.Fill(part with { X = tile.X + part.X, Y = tile.Y + part.Y }, colour);
        }

        return true;
    }
}
