using EdgeGateway.Appliance.Configuration;
using EdgeGateway.Testing;

namespace EdgeGateway.Appliance.Tests.Sessions.Rdp;

/// <summary>
/// Liveness of an RDP device, against FreeRDP's shadow server: an idle desktop sends nothing and a frozen server's
/// kernel still answers TCP keep-alives, so the appliance asks the server to repaint one pixel (Refresh Rect PDU). A
/// server that answers lives on however long it is idle; one that freezes (SIGSTOP) is "not responding", has its input
/// refused, and its session ends with the reason.
/// </summary>
[Trait("Area", "Rdp")]
public sealed class RdpLivenessTests : IAsyncLifetime
{
    private RdpServer _server = null!;

    public async Task InitializeAsync() => _server = await RdpServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task An_idle_desktop_answers_the_probes_and_its_session_lives_on()
    {
        // A probe after 1 s of silence; silent for 2 s with a probe out would end the session.
        var (harness, started) = await RdpSessionHarness.StartAsync(_server.Port, _server.User, _server.Password,
            liveness: new LivenessOptions { Interval = TimeSpan.FromSeconds(1), CountMax = 2, DoubtAfter = TimeSpan.FromMilliseconds(500) });
        await using var _ = harness;
        Assert.True(started, harness.Session.Completion.IsCompleted ? (await harness.Session.Completion).Message : "");
        await harness.WaitForScreenAsync(_server, "the first desktop");

        // The desktop stays still, so what the helper passes on now answers a probe: five, well past the 2 s.
        await harness.WaitForProbeAnswersAsync(() => harness.Session.HelperBytesRead, 5);

        await _server.RunAsync("xsetroot", "-solid", "#6040a0");
        await harness.WaitForScreenAsync(_server, "the new root colour after the probes");
    }

    [Fact]
    public async Task A_frozen_server_is_not_responding_refuses_input_and_then_ends()
    {
        // In doubt 0.5 s after an unanswered probe (about 2.5 s into the freeze), ended after 2 s × 3 of silence.
        var (harness, started) = await RdpSessionHarness.StartAsync(_server.Port, _server.User, _server.Password,
            liveness: new LivenessOptions { Interval = TimeSpan.FromSeconds(2), CountMax = 3, DoubtAfter = TimeSpan.FromMilliseconds(500) });
        await using var _ = harness;
        Assert.True(started, harness.Session.Completion.IsCompleted ? (await harness.Session.Completion).Message : "");
        await harness.WaitForScreenAsync(_server, "the first desktop");
        var shadow = _server.Servers.Where(s => s.Program == "freerdp-shadow-cli").Select(s => s.ProcessId).ToList();
        await harness.FreezeAndExpectTheEndAsync(shadow, "The device stopped responding: nothing came back for 6 s.");
    }
}
