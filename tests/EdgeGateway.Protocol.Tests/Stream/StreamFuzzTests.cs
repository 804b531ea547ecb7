using EdgeGateway.Protocol.Stream;

namespace EdgeGateway.Protocol.Tests.Stream;

/// <summary>Hostile input must give a status, never an exception: seeded so a failure reproduces.</summary>
[Trait("Area", "Ssh")]
public sealed class StreamFuzzTests
{
    private const int Seed = 20261115;
    private const int Iterations = 200_000;
    private static readonly int[] Limits = [0, 16, 512, FrameCodec.DefaultMaxPayload, int.MaxValue];

    [Fact]
    public void Stream_readers_never_throw_on_random_or_mutated_input()
    {
        var random = new Random(Seed);
        var corpus = ValidFrames();
        var seen = new HashSet<FrameReadStatus>();
        for (var i = 0; i < Iterations; i++)
        {
            var input = (i % 3) switch
            {
                0 => Mutator.RandomBytes(random, random.Next(8) == 0 ? 600 : 48),
                1 => Mutator.Mutate(random, corpus[random.Next(corpus.Length)]),
                _ => Mutator.Mutate(random, [.. corpus[random.Next(corpus.Length)], .. corpus[random.Next(corpus.Length)]]),
            };

            try
            {
                seen.Add(Exercise(input, Limits[random.Next(Limits.Length)]));
            }
            catch (Exception ex)
            {
                Assert.Fail($"iteration {i} (seed {Seed}) input {Convert.ToHexString(input)}: {ex}");
            }
        }

        // The generator must reach every outcome, or the loop proves little.
        Assert.Superset(Enum.GetValues<FrameReadStatus>().Except([FrameReadStatus.Incomplete, FrameReadStatus.MalformedPayload]).ToHashSet(), seen);
    }

    /// <summary>Feeds one input to every reader; returns what <see cref="FrameCodec.TryReadMessage"/> said.</summary>
    private static FrameReadStatus Exercise(byte[] input, int maxPayload)
    {
        // As a stream: read frames back to back until the input runs out or goes bad.
        var rest = input.AsSpan();
        while (true)
        {
            var status = FrameCodec.TryRead(rest, maxPayload, out var header, out var payload, out var consumed);
            if (status != FrameReadStatus.Complete)
            {
                Assert.Equal(0, consumed);
                Assert.NotEqual(FrameReadStatus.Truncated, status);
                Assert.NotEqual(FrameReadStatus.TrailingBytes, status);
                break;
            }

            Assert.Equal(FrameCodec.HeaderSize + header.PayloadLength, consumed);
            Assert.InRange(consumed, FrameCodec.HeaderSize, rest.Length);
            Assert.InRange(header.PayloadLength, 0, maxPayload);
            Assert.Equal(header.PayloadLength, payload.Length);
            Assert.True(FrameCodec.IsKnown(header.Type));
            ReadPayload(header.Type, payload);
            rest = rest[consumed..];
        }

        // As one message.
        var messageStatus = FrameCodec.TryReadMessage(input, maxPayload, out var messageHeader, out var messagePayload);
        Assert.NotEqual(FrameReadStatus.Incomplete, messageStatus);
        if (messageStatus == FrameReadStatus.Complete)
        {
            Assert.Equal(input.Length, FrameCodec.HeaderSize + messageHeader.PayloadLength);
            Assert.Equal(messageHeader.PayloadLength, messagePayload.Length);
        }

        // The payload readers on raw bytes too.
        ReadPayload(FrameType.TerminalResize, input);
        ReadPayload(FrameType.End, input);
        return messageStatus;
    }

    private static void ReadPayload(FrameType type, ReadOnlySpan<byte> payload)
    {
        switch (type)
        {
            case FrameType.TerminalResize or FrameType.TerminalResizeRequest or FrameType.TerminalSnapshot:
                if (TerminalSize.TryRead(payload, out var size))
                {
                    Assert.True(size.IsValid);
                }

                break;
            case FrameType.End:
                if (SessionEnd.TryDecode(payload, out var reason, out var message))
                {
                    Assert.True(Enum.IsDefined(reason));
                    Assert.NotNull(message);
                }

                break;
        }
    }

    private static byte[][] ValidFrames()
    {
        var size = new byte[TerminalSize.EncodedSize];
        new TerminalSize(80, 24).WriteTo(size);
        return
        [
            FrameCodec.Encode(FrameType.TerminalOutput, FrameFlags.None, 1, "$ ls -l\r\n\u001b[01;34mbin\u001b[0m\r\n"u8),
            FrameCodec.Encode(FrameType.TerminalResize, FrameFlags.None, 2, size),
            FrameCodec.Encode(FrameType.TerminalSnapshot, FrameFlags.Keyframe, 3, [.. size, .. "\u001bc\u001b[H\u001b[2Jroot@plc:~# "u8]),
            FrameCodec.Encode(FrameType.End, FrameFlags.None, ulong.MaxValue, SessionEnd.Encode(EndReason.AuthenticationFailed, "Permission denied (publickey,password) — ünïcödé")),
            FrameCodec.Encode(FrameType.TerminalInput, FrameFlags.None, 0, "ls\r"u8),
            FrameCodec.Encode(FrameType.TerminalResizeRequest, FrameFlags.None, long.MaxValue, size),
            FrameCodec.Encode(FrameType.End, FrameFlags.None, 9, SessionEnd.Encode(EndReason.Error, new string('€', 300))),
        ];
    }
}
