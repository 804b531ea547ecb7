using EdgeGateway.Testing;
using Microsoft.Playwright;

namespace EdgeGateway.EndToEnd.Tests.Browser;

/// <summary>A VNC panel that freezes in the middle of a session, as the Controller sees it in Chromium.</summary>
[Trait("Area", "Vnc")]
public sealed class BrowserVncFieldTests
{
    private const float Timeout = 30_000;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_frozen_panel_is_shown_not_responding_refuses_input_and_ends()
    {
        await using var device = await VncServer.StartTigerVncAsync(VncSecurity.VncAuth);
        await device.RunAsync("xsetroot", "-solid", "#336699");

        // Probe after 1 s of silence, in doubt 0.5 s later, ended after 4 s of silence under probing.
        await using var stack = await EdgeGatewayStack.StartForEndpointAsync("vnc", "127.0.0.1", device.Port, new Dictionary<string, string?>
        {
            ["Appliance:Endpoints:0:AllowLegacyAlgorithms"] = "true",
            ["Appliance:Liveness:Interval"] = "00:00:01",
            ["Appliance:Liveness:CountMax"] = "4",
            ["Appliance:Liveness:DoubtAfter"] = "00:00:00.500",
        });
        await using var chromium = await Chromium.LaunchAsync();
        var page = await chromium.NewPageAsync();
        page.SetDefaultTimeout(Timeout);
        await SessionPage.LogInAsync(page, stack);
        await page.GetByTestId($"connect-{EdgeGatewayStack.EndpointId}").ClickAsync();
        await page.GetByTestId("connect-password").FillAsync(device.Password);
        await page.GetByTestId("connect-submit").ClickAsync();
        var canvas = page.GetByTestId("display-canvas");
        await Assertions.Expect(canvas).ToBeVisibleAsync();
        await Conditions.WaitUntilAsync(() => SessionPage.CanvasPixelAsync(page, 700, 500).GetAwaiter().GetResult() == "336699", Wait, "the root colour in the page's canvas");

        // Before the freeze: no badge (that an idle panel stays so is VncLivenessTests' part).
        await Assertions.Expect(page.GetByTestId("device-not-responding")).ToBeHiddenAsync();

        var xvnc = device.Servers.Where(s => s.Program == "Xvnc").Select(s => s.ProcessId).ToList();
        try
        {
            SshServer.Signal(xvnc, "STOP");
            await Assertions.Expect(page.GetByTestId("device-not-responding")).ToBeVisibleAsync();
            await SessionPage.ClickFramebufferAsync(page, canvas, 400, 300);
            await page.Keyboard.TypeAsync("x");
            await Assertions.Expect(page.GetByTestId("session-notice")).ToContainTextAsync("Not sent: the device is not responding");
            await page.ScreenshotAsync(new() { Path = TestOutput.GetPath("browser-vnc-not-responding.png") });

            await Assertions.Expect(page.GetByTestId("session-ended-message")).ToContainTextAsync("The device stopped responding");
            await page.ScreenshotAsync(new() { Path = TestOutput.GetPath("browser-vnc-device-dead.png") });
        }
        finally
        {
            SshServer.Signal(xvnc, "CONT");
        }
    }
}
