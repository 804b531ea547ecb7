using System.Buffers;
using EdgeGateway.Protocol.Display;
using EdgeGateway.Protocol.Rfb;

namespace EdgeGateway.Protocol.Tests.Rfb;

/// <summary>
/// Feeds bytes to an <see cref="RfbUpdateDecoder"/> the way a pipe reader would: whatever arrived so far, as a
/// multi-segment sequence (one segment per arrival, so units split over segments are exercised), keeping what the
/// decoder did not consume.
/// </summary>
internal static class RfbFeeder
{
    /// <summary>The outcome of decoding one input: the framebuffer, the sink, and how many bytes were left unconsumed.</summary>
    /// <param name="DecodeAllocatedBytes">Bytes allocated on this thread inside <see cref="RfbUpdateDecoder.Decode"/> calls, the sink's included.</param>
    /// <param name="Error">With <c>keepError</c>: the protocol error that stopped decoding, else null.</param>
    internal sealed record Result(Framebuffer Framebuffer, RecordingSink Sink, int Unconsumed, long DecodeAllocatedBytes, RfbProtocolException? Error = null);

    public static Result Whole(byte[] input, int width = 32, int height = 24, RfbLimits? limits = null) =>
        Run(input, [input.Length], width, height, limits);

    public static Result OneByteAtATime(byte[] input, int width = 32, int height = 24, RfbLimits? limits = null) =>
        Run(input, [.. Enumerable.Repeat(1, input.Length)], width, height, limits);

    public static Result RandomSplits(byte[] input, int seed, int width = 32, int height = 24, RfbLimits? limits = null)
    {
        var random = new Random(seed);
        var sizes = new List<int>();
        for (var left = input.Length; left > 0;)
        {
            var size = Math.Min(left, random.Next(4) == 0 ? random.Next(1, 200) : random.Next(1, 8));
            sizes.Add(size);
            left -= size;
        }

        return Run(input, sizes, width, height, limits);
    }

    /// <summary>Decodes <paramref name="input"/> arriving in pieces of the given sizes into a fresh black framebuffer.</summary>
    public static Result Run(byte[] input, IReadOnlyList<int> arrivals, int width, int height, RfbLimits? limits, bool quiet = false, bool keepError = false)
    {
        var framebuffer = new Framebuffer(width, height);
        var sink = new RecordingSink(framebuffer, quiet);
        var allocated = 0L;
        using var decoder = new RfbUpdateDecoder(framebuffer, limits ?? RfbLimits.Default);

        // The unconsumed bytes: a chain of one segment per arrival, from (first, firstIndex) to the end of last.
        Segment? first = null;
        Segment? last = null;
        var firstIndex = 0;
        var offset = 0;
        var unconsumed = 0L;
        foreach (var size in arrivals)
        {
            var piece = input.AsMemory(offset, size);
            offset += size;
            if (last is null)
            {
                first = last = new Segment(piece, 0);
                firstIndex = 0;
            }
            else
            {
                last = last.Append(piece);
            }

            var pending = new ReadOnlySequence<byte>(first!, firstIndex, last, last.Memory.Length);
            var before = GC.GetAllocatedBytesForCurrentThread();
            long consumed;
            try
            {
                consumed = decoder.Decode(pending, sink);
            }
            catch (RfbProtocolException error) when (keepError)
            {
                allocated += GC.GetAllocatedBytesForCurrentThread() - before;
                return new Result(framebuffer, sink, 0, allocated, error);
            }
            finally
            {
                allocated += GC.GetAllocatedBytesForCurrentThread() - before;
            }

            Assert.InRange(consumed, 0, pending.Length);
            unconsumed = pending.Length - consumed;
            if (unconsumed == 0)
            {
                first = last = null;
            }
            else
            {
                var position = pending.GetPosition(consumed);
                first = (Segment)position.GetObject()!;
                firstIndex = position.GetInteger();
            }
        }

        return new Result(framebuffer, sink, (int)unconsumed, allocated);
    }

    /// <summary>Asserts the three ways of feeding <paramref name="input"/> give the same pixels and events; returns the whole-buffer result.</summary>
    public static Result AllSplitsAgree(byte[] input, int width = 32, int height = 24, RfbLimits? limits = null)
    {
        var whole = Whole(input, width, height, limits);
        foreach (var other in new[] { OneByteAtATime(input, width, height, limits), RandomSplits(input, 1, width, height, limits), RandomSplits(input, 2, width, height, limits) })
        {
            Assert.Equal(whole.Framebuffer.Width, other.Framebuffer.Width);
            Assert.Equal(whole.Framebuffer.Height, other.Framebuffer.Height);
            Assert.Equal(whole.Framebuffer.Pixels.ToArray(), other.Framebuffer.Pixels.ToArray());
            Assert.Equal(whole.Sink.Events, other.Sink.Events);
            Assert.Equal(whole.Sink.Covered, other.Sink.Covered);
            Assert.Equal(whole.Unconsumed, other.Unconsumed);
        }

        return whole;
    }

    public static ReadOnlySequence<byte> Sequence(IReadOnlyList<ReadOnlyMemory<byte>> pieces)
    {
        var nonEmpty = pieces.Where(p => p.Length > 0).ToList();
        if (nonEmpty.Count == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        var first = new Segment(nonEmpty[0], 0);
        var last = first;
        foreach (var piece in nonEmpty.Skip(1))
        {
            last = last.Append(piece);
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
