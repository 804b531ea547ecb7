using System.Globalization;
using System.Text.Json;
using EdgeGateway.Testing;
using Microsoft.Playwright;

namespace EdgeGateway.EndToEnd.Tests.Browser;

/// <summary>The steps every browser test takes before it does its own: watch the console, log in, connect.</summary>
internal static class SessionPage
{
    // Playwright's expectations wait 5 s by default whatever the page's timeout; a session start under a loaded
    // two-core CI box (SSH connect, key exchange, shell) can take longer. A bound, not a delay.
    private static readonly LocatorAssertionsToContainTextOptions Patient = new() { Timeout = 30_000 };

    /// <summary>
    /// Collects the page's console errors from now on. A signed-out page's first GET /api/me answers 401 by design;
    /// Chromium logs that as a failed load, and it is left out.
    /// </summary>
    public static List<string> CollectConsoleErrors(IPage page)
        => Chromium.CollectConsoleErrors(page);

    /// <summary>Opens the site and logs in as the admin; returns once the dashboard shows the appliance online.</summary>
    public static Task LogInAsync(IPage page, EdgeGatewayStack stack)
        => LogInAsync(page, stack, "admin", stack?.AdminPassword ?? string.Empty);

    /// <summary>Opens the site and logs in as <paramref name="user"/>; returns once the dashboard shows the appliance online.</summary>
    public static async Task LogInAsync(IPage page, EdgeGatewayStack stack, string user, string password)
    {
        ArgumentNullException.ThrowIfNull(page);
        ArgumentNullException.ThrowIfNull(stack);
        await page.GotoAsync(stack.BaseAddress.ToString());
        await page.GetByTestId("login-username").FillAsync(user);
        await page.GetByTestId("login-password").FillAsync(password);
        await page.GetByTestId("login-submit").ClickAsync();
        await Assertions.Expect(page.GetByTestId($"appliance-status-{EdgeGatewayStack.ApplianceId}")).ToContainTextAsync("nline", Patient);
    }

    /// <summary>Connects to the test endpoint from the dashboard; returns the terminal once the page is in control.</summary>
    public static async Task<ILocator> ConnectAsync(IPage page, SshServer device)
    {
        ArgumentNullException.ThrowIfNull(page);
        ArgumentNullException.ThrowIfNull(device);
        await page.GetByTestId($"connect-{EdgeGatewayStack.EndpointId}").ClickAsync();
        await page.GetByTestId("connect-username").FillAsync(device.UserName);
        await page.GetByTestId("connect-password").FillAsync(device.Password);
        await page.GetByTestId("connect-submit").ClickAsync();
        await Assertions.Expect(page.GetByTestId("role-badge")).ToContainTextAsync("control", Patient);
        return page.GetByTestId("terminal");
    }

    /// <summary>The canvas's pixel at framebuffer (x, y) as RRGGBB, read from the page's own canvas.</summary>
    public static async Task<string> CanvasPixelAsync(IPage page, int x, int y)
    {
        var rgb = await page.EvaluateAsync<JsonElement>(
            "([x, y]) => { const c = document.querySelector('[data-testid=display-canvas]'); if (!c || c.width <= x || c.height <= y) return null; const d = c.getContext('2d').getImageData(x, y, 1, 1).data; return [d[0], d[1], d[2]]; }",
            new[] { x, y });
        return rgb.ValueKind != JsonValueKind.Array ? "none"
            : string.Concat(rgb.EnumerateArray().Select(v => v.GetInt32().ToString("X2", CultureInfo.InvariantCulture)));
    }

    /// <summary>Clicks where framebuffer pixel (x, y) is shown, whatever the canvas's scale on the page.</summary>
    public static async Task ClickFramebufferAsync(IPage page, ILocator canvas, int x, int y)
    {
        var box = (await canvas.BoundingBoxAsync())!;
        var width = await canvas.EvaluateAsync<int>("c => c.width");
        var height = await canvas.EvaluateAsync<int>("c => c.height");
        await page.Mouse.ClickAsync(box.X + ((x + 0.5f) * box.Width / width), box.Y + ((y + 0.5f) * box.Height / height));
    }
}
