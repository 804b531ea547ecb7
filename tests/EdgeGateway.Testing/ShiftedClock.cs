namespace EdgeGateway.Testing;

/// <summary>
/// The system clock moved forward by an offset the test sets (<see cref="Advance"/>): wall-clock deadlines that the
/// cloud compares with <see cref="GetUtcNow"/> (an invite's expiry) pass at once, while timers, delays and elapsed-time
/// measurements keep running at the real pace — so a whole stack can run on it, unlike a fake clock that stands still.
/// </summary>
public sealed class ShiftedClock : TimeProvider
{
    private long _offsetTicks;

    /// <summary>How far ahead of the system clock this one is.</summary>
    public TimeSpan Offset => TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));

    /// <summary>Moves the clock forward by <paramref name="by"/>.</summary>
    public void Advance(TimeSpan by)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(by, TimeSpan.Zero);
        Interlocked.Add(ref _offsetTicks, by.Ticks);
    }

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Offset;
}
