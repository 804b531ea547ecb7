using System.Globalization;
using Microsoft.AspNetCore.Http.Extensions;

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
/// The audit API, for domain admins (<see cref="Act.ReadAudit"/>): <c>GET /api/audit/verify</c> walks the hash chain;
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

        var result = audit.Verify();
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
        if (!TryLong(query, "before", 1, long.MaxValue, null, out var before, out var error)
            || !TryLong(query, "limit", 1, MaxEventsLimit, 100, out var limit, out error))
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
        if (!TryTime(query, "from", out var from, out var error)
            || !TryTime(query, "to", out var to, out error)
            || !TryLong(query, "after", 0, long.MaxValue, 0, out var after, out error)
            || !TryLong(query, "limit", 1, MaxExportLimit, DefaultExportLimit, out var limit, out error))
        {
            return Error(error, StatusCodes.Status400BadRequest);
        }

        var filter = new AuditQuery(from, to, Text(query, "userId"), Text(query, "applianceId"), Text(query, "endpointId"), Text(query, "sessionId"), after!.Value, (int)limit!.Value);
        if (!Authorize(context, actors, audit, "audit.export", out var actor, out var refusal, filter))
        {
            return refusal;
        }

        audit.Record(actor, "audit.export", Decision.Allow, filter.ApplianceId, filter.EndpointId, filter.SessionId, Describe(filter));
        var events = audit.Read(filter with { DomainId = actor.DomainId });
        if (events.Count == filter.Limit)
        {
            var next = new QueryBuilder(query.Where(p => p.Key != "after").SelectMany(p => p.Value.Select(v => KeyValuePair.Create(p.Key, v ?? string.Empty))))
            {
                { "after", events[^1].Seq.ToString(CultureInfo.InvariantCulture) },
            };
            var url = UriHelper.BuildAbsolute(context.Request.Scheme, context.Request.Host, context.Request.PathBase, context.Request.Path, next.ToQueryString());
            context.Response.Headers.Link = $"<{url}>; rel=\"next\"";
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

    private static string? Text(IQueryCollection query, string name) =>
        query.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value) ? value.ToString() : null;

    /// <summary>Reads an optional ISO 8601 time (a time without an offset is UTC).</summary>
    internal static bool TryTime(IQueryCollection query, string name, out DateTimeOffset? value, out string error)
    {
        value = null;
        error = string.Empty;
        if (Text(query, name) is not { } text)
        {
            return true;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
        {
            value = parsed;
            return true;
        }

        error = $"'{name}' is not a time: give ISO 8601, e.g. 2030-01-02T03:04:05Z.";
        return false;
    }

    /// <summary>Reads an optional whole number in [<paramref name="min"/>, <paramref name="max"/>], or <paramref name="fallback"/>.</summary>
    internal static bool TryLong(IQueryCollection query, string name, long min, long max, long? fallback, out long? value, out string error)
    {
        value = fallback;
        error = string.Empty;
        if (Text(query, name) is not { } text)
        {
            return true;
        }

        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && parsed >= min && parsed <= max)
        {
            value = parsed;
            return true;
        }

        error = max == long.MaxValue
            ? $"'{name}' must be a whole number from {min}."
            : $"'{name}' must be a whole number from {min} to {max}.";
        return false;
    }

    private static IResult Error(string message, int status) =>
        TypedResults.Json(new PolicyEndpoints.ErrorResponse(message), statusCode: status);
}
