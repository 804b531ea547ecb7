using EdgeGateway.Protocol.Control;
using static EdgeGateway.Cloud.Policy.PolicyEndpoints;

namespace EdgeGateway.Cloud.Policy;

/// <summary>
/// Administration (<c>/api/admin/…</c>): users, groups, access grants, endpoint policy, domain settings and domains.
/// Every change resolves the actor, is decided by <see cref="Authorizer"/> (<see cref="Act.Administer"/> on the domain
/// it changes), audited (allowed and refused), and only then applied by the store. A domain administrator manages
/// their own domain. Creating domains and moving appliances between them is the installation's administration:
/// decided on the default domain, so its administrators (the first <c>admin</c> among them) do it.
/// </summary>
internal static class AdminEndpoints
{
    /// <summary>Body of <c>POST /api/admin/users</c>. Without a password, one is generated and shown once.</summary>
    public sealed record CreateUserRequest(string Name, string Role, string? Password = null)
    {
        public override string ToString() => $"CreateUserRequest {{ Name = {Name}, Role = {Role}, Password = *** }}";
    }

    /// <summary>A new account and, when it was generated, its password (shown this once).</summary>
    public sealed record CreatedUser(UserInfo User, [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? Password);

    /// <summary>Body of <c>PATCH /api/admin/users/{id}</c>: the fields to change.</summary>
    public sealed record UpdateUserRequest(string? Role = null, bool? Disabled = null);

    /// <summary>A new password, shown this once.</summary>
    public sealed record NewPassword(string Password);

    public sealed record CreateGroupRequest(string Name);

    /// <summary>Body of <c>POST /api/admin/grants</c>: <c>SubjectType</c> <c>user</c> or <c>group</c>; <c>EndpointId</c> null or <c>*</c> for all of the appliance's endpoints.</summary>
    public sealed record CreateGrantRequest(string SubjectType, string SubjectId, string ApplianceId, string? EndpointId = null);

    /// <summary>A grant with its subject's name, for the admin page.</summary>
    public sealed record GrantView(string Id, string SubjectType, string SubjectId, string SubjectName, string ApplianceId, string EndpointId);

    /// <summary>Body of <c>PUT …/policy</c>; a field left out takes its default (<see cref="EndpointPolicy.Default"/>). <c>MaxSessionMinutes</c> null: no limit.</summary>
    public sealed record EndpointPolicyRequest(bool? JointSession, int? MaxParticipants, bool? RfaRequired, int? MaxSessionMinutes, bool? SharedControl, bool? SupervisionRequired, string? Clipboard = null);

    /// <summary>An endpoint with its policy, for the admin page.</summary>
    public sealed record AdminEndpointView(string Id, string Name, string Protocol, string Host, int Port, EndpointPolicy Policy, EndpointCertificate? Certificate = null);

    /// <summary>Body of <c>PUT /api/admin/appliances/{a}/endpoints/{e}/certificate</c>: the fingerprint the device presented, to pin.</summary>
    public sealed record AcceptCertificateRequest(string Fingerprint);

    /// <summary>An appliance with its domain and its endpoints' policies, for the admin page.</summary>
    public sealed record AdminApplianceView(string Id, string Name, bool Online, string DomainId, IReadOnlyList<AdminEndpointView> Endpoints);

    public sealed record AssignApplianceRequest(string DomainId);

    /// <summary>Body of <c>POST /api/admin/domains</c>: the domain and its first administrator's user name.</summary>
    public sealed record CreateDomainRequest(string Name, string AdminName);

    /// <summary>A new domain, its first administrator and their password (shown this once).</summary>
    public sealed record CreatedDomain(DomainInfo Domain, UserInfo Admin, string Password);

    /// <summary>Body of <c>PATCH /api/admin/domains/{id}</c>. <c>InviteMinutes</c>: 1–1440.</summary>
    public sealed record UpdateDomainRequest(bool? AdminTotpRequired = null, int? InviteMinutes = null);

    public static void MapAdmin(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api/admin").RequireAuthorization().WithTags("Administration");
        admin.MapGet("/users", ListUsers);
        admin.MapPost("/users", CreateUser);
        admin.MapPatch("/users/{id}", UpdateUser);
        admin.MapPost("/users/{id}/password", ResetPassword);
        admin.MapDelete("/users/{id}/totp", ResetTotp);
        admin.MapGet("/groups", ListGroups);
        admin.MapPost("/groups", CreateGroup);
        admin.MapPut("/groups/{id}/members/{userId}", (string id, string userId, HttpContext c, Governed g, PolicyStore p, UserStore u) => SetMember(id, userId, true, c, g, p, u));
        admin.MapDelete("/groups/{id}/members/{userId}", (string id, string userId, HttpContext c, Governed g, PolicyStore p, UserStore u) => SetMember(id, userId, false, c, g, p, u));
        admin.MapGet("/grants", ListGrants);
        admin.MapPost("/grants", CreateGrant);
        admin.MapDelete("/grants/{id}", RevokeGrant);
        admin.MapGet("/appliances", ListAppliances);
        admin.MapPut("/appliances/{applianceId}/endpoints/{endpointId}/policy", SetEndpointPolicy);
        admin.MapPut("/appliances/{applianceId}/endpoints/{endpointId}/certificate", AcceptCertificate);
        admin.MapPut("/appliances/{applianceId}/domain", AssignAppliance);
        admin.MapGet("/domains", ListDomains);
        admin.MapPost("/domains", CreateDomain);
        admin.MapPatch("/domains/{id}", UpdateDomain);
    }

    // ---- users

    private static IResult ListUsers(HttpContext context, Governed governed, UserStore users) =>
        governed.Read(context, out var actor) ?? TypedResults.Ok(users.List(actor.DomainId));

    private static IResult CreateUser(CreateUserRequest body, HttpContext context, Governed governed, UserStore users)
    {
        if (governed.Decide(context, "user.create", Target(context, governed), out var actor, detail: body is null ? null : $"user {AuditText.Short(body.Name, 64)} ({AuditText.Short(body.Role, 20)})") is { } refused)
        {
            return refused;
        }

        var problem = body is null ? "Enter a user name and a role."
            : UserNames.Validate(body.Name) ?? (Roles.IsKnown(body.Role) ? null : $"The role is one of: {string.Join(", ", Roles.All)}.")
            ?? (body.Password is { Length: < 12 or > 1024 } ? "A password has 12 to 1024 characters." : null);
        if (problem is not null)
        {
            return BadRequest(problem);
        }

        var password = body!.Password ?? PasswordHasher.NewPassword();
        var user = users.Create(body.Name, password, body.Role, actor.DomainId);
        return user is null
            ? Conflict($"There is already a user named {body.Name}.")
            : TypedResults.Created($"/api/admin/users/{user.Id}", new CreatedUser(user, body.Password is null ? password : null));
    }

    private static async Task<IResult> UpdateUser(string id, UpdateUserRequest body, HttpContext context, Governed governed, UserStore users, Sessions.SessionGovernance sessions)
    {
        if (users.Find(id) is not { } user)
        {
            return NoSuchUser(context, governed);
        }

        var changes = body is null ? null : string.Join(", ", new[]
        {
            body.Role is null || body.Role == user.Role ? null : $"role {user.Role} → {AuditText.Short(body.Role, 20)}",
            body.Disabled is not { } d || d == user.Disabled ? null : d ? "disabled" : "enabled",
        }.Where(c => c is not null));
        if (governed.Decide(context, "user.update", new Target(user.DomainId), out var actor, detail: $"user {user.Name}: {changes}") is { } refused)
        {
            return refused;
        }

        if (body?.Role is { } role && !Roles.IsKnown(role))
        {
            return BadRequest($"The role is one of: {string.Join(", ", Roles.All)}.");
        }

        if (user.Id == actor.Id && (body?.Disabled == true || body?.Role is { } r && r != user.Role))
        {
            return Conflict("You cannot disable your own account or change your own role; another administrator can.");
        }

        users.Update(id, body?.Role, body?.Disabled);
        if (body?.Disabled == true && !user.Disabled)
        {
            // Refused on every new request already (Actors reads the account each time); what they have open closes now.
            await sessions.UserDisabledAsync(user, actor, context.RequestAborted);
        }

        return TypedResults.Ok(users.Find(id));
    }

    private static IResult ResetPassword(string id, HttpContext context, Governed governed, UserStore users)
    {
        if (users.Find(id) is not { } user)
        {
            return NoSuchUser(context, governed);
        }

        if (governed.Decide(context, "user.password-reset", new Target(user.DomainId), out _, detail: $"user {user.Name}") is { } refused)
        {
            return refused;
        }

        var password = PasswordHasher.NewPassword();
        users.SetPassword(id, password);
        return TypedResults.Ok(new NewPassword(password));
    }

    /// <summary>Removes a user's authenticator (a lost phone): they enrol a new one at their next sign-in where required.</summary>
    private static IResult ResetTotp(string id, HttpContext context, Governed governed, UserStore users)
    {
        if (users.Find(id) is not { } user)
        {
            return NoSuchUser(context, governed);
        }

        if (governed.Decide(context, "user.update", new Target(user.DomainId), out _, detail: $"user {user.Name}: authenticator removed") is { } refused)
        {
            return refused;
        }

        users.SetTotpSecret(id, null);
        return TypedResults.NoContent();
    }

    // ---- groups

    private static IResult ListGroups(HttpContext context, Governed governed, PolicyStore policies) =>
        governed.Read(context, out var actor) ?? TypedResults.Ok(policies.Groups(actor.DomainId));

    private static IResult CreateGroup(CreateGroupRequest body, HttpContext context, Governed governed, PolicyStore policies)
    {
        if (governed.Decide(context, "group.create", Target(context, governed), out var actor, detail: $"group {AuditText.Short(body?.Name, 64)}") is { } refused)
        {
            return refused;
        }

        if (string.IsNullOrWhiteSpace(body?.Name) || body.Name.Length > 64 || body.Name.Any(char.IsControl))
        {
            return BadRequest("A group name has 1 to 64 characters.");
        }

        var group = policies.CreateGroup(actor.DomainId, body.Name.Trim());
        return group is null ? Conflict($"There is already a group named {body.Name.Trim()}.") : TypedResults.Created($"/api/admin/groups/{group.Id}", group);
    }

    private static IResult SetMember(string id, string userId, bool member, HttpContext context, Governed governed, PolicyStore policies, UserStore users)
    {
        if (policies.FindGroup(id) is not { } group)
        {
            return governed.Read(context, out _) ?? NotFound("There is no such group.");
        }

        var user = users.Find(userId);
        if (governed.Decide(context, "group.member", new Target(group.DomainId), out _, detail: $"group {group.Name}: {(member ? "+" : "−")} {user?.Name ?? userId}") is { } refused)
        {
            return refused;
        }

        if (user is null || user.DomainId != group.DomainId)
        {
            return NotFound("There is no such user in this domain.");
        }

        policies.SetGroupMember(id, userId, member);
        return TypedResults.Ok(policies.FindGroup(id));
    }

    // ---- access grants

    private static IResult ListGrants(HttpContext context, Governed governed, PolicyStore policies, UserStore users)
    {
        if (governed.Read(context, out var actor) is { } refused)
        {
            return refused;
        }

        var userNames = users.List(actor.DomainId).ToDictionary(u => u.Id, u => u.Name);
        var groupNames = policies.Groups(actor.DomainId).ToDictionary(g => g.Id, g => g.Name);
        return TypedResults.Ok(policies.Grants(actor.DomainId).Select(g => new GrantView(
            g.Id, g.SubjectType, g.SubjectId,
            (g.SubjectType == "user" ? userNames.GetValueOrDefault(g.SubjectId) : groupNames.GetValueOrDefault(g.SubjectId)) ?? g.SubjectId,
            g.ApplianceId, g.EndpointId)).ToList());
    }

    private static IResult CreateGrant(CreateGrantRequest body, HttpContext context, Governed governed, PolicyStore policies, UserStore users, ApplianceRegistry registry)
    {
        if (body is null || body.SubjectType is not ("user" or "group") || string.IsNullOrEmpty(body.SubjectId) || string.IsNullOrEmpty(body.ApplianceId))
        {
            return governed.Read(context, out _) ?? BadRequest("Name a user or a group (subjectType 'user' or 'group', subjectId) and an appliance.");
        }

        var endpointId = string.IsNullOrEmpty(body.EndpointId) ? "*" : body.EndpointId;
        var domain = policies.ApplianceDomain(body.ApplianceId);
        var subjectDomain = body.SubjectType == "user" ? users.Find(body.SubjectId)?.DomainId : policies.FindGroup(body.SubjectId)?.DomainId;
        if (governed.Decide(context, "access.grant", new Target(domain, body.ApplianceId, endpointId), out var actor, body.ApplianceId, endpointId, detail: $"{body.SubjectType} {AuditText.Short(body.SubjectId, 40)}") is { } refused)
        {
            return refused;
        }

        if (endpointId == "*" ? !registry.List(domain).Any(a => a.Id == body.ApplianceId) : registry.FindEndpoint(body.ApplianceId, endpointId) is null)
        {
            return NotFound("There is no such appliance or endpoint in this domain.");
        }

        if (subjectDomain != domain)
        {
            return NotFound($"There is no such {body.SubjectType} in this domain.");
        }

        var grant = policies.Grant(body.SubjectType, body.SubjectId, body.ApplianceId, endpointId, actor.Id);
        return TypedResults.Created($"/api/admin/grants/{grant.Id}", grant);
    }

    private static IResult RevokeGrant(string id, HttpContext context, Governed governed, PolicyStore policies)
    {
        if (policies.FindGrant(id) is not { } grant)
        {
            return governed.Read(context, out _) ?? NotFound("There is no such grant.");
        }

        if (governed.Decide(context, "access.revoke", new Target(policies.ApplianceDomain(grant.ApplianceId), grant.ApplianceId, grant.EndpointId), out _, grant.ApplianceId, grant.EndpointId, detail: $"{grant.SubjectType} {grant.SubjectId}") is { } refused)
        {
            return refused;
        }

        policies.Revoke(id);
        return TypedResults.NoContent();
    }

    // ---- appliances and endpoint policy

    private static IResult ListAppliances(HttpContext context, Governed governed, ApplianceRegistry registry, PolicyStore policies, EndpointCertificates certificates)
    {
        if (governed.Read(context, out var actor) is { } refused)
        {
            return refused;
        }

        var installation = Authorizer.Decide(actor, Act.Administer, new Target(PolicyStore.DefaultDomain)).Allowed;
        return TypedResults.Ok(registry.List(installation ? null : actor.DomainId).Select(a => new AdminApplianceView(a.Id, a.Name, a.Online, a.DomainId,
            [.. a.Endpoints.Select(e => new AdminEndpointView(e.Id, e.Name, e.Protocol, e.Host, e.Port, policies.EndpointPolicy(a.Id, e.Id), certificates.Find(a.Id, e.Id)))])).ToList());
    }

    /// <summary>
    /// An administrator accepts the certificate an endpoint's device presented after its pin (trust on first use): it
    /// becomes the pin. 404 when that certificate is not the one waiting (the page sends what the device showed).
    /// </summary>
    private static IResult AcceptCertificate(string applianceId, string endpointId, AcceptCertificateRequest body, HttpContext context, Governed governed, PolicyStore policies, EndpointCertificates certificates)
    {
        var fingerprint = body?.Fingerprint?.Trim().Replace(":", string.Empty, StringComparison.Ordinal).ToUpperInvariant();
        var domain = policies.ApplianceDomain(applianceId);
        if (governed.Decide(context, "endpoint.certificate-accept", new Target(domain, applianceId, endpointId), out var actor, applianceId, endpointId, detail: "SHA-256 " + AuditText.Short(fingerprint, 64)) is { } refused)
        {
            return refused;
        }

        if (!CertificateFingerprints.IsValid(fingerprint))
        {
            return BadRequest("A certificate fingerprint is 64 hexadecimal digits (SHA-256).");
        }

        return certificates.Accept(applianceId, endpointId, fingerprint!, actor.Name) is { } accepted
            ? TypedResults.Ok(accepted)
            : NotFound("That certificate is not waiting for acceptance on this endpoint: the device presented no other certificate since its pin, or another one.");
    }

    private static IResult SetEndpointPolicy(string applianceId, string endpointId, EndpointPolicyRequest body, HttpContext context, Governed governed, PolicyStore policies, ApplianceRegistry registry)
    {
        var d = EndpointPolicy.Default;
        var policy = new EndpointPolicy(
            body?.JointSession ?? d.JointSession, body?.MaxParticipants ?? d.MaxParticipants, body?.RfaRequired ?? d.RfaRequired,
            body?.MaxSessionMinutes, body?.SharedControl ?? d.SharedControl, body?.SupervisionRequired ?? d.SupervisionRequired, body?.Clipboard ?? d.Clipboard);
        var domain = policies.ApplianceDomain(applianceId);
        if (governed.Decide(context, "policy.endpoint", new Target(domain, applianceId, endpointId), out _, applianceId, endpointId, detail: Describe(policy)) is { } refused)
        {
            return refused;
        }

        if (registry.FindEndpoint(applianceId, endpointId) is null)
        {
            return NotFound("There is no such endpoint.");
        }

        if (policy.Validate() is { } problem)
        {
            return BadRequest(problem);
        }

        policies.SetEndpointPolicy(applianceId, endpointId, policy);
        return TypedResults.Ok(policy);
    }

    private static string Describe(EndpointPolicy p) =>
        $"joint session {OnOff(p.JointSession)}, max {p.MaxParticipants} participants, RfA {OnOff(p.RfaRequired)}, max length {(p.MaxSessionMinutes is { } m ? $"{m} min" : "none")}, shared control {OnOff(p.SharedControl)}, supervision {OnOff(p.SupervisionRequired)}, clipboard {AuditText.Short(p.Clipboard, 20)}";

    private static string OnOff(bool value) => value ? "on" : "off";

    private static IResult AssignAppliance(string applianceId, AssignApplianceRequest body, HttpContext context, Governed governed, PolicyStore policies, ApplianceRegistry registry)
    {
        if (governed.Decide(context, "policy.domain", new Target(PolicyStore.DefaultDomain, applianceId), out _, applianceId, detail: $"appliance {applianceId} → domain {AuditText.Short(body?.DomainId, 40)}") is { } refused)
        {
            return refused;
        }

        if (body?.DomainId is not { } domainId || policies.FindDomain(domainId) is null)
        {
            return NotFound("There is no such domain.");
        }

        return policies.SetApplianceDomain(applianceId, domainId)
            ? TypedResults.Ok(registry.List(domainId).First(a => a.Id == applianceId))
            : NotFound("There is no such appliance.");
    }

    // ---- domains

    private static IResult ListDomains(HttpContext context, Governed governed, PolicyStore policies)
    {
        if (governed.Read(context, out var actor) is { } refused)
        {
            return refused;
        }

        var installation = Authorizer.Decide(actor, Act.Administer, new Target(PolicyStore.DefaultDomain)).Allowed;
        return TypedResults.Ok(installation ? policies.Domains() : policies.Domains().Where(d => d.Id == actor.DomainId).ToList());
    }

    private static IResult CreateDomain(CreateDomainRequest body, HttpContext context, Governed governed, PolicyStore policies, UserStore users)
    {
        if (governed.Decide(context, "policy.domain", new Target(PolicyStore.DefaultDomain), out _, detail: $"create domain {AuditText.Short(body?.Name, 64)} with admin {AuditText.Short(body?.AdminName, 64)}") is { } refused)
        {
            return refused;
        }

        if (string.IsNullOrWhiteSpace(body?.Name) || body.Name.Length > 64 || body.Name.Any(char.IsControl))
        {
            return BadRequest("A domain name has 1 to 64 characters.");
        }

        if (UserNames.Validate(body.AdminName) is { } problem)
        {
            return BadRequest(problem);
        }

        if (users.FindByName(body.AdminName) is not null)
        {
            return Conflict($"There is already a user named {body.AdminName}.");
        }

        if (policies.CreateDomain(body.Name.Trim()) is not { } domain)
        {
            return Conflict($"There is already a domain named {body.Name.Trim()}.");
        }

        var password = PasswordHasher.NewPassword();
        var admin = users.Create(body.AdminName, password, Roles.DomainAdmin, domain.Id);
        return admin is null
            ? Conflict($"There is already a user named {body.AdminName}.")
            : TypedResults.Created($"/api/admin/domains/{domain.Id}", new CreatedDomain(domain, admin, password));
    }

    private static IResult UpdateDomain(string id, UpdateDomainRequest body, HttpContext context, Governed governed, PolicyStore policies)
    {
        var changes = body is null ? string.Empty : string.Join(", ", new[]
        {
            body.AdminTotpRequired is { } t ? $"admin TOTP {(t ? "required" : "not required")}" : null,
            body.InviteMinutes is { } m ? $"invite links {m} min" : null,
        }.Where(c => c is not null));
        if (governed.Decide(context, "policy.domain", new Target(id), out _, detail: changes) is { } refused)
        {
            return refused;
        }

        if (body?.InviteMinutes is < 1 or > 1440)
        {
            return BadRequest("Invite links last between 1 and 1440 minutes (24 hours).");
        }

        return policies.UpdateDomain(id, body?.AdminTotpRequired, body?.InviteMinutes) ? TypedResults.Ok(policies.FindDomain(id)) : NotFound("There is no such domain.");
    }

    // ---- helpers

    /// <summary>The actor's own domain as the target of a change (creating users or groups there).</summary>
    private static Target Target(HttpContext context, Governed governed) => new(governed.Actors.Resolve(context)?.DomainId ?? PolicyStore.DefaultDomain);

    /// <summary>An unknown user: 404 for an administrator, the usual refusal for anyone else (who may not probe ids).</summary>
    private static IResult NoSuchUser(HttpContext context, Governed governed) => governed.Read(context, out _) ?? NotFound("There is no such user.");

    internal static IResult BadRequest(string message) => TypedResults.BadRequest(new ErrorResponse(message));

    internal static IResult NotFound(string message) => TypedResults.NotFound(new ErrorResponse(message));

    internal static IResult Conflict(string message) => TypedResults.Conflict(new ErrorResponse(message));
}

/// <summary>
/// The steps every governed handler takes, in order: resolve the actor (none: 401), decide with
/// <see cref="Authorizer.Decide"/>, audit the decision (allowed and refused alike), and answer a refusal with its
/// status and sentence. The handler applies the change only when this returns null.
/// </summary>
internal sealed class Governed(Actors actors, AuditLog audit)
{
    public Actors Actors => actors;

    public AuditLog Audit => audit;

    /// <summary>Decides and audits <paramref name="action"/>; null when allowed (<paramref name="actor"/> is set), else the response to send.</summary>
    public IResult? Decide(HttpContext context, string action, Target target, out Actor actor, string? applianceId = null, string? endpointId = null, string? sessionId = null, string? detail = null, Act act = Act.Administer)
    {
        if (actors.Resolve(context) is not { } resolved)
        {
            actor = null!;
            return TypedResults.Unauthorized();
        }

        actor = resolved;
        var decision = Authorizer.Decide(actor, act, target);
        audit.Record(actor, action, decision, applianceId ?? target.ApplianceId, endpointId ?? target.EndpointId, sessionId, detail);
        return decision.Allowed ? null : Refusal(decision);
    }

    /// <summary>
    /// For reads (no state change, not audited): null when the actor administers their own domain, else the refusal.
    /// </summary>
    public IResult? Read(HttpContext context, out Actor actor, Act act = Act.Administer)
    {
        if (actors.Resolve(context) is not { } resolved)
        {
            actor = null!;
            return TypedResults.Unauthorized();
        }

        actor = resolved;
        var decision = Authorizer.Decide(actor, act, new Target(actor.DomainId));
        return decision.Allowed ? null : Refusal(decision);
    }

    public static IResult Refusal(Decision decision) => TypedResults.Json(new PolicyEndpoints.ErrorResponse(decision.Message), statusCode: decision.Status);
}
