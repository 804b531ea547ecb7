using System.Buffers;

namespace EdgeGateway.Protocol.Rfb;

public sealed partial class RfbUpdateDecoder
{
    // DesktopSize (RFC 6143 §7.8.2): width and height of the rectangle are the new framebuffer size; no data.
    private void ApplyResize(int width, int height, IRfbUpdateSink sink)
    {
        if (width < 1 || height < 1 || (long)width * height > _limits.MaxPixels)
        {
            throw new RfbProtocolException(
                $"The VNC server resized its desktop to {width}×{height} pixels; sizes from 1×1 up to {_limits.MaxPixels} pixels are accepted.");
        }

        // Servers re-announce an unchanged size (ExtendedDesktopSize answers every full update request); clearing
        // then would blank a screen the server does not intend to repaint.
        if (width == _framebuffer.Width && height == _framebuffer.Height)
        {
            return;
        }

        _framebuffer.Resize(width, height);
        sink.OnResize(width, height, null);
    }

    // ExtendedDesktopSize (rfbproto): x = reason, y = status, width/height = framebuffer size; data is U8
    // number-of-screens, 3 padding, then 16 bytes per screen (U32 id, U16 x, y, width, height, U32 flags).
    private bool ReadExtendedDesktopSize(ref SequenceReader<byte> reader, IRfbUpdateSink sink)
    {
        if (!reader.TryPeek(out var screens) || !TryTake(ref reader, 4 + (screens * 16), out _))
        {
            return false;
        }

        // Reason 1 with a non-zero status answers a client's SetDesktopSize that failed: the size did not change.
        var failedRequest = _rect.X == 1 && _rect.Y != 0;
        if (!failedRequest)
        {
            ApplyResize(_rect.Width, _rect.Height, sink);
        }

        FinishRect(sink);
        return true;
    }

    // Cursor (RFC 6143 §7.8.1): x, y = hotspot; width × height PIXELs, then a bitmask of floor((width + 7) / 8) bytes per
    // row, most significant bit leftmost, 1 = the pixel is part of the cursor.
    private bool ReadCursor(ref SequenceReader<byte> reader, IRfbUpdateSink sink)
    {
        var width = _rect.Width;
        var height = _rect.Height;
        var pixelBytes = width * height * BytesPerPixel;
        var maskStride = (width + 7) / 8;
        if (!TryTake(ref reader, pixelBytes + (maskStride * height), out var data))
        {
            return false;
        }

        var argb = Rent(ref _cursor, width * height);
        RfbPixels.ReadPixels(data[..pixelBytes], argb);
        var mask = data[pixelBytes..];
        for (var y = 0; y < height; y++)
        {
            var maskRow = mask.Slice(y * maskStride, maskStride);
            var row = argb.Slice(y * width, width);
            for (var x = 0; x < width; x++)
            {
                row[x] = (maskRow[x >> 3] & (0x80 >> (x & 7))) != 0 ? row[x] | 0xFF000000u : 0;
            }
        }

        sink.OnCursor(_rect.X, _rect.Y, width, height, argb);
        FinishRect(sink);
        return true;
    }
}
