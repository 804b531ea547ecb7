using System.Buffers;
using System.IO.Compression;

namespace EdgeGateway.Protocol.Rfb;

/// <summary>
/// One RFB zlib stream (ZRLE's, or one of Tight's four): a zlib stream that continues from rectangle to rectangle, fed
/// one rectangle's compressed bytes at a time, read back in whole pieces of at most <see cref="MaxTake"/> bytes.
/// </summary>
/// <remarks>
/// Every rectangle's compressed block must inflate to exactly what the rectangle needs: <see cref="TryTake"/> says when
/// it ends short and <see cref="HasMore"/> when it holds more. The inflate window and a 32 KiB output buffer are the
/// only memory; both are reused for the connection's life.
/// </remarks>
internal sealed class ZlibInflater : IDisposable
{
    /// <summary>Largest piece <see cref="TryTake"/> hands out (a ZRLE raw tile is 12 KiB, a Tight row 6 KiB).</summary>
    public const int MaxTake = 16 * 1024;

    private readonly FeedStream _feed = new();
    private readonly string _name;
    private readonly byte[] _output = new byte[2 * MaxTake];
    private ZLibStream? _zlib;
    private int _start;
    private int _end;

    /// <summary>Creates a stream named <paramref name="name"/> in error messages ("ZRLE", "Tight stream 2").</summary>
    public ZlibInflater(string name) => _name = name;

    /// <summary>Starts a new zlib stream (a Tight reset bit): the next block begins with a zlib header.</summary>
    public void Reset()
    {
        _zlib?.Dispose();
        _zlib = null;
        _start = _end = 0;
    }

    /// <summary>Hands the stream one rectangle's compressed bytes; they stay owned by the caller until <see cref="HasMore"/>.</summary>
    public void Begin(ReadOnlySequence<byte> block)
    {
        _feed.Block = block;
        _start = _end = 0;
        _zlib ??= new ZLibStream(_feed, CompressionMode.Decompress, leaveOpen: true);
    }

    /// <summary>The next <paramref name="count"/> inflated bytes (valid until the next call); false when the block ends first.</summary>
    public bool TryTake(int count, out ReadOnlySpan<byte> bytes)
    {
        if (_end - _start < count)
        {
            if (_output.Length - _start < count)
            {
                _output.AsSpan(_start, _end - _start).CopyTo(_output);
                _end -= _start;
                _start = 0;
            }

            while (_end - _start < count)
            {
                var read = Inflate(_output.AsSpan(_end));
                if (read == 0)
                {
                    bytes = default;
                    return false;
                }

                _end += read;
            }
        }

        bytes = _output.AsSpan(_start, count);
        _start += count;
        return true;
    }

    /// <summary>True when the block inflates to more than was taken; then ends the block.</summary>
    public bool HasMore()
    {
        var more = _end > _start || Inflate(_output.AsSpan(0, 1)) > 0;
        _feed.Block = default;
        _start = _end = 0;
        return more;
    }

    public void Dispose() => _zlib?.Dispose();

    private int Inflate(Span<byte> destination)
    {
        try
        {
            return _zlib!.Read(destination);
        }
        catch (InvalidDataException e)
        {
            throw new RfbProtocolException($"The VNC server sent {_name} data that is not a valid zlib stream ({e.Message})", e);
        }
    }

    /// <summary>The stream zlib reads from: the current block, then nothing (zlib then waits for the next block).</summary>
    private sealed class FeedStream : System.IO.Stream
    {
        public ReadOnlySequence<byte> Block { get; set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(Span<byte> buffer)
        {
            var count = (int)Math.Min(buffer.Length, Block.Length);
            Block.Slice(0, count).CopyTo(buffer);
            Block = Block.Slice(count);
            return count;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
