using System.IO.Compression;

namespace EdgeGateway.Protocol.Tests.Rfb;

/// <summary>
/// The server side of one RFB zlib stream: each <see cref="Block"/> compresses one rectangle's bytes and ends with a
/// sync flush, continuing the same stream, as ZRLE and Tight servers do. <see cref="Stored"/> writes a zlib stream by
/// hand (RFC 1950 header, RFC 1951 stored blocks) so the decoder is also checked against bytes .NET did not produce.
/// </summary>
internal sealed class ZlibBlocks : IDisposable
{
    private readonly MemoryStream _output = new();
    private ZLibStream _zlib;

    public ZlibBlocks() => _zlib = new ZLibStream(_output, CompressionLevel.Optimal, leaveOpen: true);

    public byte[] Block(byte[] raw)
    {
        _zlib.Write(raw);
        _zlib.Flush();
        var block = _output.ToArray();
        _output.SetLength(0);
        return block;
    }

    /// <summary>Starts a new stream (what a Tight reset bit tells the client).</summary>
    public void Reset()
    {
        _zlib.Dispose();
        _output.SetLength(0);
        _zlib = new ZLibStream(_output, CompressionLevel.Optimal, leaveOpen: true);
    }

    public void Dispose() => _zlib.Dispose();

    /// <summary>
    /// A zlib block of stored (uncompressed) deflate blocks, never final, so the stream continues:
    /// <paramref name="withHeader"/> puts the 2-byte zlib header (CMF 0x78, FLG 0x01) in front.
    /// </summary>
    public static byte[] Stored(byte[] raw, bool withHeader)
    {
        var bytes = new List<byte>();
        if (withHeader)
        {
            bytes.AddRange([0x78, 0x01]);
        }

        var offset = 0;
        do
        {
            var length = Math.Min(raw.Length - offset, 65535);
            bytes.Add(0x00); // BFINAL 0, BTYPE 00 (stored); the rest of the byte is padding
            bytes.AddRange([(byte)length, (byte)(length >> 8), (byte)~length, (byte)(~length >> 8)]);
            bytes.AddRange(raw.AsSpan(offset, length).ToArray());
            offset += length;
        }
        while (offset < raw.Length);
        return [.. bytes];
    }
}
