namespace EdgeGateway.Cloud.Tests.FanOut;

/// <summary>Control belongs to one connection: the Controller's second tab watches read-only.</summary>
[Trait("Area", "Ssh")]
public sealed class ControlClaimTests
{
    [Fact]
    public void The_first_connection_holds_control_and_a_second_watches_until_the_first_leaves()
    {
        using var harness = new FanOutHarness();
        object firstTab = new(), secondTab = new();

        Assert.True(harness.Stream.TryClaimControl(firstTab));
        Assert.False(harness.Stream.TryClaimControl(secondTab));
        Assert.True(harness.Stream.TryClaimControl(firstTab));

        harness.Stream.ReleaseControl(secondTab); // not the holder: nothing changes
        Assert.False(harness.Stream.TryClaimControl(secondTab));

        harness.Stream.ReleaseControl(firstTab);
        Assert.True(harness.Stream.TryClaimControl(secondTab));
    }
}
