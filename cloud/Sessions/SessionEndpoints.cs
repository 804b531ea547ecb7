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

    public static void MapSessions(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/sessions").RequireAuthorization().WithTags("Sessions");
        group.MapGet("/", (SessionService sessions) => TypedResults.Ok(sessions.List()));
        group.MapGet("/{id}", (string id, SessionService sessions) =>
            sessions.Find(id) is { } s ? Results.Ok(s.ToView()) : Results.NotFound(new PolicyEndpoints.ErrorResponse("There is no such session.")));
        group.MapPost("/", StartAsync);
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
        var (session, failure) = await sessions.StartAsync(user, request, cancellationToken);
        return session is not null
            ? TypedResults.Created($"/api/sessions/{session.Id}", session)
            : TypedResults.Json(new PolicyEndpoints.ErrorResponse(failure!.Message), statusCode: failure.StatusCode);
    }

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
