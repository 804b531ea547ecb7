using EdgeGateway.Appliance.Uplink;

namespace EdgeGateway.Appliance.Tests.Uplink;

[Trait("Area", "Ssh")]
public sealed class ReconnectBackoffTests
{
    private static readonly TimeSpan Min = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Max = TimeSpan.FromSeconds(30);

    [Fact]
    public void Next_doubles_from_the_minimum_up_to_the_maximum_and_stays_there()
    {
        var backoff = new ReconnectBackoff(Min, Max, random: () => 0.5); // no jitter

        var waits = Enumerable.Range(0, 8).Select(_ => backoff.Next().TotalSeconds);

        Assert.Equal([1, 2, 4, 8, 16, 30, 30, 30], waits);
    }

    [Fact]
    public void Next_jitters_at_most_20_percent_either_way()
    {
        var low = new ReconnectBackoff(Min, Max, random: () => 0.0);
        var high = new ReconnectBackoff(Min, Max, random: () => Math.BitDecrement(1.0)); // NextDouble's largest value

        Assert.Equal([0.8, 1.6, 3.2, 6.4, 12.8, 24, 24], Enumerable.Range(0, 7).Select(_ => Math.Round(low.Next().TotalSeconds, 6)));
        Assert.Equal([1.2, 2.4, 4.8, 9.6, 19.2, 36, 36], Enumerable.Range(0, 7).Select(_ => Math.Round(high.Next().TotalSeconds, 6)));
    }

    [Fact]
    public void Next_with_real_randomness_stays_within_20_percent_of_each_step_and_spreads()
    {
        var waits = new List<double>();
        for (var run = 0; run < 200; run++)
        {
            var backoff = new ReconnectBackoff(Min, Max);
            var step = Min;
            for (var i = 0; i < 7; i++)
            {
                var wait = backoff.Next();
                Assert.InRange(wait, step * 0.8, step * 1.2);
                waits.Add(wait / step);
                step = TimeSpan.FromTicks(Math.Min(Max.Ticks, step.Ticks * 2));
            }
        }

        // A thousand appliances must not come back in the same second: the factors are spread, not constant.
        Assert.True(waits.Min() < 0.85, $"smallest factor {waits.Min()}");
        Assert.True(waits.Max() > 1.15, $"largest factor {waits.Max()}");
    }

    [Fact]
    public void Reset_starts_again_from_the_minimum()
    {
        var backoff = new ReconnectBackoff(Min, Max, random: () => 0.5);
        for (var i = 0; i < 10; i++)
        {
            backoff.Next();
        }

        backoff.Reset();

        Assert.Equal([1, 2, 4], Enumerable.Range(0, 3).Select(_ => backoff.Next().TotalSeconds));
    }

    [Fact]
    public void Next_with_equal_minimum_and_maximum_is_constant()
    {
        var backoff = new ReconnectBackoff(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5), random: () => 0.5);

        Assert.Equal([5, 5, 5], Enumerable.Range(0, 3).Select(_ => backoff.Next().TotalSeconds));
    }

    [Fact]
    public void Next_with_a_maximum_that_is_not_a_power_of_two_step_is_capped_exactly()
    {
        var backoff = new ReconnectBackoff(TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(1), random: () => 0.5);

        Assert.Equal([300, 600, 1000, 1000], Enumerable.Range(0, 4).Select(_ => backoff.Next().TotalMilliseconds));
    }
}
