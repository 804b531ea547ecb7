using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using EdgeGateway.Cloud.Broker;
using EdgeGateway.Cloud.Sessions;
using EdgeGateway.Protocol.Stream;
using EdgeGateway.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace EdgeGateway.EndToEnd.Tests.Ssh;

/// <summary>
/// No session outlives its governance (issue 8, §6): the cloud and the appliance run as real processes and one of them
/// is killed with SIGKILL, as a crash or a power cut would; what the viewers, the API and the device show is asserted.
/// Grace periods are set short (3 s) so that each test waits for conditions, with deadlines, for a few seconds.
/// </summary>
[Trait("Area", "SshField")]
public sealed partial class SessionGovernanceTests(ITestOutputHelper output)
{
    private const string Grace = "00:00:03";
    private static readonly TimeSpan GraceSpan = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Killed_appliance_every_viewer_is_told_at_once_and_the_session_ends_after_the_grace()
    {
        await using var device = await SshServer.StartAsync();
        // 5 s rather than 3: a real browser checks the offline state within it, on a CI box that may be busy.
        var grace = TimeSpan.FromSeconds(5);
        await using var stack = await ProcessStack.StartAsync(device, cloudSettings: new Dictionary<string, string> { ["Cloud:Sessions:ApplianceGrace"] = grace.ToString() });
        await using var session = await OpenAsync(stack.Client, stack.AdminPassword, stack.ViewerPassword, device, ProcessStack.ApplianceId, ProcessStack.EndpointId);

        // A third viewer in a real browser: the session page's own offline state.
        await using var chromium = await Chromium.LaunchAsync();
        var page = await chromium.NewPageAsync();
        page.SetDefaultTimeout((float)Wait.TotalMilliseconds);
        await page.GotoAsync(stack.Client.BaseAddress.ToString());
        await page.GetByTestId("login-username").FillAsync(ProcessStack.ViewerName);
        await page.GetByTestId("login-password").FillAsync(stack.ViewerPassword);
        await page.GetByTestId("login-submit").ClickAsync();
        await Assertions.Expect(page.GetByTestId("sessions-empty").Or(page.GetByTestId($"session-row-{session.Id}"))).ToBeVisibleAsync();
        await page.GotoAsync(new Uri(stack.Client.BaseAddress, $"#/sessions/{session.Id}").ToString());
        await Assertions.Expect(page.GetByTestId("terminal")).ToContainTextAsync(device.UserName + "@");
        await Assertions.Expect(page.GetByTestId("appliance-offline")).ToBeHiddenAsync();

        var killed = Stopwatch.GetTimestamp();
        await stack.KillApplianceAsync();

        // Told at once, every one of them: the appliance's TCP connection closed with its process. (Here ~0.2 s; the
        // goal of ≤ 2 s is the benchmark's to measure. The deadline is what a loaded CI box needs, and still far below
        // the ~22 s after which the broker's keep-alive would have noticed a silent appliance.)
        var deadline = TimeSpan.FromSeconds(10);
        foreach (var client in session.Clients)
        {
            await client.WaitUntilAsync(c => ApplianceState(c) == "offline", deadline - Stopwatch.GetElapsedTime(killed), "\"appliance offline\"");
        }

        output.WriteLine($"every viewer told \"appliance offline\" {Stopwatch.GetElapsedTime(killed).TotalMilliseconds:0} ms after kill -9 of the appliance");
        var offline = Event(session.Viewer, "appliance")!.Value;
        Assert.StartsWith("Appliance offline — reconnecting", offline.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("appliance-offline", (await ListAsync(session.Http)).Single(s => s.Id == session.Id).Status);
        await Assertions.Expect(page.GetByTestId("appliance-offline")).ToContainTextAsync("Appliance offline — reconnecting");
        await page.ScreenshotAsync(new() { Path = TestOutput.GetPath("governance-appliance-offline.png"), FullPage = true });

        // Not back within the grace period: the session ends for everyone, with the reason, and is listed nowhere.
        foreach (var client in session.Clients)
        {
            await client.WaitUntilAsync(c => Event(c, "ended") is not null, grace + Wait, "the end of the session");
            var ended = Event(client, "ended")!.Value;
            Assert.Equal(nameof(EndReason.ConnectionLost), ended.GetProperty("reason").GetString());
            Assert.Equal("The appliance went offline and did not come back within 5 seconds.", ended.GetProperty("message").GetString());
        }

        Assert.True(Stopwatch.GetElapsedTime(killed) >= grace - TimeSpan.FromMilliseconds(200), "the session ended before its grace period was over");
        await Assertions.Expect(page.GetByTestId("session-ended")).ToContainTextAsync("did not come back within 5 seconds");
        await Assertions.Expect(page.GetByTestId("appliance-offline")).ToBeHiddenAsync();
        await page.ScreenshotAsync(new() { Path = TestOutput.GetPath("governance-appliance-gone.png"), FullPage = true });
        Assert.DoesNotContain(await ListAsync(session.Http), s => s.Id == session.Id);
        Assert.Equal(HttpStatusCode.NotFound, (await session.Http.GetAsync(new Uri($"/api/sessions/{session.Id}", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task Killed_cloud_the_appliance_closes_the_device_shell_after_its_grace_and_nothing_runs_after_the_restart()
    {
        await using var device = await SshServer.StartAsync();
        await using var stack = await ProcessStack.StartAsync(device, applianceSettings: new Dictionary<string, string> { ["Appliance:Cloud:SessionGrace"] = Grace });
        await using var session = await OpenAsync(stack.Client, stack.AdminPassword, stack.ViewerPassword, device, ProcessStack.ApplianceId, ProcessStack.EndpointId);
        var shell = await ShellPidAsync(session.Controller);

        var killed = Stopwatch.GetTimestamp();
        await stack.KillCloudAsync();

        // On the device: the user's shell goes, and sshd logs the client's disconnect.
        await stack.WaitAsync(() => Task.FromResult(!IsRunning(shell)), GraceSpan + Wait, $"the device shell {shell} to end");
        var closed = Stopwatch.GetElapsedTime(killed);
        output.WriteLine($"device shell closed {closed.TotalMilliseconds:0} ms after kill -9 of the cloud (grace {GraceSpan.TotalSeconds} s)");
        Assert.True(closed >= GraceSpan - TimeSpan.FromMilliseconds(200), $"the shell was closed after {closed.TotalMilliseconds:0} ms, before the grace period");
        await stack.WaitAsync(() => Task.FromResult(device.Log.Contains($"Disconnected from user {device.UserName}", StringComparison.Ordinal)), Wait, "sshd's 'Disconnected from user'");
        Assert.Empty(await ShellsOfAsync(device.UserName));
        Assert.Contains("the cloud has been unreachable for 3 s", stack.ApplianceLog, StringComparison.Ordinal);

        // The cloud comes back: the appliance reconnects, and no session is running anywhere.
        await stack.StartCloudAsync();
        await stack.WaitForApplianceAsync(online: true, Wait);
        var (http, _) = await stack.Client.LoginAsync(ProcessStack.AdminName, stack.AdminPassword);
        using (http)
        {
            Assert.Empty(await ListAsync(http));
        }

        Assert.Empty(await ShellsOfAsync(device.UserName));
        Assert.DoesNotContain("Session " + session.Id + " failed", stack.ApplianceLog, StringComparison.Ordinal);
    }

    /// <summary>
    /// Decided: a cloud restart ends the sessions it ran, on both sides, rather than resuming them. The restart took
    /// every viewer's connection and the Controller's claim with it, and nothing in the database can prove who may
    /// type into the device when the new process starts; so the cloud records them as ended ("the cloud restarted")
    /// at start-up and, when the appliance's Hello lists one, tells the appliance to end it with that reason. An uplink
    /// cut (the cloud keeps running) is what resumes — see the last test.
    /// </summary>
    [Fact]
    public async Task Cloud_restarted_within_the_grace_the_session_is_ended_on_both_sides_with_the_reason()
    {
        await using var device = await SshServer.StartAsync();
        await using var stack = await ProcessStack.StartAsync(device, applianceSettings: new Dictionary<string, string> { ["Appliance:Cloud:SessionGrace"] = "00:01:00" });
        await using var session = await OpenAsync(stack.Client, stack.AdminPassword, stack.ViewerPassword, device, ProcessStack.ApplianceId, ProcessStack.EndpointId);
        var shell = await ShellPidAsync(session.Controller);

        await stack.KillCloudAsync();
        Assert.True(IsRunning(shell), "the shell ended at once; it should wait for the appliance's grace period");
        var restarted = Stopwatch.GetTimestamp();
        await stack.StartCloudAsync();
        await stack.WaitForApplianceAsync(online: true, Wait);

        // Reconciled at the appliance's Hello, long before its own 60 s grace period would have.
        await stack.WaitAsync(() => Task.FromResult(!IsRunning(shell)), Wait, $"the device shell {shell} to end");
        output.WriteLine($"device shell closed {Stopwatch.GetElapsedTime(restarted).TotalMilliseconds:0} ms after the cloud was started again");
        Assert.True(Stopwatch.GetElapsedTime(restarted) < TimeSpan.FromSeconds(50), "the shell ended by the appliance's grace period, not by reconciliation");
        await stack.WaitAsync(() => Task.FromResult(stack.ApplianceLog.Contains($"Session {session.Id} ended: ConnectionLost The cloud restarted while the session was running", StringComparison.Ordinal)), Wait, "the appliance to log the reason");
        Assert.Contains($"runs session {session.Id}, which this cloud does not run", stack.CloudLog, StringComparison.Ordinal);
        Assert.Empty(await ShellsOfAsync(device.UserName));

        var (http, _) = await stack.Client.LoginAsync(ProcessStack.AdminName, stack.AdminPassword);
        using (http)
        {
            Assert.Empty(await ListAsync(http));
        }
    }

    [Fact]
    public async Task Short_uplink_cut_keeps_the_session_and_viewers_resume_from_a_keyframe()
    {
        await using var device = await SshServer.StartAsync();
        await using var stack = await EdgeGatewayStack.StartAsync(
            device,
            applianceOverrides: new Dictionary<string, string?> { ["Appliance:Cloud:SessionGrace"] = Grace },
            cloudOverrides: new Dictionary<string, string?> { ["Cloud:Sessions:ApplianceGrace"] = Grace });
        var (_, viewerCookies) = await stack.LoginNewViewerAsync();
        await using var session = await OpenAsync(stack.Client, stack.AdminPassword, null, device, EdgeGatewayStack.ApplianceId, EdgeGatewayStack.EndpointId, viewerCookies);
        var shell = await ShellPidAsync(session.Controller);
        var keyframes = session.Clients.Select(c => c.Frames.Count(f => f.Header.IsKeyframe)).ToArray();

        var cut = Stopwatch.GetTimestamp();
        await stack.Cloud.Services.GetRequiredService<EmbeddedBroker>().DisconnectApplianceAsync(EdgeGatewayStack.ApplianceId);

        // Everyone sees the cut and the return, then a fresh keyframe repaints the screen.
        for (var i = 0; i < session.Clients.Length; i++)
        {
            var client = session.Clients[i];
            var before = keyframes[i];
            await client.WaitUntilAsync(c => ApplianceStates(c).SequenceEqual(["offline", "online"]), Wait, "\"appliance offline\", then \"online\"");
            await client.WaitUntilAsync(c => c.Frames.Count(f => f.Header.IsKeyframe) > before, Wait, "a keyframe after the reconnect");
        }

        // Both grace periods pass without an end: the session was kept, not merely not ended yet.
        var remaining = GraceSpan + TimeSpan.FromSeconds(1) - Stopwatch.GetElapsedTime(cut);
        Assert.False(await EndsWithinAsync(session.Viewer, remaining), "the session ended although the appliance came back within the grace period");
        Assert.Equal("in-session", (await ListAsync(session.Http)).Single(s => s.Id == session.Id).Status);

        // The same shell on the device: typed input still runs there and every viewer sees it.
        Assert.True(IsRunning(shell));
        await session.Controller.SendInputAsync("echo after-cut-$((6*7))\r");
        try
        {
            await session.Controller.WaitForOutputAsync("after-cut-42", Wait);
        }
        catch (Xunit.Sdk.XunitException)
        {
            output.WriteLine(stack.Logs.AllText()); // what cloud and appliance said about the reconnect and the input
            throw;
        }

        await session.Viewer.WaitForOutputAsync("after-cut-42", Wait);
        Assert.Equal(shell, await ShellPidAsync(session.Controller));
        Assert.Empty(stack.Logs.Errors());
    }

    private static async Task<OpenSession> OpenAsync(CloudClient cloud, string adminPassword, string? viewerPassword, SshServer device, string applianceId, string endpointId, CookieContainer? viewerCookies = null)
    {
        var (http, cookies) = await cloud.LoginAsync(ProcessStack.AdminName, adminPassword);
        var view = await CloudClient.StartSessionAsync(http, device, applianceId, endpointId);
        var controller = await cloud.OpenStreamAsync(cookies, view.Id);
        viewerCookies ??= (await cloud.LoginAsync(ProcessStack.ViewerName, viewerPassword!)).Cookies;
        var viewer = await cloud.OpenStreamAsync(viewerCookies, view.Id);
        await controller.WaitForOutputAsync(device.UserName + "@", Wait);
        await viewer.WaitUntilAsync(c => c.Frames.Count > 0, Wait, "the viewer's first frame");
        return new OpenSession(view.Id, http, controller, viewer);
    }

    private static async Task<int> ShellPidAsync(StreamClient controller)
    {
        var before = controller.Output.Length;
        await controller.SendInputAsync("echo shell-pid-$$\r");
        await controller.WaitUntilAsync(c => ShellPid().IsMatch(c.Output[before..]), Wait, "the shell's pid");
        return int.Parse(ShellPid().Match(controller.Output[before..]).Groups[1].Value, CultureInfo.InvariantCulture);
    }

    private static async Task<bool> EndsWithinAsync(StreamClient client, TimeSpan window)
    {
        try
        {
            await client.WaitUntilAsync(c => Event(c, "ended") is not null, window > TimeSpan.Zero ? window : TimeSpan.FromMilliseconds(1), "the end");
            return true;
        }
        catch (Xunit.Sdk.XunitException)
        {
            return client.Closed || Event(client, "ended") is not null;
        }
    }

    private static async Task<List<SessionView>> ListAsync(HttpClient http) =>
        (await http.GetFromJsonAsync<List<SessionView>>(new Uri("/api/sessions", UriKind.Relative)))!;

    private static JsonElement? Event(StreamClient client, string type)
    {
        foreach (var e in client.Events.Reverse())
        {
            if (e.TryGetProperty("type", out var t) && t.GetString() == type)
            {
                return e;
            }
        }

        return null;
    }

    private static string? ApplianceState(StreamClient client) => ApplianceStates(client).LastOrDefault();

    private static List<string?> ApplianceStates(StreamClient client) =>
        [.. client.Events.Where(e => e.TryGetProperty("type", out var t) && t.GetString() == "appliance").Select(e => e.GetProperty("state").GetString())];

    /// <summary>True while the process exists and is not a zombie (a shell killed but not yet reaped is gone).</summary>
    private static bool IsRunning(int pid)
    {
        try
        {
            return !File.ReadAllLines($"/proc/{pid}/status").Any(l => l.StartsWith("State:\tZ", StringComparison.Ordinal));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The user's shells on the device, as <c>pgrep -u USER -x bash</c> lists them.</summary>
    private static async Task<string[]> ShellsOfAsync(string user)
    {
        var info = new ProcessStartInfo("pgrep", ["-u", user, "-x", "bash"]) { RedirectStandardOutput = true, UseShellExecute = false };
        using var pgrep = Process.Start(info)!;
        var text = await pgrep.StandardOutput.ReadToEndAsync();
        await pgrep.WaitForExitAsync();
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    [GeneratedRegex(@"shell-pid-(\d+)")]
    private static partial Regex ShellPid();

    private sealed record OpenSession(string Id, HttpClient Http, StreamClient Controller, StreamClient Viewer) : IAsyncDisposable
    {
        public StreamClient[] Clients => [Controller, Viewer];

        public async ValueTask DisposeAsync()
        {
            await Controller.DisposeAsync();
            await Viewer.DisposeAsync();
            Http.Dispose();
        }
    }
}
