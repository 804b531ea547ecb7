using System.Net.Http.Json;
using System.Text.RegularExpressions;
using EdgeGateway.EndToEnd.Tests.Ssh;
using EdgeGateway.Testing;
using Microsoft.Playwright;

namespace EdgeGateway.EndToEnd.Tests.Browser;

/// <summary>
/// A support session as its people see it, in Chromium against the real stack and sshd: a technician creates a named
/// session before any device connection (Waiting for participant) and copies its link; a visitor joins by it as a guest
/// under the name they give and sees the technician is still to connect; the two chat; the technician is told of the
/// join, connects the device (both pages show the terminal), writes a note, ends the session and reads it all on the
/// session's history page. Screenshots of each step go to the test artifacts.
/// </summary>
[Trait("Area", "Support")]
[Collection(SshCollection.Name)]
public sealed class SupportSessionBrowserTests(SshStackFixture fixture)
{
    private const float Timeout = 20_000;

    private const string Password = "support-session-pw";

    /// <summary>For a page's first sight of the session (a WebSocket and its hello on a loaded two-core box): a bound, not a delay.</summary>
    private static readonly LocatorAssertionsToContainTextOptions Patient = new() { Timeout = 30_000 };

    static SupportSessionBrowserTests() => Assertions.SetDefaultExpectTimeout(Timeout);

    [Fact]
    public async Task A_named_session_is_joined_by_its_link_chatted_in_connected_noted_ended_and_found_in_history()
    {
        var stack = fixture.Stack;
        var suffix = Random.Shared.Next(10_000, 99_999);
        var technicianUser = stack.CreateUser($"tara-{suffix}", Password);
        var sessionName = $"Line 3 HMI frozen after update {suffix}";
        var guestName = $"Gus Guest {suffix}";

        await using var chromium = await Chromium.LaunchAsync();

        // The technician creates the session from the dashboard: endpoint and name, no credentials.
        await using var technicianContext = await chromium.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1280, Height = 800 },
            Permissions = ["clipboard-read", "clipboard-write"],
        });
        var technician = await technicianContext.NewPageAsync();
        technician.SetDefaultTimeout(Timeout);
        var technicianErrors = SessionPage.CollectConsoleErrors(technician);
        await SessionPage.LogInAsync(technician, stack, technicianUser.Name, Password);
        await technician.GetByTestId("new-support-session").ClickAsync();
        await Assertions.Expect(technician.GetByTestId("support-dialog")).ToBeVisibleAsync();
        await technician.GetByTestId("support-endpoint").SelectOptionAsync($"{EdgeGatewayStack.ApplianceId}|{EdgeGatewayStack.EndpointId}");
        await technician.GetByTestId("support-name").FillAsync(sessionName);
        await Shot(technician, "support-1-new-session.png");
        await technician.GetByTestId("support-create").ClickAsync();

        // The session page at once: name, status Waiting, the code and the first link with their copy buttons.
        await Assertions.Expect(technician.GetByTestId("session-status")).ToContainTextAsync("Waiting for participant", Patient);
        await Assertions.Expect(technician.Locator("#session-heading")).ToHaveTextAsync(sessionName);
        await Assertions.Expect(technician.GetByTestId("people-code")).ToHaveTextAsync(new Regex(@"^\d{3}-\d{3}-\d{4}$"));
        await Assertions.Expect(technician.GetByTestId("invite-url")).ToHaveValueAsync(new Regex("/#/invite/[A-Za-z0-9_-]{22}$"));
        await Assertions.Expect(technician.GetByTestId("connect-device")).ToBeVisibleAsync();
        var sessionId = technician.Url[(technician.Url.LastIndexOf('/') + 1)..];
        await technician.GetByTestId("copy-invite").ClickAsync();
        await Assertions.Expect(technician.GetByTestId("copy-invite")).ToHaveTextAsync("Copied");
        var link = await technician.EvaluateAsync<string>("() => navigator.clipboard.readText()");
        Assert.Equal(await technician.GetByTestId("invite-url").InputValueAsync(), link);
        await Assertions.Expect(technician.GetByTestId("invites")).ToContainTextAsync("Pending");
        // This cloud has no mail server: the e-mail form is off and says why.
        await Assertions.Expect(technician.GetByTestId("invite-email-off")).ToContainTextAsync("E-mail is not set up on this cloud");
        await Assertions.Expect(technician.GetByTestId("invite-email-send")).ToBeDisabledAsync();
        await Shot(technician, "support-2-waiting-with-link.png");

        // The visitor opens the link, gives a name and is in: the device is not connected yet.
        await using var guestContext = await chromium.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1280, Height = 800 },
        });
        var guest = await guestContext.NewPageAsync();
        guest.SetDefaultTimeout(Timeout);
        var guestErrors = SessionPage.CollectConsoleErrors(guest);
        await guest.GotoAsync(link);
        await guest.GetByTestId("invite-name").FillAsync(guestName);
        await guest.GetByTestId("invite-submit").ClickAsync();
        await Assertions.Expect(guest.GetByTestId("waiting-device")).ToContainTextAsync("Waiting for the technician to connect the device", Patient);
        await Assertions.Expect(guest.Locator("#session-heading")).ToHaveTextAsync(sessionName);
        await Assertions.Expect(guest.GetByTestId("connect-device")).ToBeHiddenAsync();

        // The technician is told, and the session is In session now that someone else is in it.
        await Assertions.Expect(technician.GetByTestId("joined-toast")).ToContainTextAsync(guestName);
        await Assertions.Expect(technician.GetByTestId("session-status")).ToContainTextAsync("In session for");
        await Assertions.Expect(guest.GetByTestId("session-status")).ToContainTextAsync("In session for");
        await Assertions.Expect(technician.GetByTestId("participants")).ToContainTextAsync(guestName);
        await Assertions.Expect(technician.GetByTestId("invites")).ToContainTextAsync("Accepted");
        await Shot(technician, "support-3-technician-told-of-join.png");

        // The two chat; each page shows both messages, in order, with names.
        await guest.GetByTestId("chat-input").FillAsync("Hello, the HMI froze after the update at 9:40.");
        await guest.GetByTestId("chat-send").ClickAsync();
        var technicianChat = technician.GetByTestId("chat-messages").Locator("li");
        await Assertions.Expect(technicianChat).ToHaveCountAsync(1);
        await Assertions.Expect(technicianChat.Nth(0)).ToContainTextAsync(guestName);
        await technician.GetByTestId("chat-input").FillAsync("Thanks, connecting to it now.");
        await technician.GetByTestId("chat-input").PressAsync("Enter");
        var guestChat = guest.GetByTestId("chat-messages").Locator("li");
        await Assertions.Expect(guestChat).ToHaveCountAsync(2);
        await Assertions.Expect(guestChat.Nth(0).GetByTestId("chat-text")).ToHaveTextAsync("Hello, the HMI froze after the update at 9:40.");
        await Assertions.Expect(guestChat.Nth(1).GetByTestId("chat-name")).ToHaveTextAsync(technicianUser.Name);
        await Assertions.Expect(guestChat.Nth(1).GetByTestId("chat-text")).ToHaveTextAsync("Thanks, connecting to it now.");
        await Assertions.Expect(technicianChat).ToHaveCountAsync(2);
        await Shot(guest, "support-4-guest-chat-waiting.png");

        // The technician connects the device from the session page; both pages show the terminal.
        await technician.GetByTestId("connect-device").ClickAsync();
        await technician.GetByTestId("connect-username").FillAsync(fixture.Device.UserName);
        await technician.GetByTestId("connect-password").FillAsync(fixture.Device.Password);
        await technician.GetByTestId("connect-submit").ClickAsync();
        await Assertions.Expect(technician.GetByTestId("role-badge")).ToContainTextAsync("You are in control", Patient);
        await Assertions.Expect(technician.GetByTestId("device-waiting")).ToBeHiddenAsync();
        await Assertions.Expect(guest.GetByTestId("device-waiting")).ToBeHiddenAsync();
        var technicianTerminal = technician.GetByTestId("terminal");
        await technicianTerminal.ClickAsync();
        await technician.Keyboard.TypeAsync("echo support-$((6*7))");
        await technician.Keyboard.PressAsync("Enter");
        await Assertions.Expect(technicianTerminal).ToContainTextAsync("support-42");
        await Assertions.Expect(guest.GetByTestId("terminal")).ToContainTextAsync("support-42");
        await Assertions.Expect(guest.GetByTestId("role-badge")).ToContainTextAsync("read-only");

        // A note: what was found and done.
        await technician.GetByTestId("talk-tab-notes").ClickAsync();
        await technician.GetByTestId("note-input").FillAsync("HMI runtime hung after update 4.2; restarted the service.");
        await technician.GetByTestId("note-add").ClickAsync();
        await Assertions.Expect(technician.GetByTestId("notes").Locator("li")).ToHaveCountAsync(1);
        await Assertions.Expect(technician.GetByTestId("notes")).ToContainTextAsync("restarted the service");
        await Shot(technician, "support-5-connected-with-note.png");
        await Shot(guest, "support-6-guest-watching.png");

        // The technician ends the session; the guest is told.
        await technician.GetByTestId("end-session").ClickAsync();
        await Assertions.Expect(guest.GetByTestId("session-ended-message")).ToContainTextAsync("ended the session");
        await Assertions.Expect(technician.GetByTestId("session-status")).ToHaveTextAsync("Ended");

        // Its history page, from the dashboard's Recent sessions: everything that happened in it.
        await technician.GetByTestId("back-to-dashboard").ClickAsync();
        await technician.GetByTestId($"recent-open-{sessionId}").ClickAsync();
        await Assertions.Expect(technician.GetByTestId("history-detail-name")).ToHaveTextAsync(sessionName);
        await Assertions.Expect(technician.GetByTestId("history-detail-status")).ToHaveTextAsync("Ended");
        await Assertions.Expect(technician.GetByTestId("history-detail-controllers")).ToContainTextAsync(technicianUser.Name);
        await Assertions.Expect(technician.GetByTestId("history-detail-participants")).ToContainTextAsync(guestName);
        await Assertions.Expect(technician.GetByTestId("history-detail-notes")).ToContainTextAsync("restarted the service");
        await Assertions.Expect(technician.GetByTestId("history-detail-chat")).ToContainTextAsync("froze after the update");
        await Assertions.Expect(technician.GetByTestId("history-detail-chat")).ToContainTextAsync("connecting to it now");
        await Assertions.Expect(technician.GetByTestId("history-detail-audit")).ToContainTextAsync("session.note");
        await Shot(technician, "support-7-history-page.png", fullPage: true);

        Assert.Empty(technicianErrors);
        Assert.Empty(guestErrors);
    }

    [Fact]
    public async Task A_pending_invitation_is_revoked_from_the_dashboard_and_its_link_no_longer_lets_anyone_in()
    {
        var stack = fixture.Stack;
        var suffix = Random.Shared.Next(10_000, 99_999);
        var owner = stack.CreateUser($"rita-{suffix}", Password);
        var sessionName = $"Dosing pump alarm {suffix}";
        var (http, _) = await stack.LoginAsync(owner.Name, Password);
        var response = await http.PostAsJsonAsync("/api/support-sessions", new { applianceId = EdgeGatewayStack.ApplianceId, endpointId = EdgeGatewayStack.EndpointId, name = sessionName });
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        using var created = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var invite = created.RootElement.GetProperty("invite");
        var inviteId = invite.GetProperty("id").GetString()!;
        var url = invite.GetProperty("url").GetString()!;
        var sessionId = created.RootElement.GetProperty("session").GetProperty("id").GetString()!;

        await using var chromium = await Chromium.LaunchAsync();
        var page = await chromium.NewPageAsync();
        page.SetDefaultTimeout(Timeout);
        var errors = SessionPage.CollectConsoleErrors(page);
        await SessionPage.LogInAsync(page, stack, owner.Name, Password);
        var row = page.GetByTestId($"pending-invitation-{inviteId}");
        await Assertions.Expect(row).ToContainTextAsync(sessionName, Patient);
        await Shot(page, "support-8-dashboard-pending.png", fullPage: true);
        await page.GetByTestId($"pending-revoke-{inviteId}").ClickAsync();
        await Assertions.Expect(row).ToHaveCountAsync(0);
        await Assertions.Expect(page.GetByTestId("pending-invitations")).Not.ToContainTextAsync(sessionName);
        await Shot(page, "support-9-dashboard-after-revoke.png", fullPage: true);

        // The link is dead for whoever has it, and the session's own list says revoked.
        var (guest, _) = stack.Client.CreateClient();
        var key = url[(url.IndexOf("#/invite/", StringComparison.Ordinal) + "#/invite/".Length)..];
        var late = await guest.PostAsJsonAsync("/api/invites/redeem", new { key, name = "Late" });
        Assert.Equal(System.Net.HttpStatusCode.Gone, late.StatusCode);
        guest.Dispose();
        var list = await http.GetStringAsync(new Uri($"/api/sessions/{sessionId}/invites", UriKind.Relative));
        Assert.Contains("\"revoked\"", list, StringComparison.Ordinal);
        await http.DeleteAsync(new Uri($"/api/sessions/{sessionId}", UriKind.Relative));
        Assert.Empty(errors);
    }

    private static Task Shot(IPage page, string name, bool fullPage = false) =>
        page.ScreenshotAsync(new() { Path = TestOutput.GetPath(name), FullPage = fullPage });
}
