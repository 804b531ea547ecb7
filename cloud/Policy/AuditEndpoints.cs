using System.Globalization;

namespace EdgeGateway.Cloud.Policy;

/// <summary>An audit event as the API and the SIEM export show it. <c>at</c> is the stored ISO 8601 UTC text the hash covers.</summary>
public sealed record AuditEventView(
    long Seq, string At, AuditActorView? Actor, string Action, string Outcome, string? Reason, AuditTargetView Target, string? Source, string? Detail, string PrevHash, string Hash)
{
    /// <summary>The view of a stored event.</summary>
    public static AuditEventView Of(AuditEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return new(
            e.Seq,
            Sql.Time(e.At),
            e.ActorId is null && e.ActorName is null ? null : new AuditActorView(e.ActorId, e.ActorName, e.ActorRole),
            e.Action,
            e.Outcome,
            e.Reason,
            new AuditTargetView(e.ApplianceId, e.EndpointId, e.SessionId),
            e.Source,
            e.Detail,
            e.PrevHash,
            e.Hash);
    }
}

/// <summary>Who acted: user id (null for an unknown name at login), name as typed or stored, role.</summary>
public sealed record AuditActorView(string? Id, string? Name, string? Role);

/// <summary>What the act concerned; null fields did not apply.</summary>
public sealed record AuditTargetView(string? ApplianceId, string? EndpointId, string? SessionId);

/// <summary>
/// The audit API, for domain admins (<see cref="Act.ReadAudit"/>): <c>GET /api/audit/verify[?seq&amp;hash]</c> walks the
/// hash chain (and checks it still holds an exported event: <see cref="AuditLog.Verify"/>);
/// <c>GET /api/audit/events</c> the latest events for the audit page; <c>GET /api/audit/export</c> JSON lines for a
/// SIEM, paged by sequence number with the next page in a <c>Link: &lt;…&gt;; rel="next"</c> header (RFC 8288), over
/// HTTPS only. Verify and export are audited (<c>audit.verify</c>, <c>audit.export</c>); reading stays within the
/// admin's domain (<see cref="AuditQuery.DomainId"/>).
/// </summary>
internal static class AuditEndpoints
{
    /// <summary>Events per export page unless <c>limit</c> says otherwise.</summary>
    public const int DefaultExportLimit = 1000;

    /// <summary>The largest export page.</summary>
    public const int MaxExportLimit = 10_000;

    /// <summary>The largest page of <c>/api/audit/events</c>.</summary>
    public const int MaxEventsLimit = 1000;

    public static void MapAudit(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/audit").RequireAuthorization().WithTags("Audit");
        group.MapGet("/verify", Verify);
        group.MapGet("/events", Events);
        group.MapGet("/export", ExportAsync);
    }

    private static IResult Verify(HttpContext context, Actors actors, AuditLog audit)
    {
        if (!Authorize(context, actors, audit, "audit.verify", out var actor, out var refusal))
        {
            return refusal;
        }

        var query = context.Request.Query;
        if (!QueryParameters.TryLong(query, "seq", 1, long.MaxValue, null, out var seq, out var error))
        {
            return Error(error, StatusCodes.Status400BadRequest);
        }

        var hash = QueryParameters.Text(query, "hash");
        if ((seq is null) != (hash is null))
        {
            return Error("Give both 'seq' and 'hash' of an exported event, or neither.", StatusCodes.Status400BadRequest);
        }

        var result = audit.Verify(seq is { } s ? (s, hash!) : null);
        audit.Record(actor, "audit.verify", Decision.Allow, detail: result.Intact ? $"intact, {result.Events} events" : $"broken at event {result.FirstBrokenSeq}");
        return TypedResults.Ok(result);
    }

    private static IResult Events(HttpContext context, Actors actors, AuditLog audit)
    {
        if (!Authorize(context, actors, audit, null, out var actor, out var refusal))
        {
            return refusal;
        }

        var query = context.Request.Query;
        if (!QueryParameters.TryLong(query, "before", 1, long.MaxValue, null, out var before, out var error)
            || !QueryParameters.TryLong(query, "limit", 1, MaxEventsLimit, 100, out var limit, out error))
        {
            return Error(error, StatusCodes.Status400BadRequest);
        }

        var events = audit.Read(new AuditQuery(DomainId: actor.DomainId, NewestFirst: true, BeforeSeq: before, Limit: (int)limit!.Value));
        return TypedResults.Ok(events.Select(AuditEventView.Of));
    }

    private static async Task<IResult> ExportAsync(HttpContext context, Actors actors, AuditLog audit)
    {
        if (!context.Request.IsHttps)
        {
            return Error("The audit export is served over HTTPS only.", StatusCodes.Status403Forbidden);
        }

        var query = context.Request.Query;
        if (!QueryParameters.TryTime(query, "from", out var from, out var error)
            || !QueryParameters.TryTime(query, "to", out var to, out error)
            || !QueryParameters.TryLong(query, "after", 0, long.MaxValue, 0, out var after, out error)
            || !QueryParameters.TryLong(query, "limit", 1, MaxExportLimit, DefaultExportLimit, out var limit, out error))
        {
            return Error(error, StatusCodes.Status400BadRequest);
        }

        var filter = new AuditQuery(from, to, QueryParameters.Text(query, "userId"), QueryParameters.Text(query, "applianceId"), QueryParameters.Text(query, "endpointId"), QueryParameters.Text(query, "sessionId"), after!.Value, (int)limit!.Value);
        if (!Authorize(context, actors, audit, "audit.export", out var actor, out var refusal, filter))
        {
            return refusal;
        }

        audit.Record(actor, "audit.export", Decision.Allow, filter.ApplianceId, filter.EndpointId, filter.SessionId, Describe(filter));
        var events = audit.Read(filter with { DomainId = actor.DomainId });
        if (events.Count == filter.Limit)
        {
            QueryParameters.LinkNext(context, "after", events[^1].Seq.ToString(CultureInfo.InvariantCulture));
        }

        context.Response.ContentType = "application/x-ndjson; charset=utf-8";
        foreach (var e in events)
        {
            await context.Response.WriteAsync(
                System.Text.Json.JsonSerializer.Serialize(AuditEventView.Of(e), AuditJson.Default.AuditEventView) + "\n", context.RequestAborted);
        }

        return TypedResults.Empty;
    }

    /// <summary>Resolves the actor and decides <see cref="Act.ReadAudit"/>; a refusal is audited as <paramref name="action"/> (when given).</summary>
    private static bool Authorize(HttpContext context, Actors actors, AuditLog audit, string? action, out Actor actor, out IResult refusal, AuditQuery? filter = null)
    {
        actor = actors.Resolve(context)!;
        if (actor is null)
        {
            refusal = TypedResults.Unauthorized();
            return false;
        }

        var decision = Authorizer.Decide(actor, Act.ReadAudit, new Target(actor.DomainId));
        if (!decision.Allowed)
        {
            if (action is not null)
            {
                audit.Record(actor, action, decision, filter?.ApplianceId, filter?.EndpointId, filter?.SessionId);
            }

            refusal = Error(decision.Message, decision.Status);
            return false;
        }

        refusal = TypedResults.Empty;
        return true;
    }

    private static string Describe(AuditQuery q)
    {
        var parts = new List<string>();
        if (q.From is { } from) { parts.Add("from " + Sql.Time(from)); }
        if (q.To is { } to) { parts.Add("to " + Sql.Time(to)); }
        if (q.UserId is { } user) { parts.Add("user " + user); }
        parts.Add(string.Create(CultureInfo.InvariantCulture, $"after {q.AfterSeq}, limit {q.Limit}"));
        return string.Join(", ", parts);
    }

    private static IResult Error(string message, int status) =>
        TypedResults.Json(new PolicyEndpoints.ErrorResponse(message), statusCode: status);
}
