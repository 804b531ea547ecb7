using System.Net;
using System.Text.Json;
using EdgeGateway.Cloud.Policy;
using EdgeGateway.Testing;

namespace EdgeGateway.EndToEnd.Tests.Policy;

/// <summary>Access grants and endpoint policy as the dashboard sees them, requests for access end to end, and domains.</summary>
[Collection(PolicyCollection.Name)]
[Trait("Area", "JointSession")]
public sealed class AccessTests(PolicyStackFixture fixture)
{
    private const string A = EdgeGatewayStack.ApplianceId;
    private const string E = EdgeGatewayStack.EndpointId;

    private static JsonElement Endpoint(Api.Reply appliances) =>
        appliances.Body.EnumerateArray().Single(a => a.Str("id") == A).GetProperty("endpoints").EnumerateArray().Single(e => e.Str("id") == E);

    [Fact]
    public async Task The_appliance_list_says_per_endpoint_who_may_start_and_carries_the_policy()
    {
        var admin = await fixture.PersonAsync(Roles.DomainAdmin);
        var technician = await fixture.PersonAsync(Roles.Technician);
        var operatorWithGrant = await fixture.PersonAsync(Roles.Operator, grant: true);

        var endpoint = Endpoint(await technician.Client.GetJsonAsync("/api/appliances"));
        Assert.False(endpoint.GetProperty("access").GetBoolean());
        Assert.Equal("Test device", endpoint.Str("name"));
        Assert.Equal(10, endpoint.GetProperty("policy").GetProperty("maxParticipants").GetInt32());
        Assert.True(Endpoint(await admin.Client.GetJsonAsync("/api/appliances")).GetProperty("access").GetBoolean());
        Assert.False(Endpoint(await operatorWithGrant.Client.GetJsonAsync("/api/appliances")).GetProperty("access").GetBoolean());

        // A group grant gives access to its members.
        var group = await admin.Client.PostJsonAsync("/api/admin/groups", new { name = "line-" + Guid.NewGuid().ToString("N")[..6] });
        Assert.Equal(HttpStatusCode.Created, group.Status);
        Assert.Equal(HttpStatusCode.OK, (await admin.Client.PutJsonAsync($"/api/admin/groups/{group.Body.Str("id")}/members/{technician.Id}")).Status);
        var grant = await admin.Client.PostJsonAsync("/api/admin/grants", new { subjectType = "group", subjectId = group.Body.Str("id"), applianceId = A });
        Assert.Equal(HttpStatusCode.Created, grant.Status);
        Assert.Equal("*", grant.Body.Str("endpointId"));
        Assert.True(Endpoint(await technician.Client.GetJsonAsync("/api/appliances")).GetProperty("access").GetBoolean());
        var grants = await admin.Client.GetJsonAsync("/api/admin/grants");
        Assert.Contains(grants.Body.EnumerateArray(), g => g.Str("id") == grant.Body.Str("id") && g.Str("subjectName") == group.Body.Str("name"));

        Assert.Equal(HttpStatusCode.NoContent, (await admin.Client.DeleteJsonAsync($"/api/admin/grants/{grant.Body.Str("id")}")).Status);
        Assert.False(Endpoint(await technician.Client.GetJsonAsync("/api/appliances")).GetProperty("access").GetBoolean());

        var missing = await admin.Client.PostJsonAsync("/api/admin/grants", new { subjectType = "user", subjectId = technician.Id, applianceId = A, endpointId = "no-such-endpoint" });
        Assert.Equal(HttpStatusCode.NotFound, missing.Status);
        Assert.Equal("There is no such appliance or endpoint in this domain.", missing.Error);
    }

    [Fact]
    public async Task Endpoint_policy_is_validated_and_shown()
    {
        var admin = await fixture.PersonAsync(Roles.DomainAdmin);
        var path = $"/api/admin/appliances/{A}/endpoints/{E}/policy";
        try
        {
            var bad = await admin.Client.PutJsonAsync(path, new { maxParticipants = 0 });
            Assert.Equal(HttpStatusCode.BadRequest, bad.Status);
            Assert.Equal("The maximum number of participants must be between 1 and 100.", bad.Error);
            var tooLong = await admin.Client.PutJsonAsync(path, new { maxParticipants = 5, maxSessionMinutes = 8 * 24 * 60 });
            Assert.Equal("The maximum session length must be between 1 minute and 7 days.", tooLong.Error);

            var set = await admin.Client.PutJsonAsync(path, new { jointSession = false, maxParticipants = 4, rfaRequired = true, maxSessionMinutes = 90, sharedControl = true, supervisionRequired = true });
            Assert.Equal(HttpStatusCode.OK, set.Status);
            var shown = Endpoint(await admin.Client.GetJsonAsync("/api/appliances")).GetProperty("policy");
            Assert.Equal((false, 4, true, 90, true, true), (shown.GetProperty("jointSession").GetBoolean(), shown.GetProperty("maxParticipants").GetInt32(), shown.GetProperty("rfaRequired").GetBoolean(),
                shown.GetProperty("maxSessionMinutes").GetInt32(), shown.GetProperty("sharedControl").GetBoolean(), shown.GetProperty("supervisionRequired").GetBoolean()));
            Assert.Contains(fixture.AuditSince(0), e => e is { Action: "policy.endpoint", Outcome: "allowed", ApplianceId: A, EndpointId: E } && e.Detail!.Contains("max 4 participants", StringComparison.Ordinal));
        }
        finally
        {
            await admin.Client.PutJsonAsync(path, new { });
        }
    }

    [Fact]
    public async Task A_technician_requests_access_the_admin_sees_it_first_and_approves_and_the_approval_is_current()
    {
        var admin = await fixture.PersonAsync(Roles.DomainAdmin);
        var technician = await fixture.PersonAsync(Roles.Technician, grant: true);

        var missingReason = await technician.Client.PostJsonAsync("/api/access-requests", new { applianceId = A, endpointId = E, reason = " ", minutes = 30 });
        Assert.Equal(HttpStatusCode.BadRequest, missingReason.Status);
        Assert.Equal("Say why you need access: the approver reads it.", missingReason.Error);
        var tooLong = await technician.Client.PostJsonAsync("/api/access-requests", new { applianceId = A, endpointId = E, reason = "x", validFrom = DateTimeOffset.UtcNow, validUntil = DateTimeOffset.UtcNow.AddDays(8) });
        Assert.Equal("A request covers at most 7 days.", tooLong.Error);

        var created = await technician.Client.PostJsonAsync("/api/access-requests", new { applianceId = A, endpointId = E, reason = "Replace the drive's firmware", minutes = 45 });
        Assert.Equal(HttpStatusCode.Created, created.Status);
        Assert.Equal(("pending", "Test device", technician.Name), (created.Body.Str("status"), created.Body.Str("endpointName"), created.Body.Str("userName")));
        var again = await technician.Client.PostJsonAsync("/api/access-requests", new { applianceId = A, endpointId = E, reason = "again", minutes = 45 });
        Assert.Equal(HttpStatusCode.Conflict, again.Status);

        // The admin's queue has it first; the technician sees only their own.
        var queue = await admin.Client.GetJsonAsync("/api/access-requests");
        Assert.Equal(created.Body.Str("id"), queue.Body.EnumerateArray().First().Str("id"));
        var own = await technician.Client.GetJsonAsync("/api/access-requests");
        Assert.All(own.Body.EnumerateArray(), r => Assert.Equal(technician.Id, r.Str("userId")));

        var id = created.Body.Str("id");
        var denyWithout = await admin.Client.PostJsonAsync($"/api/access-requests/{id}/decision", new { approve = false });
        Assert.Equal("Give a reason for the denial: the requester reads it.", denyWithout.Error);
        var approved = await admin.Client.PostJsonAsync($"/api/access-requests/{id}/decision", new { approve = true, reason = "Window agreed with the shift lead" });
        Assert.Equal(HttpStatusCode.OK, approved.Status);
        Assert.Equal(("approved", true, admin.Name), (approved.Body.Str("status"), approved.Body.GetProperty("active").GetBoolean(), approved.Body.Str("decidedByName")));
        Assert.Equal(HttpStatusCode.Conflict, (await admin.Client.PostJsonAsync($"/api/access-requests/{id}/decision", new { approve = false, reason = "changed my mind" })).Status);

        var current = fixture.Policies.CurrentApproval(technician.Id, A, E, DateTimeOffset.UtcNow);
        Assert.Equal(id, current?.Id);
        Assert.InRange(current!.ValidUntil - current.ValidFrom, TimeSpan.FromMinutes(45), TimeSpan.FromMinutes(45));
        Assert.Contains(fixture.AuditSince(0), e => e is { Action: "rfa.request", Outcome: "allowed" } && e.ActorId == technician.Id);
        Assert.Contains(fixture.AuditSince(0), e => e is { Action: "rfa.decide", Outcome: "allowed" } && e.ActorId == admin.Id && e.Detail!.StartsWith("approved", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_new_domain_sees_only_its_appliances_and_its_admin_cannot_manage_the_default_domain()
    {
        var installation = await fixture.PersonAsync(Roles.DomainAdmin);
        var created = await installation.Client.PostJsonAsync("/api/admin/domains", new { name = "plant-" + Guid.NewGuid().ToString("N")[..8], adminName = "pa-" + Guid.NewGuid().ToString("N")[..8] });
        Assert.Equal(HttpStatusCode.Created, created.Status);
        var domainId = created.Body.GetProperty("domain").Str("id");
        var (plantAdmin, _) = await fixture.Stack.LoginAsync(created.Body.GetProperty("admin").Str("name"), created.Body.Str("password"));

        Assert.Empty((await plantAdmin.GetJsonAsync("/api/appliances")).Body.EnumerateArray());
        var refused = await plantAdmin.PutJsonAsync($"/api/admin/appliances/{A}/endpoints/{E}/policy", new { maxParticipants = 2 });
        Assert.Equal(HttpStatusCode.Forbidden, refused.Status);
        Assert.Equal("Only a domain administrator of this domain can do this.", refused.Error);
        Assert.Equal(HttpStatusCode.Forbidden, (await plantAdmin.PutJsonAsync($"/api/admin/appliances/{A}/domain", new { domainId })).Status);
        Assert.Single((await plantAdmin.GetJsonAsync("/api/admin/domains")).Body.EnumerateArray());

        try
        {
            Assert.Equal(HttpStatusCode.OK, (await installation.Client.PutJsonAsync($"/api/admin/appliances/{A}/domain", new { domainId })).Status);
            Assert.Single((await plantAdmin.GetJsonAsync("/api/appliances")).Body.EnumerateArray());
            Assert.DoesNotContain((await installation.Client.GetJsonAsync("/api/appliances")).Body.EnumerateArray(), a => a.Str("id") == A);
            Assert.Contains((await installation.Client.GetJsonAsync("/api/admin/appliances")).Body.EnumerateArray(), a => a.Str("id") == A && a.Str("domainId") == domainId);
        }
        finally
        {
            Assert.Equal(HttpStatusCode.OK, (await installation.Client.PutJsonAsync($"/api/admin/appliances/{A}/domain", new { domainId = PolicyStore.DefaultDomain })).Status);
        }
    }

    [Fact]
    public async Task An_admin_creates_a_user_with_a_generated_password_shown_once_and_resets_it()
    {
        var admin = await fixture.PersonAsync(Roles.DomainAdmin);
        var name = "new-" + Guid.NewGuid().ToString("N")[..8];
        var created = await admin.Client.PostJsonAsync("/api/admin/users", new { name, role = Roles.Technician });
        Assert.Equal(HttpStatusCode.Created, created.Status);
        var password = created.Body.Str("password");
        Assert.Equal(20, password.Length);
        Assert.Equal(HttpStatusCode.Conflict, (await admin.Client.PostJsonAsync("/api/admin/users", new { name, role = Roles.Operator })).Status);
        Assert.Equal("The role is one of: domain-admin, technician, operator, field-engineer.", (await admin.Client.PostJsonAsync("/api/admin/users", new { name = name + "x", role = "root" })).Error);
        Assert.Contains((await admin.Client.GetJsonAsync("/api/admin/users")).Body.EnumerateArray(), u => u.Str("name") == name && u.Str("role") == Roles.Technician);

        var id = created.Body.GetProperty("user").Str("id");
        var reset = await admin.Client.PostJsonAsync($"/api/admin/users/{id}/password");
        var newPassword = reset.Body.Str("password");
        Assert.NotEqual(password, newPassword);
        Assert.Equal(HttpStatusCode.Unauthorized, (await fixture.Anonymous().PostJsonAsync("/api/auth/login", new { username = name, password })).Status);
        Assert.Equal(HttpStatusCode.OK, (await fixture.Anonymous().PostJsonAsync("/api/auth/login", new { username = name, password = newPassword })).Status);

        var self = await admin.Client.PatchJsonAsync($"/api/admin/users/{admin.Id}", new { disabled = true });
        Assert.Equal(HttpStatusCode.Conflict, self.Status);
        Assert.Equal("You cannot disable your own account or change your own role; another administrator can.", self.Error);
        Assert.DoesNotContain(fixture.AuditSince(0), e => $"{e}".Contains(password, StringComparison.Ordinal) || $"{e}".Contains(newPassword, StringComparison.Ordinal));
    }
}
