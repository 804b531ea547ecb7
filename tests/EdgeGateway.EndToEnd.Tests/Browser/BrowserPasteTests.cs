using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using EdgeGateway.EndToEnd.Tests.Ssh;
using EdgeGateway.Testing;
using Microsoft.Playwright;

namespace EdgeGateway.EndToEnd.Tests.Browser;

/// <summary>Issue 8, section 3, in the real page: a 1 MiB clipboard paste into xterm.js, and one over the limit.</summary>
[Trait("Area", "SshField")]
[Collection(SshCollection.Name)]
public sealed class BrowserPasteTests(SshStackFixture fixture)
{
    private const float Timeout = 60_000;

    [Fact]
    public async Task A_1_MiB_clipboard_paste_reaches_the_device_whole_and_one_over_the_limit_is_refused_with_a_message()
    {
        var stack = fixture.Stack;
        await using var chromium = await Chromium.LaunchAsync();
        var page = await chromium.NewPageAsync();
        page.SetDefaultTimeout(Timeout);
        var consoleErrors = SessionPage.CollectConsoleErrors(page);
        await SessionPage.LogInAsync(page, stack);
        var terminal = await SessionPage.ConnectAsync(page, fixture.Device);

        var directory = "/tmp/eg-paste-" + Guid.NewGuid().ToString("N")[..12];
        try
        {
            await PasteIntoTheDeviceAsync(page, terminal, directory);
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }

        await page.GetByTestId("end-session").ClickAsync();
        await Assertions.Expect(page.GetByTestId("session-ended")).ToBeVisibleAsync();
        Assert.Empty(consoleErrors);
    }

    private static async Task PasteIntoTheDeviceAsync(IPage page, ILocator terminal, string directory)
    {
        await terminal.ClickAsync();
        await page.Keyboard.TypeAsync($"mkdir -p {directory} && cd {directory} && echo cat-$((6*7)) && cat > f");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(terminal).ToContainTextAsync("cat-42");

        // A text file as the clipboard holds it (LF line ends). xterm.js pastes it as a terminal does (LF → CR), the
        // pty turns CR back into LF, so the file on the device must be exactly this text.
        var text = PasteText.RandomPrintableLines(1024 * 1024, seed: 8_3_1);
        await PasteAsync(page, text);
        await page.Keyboard.PressAsync("Control+D");
        await page.Keyboard.TypeAsync("clear; wc -c f; md5sum f");
        await page.Keyboard.PressAsync("Enter");

        var md5 = Convert.ToHexStringLower(MD5.HashData(Encoding.ASCII.GetBytes(text)));
        await Assertions.Expect(terminal).ToContainTextAsync($"{text.Length} f");
        await Assertions.Expect(terminal).ToContainTextAsync($"{md5}  f");
        await Assertions.Expect(page.GetByTestId("session-notice")).ToContainTextAsync("Paste sent");
        await page.ScreenshotAsync(new() { Path = TestOutput.GetPath("browser-paste-1mib.png"), FullPage = true });

        // Over the limit the hello announced: nothing is sent, the page says why, the session goes on.
        const int limit = 4 * 1024 * 1024; // Cloud:Sessions:MaxPasteBytes, default
        await PasteAsync(page, "echo REFUSED-$((1+1))\n" + new string('#', limit));
        // At bash's prompt readline has bracketed paste on: xterm.js wraps the paste in ESC[200~ … ESC[201~ (12 bytes).
        await Assertions.Expect(page.GetByTestId("session-notice")).ToContainTextAsync(
            $"The paste was not sent: it has {(22 + limit + 12).ToString("N0", CultureInfo.InvariantCulture)} bytes, and a paste may have at most 4,194,304 bytes (4 MiB).");
        await page.ScreenshotAsync(new() { Path = TestOutput.GetPath("browser-paste-refused.png"), FullPage = true });
        await page.Keyboard.TypeAsync("echo after-$((6*7))");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(terminal).ToContainTextAsync("after-42");
        await Assertions.Expect(terminal).Not.ToContainTextAsync("REFUSED-2");
        await Assertions.Expect(page.GetByTestId("session-ended")).ToBeHiddenAsync();
    }

    /// <summary>A clipboard paste as the browser delivers one: a paste event on xterm.js's input element.</summary>
    private static Task PasteAsync(IPage page, string text) =>
        page.EvaluateAsync(
            """
            (text) => {
              const target = document.querySelector('.xterm-helper-textarea');
              const data = new DataTransfer();
              data.setData('text/plain', text);
              target.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
            }
            """,
            text);
}
