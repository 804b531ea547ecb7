using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using EdgeGateway.Cloud.Policy;
using EdgeGateway.Testing;

namespace EdgeGateway.EndToEnd.Tests.Ssh;

/// <summary>
/// The audit and history API through the real stack: verify, the SIEM export (JSON lines, paged by Link headers,
/// itself audited), a real session's history as its Controller and as someone who took no part, and refusals with
/// the sentence the user sees.
/// </summary>
[Trait("Area", "JointSession")]
[Collection(SshCollection.Name)]
public sealed class AuditHistoryApiTests(SshStackFixture fixture)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private EdgeGatewayStack Stack => fixture.Stack;

    [Fact]
    public async Task Admin_verifies_and_exports_the_log_in_pages_that_chain_and_the_export_is_audited()
    {
        var (admin, _) = await Stack.LoginAsync("admin", Stack.AdminPassword);
        for (var i = 0; i < 3; i++)
        {
            var verify = await admin.GetFromJsonAsync<AuditVerification>("/api/audit/verify", Json);
            Assert.True(verify!.Intact, verify.Message);
        }

        var first = await admin.GetAsync("/api/audit/export?limit=2");
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("application/x-ndjson", first.Content.Headers.ContentType?.MediaType);
        var page1 = await Lines(first);
        var next = Assert.Single(first.Headers.GetValues("Link"));
        Assert.Matches("^<https://[^>]+/api/audit/export\\?limit=2&after=\\d+>; rel=\"next\"$", next);

        var second = await admin.GetAsync(next[1..next.IndexOf('>', StringComparison.Ordinal)]);
        var page2 = await Lines(second);

        Assert.Equal(2, page1.Count);
        Assert.NotEmpty(page2);
        var all = page1.Concat(page2).ToList();
        Assert.Equal(Enumerable.Range(0, all.Count).Select(i => all[0].GetProperty("seq").GetInt64() + i), all.Select(e => e.GetProperty("seq").GetInt64()));
        Assert.All(all.Skip(1), (e, i) => Assert.Equal(all[i].GetProperty("hash").GetString(), e.GetProperty("prevHash").GetString()));
        foreach (var name in new[] { "seq", "at", "actor", "action", "outcome", "reason", "target", "source", "detail", "prevHash", "hash" })
        {
            Assert.True(all[0].TryGetProperty(name, out _), $"an exported event lacks '{name}': {all[0]}");
        }

        var latest = await admin.GetFromJsonAsync<JsonElement[]>("/api/audit/events?limit=5", Json);
        Assert.Contains(latest!, e => e.GetProperty("action").GetString() == "audit.export" && e.GetProperty("detail").GetString() == "after 0, limit 2");
        Assert.Contains(latest!, e => e.GetProperty("action").GetString() == "audit.verify" && e.GetProperty("actor").GetProperty("name").GetString() == "admin");
    }

    [Fact]
    public async Task A_technician_is_refused_the_audit_with_a_sentence_and_the_refusal_is_audited()
    {
        var (technician, _) = await Stack.LoginNewViewerAsync();
        var (admin, _) = await Stack.LoginAsync("admin", Stack.AdminPassword);

        var verify = await technician.GetAsync("/api/audit/verify");
        var export = await technician.GetAsync("/api/audit/export");
        var anonymous = await Stack.CreateClient().Client.GetAsync("/api/audit/export");
        var badLimit = await admin.GetAsync("/api/audit/export?limit=10001");
        var badTime = await admin.GetAsync("/api/history/sessions?from=yesterday");

        Assert.Equal(HttpStatusCode.Forbidden, verify.StatusCode);
        Assert.Equal("Only a domain administrator of this domain can do this.", await Error(verify));
        Assert.Equal(HttpStatusCode.Forbidden, export.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badLimit.StatusCode);
        Assert.Equal("'limit' must be a whole number from 1 to 10000.", await Error(badLimit));
        Assert.Equal("'from' is not a time: give ISO 8601, e.g. 2030-01-02T03:04:05Z.", await Error(badTime));
        var latest = await admin.GetFromJsonAsync<JsonElement[]>("/api/audit/events?limit=20", Json);
        Assert.Contains(latest!, e => e.GetProperty("action").GetString() == "audit.export" && e.GetProperty("outcome").GetString() == "refused" && e.GetProperty("reason").GetString() == "role");
    }

    [Fact]
    public async Task History_shows_a_real_session_to_its_Controller_with_how_it_ended_and_not_to_others()
    {
        var name = "tech-" + Guid.NewGuid().ToString("N")[..8];
        var user = Stack.CreateUser(name, "pw-" + name, Roles.DomainAdmin);
        var (controller, _) = await Stack.LoginAsync(name, "pw-" + name);
        var (outsider, _) = await Stack.LoginNewViewerAsync();
        var session = await EdgeGatewayStack.StartSessionAsync(controller, fixture.Device);

        var running = await History(controller, $"?userId={user.Id}");
        Assert.Equal(HttpStatusCode.NoContent, (await controller.DeleteAsync($"/api/sessions/{session.Id}")).StatusCode);
        HistorySession? ended = null;
        await Conditions.WaitUntilAsync(
            () => (ended = History(controller, $"?userId={user.Id}").GetAwaiter().GetResult().FirstOrDefault(s => s.Status == "ended")) is not null,
            TimeSpan.FromSeconds(10),
            "the session recorded as ended");
        var theirs = await History(outsider, string.Empty);

        var now = Assert.Single(running);
        Assert.Equal((session.Id, "in-session", session.EndpointName, name), (now.Id, now.Status, now.EndpointName, now.Controller.Name));
        Assert.Equal(session.Id, ended!.Id);
        Assert.Equal($"{name} ended the session.", ended.EndMessage);
        Assert.True(ended.DurationSeconds >= 0 && ended.EndedAt >= ended.StartedAt);
        Assert.DoesNotContain(theirs, s => s.Id == session.Id);
    }

    private static async Task<List<HistorySession>> History(HttpClient client, string query) =>
        await client.GetFromJsonAsync<List<HistorySession>>("/api/history/sessions" + query, Json) ?? [];

    private static async Task<List<JsonElement>> Lines(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonSerializer.Deserialize<JsonElement>(line))];
    }

    private static async Task<string?> Error(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString();
}
