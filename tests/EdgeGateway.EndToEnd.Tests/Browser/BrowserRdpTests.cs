using System.Globalization;
using EdgeGateway.EndToEnd.Tests.Rdp;
using EdgeGateway.Testing;
using Microsoft.Playwright;

namespace EdgeGateway.EndToEnd.Tests.Browser;

/// <summary>
/// An RDP session as a technician uses it, in Debian's Chromium against FreeRDP's shadow server with NLA: the connect
/// dialog asks for the Windows user name, password and domain; the desktop appears in the canvas; typing reaches an
/// xterm on it; a watcher sees the same screen, view only.
/// </summary>
[Trait("Area", "Rdp")]
[Collection(RdpCollection.Name)]
public sealed class BrowserRdpTests(RdpStackFixture fixture)
{
    private const float Timeout = 30_000;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Connect_with_user_and_password_see_the_desktop_and_type_into_an_xterm()
    {
        var device = fixture.Device;
        var stack = fixture.Stack;
        await device.RunAsync("xsetroot", "-solid", "#2e7d5b");
        var file = Path.Combine(Path.GetTempPath(), $"eg-rdp-browser-{Guid.NewGuid():N}.txt");
        var (xterm, _) = await device.StartWindowAsync("xterm", Wait, "-geometry", "70x16+60+40", "-bg", "#fafafa", "-fg", "#202020", "-e", "sh", "-c", $"echo ready; read line; echo \"$line\" > '{file}'; exec sleep 600");

        await using var chromium = await Chromium.LaunchAsync();
        var context = await chromium.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(Timeout);
        var consoleErrors = SessionPage.CollectConsoleErrors(page);
        await SessionPage.LogInAsync(page, stack);

        // RDP asks for the Windows account: user name, password and an optional domain.
        await page.GetByTestId($"connect-{EdgeGatewayStack.EndpointId}").ClickAsync();
        await Assertions.Expect(page.GetByTestId("connect-username")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("connect-domain")).ToBeVisibleAsync();
        await page.GetByTestId("connect-username").FillAsync(device.User);
        await page.GetByTestId("connect-password").FillAsync(device.Password);
        await page.ScreenshotAsync(new() { Path = TestOutput.GetPath("browser-rdp-connect.png") });
        await page.GetByTestId("connect-submit").ClickAsync();
        await Assertions.Expect(page.GetByTestId("role-badge")).ToContainTextAsync("control", new() { Timeout = Timeout });
        var canvas = page.GetByTestId("display-canvas");
        await Assertions.Expect(canvas).ToBeVisibleAsync();

        // A known-colour region: the root window, bottom right, where no window is.
        await Conditions.WaitUntilAsync(() => SessionPage.CanvasPixelAsync(page, 1000, 740).GetAwaiter().GetResult() == "2E7D5B", Wait, "the root colour #2e7d5b in the page's canvas");
        await page.ScreenshotAsync(new() { Path = TestOutput.GetPath("browser-rdp-session.png"), FullPage = true });

        // Click into the xterm (no window manager: focus follows the pointer), then type through the page.
        await SessionPage.ClickFramebufferAsync(page, canvas, 300, 150);
        await page.Keyboard.TypeAsync($"rdp-typed-{6 * 7}");
        await page.Keyboard.PressAsync("Enter");
        await Conditions.WaitUntilAsync(() => File.Exists(file) && File.ReadAllText(file).EndsWith('\n'), Wait, "the line typed in the page, in the device's file");
        Assert.Equal("rdp-typed-42\n", File.ReadAllText(file));

        // The typed text is in the X server's pixels and, a moment later, in the canvas.
        var truth = await device.CaptureAsync();
        await Conditions.WaitUntilAsync(() => SessionPage.CanvasPixelAsync(page, 300, 150).GetAwaiter().GetResult() == truth.Pixels[(150 * truth.Width) + 300].ToString("X6", CultureInfo.InvariantCulture), Wait, "the xterm's pixels in the canvas");
        await page.ScreenshotAsync(new() { Path = TestOutput.GetPath("browser-rdp-typed.png"), FullPage = true });

        // A second person: the same desktop, View only.
        var watcher = await context.NewPageAsync();
        watcher.SetDefaultTimeout(Timeout);
        await watcher.GotoAsync(page.Url);
        await Assertions.Expect(watcher.GetByTestId("view-only")).ToBeVisibleAsync();
        await Conditions.WaitUntilAsync(() => SessionPage.CanvasPixelAsync(watcher, 1000, 740).GetAwaiter().GetResult() == "2E7D5B", Wait, "the root colour in the watcher's canvas");
        await watcher.ScreenshotAsync(new() { Path = TestOutput.GetPath("browser-rdp-watcher.png"), FullPage = true });

        await page.GetByTestId("end-session").ClickAsync();
        await Assertions.Expect(page.GetByTestId("session-ended")).ToBeVisibleAsync();
        // The endpoint's policy now holds the device's certificate, pinned at its first connection, for admins to see.
        await page.GetByRole(AriaRole.Link, new() { Name = "Administration" }).ClickAsync();
        var certificate = page.GetByTestId($"certificate-{EdgeGatewayStack.ApplianceId}-{EdgeGatewayStack.EndpointId}");
        await Assertions.Expect(certificate).ToContainTextAsync(string.Join(' ', device.CertificateFingerprint.Chunk(4).Select(c => new string(c))));
        await certificate.ScrollIntoViewIfNeededAsync();
        await page.ScreenshotAsync(new() { Path = TestOutput.GetPath("browser-rdp-admin-certificate.png") });

        File.Delete(file);
        xterm.Kill(entireProcessTree: true);
        Assert.Empty(consoleErrors);
    }
}
