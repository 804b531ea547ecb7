using EdgeGateway.Testing;
using Microsoft.Playwright;

namespace EdgeGateway.EndToEnd.Tests.Browser;

/// <summary>An old, locked-down device in the real page: its banner, the legacy-crypto marker, and a freeze.</summary>
[Trait("Area", "SshField")]
public sealed class BrowserDeviceFieldTests
{
    private const float Timeout = 20_000;

    [Fact]
    public async Task Banner_legacy_marker_and_a_frozen_device_are_shown_to_the_controller()
    {
        await using var device = await SshServer.StartAsync(new SshServerOptions
        {
            HostKeyType = "rsa",
            ConfigLines = ["Banner {dir}/banner", "KexAlgorithms diffie-hellman-group14-sha1", "HostKeyAlgorithms ssh-rsa"],
            Files = new Dictionary<string, string> { ["banner"] = "Press line 3 controller. Authorised use only.\n" },
        });
        await using var stack = await EdgeGatewayStack.StartAsync(device, new Dictionary<string, string?>
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
        var terminal = await SessionPage.ConnectAsync(page, device);
        await Assertions.Expect(terminal).ToContainTextAsync("Authorised use only.");
        await Assertions.Expect(page.GetByTestId("legacy-crypto")).ToBeVisibleAsync();
        Assert.Contains("diffie-hellman-group14-sha1", await page.GetByTestId("legacy-crypto").GetAttributeAsync("title"), StringComparison.Ordinal);
        await Assertions.Expect(page.GetByTestId("device-not-responding")).ToBeHiddenAsync();
        await page.ScreenshotAsync(new() { Path = TestOutput.GetPath("browser-legacy-banner.png") });

        var frozen = device.SessionProcessIds();
        try
        {
            SshServer.Signal(frozen, "STOP");
            await Assertions.Expect(page.GetByTestId("device-not-responding")).ToBeVisibleAsync();
            await terminal.ClickAsync();
            await page.Keyboard.TypeAsync("ls");
            await Assertions.Expect(page.GetByTestId("session-notice")).ToContainTextAsync("Not sent: the device is not responding");
            await page.ScreenshotAsync(new() { Path = TestOutput.GetPath("browser-device-not-responding.png") });

            await Assertions.Expect(page.GetByTestId("session-ended-message")).ToContainTextAsync("The device stopped responding");
            await page.ScreenshotAsync(new() { Path = TestOutput.GetPath("browser-device-dead.png") });
        }
        finally
        {
            SshServer.Signal(frozen, "CONT");
        }
    }

    /// <summary>
    /// A device that asks for a one-time code after the password (PAM: pam_unix, then pam_oath): the connect dialog
    /// shows the device's question with a hidden field; a wrong code shows the device's refusal, the right one opens
    /// the session.
    /// </summary>
    [Fact]
    public async Task The_connect_dialog_shows_the_devices_second_prompt_and_its_refusal_of_a_wrong_code()
    {
        var secret = System.Security.Cryptography.RandomNumberGenerator.GetBytes(20);
        await using var device = await SshServer.StartAsync(OneTimeCodes.DeviceOptions(secret));
        await using var stack = await EdgeGatewayStack.StartAsync(device);
        await using var chromium = await Chromium.LaunchAsync();
        var page = await chromium.NewPageAsync();
        page.SetDefaultTimeout(Timeout);
        var consoleErrors = SessionPage.CollectConsoleErrors(page);
        await SessionPage.LogInAsync(page, stack);

        await page.GetByTestId($"connect-{EdgeGatewayStack.EndpointId}").ClickAsync();
        await page.GetByTestId("connect-username").FillAsync(device.UserName);
        await page.GetByTestId("connect-password").FillAsync(device.Password);
        await page.GetByTestId("connect-submit").ClickAsync();
        await Assertions.Expect(page.GetByTestId("connect-prompt-text")).ToContainTextAsync(OneTimeCodes.PromptStart, new() { Timeout = 30_000 });
        Assert.Equal("password", await page.GetByTestId("connect-answer").GetAttributeAsync("type"));
        await Assertions.Expect(page.GetByTestId("connect-prompt")).Not.ToContainTextAsync("null"); // an empty instruction shows nothing
        await Assertions.Expect(page.GetByTestId("connect-submit")).ToHaveTextAsync("Send");
        await page.ScreenshotAsync(new() { Path = TestOutput.GetPath("browser-second-factor-prompt.png") });

        await page.GetByTestId("connect-answer").FillAsync(OneTimeCodes.WrongCode(secret, DateTimeOffset.UtcNow));
        await page.GetByTestId("connect-submit").ClickAsync();
        await Assertions.Expect(page.GetByTestId("connect-error")).ToContainTextAsync("The device refused the login after the answer to", new() { Timeout = 30_000 });
        await Assertions.Expect(page.GetByTestId("connect-password")).ToBeVisibleAsync();
        await page.ScreenshotAsync(new() { Path = TestOutput.GetPath("browser-second-factor-refused.png") });

        await page.GetByTestId("connect-password").FillAsync(device.Password);
        await page.GetByTestId("connect-submit").ClickAsync();
        await page.GetByTestId("connect-answer").FillAsync(OneTimeCodes.Code(secret, DateTimeOffset.UtcNow));
        await page.GetByTestId("connect-submit").ClickAsync();
        await Assertions.Expect(page.GetByTestId("role-badge")).ToContainTextAsync("control", new() { Timeout = 30_000 });
        Assert.DoesNotContain(consoleErrors, e => !e.Contains("422", StringComparison.Ordinal));
    }
}
