using System.Text;
using EdgeGateway.Protocol.Control;

namespace EdgeGateway.Protocol.Tests.Control;

/// <summary>Hostile input must give false with a reason, never an exception: seeded so a failure reproduces.</summary>
[Trait("Area", "Ssh")]
public sealed class ControlCodecFuzzTests
{
    private const int Seed = 20261116;
    private const int Iterations = 200_000;

    private static readonly string[] Fragments =
    [
        "null", "true", "0", "-1", "1e400", "2147483648", "\"\"", "\"\\ud800\"", "[]", "{}", "[null]", "{\"type\":\"start\"}",
        "\"type\"", "\"v\"", "\"$type\"", "\"password\"", "\"endpoints\"", "\"0123456789ABCDEF0123456789ABCDEF\"", "\"../x\"", "\"+\"", "\"#\"",
    ];

    [Fact]
    public void TryDecode_never_throws_on_random_or_mutated_input()
    {
        var random = new Random(Seed);
        var corpus = new[] { "hello", "start", "started", "ended", "stop", "keyframe", "input-ack" }
            .Select(type => ControlCodec.Encode(ControlCodecTests.Sample(type)))
            .ToArray();
        var accepted = 0;

        for (var i = 0; i < Iterations; i++)
        {
            var input = (i % 4) switch
            {
                0 => Mutator.RandomBytes(random, 64),
                1 => SpliceFragment(random, corpus[random.Next(corpus.Length)]),
                _ => Mutator.Mutate(random, corpus[random.Next(corpus.Length)]),
            };

            bool ok;
            ControlMessage? message;
            string? error;
            try
            {
                ok = ControlCodec.TryDecode(input, out message, out error);
            }
            catch (Exception ex)
            {
                Assert.Fail($"iteration {i} (seed {Seed}) input {Convert.ToHexString(input)}: {ex}");
                return;
            }

            if (ok)
            {
                accepted++;
                Assert.NotNull(message);
                Assert.Null(error);
                Assert.Null(message.Validate());
                Assert.Equal(ControlMessage.CurrentVersion, message.V);
            }
            else
            {
                Assert.Null(message);
                Assert.False(string.IsNullOrWhiteSpace(error), $"no reason for {Convert.ToHexString(input)}");
            }
        }

        // Some mutations (a flipped letter in a message text) stay valid: proof the loop reaches the validators.
        Assert.InRange(accepted, 1, Iterations / 2);
    }

    /// <summary>Replaces one JSON value or name with a hostile fragment, so the mutation stays near-valid JSON.</summary>
    private static byte[] SpliceFragment(Random random, byte[] json)
    {
        var text = Encoding.UTF8.GetString(json);
        var boundaries = new List<int>();
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] is ':' or ',' or '[' or '{')
            {
                boundaries.Add(i + 1);
            }
        }

        var start = boundaries[random.Next(boundaries.Count)];
        var end = start;
        while (end < text.Length && text[end] is not (',' or '}' or ']' or ':'))
        {
            end++;
        }

        return Encoding.UTF8.GetBytes(string.Concat(text.AsSpan(0, start), Fragments[random.Next(Fragments.Length)], text.AsSpan(end)));
    }
}
