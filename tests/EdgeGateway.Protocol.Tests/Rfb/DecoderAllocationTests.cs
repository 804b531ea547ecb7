using EdgeGateway.Protocol.Display;
using EdgeGateway.Protocol.Rfb;

namespace EdgeGateway.Protocol.Tests.Rfb;

/// <summary>Once its buffers exist, decoding any encoding allocates nothing (the hot path of every VNC session).</summary>
[Trait("Area", "Vnc")]
public sealed class DecoderAllocationTests
{
    [Fact]
    public void Updates_in_every_encoding_decode_without_allocating_after_the_first()
    {
        using var zrle = new ZlibBlocks();
        using var tight0 = new ZlibBlocks();
        using var tight2 = new ZlibBlocks();
        var random = new Random(3);
        var updates = Enumerable.Range(0, 40).Select(_ => Update(random, zrle, tight0, tight2)).ToArray();
        var framebuffer = new Framebuffer(256, 128);
        using var decoder = new RfbUpdateDecoder(framebuffer, RfbLimits.Default);
        var sink = new RfbUpdateDecoderTests.CountingSink();
        var split = updates.Select(u => RfbFeeder.Sequence([u.AsMemory(0, u.Length / 3), u.AsMemory(u.Length / 3)])).ToArray();
        Assert.Equal(updates[0].Length, decoder.Decode(split[0], sink));

        // Rounds of 3 updates (the zlib streams continue, so each update is decoded once): the runtime may allocate
        // once on this thread while it re-compiles hot methods; a round with none proves decoding allocates nothing.
        var next = 1;
        long allocated;
        do
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            var consumed = 0L;
            var expected = 0L;
            for (var end = next + 3; next < end; next++)
            {
                consumed += decoder.Decode(split[next], sink);
                expected += updates[next].Length;
            }

            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Equal(expected, consumed);
        }
        while (allocated != 0 && next + 3 <= updates.Length);

        Assert.Equal(next, sink.Updates);
        Assert.Equal(0, allocated);
    }

    /// <summary>One update: Hextile raw tiles, a ZRLE raw tile, Tight copy and gradient, each 64×64 of noise.</summary>
    private static byte[] Update(Random random, ZlibBlocks zrle, ZlibBlocks tight0, ZlibBlocks tight2)
    {
        var bytes = new RfbBytes().Update(4).Rect(0, 0, 64, 64, 5);
        for (var tile = 0; tile < 16; tile++)
        {
            bytes.U8(1);
            for (var i = 0; i < 256; i++)
            {
                bytes.Pixel((uint)random.Next(0x1000000));
            }
        }

        var zrleTile = new RfbBytes().U8(0);
        for (var i = 0; i < 64 * 64; i++)
        {
            zrleTile.CPixel((uint)random.Next(0x1000000));
        }

        var tPixels = new byte[64 * 64 * 3];
        random.NextBytes(tPixels);
        var copy = tight0.Block(tPixels);
        var gradient = tight2.Block(tPixels);
        return bytes
            .Rect(64, 0, 64, 64, 16).Block(zrle.Block(zrleTile.ToArray()))
            .Rect(128, 0, 64, 64, 7).U8(0x00).CompactLength(copy.Length).Bytes(copy)
            .Rect(192, 0, 64, 64, 7).U8(0x60).U8(2).CompactLength(gradient.Length).Bytes(gradient)
            .ToArray();
    }
}
