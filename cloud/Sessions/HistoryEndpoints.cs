using EdgeGateway.Cloud.Policy;

namespace EdgeGateway.Cloud.Sessions;

/// <summary>
/// <c>GET /api/history/sessions?applianceId&amp;endpointId&amp;userId&amp;status&amp;q&amp;from&amp;to&amp;before&amp;limit</c>: ended and running
/// sessions, newest first, with participants and durations (<see cref="HistorySession"/>), as a JSON array; a full page
/// names the next one in a <c>Link: &lt;…&gt;; rel="next"</c> header (RFC 8288). Domain admins see their domain's sessions
/// (the <see cref="Act.ReadAudit"/> decision), everyone else the sessions they took part in; invited guests none.
/// <c>GET /api/history/sessions/{id}</c>: one of those sessions with its chat, notes and audit events
/// (<see cref="HistorySessionDetail"/>); 404 for a session outside the reader's history.
/// </summary>
internal static class HistoryEndpoints
{
    /// <summary>Audit events the history detail shows of one session (the first ones; the audit export has them all).</summary>
    public const int MaxDetailAuditEvents = 10_000;

    public static void MapHistory(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/history/sessions", Sessions).RequireAuthorization().WithTags("History");
        app.MapGet("/api/history/sessions/{id}", Detail).RequireAuthorization().WithTags("History").Produces<HistorySessionDetail>();
    }

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

    /// <summary>
    /// One session of the reader's history (the same scope as the list) with its chat, notes and audit events. Readers
    /// who are not domain admins see the events without source addresses (other participants' addresses are the
    /// admins' to see).
    /// </summary>
    private static IResult Detail(string id, HttpContext context, Actors actors, SessionHistory history, SessionMessages messages, AuditLog audit)
    {
        if (actors.Resolve(context) is not { } actor)
        {
            return TypedResults.Unauthorized();
        }

        var decision = Authorizer.Decide(actor, Act.ReadAudit, new Target(actor.DomainId));
        if (actor.IsGuest)
        {
            return TypedResults.Json(new PolicyEndpoints.ErrorResponse(decision.Message), statusCode: decision.Status);
        }

        var scope = decision.Allowed ? HistoryScope.Domain(actor.DomainId) : HistoryScope.Participant(actor.Id);
        if (history.Find(new HistoryQuery(SessionId: id, Limit: 1), scope) is not [var session])
        {
            return TypedResults.Json(new PolicyEndpoints.ErrorResponse("There is no such session in your history."), statusCode: StatusCodes.Status404NotFound);
        }

        var events = audit.ForSession(session.Id, MaxDetailAuditEvents).Select(AuditEventView.Of);
        return TypedResults.Ok(new HistorySessionDetail(
            session,
            messages.Last(session.Id, MessageKind.Chat, SessionConversation.MaxChatMessages),
            messages.Notes(session.Id, SessionConversation.MaxNotes),
            [.. decision.Allowed ? events : events.Select(e => e with { Source = null })]));
    }
}

/// <summary>
/// <c>GET /api/history/sessions/{id}</c>: the session as the history list shows it (participants with join and leave
/// times included), its chat and notes (oldest first) and its audit events (in sequence order, at most
/// <see cref="HistoryEndpoints.MaxDetailAuditEvents"/>).
/// </summary>
public sealed record HistorySessionDetail(HistorySession Session, IReadOnlyList<ChatMessage> Chat, IReadOnlyList<SessionNote> Notes, IReadOnlyList<AuditEventView> Audit);
