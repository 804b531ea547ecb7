using System.Text;
using EdgeGateway.Cloud.Configuration;
using EdgeGateway.Cloud.Policy;
using EdgeGateway.Protocol.Stream;
using Microsoft.Extensions.Time.Testing;
using static EdgeGateway.Cloud.Tests.FanOut.BrowserConnection;
using Options = Microsoft.Extensions.Options.Options;

namespace EdgeGateway.Cloud.Tests.FanOut;

/// <summary>
/// The endpoint's clipboard policy (off by default | device-to-browser | both), enforced in the cloud: the device's
/// clipboard text reaches no viewer — not even a late joiner through the keyframe cache — unless the policy allows it,
/// and clipboard text goes to the device only under "both".
/// </summary>
[Trait("Area", "Vnc")]
public sealed class ClipboardPolicyTests : IDisposable
{
    private const string Ended = """{"type":"ended","reason":"DeviceClosed"}""";
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task With_the_policy_off_the_devices_clipboard_reaches_no_viewer()
    {
        using var h = new FanOutHarness();
        var early = h.Join("early");
        var init = h.Frame(FrameType.DisplayInit, FrameFlags.Keyframe, [0, 2, 0, 2, 1, 0, 0, 0]);
        var clipboard = h.Frame(FrameType.DisplayClipboard, FrameFlags.None, Encoding.UTF8.GetBytes("the recipe"));
        var update = h.Frame(FrameType.DisplayUpdate, FrameFlags.None, [0, 0, 0, 0]);
        h.Send(init, clipboard, update);
        var late = h.Join("late");
        h.Stream.Complete(Ended);

        await using var earlyBrowser = await OpenAsync(early);
        await using var lateBrowser = await OpenAsync(late);
        Assert.Equal([Binary(init), Binary(update), Text(Ended)], await earlyBrowser.ReceiveUntilClosedAsync());
        Assert.Equal([Binary(init), Binary(update), Text(Ended)], await lateBrowser.ReceiveUntilClosedAsync());
        Assert.Equal(1, h.ClipboardDroppedMetric);
    }

    [Fact]
    public async Task Where_the_policy_allows_device_to_browser_every_viewer_gets_it()
    {
        using var h = new FanOutHarness(clipboardToViewers: true);
        var viewer = h.Join();
        var init = h.Frame(FrameType.DisplayInit, FrameFlags.Keyframe, [0, 2, 0, 2, 1, 0, 0, 0]);
        var clipboard = h.Frame(FrameType.DisplayClipboard, FrameFlags.None, Encoding.UTF8.GetBytes("the recipe"));
        h.Send(init, clipboard);
        h.Stream.Complete(Ended);

        await using var browser = await OpenAsync(viewer);
        Assert.Equal([Binary(init), Binary(clipboard), Text(Ended)], await browser.ReceiveUntilClosedAsync());
        Assert.Equal(0, h.ClipboardDroppedMetric);
    }

    [Theory]
    [InlineData(EndpointClipboard.Off, false, false)]
    [InlineData(EndpointClipboard.DeviceToBrowser, true, false)]
    [InlineData(EndpointClipboard.Both, true, true)]
    public void The_policy_decides_each_direction(string clipboard, bool toBrowser, bool toDevice)
    {
        var policy = EndpointPolicy.Default with { Clipboard = clipboard };
        var technician = new Actor("t", "Tess", Roles.Technician, PolicyStore.DefaultDomain, "127.0.0.1");

        Assert.Equal(toBrowser, policy.ClipboardToBrowser);
        Assert.Equal(toDevice, policy.ClipboardToDevice);
        Assert.Equal(toDevice, Authorizer.Decide(technician, Act.SendClipboard, new Target(PolicyStore.DefaultDomain, "a", "e", policy)).Allowed);
    }

    [Fact]
    public void Clipboard_is_off_by_default_stored_per_endpoint_and_only_the_three_values_are_valid()
    {
        var policies = new PolicyStore(new CloudDatabase(Options.Create(new CloudOptions { DataDirectory = _temp.Path })), new FakeTimeProvider());

        Assert.Equal(EndpointClipboard.Off, EndpointPolicy.Default.Clipboard);
        Assert.Equal(EndpointClipboard.Off, policies.EndpointPolicy("a", "e").Clipboard);
        policies.SetEndpointPolicy("a", "e", EndpointPolicy.Default with { Clipboard = EndpointClipboard.DeviceToBrowser });
        policies.SetEndpointPolicy("a", "other", EndpointPolicy.Default with { SharedControl = true });
        Assert.Equal(EndpointClipboard.DeviceToBrowser, policies.EndpointPolicy("a", "e").Clipboard);
        Assert.Equal(EndpointClipboard.Off, policies.EndpointPolicy("a", "other").Clipboard);

        Assert.Null((EndpointPolicy.Default with { Clipboard = EndpointClipboard.Both }).Validate());
        Assert.Equal("The clipboard setting must be off, device-to-browser or both.", (EndpointPolicy.Default with { Clipboard = "Both" }).Validate());
    }
}
