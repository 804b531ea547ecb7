using System.Buffers;
using System.Text;
using EdgeGateway.Appliance.Sessions;
using EdgeGateway.Appliance.Sessions.Terminal;
using EdgeGateway.Protocol.Stream;
using Microsoft.Extensions.Logging;

namespace EdgeGateway.Appliance.Tests.Sessions.Terminal;

internal static class TerminalAssert
{
    /// <summary>Cells (characters, width, style), cursor, pen and modes are equal; the message names the first difference.</summary>
    public static void SameScreen(ScreenState expected, ScreenState actual, string? context = null)
    {
        if (expected.ContentEquals(actual))
        {
            return;
        }

        var prefix = context is null ? string.Empty : context + ": ";
        Assert.Equal(expected.Size, actual.Size);
        for (var row = 0; row < expected.Size.Rows; row++)
        {
            for (var column = 0; column < expected.Size.Columns; column++)
            {
                if (expected[row, column] != actual[row, column])
                {
                    Assert.Fail($"{prefix}cell {row},{column}: expected {expected[row, column]}, got {actual[row, column]}\nexpected:\n{Dump(expected)}\nactual:\n{Dump(actual)}");
                }
            }
        }

        Assert.True(expected.Modes == actual.Modes, $"{prefix}modes: expected {expected.Modes}, got {actual.Modes}");
        Assert.True(expected.Pen == actual.Pen, $"{prefix}pen: expected {expected.Pen}, got {actual.Pen}");
        Assert.True(
            (expected.CursorRow, expected.CursorColumn) == (actual.CursorRow, actual.CursorColumn),
            $"{prefix}cursor: expected {expected.CursorRow},{expected.CursorColumn}, got {actual.CursorRow},{actual.CursorColumn}");
    }

    public static string Dump(ScreenState state)
    {
        var text = new StringBuilder();
        for (var row = 0; row < state.Size.Rows; row++)
        {
            foreach (var cell in state.GetRow(row))
            {
                text.Append(cell.IsContinuation ? string.Empty : cell.IsBlank ? " " : cell.Text);
            }

            text.Append('|').Append('\n');
        }

        return text.ToString();
    }

    /// <summary>Renders a snapshot of <paramref name="source"/> into a fresh terminal and returns that terminal.</summary>
    public static VirtualTerminal ReplaySnapshot(VirtualTerminal source, out int snapshotBytes)
    {
        var buffer = new ArrayBufferWriter<byte>();
        source.RenderSnapshot(buffer);
        snapshotBytes = buffer.WrittenCount;
        var replica = new VirtualTerminal(source.Size);
        replica.Write(buffer.WrittenSpan);
        return replica;
    }
}

/// <summary>One frame as the sink received it.</summary>
internal sealed record SentFrame(FrameType Type, FrameFlags Flags, byte[] Payload);

/// <summary>
/// A viewer: records every frame and applies it to its own terminal, as a browser terminal would (a snapshot resets
/// it). With <see cref="Joined"/> false it ignores everything until the next keyframe: a late joiner.
/// </summary>
internal sealed class ViewerSink : IFrameSink, IDisposable
{
    public ViewerSink(TerminalSize size, bool joined = true)
    {
        Terminal = new VirtualTerminal(size);
        Joined = joined;
    }

    public VirtualTerminal Terminal { get; private set; }

    public bool Joined { get; private set; }

    public List<SentFrame> Frames { get; } = [];

    public List<IFrameSink> Others { get; } = [];

    public long PayloadBytes => Frames.Sum(f => (long)f.Payload.Length);

    public long BytesOf(FrameType type) => Frames.Where(f => f.Type == type).Sum(f => (long)f.Payload.Length);

    public async ValueTask SendAsync(FrameType type, FrameFlags flags, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        Frames.Add(new SentFrame(type, flags, payload.ToArray()));
        Apply(type, flags, payload.Span);
        foreach (var other in Others)
        {
            await other.SendAsync(type, flags, payload, cancellationToken);
        }
    }

    public void Apply(FrameType type, FrameFlags flags, ReadOnlySpan<byte> payload)
    {
        if (type == FrameType.TerminalSnapshot)
        {
            Assert.True((flags & FrameFlags.Keyframe) != 0, "A snapshot is always a keyframe.");
            Assert.True(TerminalSize.TryRead(payload, out var size));
            Terminal.Dispose();
            Terminal = new VirtualTerminal(size);
            Terminal.Write(payload[TerminalSize.EncodedSize..]);
            Joined = true;
            return;
        }

        if (!Joined)
        {
            return;
        }

        switch (type)
        {
            case FrameType.TerminalOutput:
                Terminal.Write(payload);
                break;
            case FrameType.TerminalResize:
                Assert.True(TerminalSize.TryRead(payload, out var size));
                Terminal.Resize(size);
                break;
            default:
                Assert.Fail($"Unexpected frame {type}");
                break;
        }
    }

    public void Dispose() => Terminal.Dispose();
}

/// <summary>Keeps what was logged, so a test can fail on a warning or error it did not expect.</summary>
internal sealed class RecordingLogger<T> : ILogger<T>
{
    public List<(LogLevel Level, EventId Id, string Message)> Entries { get; } = [];

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (Entries)
        {
            Entries.Add((logLevel, eventId, formatter(state, exception)));
        }
    }

    public void AssertNoWarnings() =>
        Assert.DoesNotContain(Entries, e => e.Level >= LogLevel.Warning);
}
