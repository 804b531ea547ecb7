using System.Net;
using System.Text;
using EdgeGateway.Cloud.Policy;
using EdgeGateway.Testing;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace EdgeGateway.EndToEnd.Tests.Policy;

/// <summary>
/// Every administration and request-for-access endpoint, as every kind of participant, over HTTP against the real
/// stack: allowed acts work; refused ones answer with a sentence and leave a <c>refused</c> audit event naming the
/// actor and the reason; anonymous callers get 401. The matrix is printed.
/// </summary>
[Collection(PolicyCollection.Name)]
[Trait("Area", "JointSession")]
public sealed class AdminRoleMatrixTests(PolicyStackFixture fixture, ITestOutputHelper output)
{
    private const string A = EdgeGatewayStack.ApplianceId;
    private const string E = EdgeGatewayStack.EndpointId;

    private sealed record Action(string Name, string AuditAction, Func<HttpClient, Task<Api.Reply>> Run);

    private sealed record Participant(string Name, Func<Task<(HttpClient Client, string? Id)>> SignIn, Func<string, bool> Allowed);

    [Fact]
    public async Task Every_role_every_admin_action_allowed_ones_work_refused_ones_are_explained_and_audited()
    {
        var actions = new Action[]
        {
            new("list users", "-", c => c.GetJsonAsync("/api/admin/users")),
            new("create user", "user.create", c => c.PostJsonAsync("/api/admin/users", new { name = "new-" + Guid.NewGuid().ToString("N")[..8], role = Roles.Operator })),
            new("disable user", "user.update", c => c.PatchJsonAsync($"/api/admin/users/{fixture.Victim()}", new { disabled = true })),
            new("change role", "user.update", c => c.PatchJsonAsync($"/api/admin/users/{fixture.Victim()}", new { role = Roles.Technician })),
            new("reset password", "user.password-reset", c => c.PostJsonAsync($"/api/admin/users/{fixture.Victim()}/password")),
            new("create group", "group.create", c => c.PostJsonAsync("/api/admin/groups", new { name = "group-" + Guid.NewGuid().ToString("N")[..8] })),
            new("add group member", "group.member", async c =>
            {
                var group = fixture.Policies.CreateGroup(PolicyStore.DefaultDomain, "g-" + Guid.NewGuid().ToString("N")[..8])!;
                return await c.PutJsonAsync($"/api/admin/groups/{group.Id}/members/{fixture.Victim()}");
            }),
            new("grant access", "access.grant", c => c.PostJsonAsync("/api/admin/grants", new { subjectType = "user", subjectId = fixture.Victim(Roles.Technician), applianceId = A, endpointId = E })),
            new("revoke access", "access.revoke", async c =>
            {
                var grant = fixture.Policies.Grant("user", fixture.Victim(Roles.Technician), A, E, "test");
                return await c.DeleteJsonAsync($"/api/admin/grants/{grant.Id}");
            }),
            new("endpoint policy", "policy.endpoint", c => c.PutJsonAsync($"/api/admin/appliances/{A}/endpoints/{E}/policy", new { jointSession = true, maxParticipants = 10 })),
            new("accept certificate", "endpoint.certificate-accept", c =>
            {
                // The device showed a certificate other than its pin: the one an administrator may accept.
                var certificates = fixture.Stack.Cloud.Services.GetRequiredService<EndpointCertificates>();
                certificates.OnConnected(A, E, Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)), "s-matrix");
                var presented = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
                certificates.OnChanged(A, E, presented, "s-matrix", "The device's RDP certificate changed.");
                return c.PutJsonAsync($"/api/admin/appliances/{A}/endpoints/{E}/certificate", new { fingerprint = presented });
            }),
            new("domain settings", "policy.domain", c => c.PatchJsonAsync($"/api/admin/domains/{PolicyStore.DefaultDomain}", new { inviteMinutes = 15 })),
            new("create domain", "policy.domain", c => c.PostJsonAsync("/api/admin/domains", new { name = "d-" + Guid.NewGuid().ToString("N")[..8], adminName = "da-" + Guid.NewGuid().ToString("N")[..8] })),
            new("request access", "rfa.request", c => c.PostJsonAsync("/api/access-requests", new { applianceId = A, endpointId = E, reason = "firmware update", minutes = 60 })),
            new("decide request", "rfa.decide", async c =>
            {
                var request = fixture.Policies.CreateRequest(fixture.Victim(Roles.Technician), A, E, "maintenance", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddHours(1));
                return await c.PostJsonAsync($"/api/access-requests/{request.Id}/decision", new { approve = true, reason = "ok" });
            }),
            new("list appliances", "-", c => c.GetJsonAsync("/api/appliances")),
        };

        static bool AdminOnly(string action) => action is not ("request access" or "list appliances");
        var participants = new Participant[]
        {
            new("domain admin", async () => Signed(await fixture.PersonAsync(Roles.DomainAdmin)), a => a != "request access"),
            new("technician (access)", async () => Signed(await fixture.PersonAsync(Roles.Technician, grant: true)), a => !AdminOnly(a)),
            new("technician (no access)", async () => Signed(await fixture.PersonAsync(Roles.Technician)), a => a == "list appliances"),
            new("operator (access)", async () => Signed(await fixture.PersonAsync(Roles.Operator, grant: true)), a => a == "list appliances"),
            new("field engineer", async () => Signed(await fixture.PersonAsync(Roles.FieldEngineer)), a => a == "list appliances"),
            new("anonymous", () => Task.FromResult<(HttpClient, string?)>((fixture.Anonymous(), null)), _ => false),
        };

        var table = new Dictionary<(string, string), string>();
        var failures = new List<string>();
        foreach (var participant in participants)
        {
            var (client, actorId) = await participant.SignIn();
            foreach (var action in actions)
            {
                var before = fixture.LastAuditSeq;
                var reply = await action.Run(client);
                var expected = participant.Allowed(action.Name);
                var ok = (int)reply.Status is >= 200 and < 300;
                var events = fixture.AuditSince(before).Where(e => e.Action == action.AuditAction && e.ActorId == actorId).ToList();
                string cell;
                if (ok)
                {
                    cell = $"✓ {(int)reply.Status}";
                    if (action.AuditAction != "-" && !events.Any(e => e.Outcome == "allowed"))
                    {
                        failures.Add($"{participant.Name} / {action.Name}: allowed but no '{action.AuditAction}' allowed event");
                    }
                }
                else
                {
                    var reason = events.FirstOrDefault(e => e.Outcome == "refused")?.Reason;
                    cell = $"✗ {(int)reply.Status} {reason}".TrimEnd();
                    if (actorId is null)
                    {
                        if (reply.Status != HttpStatusCode.Unauthorized)
                        {
                            failures.Add($"{participant.Name} / {action.Name}: expected 401, got {reply}");
                        }
                    }
                    else if (string.IsNullOrWhiteSpace(reply.Error))
                    {
                        failures.Add($"{participant.Name} / {action.Name}: refused without a sentence: {reply}");
                    }
                    else if (action.AuditAction != "-" && reason is null)
                    {
                        failures.Add($"{participant.Name} / {action.Name}: refused ({reply}) without a refused audit event");
                    }
                }

                if (ok != expected)
                {
                    failures.Add($"{participant.Name} / {action.Name}: expected {(expected ? "allowed" : "refused")}, got {reply}");
                }

                table[(action.Name, participant.Name)] = cell;
            }
        }

        var text = new StringBuilder();
        text.Append($"| {"action",-18} |");
        foreach (var p in participants)
        {
            text.Append($" {p.Name,-24} |");
        }

        text.AppendLine();
        foreach (var action in actions)
        {
            text.Append($"| {action.Name,-18} |");
            foreach (var p in participants)
            {
                text.Append($" {table[(action.Name, p.Name)],-24} |");
            }

            text.AppendLine();
        }

        output.WriteLine(text.ToString());
        Assert.True(failures.Count == 0, string.Join("\n", failures) + "\n" + text);
    }

    private static (HttpClient Client, string? Id) Signed(Person person) => (person.Client, person.Id);
}
