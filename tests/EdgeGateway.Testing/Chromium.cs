using Microsoft.Playwright;

namespace EdgeGateway.Testing;

/// <summary>
/// Launches the system's Chromium (Debian's <c>chromium</c> package) through Playwright. Never downloads a
/// browser: Playwright only drives <see cref="ExecutablePath"/>.
/// </summary>
/// <remarks>
/// The calling test project must reference <c>Microsoft.Playwright</c> itself (this project keeps it private so
/// the unit-test projects do not carry its Node driver).
/// </remarks>
public static class Chromium
{
    /// <summary>Where Debian installs Chromium.</summary>
    public const string ExecutablePath = "/usr/bin/chromium";

    private static readonly string[] Arguments =
    [
        "--no-sandbox", // we run as root in CI
        "--disable-gpu",
        "--disable-background-networking", // no calls home: the tests may only talk to 127.0.0.1
        "--disable-quic",
        "--no-first-run",
        "--disable-component-update",
        "--disable-sync",
    ];

    /// <summary>Starts Playwright, a headless Chromium and a fresh context that accepts the tests' self-signed certificates.</summary>
    /// <exception cref="InvalidOperationException">Chromium is not installed.</exception>
    public static async Task<ChromiumSession> LaunchAsync()
    {
        if (!File.Exists(ExecutablePath))
        {
            throw new InvalidOperationException($"Chromium is not installed at {ExecutablePath}: run scripts/setup.sh.");
        }

        var playwright = await Playwright.CreateAsync();
        IBrowser? browser = null;
        try
        {
            browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = ExecutablePath,
                Headless = true,
                Args = Arguments,
            });
            var context = await browser.NewContextAsync(new BrowserNewContextOptions { IgnoreHTTPSErrors = true });
            return new ChromiumSession(playwright, browser, context);
        }
        catch
        {
            if (browser is not null)
            {
                await browser.DisposeAsync();
            }

            playwright.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Collects the page's console errors from now on, for a test to assert none: a script error in the page
    /// is a bug even when what the test looks at still works.
    /// </summary>
    public static List<string> CollectConsoleErrors(IPage page)
    {
        ArgumentNullException.ThrowIfNull(page);
        var errors = new List<string>();
        page.Console += (_, message) =>
        {
            // A signed-out page's first GET /api/me answers 401 by design; Chromium logs that as a failed load.
            if (message.Type == "error" && !message.Text.Contains("401", StringComparison.Ordinal))
            {
                errors.Add(message.Text);
            }
        };
        return errors;
    }
}

/// <summary>A running headless Chromium with one browser context; disposing closes all of it.</summary>
public sealed class ChromiumSession : IAsyncDisposable
{
    private bool _disposed;

    internal ChromiumSession(IPlaywright playwright, IBrowser browser, IBrowserContext context)
    {
        Playwright = playwright;
        Browser = browser;
        Context = context;
    }

    /// <summary>The Playwright driver.</summary>
    public IPlaywright Playwright { get; }

    /// <summary>The browser process.</summary>
    public IBrowser Browser { get; }

    /// <summary>The context pages open in (ignores HTTPS certificate errors).</summary>
    public IBrowserContext Context { get; }

    /// <summary>Opens a new tab in <see cref="Context"/>.</summary>
    public Task<IPage> NewPageAsync() => Context.NewPageAsync();

    /// <summary>
    /// A further context in the same browser (an emulated phone: viewport, <c>IsMobile</c>, <c>HasTouch</c>),
    /// accepting the tests' self-signed certificates too; the caller disposes it.
    /// </summary>
    public Task<IBrowserContext> NewContextAsync(BrowserNewContextOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.IgnoreHTTPSErrors = true;
        return Browser.NewContextAsync(options);
    }

    /// <summary>Closes the context and the browser and stops the driver.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            await Context.DisposeAsync();
            await Browser.DisposeAsync();
        }
        finally
        {
            Playwright.Dispose();
        }
    }
}
