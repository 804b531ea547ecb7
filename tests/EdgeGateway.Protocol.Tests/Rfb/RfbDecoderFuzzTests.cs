using System.Diagnostics;
using EdgeGateway.Protocol.Rfb;
using Xunit.Abstractions;

namespace EdgeGateway.Protocol.Tests.Rfb;

/// <summary>
/// Mutated valid streams of every encoding, split at random: the decoder either decodes them or says what is wrong with
/// an <see cref="RfbProtocolException"/>; nothing else escapes, memory stays bounded and no input takes long.
/// Seeded, so a failure reproduces.
/// </summary>
[Trait("Area", "Vnc")]
public sealed class RfbDecoderFuzzTests(ITestOutputHelper output)
{
    private const int Seed = 20261130;
    private const int Iterations = 10_000;

    // Everything the decoder may hold for one connection with FuzzLimits: five zlib streams (32 KiB output buffer and
    // zlib's 8 KiB input buffer each), the scratch and cursor buffers (a 32×32 cursor), cut text (4 KiB, and its string),
    // the Tight gradient rows, a resized 64×64 framebuffer, and one exception with its message.
    private const long AllocationBound = 512 * 1024;

    private static readonly RfbLimits FuzzLimits = new()
    {
        MaxPixels = 64 * 64,
        MaxCursorSide = 32,
        MaxCutTextBytes = 4096,
        MaxCompressedBytes = 64 * 1024,
    };

    [Fact]
    public void Mutated_streams_of_every_encoding_give_pixels_or_a_protocol_error_in_bounded_memory()
    {
        var random = new Random(Seed);
        var corpus = Corpus();
        var errors = 0;
        var kinds = new Dictionary<string, int>();
        var maxAllocated = 0L;
        var slowest = TimeSpan.Zero;
        for (var i = 0; i < Iterations; i++)
        {
            var seed = corpus[random.Next(corpus.Length)];
            var input = random.Next(4) == 0 ? Mutator.Mutate(random, [.. seed, .. corpus[random.Next(corpus.Length)]]) : Mutator.Mutate(random, seed);
            var arrivals = Arrivals(random, input.Length);
            var clock = Stopwatch.StartNew();
            RfbFeeder.Result result;
            try
            {
                result = RfbFeeder.Run(input, arrivals, 32, 24, FuzzLimits, quiet: true, keepError: true);
            }
            catch (Exception ex)
            {
                Assert.Fail($"iteration {i} (seed {Seed}) input {Convert.ToHexString(input)}: {ex}");
                throw;
            }

            slowest = clock.Elapsed > slowest ? clock.Elapsed : slowest;
            maxAllocated = Math.Max(maxAllocated, result.DecodeAllocatedBytes);
            if (result.DecodeAllocatedBytes > AllocationBound)
            {
                Assert.Fail($"iteration {i} (seed {Seed}) allocated {result.DecodeAllocatedBytes} bytes: {Convert.ToHexString(input)}");
            }

            if (result.Error is { } error)
            {
                errors++;
                Assert.StartsWith("The VNC server", error.Message);
                var kind = string.Join(' ', error.Message.Split(' ').Take(7));
                kinds[kind] = kinds.GetValueOrDefault(kind) + 1;
            }
        }

        output.WriteLine($"{Iterations} inputs, {errors} refused, at most {maxAllocated} bytes allocated in Decode, slowest {slowest.TotalMilliseconds:F1} ms");
        foreach (var (kind, count) in kinds.OrderByDescending(k => k.Value))
        {
            output.WriteLine($"{count,6} {kind}");
        }

        // The mutations must reach both outcomes, or the loop proves little.
        Assert.InRange(errors, Iterations / 10, Iterations * 9 / 10);
        Assert.True(slowest < TimeSpan.FromSeconds(5), $"slowest input took {slowest}");
    }

    [Fact]
    public void The_corpus_decodes_cleanly()
    {
        foreach (var stream in Corpus())
        {
            var result = RfbFeeder.AllSplitsAgree(stream, 32, 24, FuzzLimits);
            Assert.Equal(0, result.Unconsumed);
        }
    }

    /// <summary>Whole, byte by byte (small inputs), or random pieces.</summary>
    private static int[] Arrivals(Random random, int length)
    {
        switch (random.Next(4))
        {
            case 0:
                return length == 0 ? [] : [length];
            case 1 when length < 600:
                return [.. Enumerable.Repeat(1, length)];
            default:
                var sizes = new List<int>();
                for (var left = length; left > 0;)
                {
                    var size = Math.Min(left, random.Next(1, 64));
                    sizes.Add(size);
                    left -= size;
                }

                return [.. sizes];
        }
    }

    /// <summary>One valid stream per encoding and message, for a 32×24 framebuffer.</summary>
    private static byte[][] Corpus()
    {
        using var zrle = new ZlibBlocks();
        using var tight0 = new ZlibBlocks();
        using var tight1 = new ZlibBlocks();
        using var tight2 = new ZlibBlocks();
        var rawPixels = new RfbBytes();
        var tPixels = new RfbBytes();
        for (var i = 0; i < 64; i++)
        {
            rawPixels.Pixel((uint)(i * 0x050403));
            tPixels.TPixel((uint)(i * 0x030405));
        }

        var raw = rawPixels.ToArray();
        var zrleRle = new RfbBytes().U8(128).CPixel(0x112233).U8(99).CPixel(0x445566).U8(91).ToArray();
        var zrlePaletteRle = new RfbBytes().U8(130).CPixel(1).CPixel(2).U8(0x81).U8(19).U8(0).U8(0x80).U8(2).ToArray();
        var cursor = new RfbBytes().Update(1).Rect(1, 2, 4, 4, -239);
        for (var i = 0; i < 16; i++)
        {
            cursor.Pixel((uint)(i * 0x111111));
        }

        return
        [
            new RfbBytes().Update(3).Rect(0, 0, 8, 6, 0).Bytes(raw[..(8 * 6 * 4)]).Rect(8, 0, 8, 6, 1).U16(0).U16(0).Rect(0, 0, 0, 0, -224).ToArray(),
            new RfbBytes().Update(1).Rect(2, 2, 20, 10, 2).U32(2).Pixel(0x010101).Pixel(0xFF0000).U16(1).U16(1).U16(5).U16(5).Pixel(0x00FF00).U16(10).U16(2).U16(10).U16(8).ToArray(),
            new RfbBytes().Update(1).Rect(0, 0, 20, 18, 5)
                .U8(2 | 4 | 8).Pixel(0x111111).Pixel(0x222222).U8(2).U8(0x00).U8(0x11).U8(0x55).U8(0x33)
                .U8(1).Bytes(raw[..(4 * 16 * 4)])
                .U8(2 | 8 | 16).Pixel(0x333333).U8(1).Pixel(0x444444).U8(0x10).U8(0x30)
                .U8(0).ToArray(),
            new RfbBytes().Update(3).Rect(0, 0, 32, 6, 16).Block(zrle.Block(zrleRle)).Rect(0, 6, 4, 6, 16).Block(zrle.Block(zrlePaletteRle)).Rect(0, 12, 2, 2, 16).Block(zrle.Block(new RfbBytes().U8(2).CPixel(7).CPixel(8).U8(0x40).U8(0x80).ToArray())).ToArray(),
            Tight(tight0, tight1, tight2, tPixels.ToArray()),
            cursor.Bytes(0xF0, 0x90, 0x90, 0xF0).ToArray(),
            new RfbBytes().Update(1).Rect(0, 0, 40, 30, -223).Update(1).Rect(0, 0, 16, 16, -308).U8(1).Bytes(0, 0, 0).U32(7).U16(0).U16(0).U16(16).U16(16).U32(0).ToArray(),
            new RfbBytes().U8(2).U8(3).Bytes(0, 0, 0).U32(6).Bytes("hello\n"u8.ToArray()).Update(0).ToArray(),
        ];
    }

    private static byte[] Tight(ZlibBlocks stream0, ZlibBlocks stream1, ZlibBlocks stream2, byte[] tPixels)
    {
        var copy = stream0.Block(tPixels[..(8 * 2 * 3)]);
        var palette = stream1.Block([0, 1, 2, 1, 0, 2, 2, 1, 0, 1, 2, 0]);
        var gradient = stream2.Block(tPixels[..(4 * 4 * 3)]);
        return new RfbBytes().Update(5)
            .Rect(0, 0, 4, 4, 7).U8(0x80).TPixel(0xABCDEF)
            .Rect(4, 0, 8, 2, 7).U8(0x00).CompactLength(copy.Length).Bytes(copy)
            .Rect(0, 4, 4, 3, 7).U8(0x50).U8(1).U8(2).TPixel(1).TPixel(2).TPixel(3).CompactLength(palette.Length).Bytes(palette)
            .Rect(8, 4, 12, 2, 7).U8(0x40).U8(1).U8(1).TPixel(4).TPixel(5).U8(0xF0).U8(0x10).U8(0x0F).U8(0xF0)
            .Rect(16, 8, 4, 4, 7).U8(0x60).U8(2).CompactLength(gradient.Length).Bytes(gradient)
            .ToArray();
    }
}
