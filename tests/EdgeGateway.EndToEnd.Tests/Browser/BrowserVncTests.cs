using System.Globalization;
using System.Text.Json;
using EdgeGateway.Testing;
using EdgeGateway.EndToEnd.Tests.Vnc;
using Microsoft.Playwright;

namespace EdgeGateway.EndToEnd.Tests.Browser;

/// <summary>A VNC session as a technician uses it, in Debian's Chromium against TigerVNC's Xvnc: connect, see, click, type.</summary>
[Trait("Area", "Vnc")]
[Collection(VncCollection.Name)]
public sealed class BrowserVncTests(VncStackFixture fixture)
{
    private const float Timeout = 30_000;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private VncServer Device => fixture.Device;

    private EdgeGatewayStack Stack => fixture.Stack;

    [Fact]
    public async Task Connect_with_the_password_see_the_screen_click_and_type_into_an_xterm()
    {
        await Device.RunAsync("xsetroot", "-solid", "#336699");
        var file = Path.Combine(Path.GetTempPath(), $"eg-vnc-browser-{Guid.NewGuid():N}.txt");
        var (xterm, _) = await Device.StartWindowAsync("xterm", Wait, "-geometry", "70x16+60+40", "-bg", "#fafafa", "-fg", "#202020", "-e", "sh", "-c", $"echo ready; read line; echo \"$line\" > '{file}'; exec sleep 600");

        await using var chromium = await Chromium.LaunchAsync();
        var page = await chromium.NewPageAsync();
        page.SetDefaultTimeout(Timeout);
        var consoleErrors = SessionPage.CollectConsoleErrors(page);
        await SessionPage.LogInAsync(page, Stack);

        // VNC asks for the device password only.
        await page.GetByTestId($"connect-{EdgeGatewayStack.EndpointId}").ClickAsync();
        await Assertions.Expect(page.GetByTestId("connect-username")).ToBeHiddenAsync();
        await page.GetByTestId("connect-password").FillAsync(Device.Password);
        await page.GetByTestId("connect-submit").ClickAsync();
        await Assertions.Expect(page.GetByTestId("role-badge")).ToContainTextAsync("control", new() { Timeout = Timeout });
        var canvas = page.GetByTestId("display-canvas");
        await Assertions.Expect(canvas).ToBeVisibleAsync();

        // A known-colour region: the root window's colour, bottom right, where no window is.
        await Conditions.WaitUntilAsync(() => SessionPage.CanvasPixelAsync(page, 780, 580).GetAwaiter().GetResult() == "336699", Wait, "the root colour #336699 in the page's canvas");
        await page.ScreenshotAsync(new() { Path = TestOutput.GetPath("browser-vnc-session.png"), FullPage = true });
        var shot = await canvas.ScreenshotAsync(new() { Path = TestOutput.GetPath("browser-vnc-canvas.png") });
        Assert.True(shot.Length > 0);

        // Click into the xterm (no window manager: focus follows the pointer), then type through the page.
        await SessionPage.ClickFramebufferAsync(page, canvas, 300, 150);
        await page.Keyboard.TypeAsync($"typed-{6 * 7}");
        await page.Keyboard.PressAsync("Enter");
        await Conditions.WaitUntilAsync(() => File.Exists(file) && File.ReadAllText(file).EndsWith('\n'), Wait, "the line typed in the page, in the device's file");
        Assert.Equal("typed-42\n", File.ReadAllText(file));

        // The page shows the live screen: the typed text is in the X server's pixels and, a moment later, in the canvas.
        var truth = await Device.CaptureAsync();
        await Conditions.WaitUntilAsync(() => SessionPage.CanvasPixelAsync(page, 300, 150).GetAwaiter().GetResult() == truth.Pixels[(150 * truth.Width) + 300].ToString("X6", CultureInfo.InvariantCulture), Wait, "the xterm's pixels in the canvas");
        await Assertions.Expect(page.GetByTestId("display-stats")).Not.ToContainTextAsync("0 fps · 0 bit/s");
        await page.ScreenshotAsync(new() { Path = TestOutput.GetPath("browser-vnc-typed.png"), FullPage = true });

        // A second person on the same session: the same screen, View only, and their keys go nowhere.
        var watcher = await chromium.NewPageAsync();
        watcher.SetDefaultTimeout(Timeout);
        await watcher.GotoAsync(page.Url);
        await Assertions.Expect(watcher.GetByTestId("view-only")).ToBeVisibleAsync();
        await Conditions.WaitUntilAsync(() => SessionPage.CanvasPixelAsync(watcher, 780, 580).GetAwaiter().GetResult() == "336699", Wait, "the root colour in the watcher's canvas");
        await Assertions.Expect(watcher.GetByTestId("ctrl-alt-del")).ToBeHiddenAsync();
        await watcher.ScreenshotAsync(new() { Path = TestOutput.GetPath("browser-vnc-watcher.png"), FullPage = true });

        await page.GetByTestId("end-session").ClickAsync();
        await Assertions.Expect(page.GetByTestId("session-ended")).ToBeVisibleAsync();
        File.Delete(file);
        xterm.Kill(entireProcessTree: true); // the display is shared with the other VNC tests
        Assert.Empty(consoleErrors);
    }
}
