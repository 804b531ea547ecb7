using EdgeGateway.Cloud.Policy;
using EdgeGateway.Cloud.Sessions;

namespace EdgeGateway.Cloud.Invitations;

/// <summary>
/// E-mail invitations and the invitation lists: <c>POST /api/sessions/{id}/invites/email</c>, <c>GET /api/invites</c>
/// (the actor's pending ones) and <c>GET /api/config</c> (whether mail is on, for the page). Each handler resolves the
/// actor and hands the act to <see cref="SessionGovernance"/>. <c>GET /api/sessions/{id}/invites</c> (with status and
/// address) stays with the other session routes.
/// </summary>
internal static class InvitationEndpoints
{
    /// <summary>Body of <c>POST /api/sessions/{id}/invites/email</c>: one address (<c>name@example.com</c>).</summary>
    public sealed record EmailInviteRequest(string? Email);

    public static void MapInvitations(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/sessions/{id}/invites/email", InviteByEmailAsync)
            .RequireAuthorization().WithTags("Sessions")
            .WithSummary("Invites an address by e-mail: 201 {invite, email}; 503 mail off; 502 the mail server did not take it (the link is revoked).");
        app.MapGet("/api/invites", (HttpContext context, Actors actors, SessionGovernance governance) =>
            SessionEndpoints.Act(context, actors, actor => TypedResults.Ok(governance.PendingInvites(actor))))
            .RequireAuthorization().WithTags("Sessions")
            .WithSummary("The signed-in user's pending invitations on running sessions, newest first.");
        app.MapGet("/api/config", (InvitationMailer mailer) => TypedResults.Ok(new CloudConfigView(mailer.Enabled)))
            .RequireAuthorization().WithTags("Auth")
            .WithSummary("What the page needs to know of the cloud's set-up: mailEnabled.");
    }

    private static Task<IResult> InviteByEmailAsync(string id, EmailInviteRequest? body, HttpContext context, Actors actors, SessionGovernance governance, InvitationMailer mailer) =>
        SessionEndpoints.ActAsync(context, actors, async actor =>
        {
            // Not the request's cancellation: once the link exists, the send runs to its outcome (bounded by the
            // mail timeout) so that a failure always revokes the link and is audited.
            var result = await governance.InviteByEmailAsync(actor, id, body?.Email, $"{context.Request.Scheme}://{context.Request.Host}", mailer, CancellationToken.None);
            return result.Allowed ? TypedResults.Created((string?)null, result.Value) : SessionEndpoints.Refusal(result.Decision);
        });
}
