using System.Security.Claims;
using EdgeGateway.Cloud.Policy;
using EdgeGateway.Protocol.Control;
using EdgeGateway.Protocol.Stream;

namespace EdgeGateway.Cloud.Sessions;

/// <summary>The session API: list, start, end.</summary>
internal static class SessionEndpoints
{
    /// <summary>Body of <c>POST /api/sessions</c>. The password is handed to the appliance and not kept.</summary>
    public sealed record StartSessionRequest(string ApplianceId, string EndpointId, string Username, string Password, int Columns = 80, int Rows = 24)
    {
        public override string ToString() => $"StartSessionRequest {{ ApplianceId = {ApplianceId}, EndpointId = {EndpointId}, Username = {Username}, Password = ***, Columns = {Columns}, Rows = {Rows} }}";
    }

    /// <summary>
    /// Body of <c>POST /api/sessions/{id}/auth-response</c>: the answers to the device's question, one per prompt, or
    /// <c>cancel</c> to give the login up. The answers go to the device and are not kept, logged or shown to anyone.
    /// </summary>
    public sealed record AuthResponseRequest(IReadOnlyList<string>? Answers, bool Cancel = false)
    {
        public override string ToString() => $"AuthResponseRequest {{ Answers = {(Answers is null ? "null" : $"{Answers.Count} × ***")}, Cancel = {Cancel} }}";
    }

    public static void MapSessions(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/sessions").RequireAuthorization().WithTags("Sessions");
        group.MapGet("/", (SessionService sessions) => TypedResults.Ok(sessions.List()));
        group.MapGet("/{id}", (string id, SessionService sessions) =>
            sessions.Find(id) is { } s ? Results.Ok(s.ToView()) : Results.NotFound(new PolicyEndpoints.ErrorResponse("There is no such session.")));
        group.MapPost("/", StartAsync);
        group.MapPost("/{id}/auth-response", AnswerLoginAsync);
        group.MapDelete("/{id}", StopAsync);
    }

    private static async Task<IResult> StartAsync(StartSessionRequest body, ClaimsPrincipal principal, UserStore users, SessionService sessions, CancellationToken cancellationToken)
    {
        if (body is null || body.Password is null)
        {
            return TypedResults.BadRequest(new PolicyEndpoints.ErrorResponse("Enter the device credentials."));
        }

        var user = users.Find(principal.FindFirstValue(ClaimTypes.NameIdentifier)!);
        if (user is null)
        {
            return TypedResults.Unauthorized();
        }

        var request = new StartRequest(body.ApplianceId ?? string.Empty, body.EndpointId ?? string.Empty, body.Username ?? string.Empty, new Secret(body.Password), body.Columns, body.Rows);
        return StartResult(await sessions.StartAsync(user, request, cancellationToken));
    }

    /// <summary>The Controller's answer to the device's login question: 201 started, 202 another question, or the failure.</summary>
    private static async Task<IResult> AnswerLoginAsync(string id, AuthResponseRequest body, ClaimsPrincipal principal, UserStore users, SessionService sessions, CancellationToken cancellationToken)
    {
        var user = users.Find(principal.FindFirstValue(ClaimTypes.NameIdentifier)!);
        if (user is null)
        {
            return TypedResults.Unauthorized();
        }

        if (body is null || (!body.Cancel && (body.Answers is null || body.Answers.Any(a => a is null))))
        {
            return TypedResults.BadRequest(new PolicyEndpoints.ErrorResponse("Enter the answer the device asks for."));
        }

        var answers = body.Cancel ? null : body.Answers!.Select(a => new Secret(a)).ToList();
        return StartResult(await sessions.AnswerLoginAsync(user, id, answers, cancellationToken));
    }

    /// <summary>201 with the session, 202 with the device's question for the Controller, or the failure's status and sentence.</summary>
    private static IResult StartResult((SessionView? Session, StartFailure? Failure, LoginPrompt? Prompt) result) => result switch
    {
        ({ } session, _, _) => TypedResults.Created($"/api/sessions/{session.Id}", session),
        (_, _, { } prompt) => TypedResults.Accepted($"/api/sessions/{prompt.SessionId}/auth-response", new { prompt.SessionId, Prompt = prompt }),
        (_, var failure, _) => TypedResults.Json(new PolicyEndpoints.ErrorResponse(failure!.Message), statusCode: failure.StatusCode),
    };

    private static async Task<IResult> StopAsync(string id, ClaimsPrincipal principal, SessionService sessions, CancellationToken cancellationToken)
    {
        var session = sessions.Find(id);
        if (session is null)
        {
            return TypedResults.NotFound(new PolicyEndpoints.ErrorResponse("There is no such session."));
        }

        var userId = principal.FindFirstValue(ClaimTypes.NameIdentifier);
        var isAdmin = principal.IsInRole(Roles.DomainAdmin);
        if (session.Controller.Id != userId && !isAdmin)
        {
            return TypedResults.Json(new PolicyEndpoints.ErrorResponse("Only the Controller or a domain administrator can end this session."), statusCode: StatusCodes.Status403Forbidden);
        }

        var reason = session.Controller.Id == userId ? EndReason.ControllerEnded : EndReason.Terminated;
        var message = reason == EndReason.ControllerEnded ? $"{session.Controller.Name} ended the session." : "An administrator terminated the session.";
        await sessions.StopAsync(id, reason, message, cancellationToken);
        return TypedResults.NoContent();
    }
}
