using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using EdgeGateway.EndToEnd.Tests.Ssh;
using EdgeGateway.Testing;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace EdgeGateway.EndToEnd.Tests.Browser;

/// <summary>
/// The product on a phone: Chromium's mobile emulation (a narrow viewport, <c>IsMobile</c>, touch) against the
/// real stack and sshd. Every page fits the screen, the terminal has exactly the columns the user can see and
/// follows a rotation, and the extra-keys row sends what xterm.js sends for the same keys. Text is typed the way
/// a soft keyboard delivers it (input events, no key codes); the extra keys are tapped.
/// </summary>
[Trait("Area", "SshField")]
[Collection(SshCollection.Name)]
public sealed class BrowserPhoneTests(SshStackFixture fixture, BrowserPhoneTests.BrowserFixture browser, ITestOutputHelper output)
    : IClassFixture<BrowserPhoneTests.BrowserFixture>
{
    private const float Timeout = 20_000;

    /// <summary>What addon-fit leaves free at the right of the terminal for xterm.js's scroll bar.</summary>
    private const double ScrollBarWidth = 14;

    /// <summary>The rows xterm.js shows, as text (its DOM renderer writes one element per row).</summary>
    private const string ScreenRowsScript = """
        () => Array.from(document.querySelectorAll('[data-testid=terminal] .xterm-rows > div'),
          row => row.textContent.replace(/\u00a0/g, ' ').trimEnd())
        """;

    /// <summary>
    /// Every element that sticks out of the viewport at the left or right (what a user would find cut off or
    /// would have to scroll sideways to), and the page's own widths.
    /// </summary>
    private const string OverflowScript = """
        () => {
          const width = window.innerWidth;
          const outside = [];
          for (const element of document.querySelectorAll('body *')) {
            if (element.closest('.xterm, .visually-hidden, .skip-link, script, style')) continue;
            const box = element.getBoundingClientRect();
            if (box.width === 0 || box.height === 0 || getComputedStyle(element).visibility === 'hidden') continue;
            if (box.left < -0.5 || box.right > width + 0.5) {
              const id = element.dataset.testid ? `[data-testid=${element.dataset.testid}]` : (element.className ? `.${String(element.className).split(' ')[0]}` : '');
              outside.push(`${element.tagName.toLowerCase()}${id} ${Math.round(box.left)}..${Math.round(box.right)}`);
            }
          }
          return { innerWidth: width, scrollWidth: document.documentElement.scrollWidth, bodyScrollWidth: document.body.scrollWidth, outside: outside.slice(0, 12) };
        }
        """;

    /// <summary>
    /// Where the last row of the form <c>{letter}…{letter}R</c> lies: the left edge of its first cell, the right
    /// edge of its last, one cell's width, and the right edge the user can see (the viewport or the terminal's
    /// frame, whichever is nearer).
    /// </summary>
    private const string FullWidthLineScript = """
        (letter) => {
          const pattern = new RegExp(`^${letter}+R$`);
          const rows = Array.from(document.querySelectorAll('[data-testid=terminal] .xterm-rows > div'));
          const row = rows.findLast(r => pattern.test(r.textContent.replace(/\u00a0/g, ' ').trimEnd()));
          if (!row) return null;
          const texts = [];
          const walker = document.createTreeWalker(row, NodeFilter.SHOW_TEXT);
          for (let node = walker.nextNode(); node; node = walker.nextNode()) texts.push(node);
          const first = texts.find(t => t.data.includes(letter));
          const last = texts.findLast(t => t.data.includes('R'));
          const range = document.createRange();
          range.setStart(first, first.data.indexOf(letter));
          range.setEnd(first, first.data.indexOf(letter) + 1);
          const left = range.getBoundingClientRect();
          range.setStart(last, last.data.lastIndexOf('R'));
          range.setEnd(last, last.data.lastIndexOf('R') + 1);
          const right = range.getBoundingClientRect();
          const host = document.querySelector('[data-testid=terminal]').getBoundingClientRect();
          const characters = row.textContent.replace(/\u00a0/g, ' ').trimEnd().length;
          return {
            characters, left: left.left, right: right.right, cell: (right.right - left.left) / characters,
            visibleRight: Math.min(window.innerWidth, host.right),
          };
        }
        """;

    private string BaseAddress => fixture.Stack.BaseAddress.ToString();

    /// <summary>
    /// Assertions wait as long as actions (Playwright's default is 5 s): on a loaded CI machine starting a session
    /// can take longer. Process-wide, so every browser test class sets the same value.
    /// </summary>
    static BrowserPhoneTests() => Assertions.SetDefaultExpectTimeout(Timeout);

    public static TheoryData<int, int> Screens => new()
    {
        { 390, 844 },
        { 360, 740 },
        { 844, 390 }, // the first phone turned on its side
        { 768, 1024 }, // a tablet
    };

    [Theory]
    [MemberData(nameof(Screens))]
    public async Task Login_dashboard_and_connect_dialog_fit_the_screen_and_Connect_is_tappable(int width, int height)
    {
        await using var phone = await OpenPhoneAsync(width, height, signedIn: false);
        var page = phone.Page;
        var name = $"phone-{width}x{height}";

        await page.GotoAsync(BaseAddress);
        await Assertions.Expect(page.GetByTestId("login-submit")).ToBeVisibleAsync();
        await ScreenshotAsync(page, $"{name}-1-login.png");
        await AssertFitsAsync(page, width, "the sign-in page");

        await page.GetByTestId("login-username").FillAsync("admin");
        await page.GetByTestId("login-password").FillAsync(fixture.Stack.AdminPassword);
        await page.GetByTestId("login-submit").TapAsync();

        var connect = page.GetByTestId($"connect-{EdgeGatewayStack.EndpointId}");
        await Assertions.Expect(page.GetByTestId($"appliance-status-{EdgeGatewayStack.ApplianceId}")).ToContainTextAsync("nline");
        await Assertions.Expect(connect).ToBeEnabledAsync();
        await ScreenshotAsync(page, $"{name}-2-dashboard.png", fullPage: true);
        await AssertFitsAsync(page, width, "the dashboard");

        await connect.ScrollIntoViewIfNeededAsync();
        await AssertInsideViewportAsync(page, connect, "the Connect button");

        // Tap checks that the button is the element hit at its centre (not covered, not clipped away).
        await connect.TapAsync();
        var dialog = page.GetByTestId("connect-dialog");
        await Assertions.Expect(dialog).ToBeVisibleAsync();
        await ScreenshotAsync(page, $"{name}-3-connect-dialog.png");
        await AssertFitsAsync(page, width, "the connect dialog");
        await AssertInsideViewportAsync(page, page.GetByTestId("connect-username"), "the user name field");
        var submit = page.GetByTestId("connect-submit");
        await submit.ScrollIntoViewIfNeededAsync();
        await AssertInsideViewportAsync(page, submit, "the dialog's Connect button");
        await AssertInsideViewportAsync(page, page.GetByTestId("connect-cancel"), "the dialog's Cancel button");

        await page.GetByTestId("connect-cancel").TapAsync();
        await Assertions.Expect(dialog).ToHaveCountAsync(0);
        phone.AssertNoConsoleErrors();
    }

    [Theory]
    [InlineData(390, 844)]
    [InlineData(360, 740)]
    public async Task The_device_gets_the_columns_the_user_sees_and_the_new_width_after_a_rotation(int width, int height)
    {
        await using var phone = await OpenPhoneAsync(width, height);
        var page = phone.Page;
        var name = $"phone-{width}x{height}";
        await StartSessionAsync(page);
        await ScreenshotAsync(page, $"{name}-4-session.png");
        await AssertFitsAsync(page, width, "the session page");

        var portrait = await MeasureColumnsAsync(page, 'p');
        await ScreenshotAsync(page, $"{name}-5-full-width-line.png");
        AssertColumnsVisible(portrait, $"{width}×{height}");

        var screenWidth = await TerminalScreenWidthAsync(page);
        await page.SetViewportSizeAsync(height, width);
        await page.WaitForFunctionAsync(
            "w => document.querySelector('[data-testid=terminal] .xterm-screen').getBoundingClientRect().width !== w", screenWidth);
        var landscape = await MeasureColumnsAsync(page, 'l');
        await ScreenshotAsync(page, $"{name}-6-rotated.png");
        AssertColumnsVisible(landscape, $"{height}×{width}");
        Assert.True(landscape.Columns > portrait.Columns + 20, $"after turning the phone the device has {landscape.Columns} columns (before: {portrait.Columns})");
        await AssertFitsAsync(page, height, "the rotated session page");

        // And back upright: the device narrows again.
        screenWidth = await TerminalScreenWidthAsync(page);
        await page.SetViewportSizeAsync(width, height);
        await page.WaitForFunctionAsync(
            "w => document.querySelector('[data-testid=terminal] .xterm-screen').getBoundingClientRect().width !== w", screenWidth);
        var upright = await MeasureColumnsAsync(page, 'u');
        AssertColumnsVisible(upright, $"{width}×{height} again");
        Assert.Equal(portrait.Columns, upright.Columns);

        await EndSessionAsync(page);
        await ScreenshotAsync(page, $"{name}-7-ended.png");
        await AssertFitsAsync(page, width, "the ended session's banner");
        phone.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task Extra_keys_reach_the_programs_a_touch_keyboard_cannot()
    {
        await using var phone = await OpenPhoneAsync(390, 844);
        var page = phone.Page;
        var terminal = page.GetByTestId("terminal");
        await StartSessionAsync(page);
        var keys = page.GetByTestId("extra-keys");
        await Assertions.Expect(keys).ToBeVisibleAsync();
        await AssertFitsAsync(page, 390, "the session page with its extra keys");
        foreach (var key in ExtraKeys)
        {
            await AssertInsideViewportAsync(page, Key(page, key), $"the {key} key");
        }

        await ScreenshotAsync(page, "phone-extra-keys-1-row.png");

        // Ctrl, then c on the soft keyboard: sleep is interrupted and the prompt answers at once.
        await TypeLineAsync(page, "sleep 100");
        await Assertions.Expect(terminal).ToContainTextAsync("sleep 100");
        var ctrl = Key(page, "ctrl");
        await ctrl.TapAsync();
        await Assertions.Expect(ctrl).ToHaveAttributeAsync("aria-pressed", "true");
        await ScreenshotAsync(page, "phone-extra-keys-2-ctrl-latched.png");
        await page.Keyboard.InsertTextAsync("c");
        await Assertions.Expect(ctrl).ToHaveAttributeAsync("aria-pressed", "false");
        await TypeLineAsync(page, "echo after-$((20+22))");
        await WaitForRowAsync(page, "^after-42$");
        await ScreenshotAsync(page, "phone-extra-keys-3-interrupted.png");

        // Esc then '.': readline's yank-last-arg (Meta-.) brings back the previous command's last word.
        await TypeLineAsync(page, ": esc-yanked");
        await page.Keyboard.InsertTextAsync("echo ");
        await Key(page, "esc").TapAsync();
        await page.Keyboard.InsertTextAsync(".");
        await page.Keyboard.PressAsync("Enter");
        await WaitForRowAsync(page, "^esc-yanked$");

        // Tab completes, arrow-up recalls the history.
        await page.Keyboard.InsertTextAsync("ech");
        await Key(page, "tab").TapAsync();
        await TypeLineAsync(page, "up-$((7*8))");
        await WaitForRowAsync(page, "^up-56$");
        await Key(page, "up").TapAsync();
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForFunctionAsync($"() => ({ScreenRowsScript})().filter(r => r === 'up-56').length === 2");
        await ScreenshotAsync(page, "phone-extra-keys-4-esc-tab-history.png");

        // The bytes the device receives: the same as xterm.js sends for the real keys, in both cursor-key modes.
        foreach (var applicationCursorKeys in new[] { false, true })
        {
            var expected = ExpectedBytes(applicationCursorKeys);
            var tapped = await CaptureBytesAsync(page, expected.Length / 2, applicationCursorKeys, TapKeysAsync);
            var pressed = await CaptureBytesAsync(page, expected.Length / 2, applicationCursorKeys, PressKeysAsync);
            Assert.Equal(expected, pressed);
            Assert.Equal(pressed, tapped);
        }

        await ScreenshotAsync(page, "phone-extra-keys-5-bytes.png");
        await EndSessionAsync(page);
        phone.AssertNoConsoleErrors();

        async Task TapKeysAsync()
        {
            await Key(page, "esc").TapAsync();
            await Key(page, "tab").TapAsync();
            await Key(page, "ctrl").TapAsync();
            await page.Keyboard.InsertTextAsync("c");
            await Key(page, "alt").TapAsync();
            await page.Keyboard.InsertTextAsync("x");
            await Key(page, "up").TapAsync();
            await Key(page, "home").TapAsync();
            await Key(page, "pageup").TapAsync();
            await Key(page, "ctrl").TapAsync();
            await Key(page, "left").TapAsync();
            await Key(page, "pipe").TapAsync();
        }

        async Task PressKeysAsync()
        {
            foreach (var key in new[] { "Escape", "Tab", "Control+c", "Alt+x", "ArrowUp", "Home", "PageUp", "Control+ArrowLeft", "Shift+Backslash" })
            {
                await page.Keyboard.PressAsync(key);
            }
        }
    }

    [Fact]
    public async Task A_viewer_on_a_phone_sees_that_the_session_is_view_only_and_gets_no_keys()
    {
        await using var phone = await OpenPhoneAsync(390, 844);
        var page = phone.Page;
        await StartSessionAsync(page);
        await Assertions.Expect(page.GetByTestId("extra-keys")).ToBeVisibleAsync();

        // The same user's second tab watches (control belongs to the first connection).
        var watcher = await phone.Context.NewPageAsync();
        watcher.SetDefaultTimeout(Timeout);
        await watcher.GotoAsync(page.Url);
        await Assertions.Expect(watcher.GetByTestId("role-badge")).ToContainTextAsync("read-only");
        await Assertions.Expect(watcher.GetByTestId("view-only")).ToBeVisibleAsync();
        await Assertions.Expect(watcher.GetByTestId("view-only")).ToContainTextAsync("View only");
        await Assertions.Expect(watcher.GetByTestId("extra-keys")).ToBeHiddenAsync();
        await AssertInsideViewportAsync(watcher, watcher.GetByTestId("view-only"), "the view-only notice");
        await AssertFitsAsync(watcher, 390, "the viewer's session page");
        await ScreenshotAsync(watcher, "phone-viewer.png");

        // The dashboard with a running session: its row fits too, with the Open button inside the screen.
        var sessionId = page.Url[(page.Url.LastIndexOf('/') + 1)..];
        await watcher.GotoAsync(BaseAddress);
        var open = watcher.GetByTestId($"watch-{sessionId}");
        await Assertions.Expect(open).ToHaveTextAsync("Open");
        await ScreenshotAsync(watcher, "phone-dashboard-with-session.png", fullPage: true);
        await AssertFitsAsync(watcher, 390, "the dashboard with a running session");
        await AssertInsideViewportAsync(watcher, open, "the session's Open button");
        await EndSessionAsync(page);
        phone.AssertNoConsoleErrors();
    }

    // --- Helpers ------------------------------------------------------------------------------------------

    private static readonly string[] ExtraKeys = ["esc", "tab", "ctrl", "alt", "left", "up", "down", "right", "home", "end", "pageup", "pagedown", "pipe", "tilde", "slash", "minus"];

    /// <summary>
    /// Hex of Esc, Tab, Ctrl+C, Alt+X, Up, Home, PgUp, Ctrl+Left, | as xterm.js 6 sends them (common/input/Keyboard.ts):
    /// the cursor keys and Home take SS3 (<c>ESC O</c>) in application cursor mode (DECCKM), CSI otherwise; with a
    /// modifier they are <c>CSI 1;5D</c> in both modes.
    /// </summary>
    private static string ExpectedBytes(bool applicationCursorKeys) => string.Concat(
        "1b", "09", "03", "1b78",
        applicationCursorKeys ? "1b4f41" : "1b5b41",
        applicationCursorKeys ? "1b4f48" : "1b5b48",
        "1b5b357e", "1b5b313b3544", "7c");

    private static ILocator Key(IPage page, string key) => page.GetByTestId($"key-{key}");

    private async Task<Phone> OpenPhoneAsync(int width, int height, bool signedIn = true)
    {
        var context = await browser.Session.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = width, Height = height },
            IsMobile = true,
            HasTouch = true,
            DeviceScaleFactor = 2,
            StorageState = signedIn ? await browser.SignedInStateAsync(fixture.Stack) : null,
        });
        try
        {
            var page = await context.NewPageAsync();
            page.SetDefaultTimeout(Timeout);
            return new Phone(context, page, Chromium.CollectConsoleErrors(page));
        }
        catch
        {
            await context.DisposeAsync();
            throw;
        }
    }

    private async Task StartSessionAsync(IPage page)
    {
        await page.GotoAsync(BaseAddress);
        var connect = page.GetByTestId($"connect-{EdgeGatewayStack.EndpointId}");
        await Assertions.Expect(page.GetByTestId($"appliance-status-{EdgeGatewayStack.ApplianceId}")).ToContainTextAsync("nline");
        await connect.TapAsync();
        await page.GetByTestId("connect-username").FillAsync(fixture.Device.UserName);
        await page.GetByTestId("connect-password").FillAsync(fixture.Device.Password);
        await page.GetByTestId("connect-submit").TapAsync();
        await Assertions.Expect(page.GetByTestId("role-badge")).ToContainTextAsync("control");
        await page.GetByTestId("terminal").TapAsync();
        await WaitForRowAsync(page, @"\$$"); // the prompt
    }

    private static async Task EndSessionAsync(IPage page)
    {
        var end = page.GetByTestId("end-session");
        await end.ScrollIntoViewIfNeededAsync();
        await end.TapAsync();
        await Assertions.Expect(page.GetByTestId("session-ended")).ToBeVisibleAsync();
    }

    /// <summary>Types a line as a soft keyboard does (text through input events), then Enter.</summary>
    private static async Task TypeLineAsync(IPage page, string line)
    {
        await page.Keyboard.InsertTextAsync(line);
        await page.Keyboard.PressAsync("Enter");
    }

    private static async Task<Match> WaitForRowAsync(IPage page, string pattern)
    {
        var regex = new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        try
        {
            var handle = await page.WaitForFunctionAsync(
                $"pattern => ({ScreenRowsScript})().find(r => new RegExp(pattern).test(r)) ?? null", pattern);
            var row = await handle.JsonValueAsync<string>();
            return regex.Match(row);
        }
        catch (TimeoutException)
        {
            var rows = await page.EvaluateAsync<string[]>(ScreenRowsScript);
            await ScreenshotAsync(page, $"phone-failed-{Guid.NewGuid():N}.png");
            throw new Xunit.Sdk.XunitException($"no row matched /{pattern}/ on the screen:\n{string.Join('\n', rows)}");
        }
    }

    /// <summary>
    /// Asks the device for its size (<c>stty size</c>) and has it print a line exactly as wide as it believes
    /// the terminal is: <paramref name="letter"/> repeated and an R in the last column.
    /// </summary>
    private static async Task<DeviceWidth> MeasureColumnsAsync(IPage page, char letter)
    {
        await TypeLineAsync(page, $"clear; echo \"size-{letter}:$(stty size):\"; printf '{letter}%.0s' $(seq 2 $(tput cols)); echo R");
        var size = await WaitForRowAsync(page, $@"^size-{letter}:(\d+) (\d+):$");
        var columns = int.Parse(size.Groups[2].Value, CultureInfo.InvariantCulture);
        var handle = await page.WaitForFunctionAsync(FullWidthLineScript, letter.ToString());
        var line = JsonSerializer.Deserialize<LineGeometry>(await handle.JsonValueAsync<JsonElement>(), JsonOptions)!;
        return new DeviceWidth(columns, line);
    }

    private void AssertColumnsVisible(DeviceWidth measured, string screen)
    {
        // The columns visible: whole cells between the terminal's left edge and the nearer of the screen's and the
        // terminal box's right edge, less the 14 px xterm.js keeps for its scroll bar at the right.
        var line = measured.Line;
        var visible = (int)Math.Floor((Math.Floor(line.VisibleRight - line.Left) - ScrollBarWidth) / line.Cell);
        var description = $"at {screen}: the device has {measured.Columns} columns; its full-width line is {line.Characters} characters, "
            + $"from x={line.Left:0.#} to x={line.Right:0.#} (cell {line.Cell:0.##} px); the user sees up to x={line.VisibleRight:0.#}: "
            + $"{visible} columns left of the scroll bar";
        output.WriteLine(description);
        Assert.True(line.Characters == measured.Columns, "the full-width line wrapped: " + description);
        Assert.True(line.Right <= line.VisibleRight - ScrollBarWidth + 0.5, "the last column is cut off: " + description);
        Assert.True(measured.Columns == visible, "the device's columns are not the columns visible: " + description);
    }

    private static async Task<double> TerminalScreenWidthAsync(IPage page) =>
        await page.EvaluateAsync<double>("() => document.querySelector('[data-testid=terminal] .xterm-screen').getBoundingClientRect().width");

    /// <summary>
    /// Puts the device's terminal in raw mode, lets <paramref name="sendKeys"/> send its keys, and returns the
    /// bytes the device read, in hex (od).
    /// </summary>
    private static async Task<string> CaptureBytesAsync(IPage page, int count, bool applicationCursorKeys, Func<Task> sendKeys)
    {
        var tag = Guid.NewGuid().ToString("N")[..6];
        var mode = applicationCursorKeys ? "printf '\\e[?1h'; " : string.Empty;
        var reset = applicationCursorKeys ? "printf '\\e[?1l'; " : string.Empty;
        // Raw mode turns off output processing too (LF without CR): back to sane before printing, in short rows
        // so that no row wraps on the narrowest screen.
        await TypeLineAsync(page, $"clear; {mode}stty raw -echo; echo ready-{tag}; k=$(head -c {count} | od -An -tx1 | tr -d ' \\n'); "
            + $"stty sane; {reset}printf '\\r'; echo \"$k\" | fold -w 20 | sed 's/^/k-{tag}:/'; echo end-{tag}");
        await WaitForRowAsync(page, $"^ready-{tag}$");
        await sendKeys();
        await WaitForRowAsync(page, $"^end-{tag}$");
        var rows = await page.EvaluateAsync<string[]>(ScreenRowsScript);
        return string.Concat(rows.Where(r => r.StartsWith($"k-{tag}:", StringComparison.Ordinal)).Select(r => r[($"k-{tag}:".Length)..]));
    }

    private static async Task AssertFitsAsync(IPage page, int width, string what)
    {
        var result = await page.EvaluateAsync<JsonElement>(OverflowScript);
        var innerWidth = result.GetProperty("innerWidth").GetInt32();
        var scrollWidth = result.GetProperty("scrollWidth").GetInt32();
        var outside = string.Join(", ", result.GetProperty("outside").EnumerateArray().Select(e => e.GetString()));
        var description = $"{what}: viewport {innerWidth} px (device {width}), page {scrollWidth} px wide; outside: [{outside}]";

        // A page wider than the screen makes mobile Chrome zoom out: innerWidth then grows past the device width.
        Assert.True(innerWidth == width, description);
        Assert.True(scrollWidth <= innerWidth, description);
        Assert.True(outside.Length == 0, description);
    }

    private static async Task AssertInsideViewportAsync(IPage page, ILocator element, string what)
    {
        var box = await element.BoundingBoxAsync() ?? throw new Xunit.Sdk.XunitException($"{what} is not displayed");
        var viewport = await page.EvaluateAsync<JsonElement>("() => ({ width: window.innerWidth, height: window.innerHeight })");
        var width = viewport.GetProperty("width").GetDouble();
        var height = viewport.GetProperty("height").GetDouble();
        var description = $"{what} at x {box.X:0.#}..{box.X + box.Width:0.#}, y {box.Y:0.#}..{box.Y + box.Height:0.#}; viewport {width}×{height}";
        Assert.True(box.X >= 0 && box.X + box.Width <= width + 0.5 && box.Y >= 0 && box.Y + box.Height <= height + 0.5, description);
        Assert.True(box.Width >= 32 && box.Height >= 32, "too small to tap: " + description);
    }

    private static Task ScreenshotAsync(IPage page, string file, bool fullPage = false) =>
        page.ScreenshotAsync(new() { Path = TestOutput.GetPath(file), FullPage = fullPage });

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    private sealed record LineGeometry(int Characters, double Left, double Right, double Cell, double VisibleRight);

    private sealed record DeviceWidth(int Columns, LineGeometry Line);

    private sealed class Phone(IBrowserContext context, IPage page, List<string> consoleErrors) : IAsyncDisposable
    {
        public IBrowserContext Context { get; } = context;

        public IPage Page { get; } = page;

        /// <summary>Called at the end of a test that passed so far (not from DisposeAsync: that would hide the first failure).</summary>
        public void AssertNoConsoleErrors() => Assert.Empty(consoleErrors);

        public ValueTask DisposeAsync() => Context.DisposeAsync();
    }

    /// <summary>
    /// One Chromium for the class (launching costs about a second; a context per test, with its own viewport and
    /// touch, a few milliseconds), and one sign-in whose cookie every signed-in context starts with (the login
    /// endpoint is rate-limited, and the sign-in page has its own test).
    /// </summary>
    public sealed class BrowserFixture : IAsyncLifetime
    {
        private ChromiumSession? _session;
        private string? _signedIn;

        public ChromiumSession Session => _session ?? throw new InvalidOperationException("Chromium has not been started.");

        public async Task InitializeAsync() => _session = await Chromium.LaunchAsync();

        public async Task<string> SignedInStateAsync(EdgeGatewayStack stack)
        {
            if (_signedIn is null)
            {
                var context = await Session.NewContextAsync(new BrowserNewContextOptions());
                await using (context.ConfigureAwait(false))
                {
                    var response = await context.APIRequest.PostAsync(new Uri(stack.BaseAddress, "/api/auth/login").ToString(), new()
                    {
                        DataObject = new { username = "admin", password = stack.AdminPassword },
                    });
                    Assert.True(response.Ok, $"sign-in: {response.Status} {await response.TextAsync()}");
                    _signedIn = await context.StorageStateAsync();
                }
            }

            return _signedIn;
        }

        public async Task DisposeAsync()
        {
            if (_session is not null)
            {
                await _session.DisposeAsync();
            }
        }
    }
}
