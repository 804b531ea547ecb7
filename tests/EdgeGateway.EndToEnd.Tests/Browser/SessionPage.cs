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
}
