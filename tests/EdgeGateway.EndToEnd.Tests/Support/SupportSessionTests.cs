using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using EdgeGateway.Cloud.Policy;
using EdgeGateway.Cloud.Sessions;
using EdgeGateway.EndToEnd.Tests.Ssh;
using EdgeGateway.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGateway.EndToEnd.Tests.Support;

/// <summary>
/// Support sessions against the real OpenSSH server: created with a name before the device connection (Waiting for
/// participant), joined by their link (In session), connected by their owner alone — a failed attempt leaves the
/// session for another —, ended; a waiting session nobody joins expires with its invitation.
/// </summary>
[Trait("Area", "Support")]
[Collection(SshCollection.Name)]
public sealed class SupportSessionTests(SshStackFixture fixture)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    private SshServer Device => fixture.Device;

    private EdgeGatewayStack Stack => fixture.Stack;

    [Fact]
    public async Task A_named_session_waits_for_its_participant_then_runs_on_the_device_its_owner_connects()
    {
        var (owner, ownerCookies) = await Stack.LoginAsync("admin", Stack.AdminPassword);
        var created = await CreateAsync(owner, Stack, "Line 3 HMI frozen after update");
        var id = created.Session.Id;
        Assert.Equal(SessionStatus.Waiting, created.Session.Status);
        Assert.Equal("Line 3 HMI frozen after update", created.Session.Name);
        Assert.False(created.Session.Connected);
        Assert.Matches(@"^\d{3}-\d{3}-\d{4}$", created.Code);
        Assert.Contains("#/invite/", created.Invite!.Url, StringComparison.Ordinal);
        Assert.Equal(SessionStatus.Waiting, (await ListAsync(owner)).Single(s => s.Id == id).Status);

        // The owner's page is open before anything is connected: it says waiting, and nothing can be typed yet.
        await using var ownerPage = await Stack.OpenStreamAsync(ownerCookies, id);
        await ownerPage.WaitUntilAsync(c => c.EventsOfType("hello").Count > 0, Wait, "the owner's hello");
        var hello = ownerPage.EventsOfType("hello")[0];
        Assert.Equal("waiting", hello.GetProperty("status").GetString());
        Assert.False(hello.GetProperty("connected").GetBoolean());

        // The invitee follows the link as a guest: the session turns In session, and the owner's page is told who came.
        var (guest, guestCookies) = Stack.Client.CreateClient();
        var key = created.Invite.Url[(created.Invite.Url.IndexOf("#/invite/", StringComparison.Ordinal) + "#/invite/".Length)..];
        var redeemed = await guest.PostAsJsonAsync("/api/invites/redeem", new { key, name = "Maria (plant)" });
        Assert.Equal(HttpStatusCode.OK, redeemed.StatusCode);
        await ownerPage.WaitUntilAsync(c => c.EventsOfType("joined").Any(e => e.GetProperty("name").GetString() == "Maria (plant)"), Wait, "the joined notification");
        await ownerPage.WaitUntilAsync(c => c.EventsOfType("status").Any(e => e.GetProperty("status").GetString() == "in-session"), Wait, "the status turning In session");
        var running = (await ListAsync(owner)).Single(s => s.Id == id);
        Assert.Equal(SessionStatus.InSession, running.Status);
        Assert.NotNull(running.InSessionSince);
        await using var guestPage = await Stack.OpenStreamAsync(guestCookies, id);
        await guestPage.WaitUntilAsync(c => c.EventsOfType("hello").Count > 0, Wait, "the guest's hello");

        // Control is over the device connection: it cannot change hands before there is one.
        var handover = await owner.PostAsJsonAsync($"/api/sessions/{id}/control/handover", new { userId = guestPage.EventsOfType("hello")[0].GetProperty("you").GetProperty("id").GetString() });
        Assert.Equal(HttpStatusCode.Conflict, handover.StatusCode);
        Assert.Contains("not connected yet", await ErrorAsync(handover), StringComparison.Ordinal);

        // Only the owner connects the device: they alone enter its credentials.
        var (other, _) = await Stack.LoginNewViewerAsync();
        var refused = await other.PostAsJsonAsync($"/api/sessions/{id}/connect", new { username = Device.UserName, password = Device.Password });
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        var guestTry = await guest.PostAsJsonAsync($"/api/sessions/{id}/connect", new { username = Device.UserName, password = Device.Password });
        Assert.Equal(HttpStatusCode.Forbidden, guestTry.StatusCode);

        // A wrong password is the device's answer; the session stays, with everyone in it, for another attempt.
        var wrong = await owner.PostAsJsonAsync($"/api/sessions/{id}/connect", new { username = Device.UserName, password = "not-" + Device.Password, columns = 80, rows = 24 });
        Assert.Equal((HttpStatusCode)422, wrong.StatusCode);
        Assert.Contains("password", await ErrorAsync(wrong), StringComparison.OrdinalIgnoreCase);
        Assert.False(guestPage.Closed);
        Assert.False((await ListAsync(owner)).Single(s => s.Id == id).Connected);

        var connected = await owner.PostAsJsonAsync($"/api/sessions/{id}/connect", new { username = Device.UserName, password = Device.Password, columns = 80, rows = 24 });
        Assert.True(connected.StatusCode == HttpStatusCode.Created, await connected.Content.ReadAsStringAsync());
        await guestPage.WaitUntilAsync(c => c.EventsOfType("status").Any(e => e.GetProperty("connected").GetBoolean()), Wait, "the guest's page told the device is connected");
        var again = await owner.PostAsJsonAsync($"/api/sessions/{id}/connect", new { username = Device.UserName, password = Device.Password, columns = 80, rows = 24 });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);

        // The device's shell, for the owner who types and the guest who watches.
        await ownerPage.WaitForOutputAsync("$", Wait);
        await ownerPage.SendInputAsync("echo support-$((6*7))\r");
        await guestPage.WaitForOutputAsync("support-42", Wait);

        Assert.Equal(HttpStatusCode.NoContent, (await owner.DeleteAsync(new Uri($"/api/sessions/{id}", UriKind.Relative))).StatusCode);
        await guestPage.WaitUntilAsync(c => c.EventsOfType("ended").Count > 0, Wait, "the end on the guest's page");
        Assert.DoesNotContain(await ListAsync(owner), s => s.Id == id);

        var audit = Stack.Cloud.Services.GetRequiredService<AuditLog>();
        var actions = audit.Read(new AuditQuery(SessionId: id, Limit: 100)).Select(e => $"{e.Action}:{e.Outcome}").ToList();
        Assert.Contains("session.create:allowed", actions);
        Assert.Contains("session.join-link:allowed", actions);
        Assert.Contains("session.connect:refused", actions);
        Assert.Contains("session.connect:failed", actions);
        Assert.Contains("session.connect:allowed", actions);
        Assert.Contains("session.end:allowed", actions);
        Assert.DoesNotContain(Device.Password, Stack.Logs.AllText(), StringComparison.Ordinal);
        other.Dispose();
        guest.Dispose();
    }

    [Fact]
    public async Task A_name_is_required_and_bounded()
    {
        var (owner, _) = await Stack.LoginAsync("admin", Stack.AdminPassword);
        foreach (var name in new[] { "", "   ", new string('x', 121), "bell\u0007" })
        {
            var response = await owner.PostAsJsonAsync("/api/support-sessions", new { applianceId = EdgeGatewayStack.ApplianceId, endpointId = EdgeGatewayStack.EndpointId, name });
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("name", await ErrorAsync(response), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_waiting_session_nobody_joins_expires_with_its_invitation()
    {
        // A cloud of its own, on a clock the test moves.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var stack = await EdgeGatewayStack.StartAsync(Device, cloudTime: clock);
        var (owner, ownerCookies) = await stack.LoginAsync("admin", stack.AdminPassword);
        var created = await CreateAsync(owner, stack, "Pump 4 alarm");
        await using var ownerPage = await stack.OpenStreamAsync(ownerCookies, created.Session.Id);
        await ownerPage.WaitUntilAsync(c => c.EventsOfType("hello").Count > 0, Wait, "the owner's hello");
        Assert.Equal(created.Invite!.ExpiresAt, created.Session.ExpiresAt);

        clock.Advance(created.Invite.ExpiresAt - clock.GetUtcNow() - TimeSpan.FromSeconds(1));
        Assert.Equal(SessionStatus.Waiting, (await ListAsync(owner)).Single(s => s.Id == created.Session.Id).Status);

        clock.Advance(TimeSpan.FromSeconds(1));
        await ownerPage.WaitUntilAsync(c => c.EventsOfType("ended").Count > 0, Wait, "the expiry on the owner's page");
        Assert.Equal("The invitation expired before anyone joined.", ownerPage.EventsOfType("ended")[0].GetProperty("message").GetString());
        Assert.DoesNotContain(await ListAsync(owner), s => s.Id == created.Session.Id);

        // Its link no longer lets anyone in.
        var (guest, _) = stack.Client.CreateClient();
        var key = created.Invite.Url[(created.Invite.Url.IndexOf("#/invite/", StringComparison.Ordinal) + "#/invite/".Length)..];
        var late = await guest.PostAsJsonAsync("/api/invites/redeem", new { key, name = "Late" });
        Assert.Equal(HttpStatusCode.Gone, late.StatusCode);
        guest.Dispose();
    }

    private static async Task<SupportSessionCreated> CreateAsync(HttpClient owner, EdgeGatewayStack stack, string name)
    {
        var response = await owner.PostAsJsonAsync("/api/support-sessions", new { applianceId = EdgeGatewayStack.ApplianceId, endpointId = EdgeGatewayStack.EndpointId, name });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"create failed: {(int)response.StatusCode} {text}");
        _ = stack;
        return JsonSerializer.Deserialize<SupportSessionCreated>(text, Web)!;
    }

    private static async Task<IReadOnlyList<SessionView>> ListAsync(HttpClient client) =>
        (await client.GetFromJsonAsync<List<SessionView>>("/api/sessions", Web))!;

    private static async Task<string> ErrorAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString() ?? string.Empty;
}
