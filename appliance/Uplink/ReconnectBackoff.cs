namespace EdgeGateway.Appliance.Uplink;

/// <summary>Exponential back-off with jitter, so a thousand appliances don't reconnect in the same second.</summary>
internal sealed class ReconnectBackoff
{
    private readonly TimeSpan _min;
    private readonly TimeSpan _max;
    private readonly Func<double> _random;
    private TimeSpan _next;

    public ReconnectBackoff(TimeSpan min, TimeSpan max, Func<double>? random = null)
    {
        _min = min;
        _max = max;
        _random = random ?? Random.Shared.NextDouble;
        _next = min;
    }

    /// <summary>The wait before the next attempt: the current step ±20 %, then the step doubles up to the maximum.</summary>
    public TimeSpan Next()
    {
        var current = _next;
        _next = TimeSpan.FromTicks(Math.Min(_max.Ticks, current.Ticks * 2));
        var jitter = 0.8 + (0.4 * _random());
        return TimeSpan.FromTicks((long)(current.Ticks * jitter));
    }

    /// <summary>After a successful connection the next failure starts from the minimum again.</summary>
    public void Reset() => _next = _min;
}
