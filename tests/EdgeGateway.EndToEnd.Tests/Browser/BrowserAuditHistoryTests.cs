using EdgeGateway.Testing;
using Microsoft.Playwright;

namespace EdgeGateway.EndToEnd.Tests.Browser;

/// <summary>The history and audit pages in the real page: an endpoint's history from the dashboard, the Verify button.</summary>
[Trait("Area", "JointSession")]
public sealed class BrowserAuditHistoryTests
{
    private const float Timeout = 20_000;

    [Fact]
    public async Task Admin_opens_an_endpoints_history_from_the_dashboard_and_verifies_the_audit_log()
    {
        await using var device = await SshServer.StartAsync();
        await using var stack = await EdgeGatewayStack.StartAsync(device);
        await using var chromium = await Chromium.LaunchAsync();
        var page = await chromium.NewPageAsync();
        page.SetDefaultTimeout(Timeout);
        var errors = SessionPage.CollectConsoleErrors(page);
        await SessionPage.LogInAsync(page, stack);
        await SessionPage.ConnectAsync(page, device);

        await page.Locator(".brand").ClickAsync();
        await page.GetByTestId($"history-{EdgeGatewayStack.EndpointId}").ClickAsync();
        var row = page.Locator("[data-testid^='history-row-']").First;
        await Assertions.Expect(page.GetByTestId("history-scope")).ToContainTextAsync($"endpoint {EdgeGatewayStack.EndpointId}");
        await Assertions.Expect(row).ToContainTextAsync("admin");
        await Assertions.Expect(row).ToContainTextAsync("In session");
        await page.ScreenshotAsync(new() { Path = TestOutput.GetPath("browser-history-endpoint.png") });

        await page.GetByTestId("nav-audit").ClickAsync();
        await page.GetByTestId("audit-verify").ClickAsync();
        await Assertions.Expect(page.GetByTestId("audit-intact")).ToContainTextAsync("The audit log is intact");
        await page.ReloadAsync();
        await Assertions.Expect(page.GetByTestId("audit-events")).ToContainTextAsync("audit.verify");
        await page.ScreenshotAsync(new() { Path = TestOutput.GetPath("browser-audit-verified.png") });
        Assert.Empty(errors);
    }
}
