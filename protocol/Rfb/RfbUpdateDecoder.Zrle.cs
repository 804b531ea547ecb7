using System.Buffers;
using System.Buffers.Binary;
using EdgeGateway.Protocol.Display;

namespace EdgeGateway.Protocol.Rfb;

public sealed partial class RfbUpdateDecoder
{
    private const int ZrleTileSide = 64;
    private const int CPixelBytes = 3;

    private ZlibInflater? _zrleStream;
    private int _blockLength;
    private readonly uint[] _palette = new uint[256];

    // ZRLE (RFC 6143 §7.7.6): U32 length, then length bytes of the connection's one zlib stream.
    private bool ReadZrleLength(ref SequenceReader<byte> reader)
    {
        if (!TryTake(ref reader, 4, out var length))
        {
            return false;
        }

        _blockLength = CheckBlockLength(BinaryPrimitives.ReadUInt32BigEndian(length));
        _state = State.ZrleData;
        return true;
    }

    private int CheckBlockLength(long length)
    {
        if (length > _limits.MaxCompressedBytes)
        {
            throw new RfbProtocolException(
                $"The VNC server sent {length} bytes of compressed {RfbEncoding.Name(_encoding)} data for one {_rect.Width}×{_rect.Height} rectangle; at most {_limits.MaxCompressedBytes} are accepted.");
        }

        return (int)length;
    }

    private bool ReadZrleData(ref SequenceReader<byte> reader, IRfbUpdateSink sink)
    {
        if (reader.Remaining < _blockLength)
        {
            return false;
        }

        var zlib = BeginBlock(_zrleStream ??= new ZlibInflater("ZRLE"), ref reader);
        for (var y = _rect.Y; y < _rect.Bottom; y += ZrleTileSide)
        {
            for (var x = _rect.X; x < _rect.Right; x += ZrleTileSide)
            {
                ReadZrleTile(zlib, new PixelRect(x, y, Math.Min(ZrleTileSide, _rect.Right - x), Math.Min(ZrleTileSide, _rect.Bottom - y)));
            }
        }

        EndBlock(zlib, ref reader);
        if (!_rect.IsEmpty)
        {
            sink.OnPixels(_rect);
        }

        FinishRect(sink);
        return true;
    }

    // A tile: U8 subencoding. 0 raw CPIXELs; 1 solid; 2..16 packed palette; 128 plain RLE; 130..255 palette RLE.
    private void ReadZrleTile(ZlibInflater zlib, PixelRect tile)
    {
        var subencoding = Take(zlib, 1)[0];
        var paletteSize = subencoding & 0x7F;
        var rle = subencoding >= 128;
        if (subencoding == 0)
        {
            var data = Take(zlib, tile.Width * tile.Height * CPixelBytes);
            for (var row = 0; row < tile.Height; row++)
            {
                var target = _framebuffer.Row(tile.Y + row).Slice(tile.X, tile.Width);
                var source = data.Slice(row * tile.Width * CPixelBytes);
                for (var i = 0; i < target.Length; i++)
                {
                    target[i] = RfbPixels.CPixel(source[(i * CPixelBytes)..]);
                }
            }

            return;
        }

        if (subencoding == 1)
        {
            _framebuffer.Fill(tile, RfbPixels.CPixel(Take(zlib, CPixelBytes)));
            return;
        }

        if ((!rle && paletteSize > 16) || subencoding == 129)
        {
            throw new RfbProtocolException($"The VNC server sent a ZRLE tile at {tile.X},{tile.Y} with subencoding {subencoding}, which ZRLE leaves unused.");
        }

        var palette = _palette.AsSpan(0, paletteSize);
        var paletteBytes = Take(zlib, paletteSize * CPixelBytes);
        for (var i = 0; i < paletteSize; i++)
        {
            palette[i] = RfbPixels.CPixel(paletteBytes[(i * CPixelBytes)..]);
        }

        if (!rle)
        {
            var bits = paletteSize == 2 ? 1 : paletteSize <= 4 ? 2 : 4;
            var stride = ((tile.Width * bits) + 7) / 8;
            var packed = Take(zlib, stride * tile.Height);
            for (var row = 0; row < tile.Height; row++)
            {
                Unpack(packed.Slice(row * stride, stride), bits, palette, _framebuffer.Row(tile.Y + row).Slice(tile.X, tile.Width), tile.X, tile.Y + row);
            }

            return;
        }

        var total = tile.Width * tile.Height;
        for (var done = 0; done < total;)
        {
            uint colour;
            var run = 1;
            if (paletteSize == 0)
            {
                colour = RfbPixels.CPixel(Take(zlib, CPixelBytes));
                run = ReadRunLength(zlib, total - done, tile);
            }
            else
            {
                int index = Take(zlib, 1)[0];
                if ((index & 0x80) != 0)
                {
                    index &= 0x7F;
                    run = ReadRunLength(zlib, total - done, tile);
                }

                if (index >= paletteSize)
                {
                    throw new RfbProtocolException(
                        $"The VNC server sent a ZRLE palette index {index} in a tile at {tile.X},{tile.Y} whose palette has {paletteSize} colours.");
                }

                colour = palette[index];
            }

            // A run may continue from the end of one row to the start of the next.
            while (run > 0)
            {
                var row = done / tile.Width;
                var column = done % tile.Width;
                var count = Math.Min(run, tile.Width - column);
                _framebuffer.Row(tile.Y + row).Slice(tile.X + column, count).Fill(colour);
                done += count;
                run -= count;
            }
        }
    }

    // Run length: 1 + the sum of the bytes, every byte but the last being 255.
    private int ReadRunLength(ZlibInflater zlib, int left, PixelRect tile)
    {
        var run = 1;
        int part;
        do
        {
            part = Take(zlib, 1)[0];
            run += part;
            if (run > left)
            {
                throw new RfbProtocolException(
                    $"The VNC server sent a ZRLE run of {run}+ pixels in a tile at {tile.X},{tile.Y} with {left} pixels left.");
            }
        }
        while (part == 255);
        return run;
    }

    /// <summary>Indexes packed most significant bits first (the leftmost pixel in the high bits) into a palette.</summary>
    private static void Unpack(ReadOnlySpan<byte> packed, int bits, ReadOnlySpan<uint> palette, Span<uint> target, int x, int y)
    {
        if (bits == 8)
        {
            for (var i = 0; i < target.Length; i++)
            {
                if (packed[i] >= palette.Length)
                {
                    throw new RfbProtocolException($"The VNC server sent a palette index {packed[i]} at {x + i},{y} in a palette of {palette.Length} colours.");
                }

                target[i] = palette[packed[i]];
            }

            return;
        }

        var perByte = 8 / bits;
        var mask = (1 << bits) - 1;
        for (var i = 0; i < target.Length; i++)
        {
            var index = (packed[i / perByte] >> ((perByte - 1 - (i % perByte)) * bits)) & mask;
            if (index >= palette.Length)
            {
                throw new RfbProtocolException(
                    $"The VNC server sent a palette index {index} at {x + i},{y} in a palette of {palette.Length} colours.");
            }

            target[i] = palette[index];
        }
    }

    /// <summary>Hands the rectangle's whole compressed block (it has arrived: the caller checked) to its zlib stream.</summary>
    private ZlibInflater BeginBlock(ZlibInflater zlib, ref SequenceReader<byte> reader)
    {
        zlib.Begin(reader.UnreadSequence.Slice(0, _blockLength));
        return zlib;
    }

    /// <summary>Checks the block inflated to exactly the rectangle and consumes it.</summary>
    private void EndBlock(ZlibInflater zlib, ref SequenceReader<byte> reader)
    {
        if (zlib.HasMore())
        {
            throw new RfbProtocolException(
                $"The VNC server's {RfbEncoding.Name(_encoding)} data for the {_rect.Width}×{_rect.Height} rectangle at {_rect.X},{_rect.Y} holds more than the rectangle.");
        }

        reader.Advance(_blockLength);
    }

    private ReadOnlySpan<byte> Take(ZlibInflater zlib, int count)
    {
        if (!zlib.TryTake(count, out var bytes))
        {
            throw new RfbProtocolException(
                $"The VNC server's {RfbEncoding.Name(_encoding)} data for the {_rect.Width}×{_rect.Height} rectangle at {_rect.X},{_rect.Y} ends before the rectangle is complete.");
        }

        return bytes;
    }
}
