using EdgeGateway.Appliance.Configuration;
using EdgeGateway.Testing;

namespace EdgeGateway.Appliance.Tests.Sessions.Vnc;

/// <summary>
/// Liveness of a VNC device, against real servers: an idle screen sends nothing, so the appliance probes it (a
/// non-incremental FramebufferUpdateRequest for one pixel, answered at once); a device that answers lives on however
/// long it is idle, and one that freezes (SIGSTOP) is "not responding" within seconds, has its input refused, and its
/// session ends with the reason.
/// </summary>
[Trait("Area", "Vnc")]
public sealed class VncLivenessTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("eg-vnc-liveness-").FullName;

    private string PinsPath => Path.Combine(_directory, "vnc-certificates.json");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData("Xvnc")]
    [InlineData("x11vnc")]
    public async Task An_idle_device_answers_the_probes_and_its_session_lives_on(string kind)
    {
        await using var server = kind == "Xvnc" ? await VncServer.StartTigerVncAsync(VncSecurity.VncAuth) : await VncServer.StartX11VncAsync(withPassword: true);

        // A probe after 1 s of silence; silent for 2 s with a probe out would end the session.
        var (harness, started) = await VncSessionHarness.StartAsync(server.Port, server.Password, PinsPath,
            liveness: new LivenessOptions { Interval = TimeSpan.FromSeconds(1), CountMax = 2, DoubtAfter = TimeSpan.FromMilliseconds(500) });
        await using var _ = harness;
        Assert.True(started);
        await harness.WaitForScreenAsync(server, "the first screen");

        // The screen stays still, so everything the device sends now answers a probe: five, well past the 2 s the
        // session would last if they went unanswered.
        await harness.WaitForProbeAnswersAsync(() => harness.Session.RfbBytesRead, 5);

        // The probes' answers leave the update cycle as it was: a change still arrives whole.
        await server.RunAsync("xsetroot", "-solid", "#4060a0");
        await harness.WaitForScreenAsync(server, "the new root colour after the probes");
    }

    [Fact]
    public async Task A_frozen_device_is_not_responding_refuses_input_and_then_ends()
    {
        await using var server = await VncServer.StartTigerVncAsync(VncSecurity.VncAuth);

        // In doubt 0.5 s after an unanswered probe (about 2.5 s into the freeze), ended after 2 s × 3 of silence: room
        // between the two for the keystroke on a busy box.
        var (harness, started) = await VncSessionHarness.StartAsync(server.Port, server.Password, PinsPath,
            liveness: new LivenessOptions { Interval = TimeSpan.FromSeconds(2), CountMax = 3, DoubtAfter = TimeSpan.FromMilliseconds(500) });
        await using var _ = harness;
        Assert.True(started);
        await harness.WaitForScreenAsync(server, "the first screen");
        var xvnc = server.Servers.Where(s => s.Program == "Xvnc").Select(s => s.ProcessId).ToList();
        await harness.FreezeAndExpectTheEndAsync(xvnc, "The device stopped responding: nothing came back for 6 s.");
    }
}
