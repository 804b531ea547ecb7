using System.Text.RegularExpressions;
using EdgeGateway.EndToEnd.Tests.Ssh;
using EdgeGateway.Testing;
using Microsoft.Playwright;

namespace EdgeGateway.EndToEnd.Tests.Browser;

/// <summary>
/// The page lays characters out with the widths the appliance's keyframes use (Unicode 11): an emoji printed in the
/// last column wraps, on the Controller's terminal (raw bytes) and on a late joiner's (a keyframe) alike.
/// </summary>
[Trait("Area", "SshField")]
[Collection(SshCollection.Name)]
public sealed partial class BrowserScreenParityTests(SshStackFixture fixture)
{
    private const float Timeout = 20_000;

    [Fact]
    public async Task An_emoji_in_the_last_column_wraps_for_the_controller_and_a_late_joiner()
    {
        var stack = fixture.Stack;
        await using var chromium = await Chromium.LaunchAsync();
        var page = await chromium.NewPageAsync();
        page.SetDefaultTimeout(Timeout);
        await SessionPage.LogInAsync(page, stack);
        var terminal = await SessionPage.ConnectAsync(page, fixture.Device);

        // To the last column, then U+1F600 and a bar. Wide (Unicode 11), the emoji does not fit and wraps with the
        // bar; narrow (xterm.js's default, Unicode 6), it would stay and only the bar would wrap.
        await terminal.ClickAsync();
        await page.Keyboard.TypeAsync(@"printf 'x\033[999G\360\237\230\200|\n'");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(EmojiRow(page)).ToHaveCountAsync(1, new() { Timeout = Timeout });
        await page.ScreenshotAsync(new() { Path = TestOutput.GetPath("browser-emoji-controller.png"), FullPage = true });

        var joiner = await chromium.NewPageAsync();
        joiner.SetDefaultTimeout(Timeout);
        await joiner.GotoAsync(page.Url);
        await Assertions.Expect(joiner.GetByTestId("role-badge")).ToContainTextAsync("read-only", new() { Timeout = Timeout });
        await Assertions.Expect(EmojiRow(joiner)).ToHaveCountAsync(1, new() { Timeout = Timeout });
        await joiner.ScreenshotAsync(new() { Path = TestOutput.GetPath("browser-emoji-late-joiner.png"), FullPage = true });

        await page.GetByTestId("end-session").ClickAsync();
        await Assertions.Expect(page.GetByTestId("session-ended")).ToBeVisibleAsync(new() { Timeout = Timeout });
    }

    // A terminal row that starts with the emoji and the bar.
    private static ILocator EmojiRow(IPage page) =>
        page.GetByTestId("terminal").Locator(".xterm-rows > div").Filter(new() { HasTextRegex = StartsWithEmoji() });

    [GeneratedRegex("^\U0001F600\\|")]
    private static partial Regex StartsWithEmoji();
}
