using EdgeGateway.Protocol.Display;
using EdgeGateway.Protocol.Stream;

namespace EdgeGateway.Protocol.Tests.Display;

/// <summary>Hostile display payloads give a status, never an exception, in bounded memory: seeded so a failure reproduces.</summary>
[Trait("Area", "Vnc")]
public sealed class DisplayFuzzTests
{
    private const int Seed = 20261129;
    private const int Iterations = 20_000;

    [Fact]
    public void Display_readers_and_the_canvas_never_throw_on_mutated_input()
    {
        var random = new Random(Seed);
        var corpus = ValidPayloads();
        var seen = new HashSet<DisplayReadStatus>();
        using var canvas = new DisplayCanvas(maxPixels: 256 * 256);
        var worst = 0L;
        for (var i = 0; i < Iterations; i++)
        {
            var (type, seed) = corpus[random.Next(corpus.Length)];
            var input = random.Next(10) == 0 ? Mutator.RandomBytes(random, 64) : Mutator.Mutate(random, seed);
            var before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                // A viewer that is mid-stream: the canvas holds a display and an inflate context unless a bad frame broke it.
                if (canvas.NeedsKeyframe || random.Next(50) == 0)
                {
                    Assert.Equal(DisplayReadStatus.Ok, canvas.Apply(FrameType.DisplayInit, FrameFlags.Keyframe, DisplayTestEncoder.Init(64, 48)));
                }

                seen.Add(canvas.Apply(type, FrameFlags.None, input));
                ExerciseReaders(input);
            }
            catch (Exception ex)
            {
                Assert.Fail($"iteration {i} (seed {Seed}) {type} {Convert.ToHexString(input)}: {ex}");
            }

            worst = Math.Max(worst, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        // Bounded: never more than a small display, one frame and the inflater's buffers, whatever the input claims.
        Assert.InRange(worst, 0, 2 * 1024 * 1024);
        Assert.Superset(
            new HashSet<DisplayReadStatus>
            {
                DisplayReadStatus.Ok, DisplayReadStatus.Truncated, DisplayReadStatus.TrailingBytes, DisplayReadStatus.BadGeometry,
                DisplayReadStatus.BadField, DisplayReadStatus.BadText, DisplayReadStatus.UnknownRectKind, DisplayReadStatus.DataSizeMismatch,
                DisplayReadStatus.CorruptData,
            },
            seen);
    }

    private static void ExerciseReaders(byte[] input)
    {
        DisplayFrames.TryReadInit(input, out _);
        DisplayFrames.TryReadCursor(input, out _, out _);
        DisplayFrames.TryReadPointer(input, out _);
        DisplayFrames.TryReadPointerInput(input, out _);
        DisplayFrames.TryReadKeyInput(input, out _);
        DisplayFrames.TryReadClipboard(input, out _);
        if (DisplayFrames.TryReadUpdate(input, 64, 48, out var update) == DisplayReadStatus.Ok)
        {
            var rects = DisplayFrames.ReadRects(input, update);
            var count = 0;
            while (rects.TryNext(out var rect))
            {
                Assert.True(rect.Area.FitsIn(64, 48));
                count++;
            }

            Assert.Equal(update.RectCount, count);
        }
    }

    private static (FrameType Type, byte[] Payload)[] ValidPayloads()
    {
        // Deflated updates are made in a context of their own: the canvas's is elsewhere, so they inflate to
        // garbage or fail, which is the point; plain ones apply.
        using var encoder = new DisplayTestEncoder();
        var random = new Random(1);
        var noise = new uint[16 * 8];
        for (var i = 0; i < noise.Length; i++)
        {
            noise[i] = (uint)random.Next(0x1000000);
        }

        var indices = new byte[10 * 6];
        for (var i = 0; i < indices.Length; i++)
        {
            indices[i] = (byte)(i % 3);
        }

        var cursor = new byte[DisplayFrames.GetCursorSize(2, 2)];
        DisplayFrames.WriteCursor(cursor, 1, 1, 2, 2, [0xFF000000, 0, 0xFFFFFFFF, 0]);
        var pointer = new byte[5];
        DisplayFrames.WritePointer(pointer, 10, 10, 1);
        return
        [
            (FrameType.DisplayInit, DisplayTestEncoder.Init(64, 48, "fuzz")),
            (FrameType.DisplayUpdate, encoder.Solid(0, 0, 64, 48, 0x112233).Copy(0, 0, 5, 5, 10, 10).Build()),
            (FrameType.DisplayUpdate, encoder.Pixels(3, 4, 16, 8, noise).Palette(20, 20, 10, 6, [1, 2, 3], indices).Build(deflate: false)),
            (FrameType.DisplayUpdate, encoder.Pixels(3, 4, 16, 8, noise).Palette(20, 20, 10, 6, [1, 2, 3], indices).Build(deflate: true)),
            (FrameType.DisplayUpdate, encoder.Palette(0, 0, 10, 6, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17], indices).Build(deflate: true)),
            (FrameType.DisplayCursor, cursor),
            (FrameType.DisplayPointer, pointer),
            (FrameType.DisplayClipboard, "clip ü"u8.ToArray()),
        ];
    }
}
