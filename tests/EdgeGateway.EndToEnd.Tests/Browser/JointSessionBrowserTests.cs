using System.Text.RegularExpressions;
using EdgeGateway.Cloud.Policy;
using EdgeGateway.EndToEnd.Tests.Ssh;
using EdgeGateway.Testing;
using Microsoft.Playwright;

namespace EdgeGateway.EndToEnd.Tests.Browser;

/// <summary>
/// A joint session as its people see it, in Chromium against the real stack and sshd: a Controller starts, a Viewer
/// joins by code, asks for control and gets it, types, and both pages show the output; a domain admin on a phone
/// terminates, and every page says who did. Screenshots of each step go to the test artifacts.
/// </summary>
[Trait("Area", "JointSession")]
[Collection(SshCollection.Name)]
public sealed class JointSessionBrowserTests(SshStackFixture fixture)
{
    private const float Timeout = 20_000;

    private const string Password = "joint-session-pw";

    /// <summary>For a page's first sight of the session (a WebSocket and its hello on a loaded two-core box): a bound, not a delay.</summary>
    private static readonly LocatorAssertionsToContainTextOptions Patient = new() { Timeout = 30_000 };

    static JointSessionBrowserTests() => Assertions.SetDefaultExpectTimeout(Timeout);

    [Fact]
    public async Task Viewer_joins_by_code_takes_control_types_and_an_admin_terminates()
    {
        var stack = fixture.Stack;
        var suffix = Random.Shared.Next(10_000, 99_999);
        var controllerUser = stack.CreateUser($"carla-{suffix}", Password);
        var viewerUser = stack.CreateUser($"victor-{suffix}", Password);
        var adminUser = stack.CreateUser($"alice-admin-{suffix}", Password, Roles.DomainAdmin);

        await using var chromium = await Chromium.LaunchAsync();

        // The Controller starts a session and sees its code.
        var (controller, controllerErrors) = await SignedInPageAsync(chromium.Context, controllerUser.Name);
        var controllerTerminal = await SessionPage.ConnectAsync(controller, fixture.Device);
        var sessionUrl = controller.Url;
        await Assertions.Expect(controller.GetByTestId("people-code")).ToHaveTextAsync(new Regex(@"^\d{3}-\d{3}-\d{4}$"));
        var code = await controller.GetByTestId("people-code").TextContentAsync() ?? string.Empty;
        await Assertions.Expect(controller.GetByTestId($"participant-role-{controllerUser.Id}")).ToHaveTextAsync("Controller");
        await Shot(controller, "joint-1-controller-started.png");

        // The Viewer joins by code on #/join, typed without dashes.
        await using var viewerContext = await chromium.NewContextAsync(new BrowserNewContextOptions());
        var (viewer, viewerErrors) = await SignedInPageAsync(viewerContext, viewerUser.Name);
        await viewer.GotoAsync(new Uri(stack.BaseAddress, "/#/join").ToString());
        await viewer.GetByTestId("join-code").FillAsync("000-000-0000");
        await viewer.GetByTestId("join-submit").ClickAsync();
        await Assertions.Expect(viewer.GetByTestId("join-error")).ToContainTextAsync("No running session has this code");
        await Shot(viewer, "joint-2-viewer-wrong-code.png");
        viewerErrors.Clear(); // Chromium logs the refused POST (404) as a failed load: that refusal is what was asked for
        await viewer.GetByTestId("join-code").FillAsync(code.Replace("-", string.Empty, StringComparison.Ordinal));
        await viewer.GetByTestId("join-submit").ClickAsync();
        await Assertions.Expect(viewer.GetByTestId("role-badge")).ToContainTextAsync("read-only", Patient);
        Assert.Equal(sessionUrl, viewer.Url);
        await Assertions.Expect(viewer.GetByTestId($"participant-role-{controllerUser.Id}")).ToHaveTextAsync("Controller");
        await Assertions.Expect(viewer.GetByTestId($"participant-role-{viewerUser.Id}")).ToHaveTextAsync("Viewer");
        await Assertions.Expect(controller.GetByTestId($"participant-role-{viewerUser.Id}")).ToHaveTextAsync("Viewer");
        await Assertions.Expect(controller.GetByTestId("share")).ToBeVisibleAsync();
        await Assertions.Expect(viewer.GetByTestId("share")).ToBeHiddenAsync(); // the code and links are the Controller's to give
        await Shot(viewer, "joint-3-viewer-joined.png");

        // The Viewer asks for control; the Controller accepts.
        await viewer.GetByTestId("request-control").ClickAsync();
        await Assertions.Expect(viewer.GetByTestId("control-request-pending")).ToContainTextAsync(controllerUser.Name);
        var prompt = controller.GetByTestId($"control-request-{viewerUser.Id}");
        await Assertions.Expect(prompt).ToContainTextAsync($"{viewerUser.Name} asks for control");
        await Shot(controller, "joint-4-controller-asked.png");
        await controller.GetByTestId($"accept-control-{viewerUser.Id}").ClickAsync();
        await Assertions.Expect(viewer.GetByTestId("role-badge")).ToContainTextAsync("You are in control");
        await Assertions.Expect(controller.GetByTestId("role-badge")).ToContainTextAsync("read-only");
        await Assertions.Expect(prompt).ToBeHiddenAsync();
        await Assertions.Expect(controller.GetByTestId($"participant-role-{viewerUser.Id}")).ToHaveTextAsync("Controller");
        await Assertions.Expect(controller.GetByTestId("controller-name")).ToHaveTextAsync(viewerUser.Name);

        // The new Controller types; both pages show the output. The old Controller's keys do nothing now.
        var viewerTerminal = viewer.GetByTestId("terminal");
        await viewerTerminal.ClickAsync();
        await viewer.Keyboard.TypeAsync("echo joint-$((6*7))");
        await viewer.Keyboard.PressAsync("Enter");
        await Assertions.Expect(viewerTerminal).ToContainTextAsync("joint-42");
        await Assertions.Expect(controllerTerminal).ToContainTextAsync("joint-42");
        await controllerTerminal.ClickAsync();
        await controller.Keyboard.TypeAsync("echo old-controller-typed");
        await controller.Keyboard.PressAsync("Enter");
        await Shot(viewer, "joint-5-viewer-in-control.png");
        await Shot(controller, "joint-6-controller-watching.png");

        // A domain admin on a phone looks at the people, then terminates.
        await using var phoneContext = await chromium.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 390, Height = 844 },
            IsMobile = true,
            HasTouch = true,
            DeviceScaleFactor = 2,
        });
        var (admin, adminErrors) = await SignedInPageAsync(phoneContext, adminUser.Name);
        // From the dashboard's Current remote connections: endpoint, Controller, the others by name, and Join.
        var sessionId = sessionUrl[(sessionUrl.LastIndexOf('/') + 1)..];
        await Assertions.Expect(admin.GetByTestId($"session-controller-{sessionId}")).ToContainTextAsync(viewerUser.Name);
        await Assertions.Expect(admin.GetByTestId($"session-participants-{sessionId}")).ToContainTextAsync(controllerUser.Name);
        await Shot(admin, "joint-7-phone-dashboard.png");
        await admin.GetByTestId($"watch-{sessionId}").ClickAsync();
        await Assertions.Expect(admin.GetByTestId("role-badge")).ToContainTextAsync("read-only", Patient);
        await Assertions.Expect(admin.GetByTestId("people")).ToBeHiddenAsync(); // over the terminal on a phone: closed until asked for
        await admin.GetByTestId("people-toggle").ClickAsync();
        await Assertions.Expect(admin.GetByTestId($"participant-role-{viewerUser.Id}")).ToHaveTextAsync("Controller");
        await Assertions.Expect(admin.GetByTestId($"participant-supervisor-{adminUser.Id}")).ToBeVisibleAsync();
        Assert.True(await admin.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), "the phone page scrolls sideways");
        await Shot(admin, "joint-8-phone-390x844-people.png");
        await admin.GetByTestId("people-toggle").ClickAsync();
        await admin.GetByTestId("terminate-session").ClickAsync();
        await Assertions.Expect(admin.GetByTestId("confirm-terminate")).ToBeVisibleAsync();
        await Shot(admin, "joint-9-phone-confirm-terminate.png");
        await admin.GetByTestId("confirm-terminate-confirm").ClickAsync();

        var message = $"Terminated by {adminUser.Name}.";
        await Assertions.Expect(controller.GetByTestId("session-ended-message")).ToHaveTextAsync(message);
        await Assertions.Expect(viewer.GetByTestId("session-ended-message")).ToHaveTextAsync(message);
        await Assertions.Expect(admin.GetByTestId("session-ended-message")).ToHaveTextAsync(message);
        await Assertions.Expect(viewerTerminal).Not.ToContainTextAsync("old-controller-typed");
        await Shot(controller, "joint-10-controller-terminated.png");
        await Shot(viewer, "joint-11-viewer-terminated.png");

        Assert.Empty(controllerErrors);
        Assert.Empty(viewerErrors);
        Assert.Empty(adminErrors);
    }

    [Fact]
    public async Task A_visitor_with_an_invite_link_watches_as_a_guest_under_the_name_they_give()
    {
        var stack = fixture.Stack;
        var suffix = Random.Shared.Next(10_000, 99_999);
        var controllerUser = stack.CreateUser($"ines-{suffix}", Password);

        await using var chromium = await Chromium.LaunchAsync();
        var (controller, controllerErrors) = await SignedInPageAsync(chromium.Context, controllerUser.Name);
        await SessionPage.ConnectAsync(controller, fixture.Device);
        await controller.GetByTestId("create-invite").ClickAsync();
        var url = controller.GetByTestId("invite-url");
        await Assertions.Expect(url).ToHaveValueAsync(new Regex("/#/invite/[A-Za-z0-9_-]{22}$"));
        var link = await url.InputValueAsync();
        await Assertions.Expect(controller.GetByTestId("invites").Locator("li")).ToHaveCountAsync(1);
        await Shot(controller, "invite-1-controller-link.png");

        // Not signed in: the visitor names themselves and watches.
        await using var guestContext = await chromium.NewContextAsync(new BrowserNewContextOptions());
        var guest = await guestContext.NewPageAsync();
        guest.SetDefaultTimeout(Timeout);
        var guestErrors = SessionPage.CollectConsoleErrors(guest);
        await guest.GotoAsync(link);
        await Assertions.Expect(guest.GetByTestId("invite-name")).ToBeVisibleAsync();
        await Shot(guest, "invite-2-guest-form.png");
        await guest.GetByTestId("invite-name").FillAsync($"Gus Guest {suffix}");
        await guest.GetByTestId("invite-submit").ClickAsync();
        await Assertions.Expect(guest.GetByTestId("role-badge")).ToContainTextAsync("read-only", Patient);
        Assert.DoesNotContain("/invite/", guest.Url, StringComparison.Ordinal); // the key left the address bar
        await Assertions.Expect(guest.GetByTestId("current-user")).ToHaveTextAsync($"Gus Guest {suffix}");
        await Assertions.Expect(guest.GetByTestId("request-control")).ToBeHiddenAsync(); // a guest only watches
        await Assertions.Expect(controller.GetByTestId("participants")).ToContainTextAsync($"Gus Guest {suffix}");
        await Shot(guest, "invite-3-guest-watching.png");

        // The guest's sign-in holds across a reload (GET /api/me answers for a guest).
        await guest.ReloadAsync();
        await Assertions.Expect(guest.GetByTestId("role-badge")).ToContainTextAsync("read-only", Patient);
        await Assertions.Expect(guest.GetByTestId("current-role")).ToHaveTextAsync("Guest");

        // Revoked, the link lets nobody else in.
        await controller.GetByTestId("invites").GetByRole(AriaRole.Button, new() { Name = "Revoke" }).ClickAsync();
        await Assertions.Expect(controller.GetByTestId("invites")).ToContainTextAsync("Revoked");
        await using var lateContext = await chromium.NewContextAsync(new BrowserNewContextOptions());
        var late = await lateContext.NewPageAsync();
        late.SetDefaultTimeout(Timeout);
        await late.GotoAsync(link);
        await late.GetByTestId("invite-name").FillAsync("Too Late");
        await late.GetByTestId("invite-submit").ClickAsync();
        await Assertions.Expect(late.GetByTestId("invite-error")).ToContainTextAsync("revoked");
        await Shot(late, "invite-4-revoked.png");

        await controller.GetByTestId("end-session").ClickAsync();
        await Assertions.Expect(guest.GetByTestId("session-ended-message")).ToContainTextAsync("ended the session");
        Assert.Empty(controllerErrors);
        Assert.Empty(guestErrors);
    }

    /// <summary>A new page in <paramref name="context"/>, its console errors collected, signed in as <paramref name="user"/>.</summary>
    private async Task<(IPage Page, List<string> ConsoleErrors)> SignedInPageAsync(IBrowserContext context, string user)
    {
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(Timeout);
        var errors = SessionPage.CollectConsoleErrors(page);
        await SessionPage.LogInAsync(page, fixture.Stack, user, Password);
        return (page, errors);
    }

    private static Task Shot(IPage page, string name) =>
        page.ScreenshotAsync(new() { Path = TestOutput.GetPath(name) });
}
