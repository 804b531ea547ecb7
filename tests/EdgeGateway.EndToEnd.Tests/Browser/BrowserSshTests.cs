using EdgeGateway.Testing;
using EdgeGateway.EndToEnd.Tests.Ssh;
using Microsoft.Playwright;

namespace EdgeGateway.EndToEnd.Tests.Browser;

/// <summary>The product as a person uses it, in Debian's Chromium: log in, connect, type, see.</summary>
[Trait("Area", "Ssh")]
[Collection(SshCollection.Name)]
public sealed class BrowserSshTests(SshStackFixture fixture)
{
    private const float Timeout = 20_000;

    // Assertions wait as long as actions (Playwright's default is 5 s, which a loaded machine exceeds when
    // starting a session). Process-wide, so every browser test class sets the same value.
    static BrowserSshTests() => Assertions.SetDefaultExpectTimeout(Timeout);

    [Fact]
    public async Task Log_in_connect_type_and_see_the_output_in_the_terminal()
    {
        var stack = fixture.Stack;
        await using var chromium = await Chromium.LaunchAsync();
        var page = await chromium.NewPageAsync();
        page.SetDefaultTimeout(Timeout);
        var consoleErrors = SessionPage.CollectConsoleErrors(page);
        await SessionPage.LogInAsync(page, stack);
        await page.ScreenshotAsync(new() { Path = TestOutput.GetPath("browser-dashboard.png"), FullPage = true });
        var terminal = await SessionPage.ConnectAsync(page, fixture.Device);
        await Assertions.Expect(page.GetByTestId("extra-keys")).ToBeHiddenAsync(); // touch screens only
        await terminal.ClickAsync();
        var word = $"hello-{Random.Shared.Next(10_000, 99_999)}";
        await page.Keyboard.TypeAsync("echo hello-$((" + word[6..] + "+0))");
        await page.Keyboard.PressAsync("Enter");

        // The output line (not the echoed command, which still shows the arithmetic) must render.
        await Assertions.Expect(terminal).ToContainTextAsync(word, new() { Timeout = Timeout });
        await page.ScreenshotAsync(new() { Path = TestOutput.GetPath("browser-ssh-session.png"), FullPage = true });

        // A second tab on the same session: read-only, and at once on the current screen (a late joiner).
        var watcher = await chromium.NewPageAsync();
        watcher.SetDefaultTimeout(Timeout);
        await watcher.GotoAsync(page.Url);
        var watchedTerminal = watcher.GetByTestId("terminal");
        await Assertions.Expect(watcher.GetByTestId("role-badge")).ToContainTextAsync("read-only");
        await Assertions.Expect(watcher.GetByTestId("view-only")).ToBeHiddenAsync(); // the badge says it on a desktop
        await Assertions.Expect(watchedTerminal).ToContainTextAsync(word);
        await watchedTerminal.ClickAsync();
        await watcher.Keyboard.TypeAsync("echo watcher-typed");
        await watcher.Keyboard.PressAsync("Enter");

        await terminal.ClickAsync();
        await page.Keyboard.TypeAsync("echo live-$((6*7))");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(watchedTerminal).ToContainTextAsync("live-42");
        await Assertions.Expect(terminal).ToContainTextAsync("live-42");
        await Assertions.Expect(terminal).Not.ToContainTextAsync("watcher-typed");
        await watcher.ScreenshotAsync(new() { Path = TestOutput.GetPath("browser-ssh-watcher.png"), FullPage = true });

        var endButton = page.GetByTestId("end-session");
        await endButton.ClickAsync();
        await Assertions.Expect(page.GetByTestId("session-ended")).ToBeVisibleAsync();
        Assert.Empty(consoleErrors);
    }
}
