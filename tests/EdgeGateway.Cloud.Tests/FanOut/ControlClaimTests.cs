using EdgeGateway.Cloud.FanOut;

namespace EdgeGateway.Cloud.Tests.FanOut;

/// <summary>Control belongs to one connection: the Controller's second tab watches read-only; control follows a handover.</summary>
[Trait("Area", "Ssh")]
public sealed class ControlClaimTests
{
    [Fact]
    public void The_first_connection_holds_control_and_a_second_watches_until_the_first_leaves()
    {
        using var harness = new FanOutHarness();
        harness.Stream.SetControl(new StreamControl("alice", new HashSet<string>(), false));
        var firstTab = new StreamViewer("alice", "Alice", false, 64, 1 << 20);
        var secondTab = new StreamViewer("alice", "Alice", false, 64, 1 << 20);
        var bob = new StreamViewer("bob", "Bob", false, 64, 1 << 20);

        harness.Stream.Join(firstTab);
        harness.Stream.Join(secondTab);
        harness.Stream.Join(bob);
        Assert.Equal((true, true), (firstTab.IsController, firstTab.CanInput));
        Assert.Equal((false, false), (secondTab.IsController, secondTab.CanInput));
        Assert.Equal((false, false), (bob.IsController, bob.CanInput));

        harness.Stream.Leave(firstTab);
        Assert.Equal((true, true), (secondTab.IsController, secondTab.CanInput));

        var changed = harness.Stream.SetControl(new StreamControl("bob", new HashSet<string> { "alice" }, false));
        Assert.Equal((true, true), (bob.IsController, bob.CanInput));
        Assert.Equal((false, true), (secondTab.IsController, secondTab.CanInput)); // a co-controller types, without the terminal size
        Assert.Equal(2, changed.Count);

        harness.Stream.SetControl(new StreamControl("bob", new HashSet<string> { "alice" }, InputPaused: true));
        Assert.False(bob.CanInput || secondTab.CanInput);
    }
}
