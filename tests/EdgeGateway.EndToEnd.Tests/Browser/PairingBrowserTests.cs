using System.Text.RegularExpressions;
using EdgeGateway.Cloud.Policy;
using EdgeGateway.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace EdgeGateway.EndToEnd.Tests.Browser;

/// <summary>
/// The Add-appliance flow in Chromium: a field engineer types the code a factory-fresh appliance shows, sees what it
/// reported about itself, picks site and name and approves; the appliance comes online. A domain admin sees the
/// certificate's expiry in the appliance list and revokes it. Screenshots of each step go to the test artifacts
/// (<c>pairing-1</c> … <c>pairing-6</c>).
/// </summary>
[Trait("Area", "Pairing")]
public sealed class PairingBrowserTests(SshServerFixture device) : IClassFixture<SshServerFixture>
{
    private const float Timeout = 15_000;
    private static readonly LocatorAssertionsToContainTextOptions Patient = new() { Timeout = 30_000 };

    [Fact]
    public async Task A_field_engineer_adds_an_appliance_by_its_code_and_an_admin_sees_its_expiry_and_revokes_it()
    {
        await using var stack = await PairingStack.StartAsync(device.Server);
        var engineerName = "fe-" + Guid.NewGuid().ToString("N")[..6];
        var password = Guid.NewGuid().ToString("N");
        stack.Cloud.Services.GetRequiredService<UserStore>().Create(engineerName, password, Roles.FieldEngineer);
        var pending = await stack.WaitForCodeAsync(TimeSpan.FromSeconds(30));

        await using var chromium = await Chromium.LaunchAsync();
        var page = await chromium.NewPageAsync();
        page.SetDefaultTimeout(Timeout);
        await page.SetViewportSizeAsync(1280, 800);
        var errors = Chromium.CollectConsoleErrors(page);
        await LogInAsync(page, stack, engineerName, password);
        await page.GetByTestId("nav-appliances").ClickAsync();
        await page.GetByTestId("add-appliance").ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Add appliance" })).ToBeVisibleAsync();
        await Shot(page, "pairing-1-add-appliance.png");

        // A wrong code: a clear sentence, nothing else.
        await page.GetByTestId("pair-code").FillAsync("bcdfghjk");
        await page.GetByTestId("pair-look-up").ClickAsync();
        await Assertions.Expect(page.GetByTestId("pair-error")).ToContainTextAsync("No appliance is waiting with this code");
        await Assertions.Expect(page.GetByTestId("pair-details")).ToBeHiddenAsync();
        await Shot(page, "pairing-2-wrong-code.png");

        // The right code, typed in lower case without the dash: the appliance's own report, then site and name.
        await page.GetByTestId("pair-code").FillAsync(pending.UserCode.Replace("-", string.Empty, StringComparison.Ordinal).ToLowerInvariant());
        await page.GetByTestId("pair-look-up").ClickAsync();
        await Assertions.Expect(page.GetByTestId("pair-details")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("pair-hardware")).ToHaveTextAsync("Test rig (x64)");
        await Assertions.Expect(page.GetByTestId("pair-software")).Not.ToBeEmptyAsync();
        var fingerprint = (await page.GetByTestId("pair-key").TextContentAsync())!.Replace(" ", string.Empty, StringComparison.Ordinal);
        Assert.Equal(pending.KeySha256, fingerprint);
        await page.GetByTestId("pair-site").FillAsync("Plant 1, hall B");
        await page.GetByTestId("pair-name").FillAsync("Line 3 gateway");
        await Shot(page, "pairing-3-details.png", fullPage: true);

        await page.GetByTestId("pair-approve").ClickAsync();
        await Assertions.Expect(page.GetByTestId("pair-done")).ToContainTextAsync("Line 3 gateway is paired");
        await Assertions.Expect(page.GetByTestId("pair-online-state")).ToHaveTextAsync("Online", new() { Timeout = 30_000 });
        await Shot(page, "pairing-4-online.png");
        Assert.DoesNotContain(errors, e => !e.Contains("404", StringComparison.Ordinal)); // the wrong code's 404 is the answer shown above

        // A domain admin: the list with the certificate's expiry; Revoke disconnects the appliance.
        await using var adminContext = await chromium.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 800 } });
        var admin = await adminContext.NewPageAsync();
        admin.SetDefaultTimeout(Timeout);
        var adminErrors = Chromium.CollectConsoleErrors(admin);
        await LogInAsync(admin, stack, "admin", stack.AdminPassword);
        await admin.GotoAsync(new Uri(stack.BaseAddress, "/#/appliances").ToString());
        var row = admin.GetByTestId("appliance-line-3-gateway");
        await Assertions.Expect(row).ToContainTextAsync("Online", Patient);
        await Assertions.Expect(row).ToContainTextAsync("Plant 1, hall B");
        await Assertions.Expect(admin.GetByTestId("appliance-certificate-line-3-gateway")).ToHaveTextAsync(new Regex(@"^Valid until .+ \((89|90) days left\)$"));
        await Shot(admin, "pairing-5-appliance-list.png");

        await admin.GetByTestId("revoke-line-3-gateway").ClickAsync();
        await Assertions.Expect(admin.GetByTestId("revoke-dialog")).ToBeVisibleAsync();
        await admin.GetByTestId("revoke-dialog-confirm").ClickAsync();
        await Assertions.Expect(row).ToContainTextAsync("Revoked");
        await Assertions.Expect(admin.GetByTestId("appliance-certificate-line-3-gateway")).ToHaveTextAsync("Revoked");
        Assert.False(stack.Cloud.Services.GetRequiredService<ApplianceRegistry>().IsOnline("line-3-gateway"));
        await Shot(admin, "pairing-6-revoked.png");
        Assert.Empty(adminErrors);
    }

    private static async Task LogInAsync(IPage page, PairingStack stack, string user, string password)
    {
        await page.GotoAsync(stack.BaseAddress.ToString());
        await page.GetByTestId("login-username").FillAsync(user);
        await page.GetByTestId("login-password").FillAsync(password);
        await page.GetByTestId("login-submit").ClickAsync();
        await Assertions.Expect(page.GetByTestId("current-user")).ToHaveTextAsync(user);
    }

    private static Task Shot(IPage page, string name, bool fullPage = false) => page.ScreenshotAsync(new() { Path = TestOutput.GetPath(name), FullPage = fullPage });
}
