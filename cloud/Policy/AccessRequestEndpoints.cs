using static EdgeGateway.Cloud.Policy.AdminEndpoints;

namespace EdgeGateway.Cloud.Policy;

/// <summary>
/// Requests for access (RfA): a technician with access to an endpoint that requires approval asks for a time window
/// (<see cref="Act.RequestAccess"/>); a domain administrator approves or denies it with a reason
/// (<see cref="Act.DecideAccessRequest"/>). Starting a session checks <see cref="PolicyStore.CurrentApproval"/>.
/// Both acts are decided, audited (<c>rfa.request</c>, <c>rfa.decide</c>) and then stored.
/// </summary>
internal static class AccessRequestEndpoints
{
    /// <summary>Longest window a request may ask for.</summary>
    public static readonly TimeSpan MaxWindow = TimeSpan.FromDays(7);

    /// <summary>How far ahead a window may start.</summary>
    public static readonly TimeSpan MaxLead = TimeSpan.FromDays(30);

    /// <summary>
    /// Body of <c>POST /api/access-requests</c>: the endpoint, why, and when — <c>Minutes</c> from now, or
    /// <c>ValidFrom</c> and <c>ValidUntil</c> (at most 7 days long, starting within 30 days).
    /// </summary>
    public sealed record CreateRequest(string ApplianceId, string EndpointId, string Reason, int? Minutes = null, DateTimeOffset? ValidFrom = null, DateTimeOffset? ValidUntil = null);

    /// <summary>Body of <c>POST /api/access-requests/{id}/decision</c>. A denial needs a reason.</summary>
    public sealed record DecisionRequest(bool Approve, string? Reason = null);

    /// <summary>
    /// A request as the pages show it. <c>Status</c>: <c>pending</c>, <c>approved</c> or <c>denied</c>. <c>Active</c>:
    /// approved and inside its window now. <c>Expired</c>: the window is over.
    /// </summary>
    public sealed record AccessRequestView(
        string Id, string UserId, string UserName, string ApplianceId, string EndpointId, string EndpointName, string Reason, string Status,
        DateTimeOffset RequestedAt, DateTimeOffset ValidFrom, DateTimeOffset ValidUntil,
        string? DecidedBy, string? DecidedByName, DateTimeOffset? DecidedAt, string? DecisionReason, bool Active, bool Expired);

    public static void MapAccessRequests(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/access-requests").RequireAuthorization().WithTags("Requests for access");
        group.MapGet("/", List);
        group.MapPost("/", Create);
        group.MapPost("/{id}/decision", DecideRequest);
    }

    /// <summary>The actor's own requests; an administrator's: every request of the domain, pending first.</summary>
    private static IResult List(HttpContext context, Governed governed, PolicyStore policies, UserStore users, ApplianceRegistry registry, TimeProvider time)
    {
        if (governed.Actors.Resolve(context) is not { } actor)
        {
            return TypedResults.Unauthorized();
        }

        if (actor.IsGuest)
        {
            return TypedResults.Ok(Array.Empty<AccessRequestView>());
        }

        var all = Authorizer.Decide(actor, Act.DecideAccessRequest, new Target(actor.DomainId)).Allowed;
        var now = time.GetUtcNow();
        var views = policies.Requests(actor.DomainId, all ? null : actor.Id).Select(r => View(r, users, registry, now));
        return TypedResults.Ok(views.OrderByDescending(v => v.Status == "pending" && !v.Expired).ThenByDescending(v => v.RequestedAt).ToList());
    }

    private static IResult Create(CreateRequest body, HttpContext context, Governed governed, PolicyStore policies, UserStore users, ApplianceRegistry registry, TimeProvider time)
    {
        if (body is null || string.IsNullOrEmpty(body.ApplianceId) || string.IsNullOrEmpty(body.EndpointId))
        {
            return governed.Actors.Resolve(context) is null ? TypedResults.Unauthorized() : BadRequest("Name the appliance and the endpoint you need access to.");
        }

        var actor = governed.Actors.Resolve(context);
        var target = new Target(policies.ApplianceDomain(body.ApplianceId), body.ApplianceId, body.EndpointId,
            Policy: policies.EndpointPolicy(body.ApplianceId, body.EndpointId), ActorHasGrant: actor is not null && policies.HasGrant(actor.Id, body.ApplianceId, body.EndpointId));
        var now = time.GetUtcNow();
        var (from, until) = body.Minutes is { } minutes ? (now, now.AddMinutes(minutes)) : (body.ValidFrom ?? now, body.ValidUntil ?? DateTimeOffset.MinValue);
        if (governed.Decide(context, "rfa.request", target, out actor, detail: $"{from:u} – {until:u}: {AuditText.Short(body.Reason, 80)}", act: Act.RequestAccess) is { } refused)
        {
            return refused;
        }

        var problem =
            registry.FindEndpoint(body.ApplianceId, body.EndpointId) is null ? "There is no such endpoint."
            : string.IsNullOrWhiteSpace(body.Reason) ? "Say why you need access: the approver reads it."
            : body.Reason.Length > 500 ? "The reason has at most 500 characters."
            : body.Minutes is null && (body.ValidFrom is null || body.ValidUntil is null) ? "Say how long you need access: minutes from now, or validFrom and validUntil."
            : until <= from || until <= now ? "The access window must end after it starts, and in the future."
            : until - from > MaxWindow ? "A request covers at most 7 days."
            : from > now + MaxLead ? "A request can start at most 30 days ahead."
            : null;
        if (problem is not null)
        {
            return BadRequest(problem);
        }

        if (policies.Requests(target.DomainId, actor.Id).Any(r => r.Status == "pending" && r.ApplianceId == body.ApplianceId && r.EndpointId == body.EndpointId && r.ValidUntil > now))
        {
            return Conflict("You already have a pending request for this endpoint.");
        }

        var request = policies.CreateRequest(actor.Id, body.ApplianceId, body.EndpointId, body.Reason.Trim(), from, until);
        return TypedResults.Created($"/api/access-requests/{request.Id}", View(request, users, registry, now));
    }

    private static IResult DecideRequest(string id, DecisionRequest body, HttpContext context, Governed governed, PolicyStore policies, UserStore users, ApplianceRegistry registry, TimeProvider time)
    {
        if (policies.FindRequest(id) is not { } request)
        {
            return governed.Read(context, out _, Act.DecideAccessRequest) ?? NotFound("There is no such request.");
        }

        var approve = body?.Approve == true;
        var target = new Target(policies.ApplianceDomain(request.ApplianceId), request.ApplianceId, request.EndpointId);
        var requester = users.Find(request.UserId);
        if (governed.Decide(context, "rfa.decide", target, out var actor, detail: $"{(approve ? "approved" : "denied")} request of {requester?.Name ?? request.UserId}: {AuditText.Short(body?.Reason, 80)}", act: Act.DecideAccessRequest) is { } refused)
        {
            return refused;
        }

        if (body?.Reason is { Length: > 500 })
        {
            return BadRequest("The reason has at most 500 characters.");
        }

        if (!approve && string.IsNullOrWhiteSpace(body?.Reason))
        {
            return BadRequest("Give a reason for the denial: the requester reads it.");
        }

        return policies.DecideRequest(id, approve, actor.Id, body?.Reason?.Trim())
            ? TypedResults.Ok(View(policies.FindRequest(id)!, users, registry, time.GetUtcNow()))
            : Conflict("This request was decided already.");
    }

    private static AccessRequestView View(AccessRequest r, UserStore users, ApplianceRegistry registry, DateTimeOffset now) => new(
        r.Id, r.UserId, users.Find(r.UserId)?.Name ?? r.UserId, r.ApplianceId, r.EndpointId, registry.FindEndpoint(r.ApplianceId, r.EndpointId)?.Name ?? r.EndpointId,
        r.Reason, r.Status, r.RequestedAt, r.ValidFrom, r.ValidUntil, r.DecidedBy, r.DecidedBy is { } by ? users.Find(by)?.Name : null, r.DecidedAt, r.DecisionReason,
        r.Status == "approved" && r.ValidFrom <= now && r.ValidUntil > now, r.ValidUntil <= now);
}
