using EdgeGateway.Cloud.Broker;
using EdgeGateway.Cloud.Policy;
using EdgeGateway.Cloud.Sessions;
using EdgeGateway.Protocol.Stream;
using EdgeGateway.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeGateway.EndToEnd.Tests.Ssh;

/// <summary>The terminal behaves as a native one: resize, Ctrl+C, full-screen programs, and an uplink drop.</summary>
[Trait("Area", "Ssh")]
[Collection(SshCollection.Name)]
public sealed class TerminalBehaviourTests(SshStackFixture fixture)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private EdgeGatewayStack Stack => fixture.Stack;

    [Fact]
    public async Task Controller_resize_reaches_the_device_and_every_viewer()
    {
        await using var session = await OpenAsync();
        await session.Controller.SendFrameAsync(FrameType.TerminalResizeRequest, Size(123, 41));
        await session.Controller.SendInputAsync("stty size\r");

        await session.Controller.WaitForOutputAsync("41 123", Wait);
        await session.Viewer.WaitUntilAsync(
            c => c.Frames.Any(f => f.Header.Type == FrameType.TerminalResize && TerminalSize.TryRead(f.Payload, out var s) && s == new TerminalSize(123, 41)),
            Wait,
            "the resize frame");
    }

    [Fact]
    public async Task Ctrl_c_interrupts_the_running_command()
    {
        await using var session = await OpenAsync();
        await session.Controller.SendInputAsync("sleep 600; echo not-interrupted\r");
        await session.Controller.WaitForOutputAsync("sleep 600", Wait);

        // Ctrl+C once sleep runs, as a person sees it running: the echo alone comes before bash forks, and a SIGINT
        // between fork and exec is caught by the child's copy of bash's handler and lost (sleep then runs its 600 s).
        await Conditions.WaitUntilAsync(() => fixture.Device.UserProcessIds().Any(IsSleep600), Wait, "sleep 600 running on the device");
        var before = session.Controller.Output.Length;
        await session.Controller.SendInputAsync("\u0003");

        // The interrupt flushes the terminal's pending input, as in any terminal: type again at the new prompt.
        await session.Controller.WaitUntilAsync(c => c.Output[before..].Contains(fixture.Device.UserName + "@", StringComparison.Ordinal), Wait, "the prompt after Ctrl+C");
        await session.Controller.SendInputAsync("echo after-ctrl-c-$((2*3))\r");

        // Without a working Ctrl+C the shell would sit in sleep for ten minutes.
        await session.Controller.WaitForOutputAsync("after-ctrl-c-6", Wait);
        Assert.DoesNotContain("not-interrupted", session.Controller.Output.Replace("echo not-interrupted", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
    }

    private static bool IsSleep600(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline") == "sleep\u0000600\u0000";
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false; // exited while we looked
        }
    }

    [Fact]
    public async Task Top_runs_full_screen_and_a_late_joiner_sees_it()
    {
        await using var session = await OpenAsync();
        await session.Controller.SendInputAsync("top -d 1\r");
        await session.Controller.WaitForOutputAsync("load average", Wait);

        await using var late = await Stack.OpenStreamAsync(session.ViewerCookies, session.Id);
        await late.WaitUntilAsync(c => c.Frames.Count > 0, Wait, "a first frame");
        Assert.True(late.Frames[0].Header.IsKeyframe);

        // The first frame may be the keyframe cached at the session's start, with what followed still on its way:
        // the joiner must show top's screen once the frames after it arrived.
        await late.WaitUntilAsync(c => TerminalScreen.Render(c.Frames).Contains("load average", StringComparison.Ordinal), Wait, "top's screen for the late joiner");

        // top reads all pending input when it quits: wait for the shell's prompt before typing again.
        var before = session.Controller.Output.Length;
        await session.Controller.SendInputAsync("q");
        await session.Controller.WaitUntilAsync(c => c.Output[before..].Contains(fixture.Device.UserName + "@", StringComparison.Ordinal), Wait, "the prompt after top");
        await session.Controller.SendInputAsync("echo top-quit-$((4*4))\r");
        await session.Controller.WaitForOutputAsync("top-quit-16", Wait);
    }

    [Fact]
    public async Task Session_survives_the_appliance_uplink_dropping()
    {
        await using var session = await OpenAsync();
        await session.Controller.SendInputAsync("echo before-drop-$((3*3))\r");
        await session.Controller.WaitForOutputAsync("before-drop-9", Wait);

        var registry = Stack.Cloud.Services.GetRequiredService<ApplianceRegistry>();
        var announced = registry.Announcements(EdgeGatewayStack.ApplianceId);
        await Stack.Cloud.Services.GetRequiredService<EmbeddedBroker>().DisconnectApplianceAsync(EdgeGatewayStack.ApplianceId);
        using (var deadline = new CancellationTokenSource(Wait))
        {
            while (registry.Announcements(EdgeGatewayStack.ApplianceId) == announced)
            {
                await Task.Delay(20, deadline.Token);
            }
        }

        // Same session, same device shell: the appliance kept it while the uplink was down.
        await session.Controller.SendInputAsync("echo after-drop-$((4*4))\r");
        await session.Controller.WaitForOutputAsync("after-drop-16", Wait);
        await session.Viewer.WaitForOutputAsync("after-drop-16", Wait);
        Assert.NotNull(Stack.Cloud.Services.GetRequiredService<SessionService>().Find(session.Id));
    }

    private static byte[] Size(int columns, int rows)
    {
        var bytes = new byte[TerminalSize.EncodedSize];
        new TerminalSize(columns, rows).WriteTo(bytes);
        return bytes;
    }

    private Task<WatchedSession> OpenAsync() => WatchedSession.OpenAsync(Stack, fixture.Device, Wait);
}
