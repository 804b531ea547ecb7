using EdgeGateway.Cloud.Policy;

namespace EdgeGateway.Cloud.Sessions;

/// <summary>
/// <c>GET /api/history/sessions?applianceId&amp;endpointId&amp;userId&amp;status&amp;q&amp;from&amp;to&amp;before&amp;limit</c>: ended and running
/// sessions, newest first, with participants and durations (<see cref="HistorySession"/>), as a JSON array; a full page
/// names the next one in a <c>Link: &lt;…&gt;; rel="next"</c> header (RFC 8288). Domain admins see their domain's sessions
/// (the <see cref="Act.ReadAudit"/> decision), everyone else the sessions they took part in; invited guests none.
/// </summary>
internal static class HistoryEndpoints
{
    public static void MapHistory(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/history/sessions", Sessions).RequireAuthorization().WithTags("History");

    private static IResult Sessions(HttpContext context, Actors actors, SessionHistory history)
    {
        var actor = actors.Resolve(context);
        if (actor is null)
        {
            return TypedResults.Unauthorized();
        }

        var decision = Authorizer.Decide(actor, Act.ReadAudit, new Target(actor.DomainId));
        if (actor.IsGuest)
        {
            return TypedResults.Json(new PolicyEndpoints.ErrorResponse(decision.Message), statusCode: decision.Status);
        }

        var query = context.Request.Query;
        if (!QueryParameters.TryTime(query, "from", out var from, out var error)
            || !QueryParameters.TryTime(query, "to", out var to, out error)
            || !QueryParameters.TryLong(query, "limit", 1, SessionHistory.MaxLimit, 50, out var limit, out error))
        {
            return TypedResults.Json(new PolicyEndpoints.ErrorResponse(error), statusCode: StatusCodes.Status400BadRequest);
        }

        var status = QueryParameters.Text(query, "status");
        if (status is not (null or SessionStatus.Waiting or SessionStatus.InSession or SessionStatus.Ended or SessionStatus.Expired))
        {
            return TypedResults.Json(new PolicyEndpoints.ErrorResponse("status is one of waiting, in-session, ended, expired."), statusCode: StatusCodes.Status400BadRequest);
        }

        var text = QueryParameters.Text(query, "q");
        if (text is { Length: > 120 })
        {
            return TypedResults.Json(new PolicyEndpoints.ErrorResponse("q (the text to search for) has at most 120 characters."), statusCode: StatusCodes.Status400BadRequest);
        }

        var filter = new HistoryQuery(QueryParameters.Text(query, "applianceId"), QueryParameters.Text(query, "endpointId"), QueryParameters.Text(query, "userId"), from, to, QueryParameters.Text(query, "before"), (int)limit!.Value, status, text);
        var sessions = history.Find(filter, decision.Allowed ? HistoryScope.Domain(actor.DomainId) : HistoryScope.Participant(actor.Id));
        if (sessions.Count == filter.Limit)
        {
            QueryParameters.LinkNext(context, "before", sessions[^1].Id);
        }

        return TypedResults.Ok(sessions);
    }
}
