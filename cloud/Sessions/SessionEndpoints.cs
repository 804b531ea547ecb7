using System.Security.Claims;
using EdgeGateway.Cloud.Policy;
using EdgeGateway.Protocol.Control;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace EdgeGateway.Cloud.Sessions;

/// <summary>
/// The session API. Each handler resolves the actor and hands the act to <see cref="SessionGovernance"/>, which
/// decides (through <see cref="Authorizer"/>), audits and applies; a refusal comes back as its status and sentence.
/// </summary>
internal static partial class SessionEndpoints
{
    /// <summary>
    /// Body of <c>POST /api/sessions</c>. The password is handed to the appliance and not kept. RDP: <c>Username</c> may
    /// name a domain (<c>DOMAIN\user</c> or <c>user@domain</c>); <c>Width</c> × <c>Height</c> is the desktop size in
    /// pixels to ask the server for (200–8192 each; 0 × 0: the appliance's default).
    /// </summary>
    public sealed record StartSessionRequest(string ApplianceId, string EndpointId, string Username, string Password, int Columns = 80, int Rows = 24, string? Name = null, int Width = 0, int Height = 0)
    {
        public override string ToString() => $"StartSessionRequest {{ ApplianceId = {ApplianceId}, EndpointId = {EndpointId}, Username = {Username}, Password = ***, Columns = {Columns}, Rows = {Rows}, Name = {Name}, Width = {Width}, Height = {Height} }}";
    }

    /// <summary>Body of <c>POST /api/support-sessions</c>: the endpoint and a descriptive name (1–120 characters).</summary>
    public sealed record CreateSupportSessionRequest(string ApplianceId, string EndpointId, string Name);

    /// <summary>
    /// Body of <c>POST /api/sessions/{id}/connect</c>: the device credentials, from the session's owner. The password is
    /// handed to the appliance and not kept.
    /// </summary>
    public sealed record ConnectRequest(string Username, string Password, int Columns = 80, int Rows = 24, int Width = 0, int Height = 0)
    {
        public override string ToString() => $"ConnectRequest {{ Username = {Username}, Password = ***, Columns = {Columns}, Rows = {Rows}, Width = {Width}, Height = {Height} }}";
    }

    /// <summary>Body of <c>POST /api/join</c>: the session code as read out (<c>NNN-NNN-NNNN</c>).</summary>
    public sealed record JoinByCodeRequest(string Code);

    /// <summary>Body of <c>POST /api/sessions/{id}/invites</c>: minutes the link stays valid (default: the domain's setting).</summary>
    public sealed record CreateInviteRequest(int? Minutes = null);

    /// <summary>Body of <c>POST /api/invites/redeem</c>: the key from the link, and the guest's name when not signed in.</summary>
    public sealed record RedeemInviteRequest(string Key, string? Name = null)
    {
        public override string ToString() => $"RedeemInviteRequest {{ Key = ***, Name = {Name} }}";
    }

    /// <summary>Body of <c>POST /api/sessions/{id}/control/handover</c>.</summary>
    public sealed record HandOverRequest(string UserId);

    /// <summary>Body of <c>POST /api/sessions/{id}/control/requests/{userId}</c>.</summary>
    public sealed record ControlDecisionRequest(bool Accept);

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
        group.MapGet("/", (HttpContext context, Actors actors, SessionGovernance governance) =>
            Act(context, actors, actor => TypedResults.Ok(governance.Visible(actor))));
        group.MapGet("/{id}", (string id, HttpContext context, Actors actors, SessionGovernance governance) =>
            Act(context, actors, actor => Answer(governance.View(actor, id))));
        group.MapPost("/", StartAsync);
        group.MapPost("/{id}/connect", ConnectAsync);
        group.MapPost("/{id}/auth-response", AnswerLoginAsync);
        group.MapDelete("/{id}", (string id, HttpContext context, Actors actors, SessionGovernance governance, CancellationToken ct) =>
            ActAsync(context, actors, async actor => Answer(await governance.EndAsync(actor, id, ct), TypedResults.NoContent())));
        group.MapPost("/{id}/join", (string id, HttpContext context, Actors actors, SessionGovernance governance) =>
            Act(context, actors, actor => Answer(governance.Join(actor, id))));
        group.MapPost("/{id}/invites", (string id, CreateInviteRequest? body, HttpContext context, Actors actors, SessionGovernance governance) =>
            Act(context, actors, actor => governance.CreateInvite(actor, id, body?.Minutes, $"{context.Request.Scheme}://{context.Request.Host}") is var r && r.Allowed
                ? TypedResults.Created((string?)null, r.Value)
                : Refusal(r.Decision)));
        group.MapGet("/{id}/invites", (string id, HttpContext context, Actors actors, SessionGovernance governance) =>
            Act(context, actors, actor => Answer(governance.Invites(actor, id))));
        group.MapDelete("/{id}/invites/{inviteId}", (string id, string inviteId, HttpContext context, Actors actors, SessionGovernance governance) =>
            Act(context, actors, actor => Answer(governance.RevokeInvite(actor, id, inviteId), TypedResults.NoContent())));
        group.MapPost("/{id}/control/handover", (string id, HandOverRequest body, HttpContext context, Actors actors, SessionGovernance governance, CancellationToken ct) =>
            ActAsync(context, actors, async actor => Answer(await governance.HandOverAsync(actor, id, body?.UserId ?? string.Empty, ct))));
        group.MapPost("/{id}/control/request", (string id, HttpContext context, Actors actors, SessionGovernance governance) =>
            Act(context, actors, actor => Answer(governance.RequestControl(actor, id), TypedResults.Accepted((string?)null))));
        group.MapPost("/{id}/control/requests/{userId}", (string id, string userId, ControlDecisionRequest body, HttpContext context, Actors actors, SessionGovernance governance, CancellationToken ct) =>
            ActAsync(context, actors, async actor => Answer(await governance.DecideControlRequestAsync(actor, id, userId, body?.Accept ?? false, ct))));
        group.MapPut("/{id}/control/grants/{userId}", (string id, string userId, HttpContext context, Actors actors, SessionGovernance governance, CancellationToken ct) =>
            ActAsync(context, actors, async actor => Answer(await governance.SetSharedControlAsync(actor, id, userId, true, ct))));
        group.MapDelete("/{id}/control/grants/{userId}", (string id, string userId, HttpContext context, Actors actors, SessionGovernance governance, CancellationToken ct) =>
            ActAsync(context, actors, async actor => Answer(await governance.SetSharedControlAsync(actor, id, userId, false, ct))));
        group.MapConversation();

        app.MapPost("/api/join", (JoinByCodeRequest body, HttpContext context, Actors actors, SessionGovernance governance) =>
            Act(context, actors, actor => Answer(governance.JoinByCode(actor, body?.Code))))
            .RequireAuthorization().WithTags("Sessions");
        app.MapPost("/api/invites/redeem", RedeemAsync).WithTags("Sessions");
        var favourites = app.MapGroup("/api/favourites").RequireAuthorization().WithTags("Sessions");
        favourites.MapGet("/", (HttpContext context, Actors actors, Favourites store) =>
            Act(context, actors, actor => TypedResults.Ok(actor.IsGuest ? [] : store.List(actor.Id))));
        favourites.MapPut("/{applianceId}/{endpointId}", (string applianceId, string endpointId, HttpContext context, Actors actors, SessionGovernance governance, ApplianceRegistry appliances, Favourites store) =>
            Act(context, actors, actor =>
            {
                var decision = governance.MayMarkFavourite(actor, applianceId, endpointId, appliances);
                if (!decision.Allowed)
                {
                    return Refusal(decision);
                }

                store.Add(actor.Id, applianceId, endpointId);
                return TypedResults.NoContent();
            }));
        favourites.MapDelete("/{applianceId}/{endpointId}", (string applianceId, string endpointId, HttpContext context, Actors actors, Favourites store) =>
            Act(context, actors, actor =>
            {
                store.Remove(actor.Id, applianceId, endpointId); // unmarking one's own preference needs no access
                return TypedResults.NoContent();
            }));

        app.MapPost("/api/support-sessions", (CreateSupportSessionRequest body, HttpContext context, Actors actors, SessionGovernance governance) =>
            Act(context, actors, actor => governance.CreateSupportSession(actor, body?.ApplianceId ?? string.Empty, body?.EndpointId ?? string.Empty, body?.Name, $"{context.Request.Scheme}://{context.Request.Host}") is var r && r.Allowed
                ? TypedResults.Created($"/api/sessions/{r.Value!.Session.Id}", r.Value)
                : Refusal(r.Decision)))
            .RequireAuthorization().WithTags("Sessions");
    }

    private static async Task<IResult> StartAsync(StartSessionRequest body, HttpContext context, Actors actors, SessionGovernance governance, CancellationToken cancellationToken)
    {
        if (body is null || body.Password is null)
        {
            return Error(400, "Enter the device credentials.");
        }

        if (actors.Resolve(context) is not { } actor)
        {
            return SignInFirst;
        }

        var name = body.Name?.Trim();
        if (name is { Length: > SessionGovernance.MaxNameLength } || (name ?? string.Empty).Any(char.IsControl))
        {
            return Error(400, $"A session name has at most {SessionGovernance.MaxNameLength} characters.");
        }

        var request = new StartRequest(body.ApplianceId ?? string.Empty, body.EndpointId ?? string.Empty, body.Username ?? string.Empty, new Secret(body.Password), body.Columns, body.Rows, string.IsNullOrEmpty(name) ? null : name, body.Width, body.Height);
        return StartResult(await governance.StartAsync(actor, request, cancellationToken));
    }

    /// <summary>The owner of a support session connects its device: answers as a start does (201, 202 with a question, or the failure).</summary>
    private static async Task<IResult> ConnectAsync(string id, ConnectRequest body, HttpContext context, Actors actors, SessionGovernance governance, CancellationToken cancellationToken)
    {
        if (body is null || body.Password is null)
        {
            return Error(400, "Enter the device credentials.");
        }

        if (actors.Resolve(context) is not { } actor)
        {
            return SignInFirst;
        }

        var request = new StartRequest(string.Empty, string.Empty, body.Username ?? string.Empty, new Secret(body.Password), body.Columns, body.Rows, DisplayWidth: body.Width, DisplayHeight: body.Height);
        return StartResult(await governance.ConnectAsync(actor, id, request, cancellationToken));
    }

    /// <summary>The Controller's answer to the device's login question: 201 started, 202 another question, or the failure.</summary>
    private static async Task<IResult> AnswerLoginAsync(string id, AuthResponseRequest body, HttpContext context, Actors actors, SessionGovernance governance, CancellationToken cancellationToken)
    {
        if (actors.Resolve(context) is not { } actor)
        {
            return SignInFirst;
        }

        if (body is null || (!body.Cancel && (body.Answers is null || body.Answers.Any(a => a is null))))
        {
            return Error(400, "Enter the answer the device asks for.");
        }

        var answers = body.Cancel ? null : body.Answers!.Select(a => new Secret(a)).ToList();
        return StartResult(await governance.AnswerLoginAsync(actor, id, answers, cancellationToken));
    }

    /// <summary>201 with the session, 202 with the device's question for the Controller, or the failure's status and sentence.</summary>
    private static IResult StartResult((SessionView? Session, StartFailure? Failure, LoginPrompt? Prompt) result) => result switch
    {
        ({ } session, _, _) => TypedResults.Created($"/api/sessions/{session.Id}", session),
        (_, _, { } prompt) => TypedResults.Accepted($"/api/sessions/{prompt.SessionId}/auth-response", new { prompt.SessionId, Prompt = prompt }),
        (_, var failure, _) => Error(failure!.StatusCode, failure.Message),
    };

    /// <summary>
    /// Redeems an invite link. A signed-in user may then watch that session; someone not signed in gives a name and is
    /// signed in as a guest bound to that one session (a guest cookie, 8 hours, like any sign-in).
    /// </summary>
    private static async Task<IResult> RedeemAsync(RedeemInviteRequest body, HttpContext context, Actors actors, SessionGovernance governance)
    {
        var actor = actors.Resolve(context);
        var checkedInvite = governance.CheckInvite(actor, Actors.Source(context), body?.Key);
        if (!checkedInvite.Allowed)
        {
            return Refusal(checkedInvite.Decision);
        }

        var session = checkedInvite.Value!.Session;
        if (actor is null || actor.IsGuest)
        {
            var name = (body?.Name ?? string.Empty).Trim();
            if (name.Length is 0 or > 64 || name.Any(char.IsControl))
            {
                return Error(400, "Enter your name (at most 64 characters) so that the others see who is watching.");
            }

            actor = new Actor("guest-" + Guid.NewGuid().ToString("N"), name, Roles.Guest, session.Terms.DomainId, Actors.Source(context), session.Id);
            var identity = new ClaimsIdentity(
                [
                    new Claim(ClaimTypes.NameIdentifier, actor.Id),
                    new Claim(ClaimTypes.Name, actor.Name),
                    new Claim(ClaimTypes.Role, Roles.Guest),
                    new Claim(Actors.GuestSessionClaim, session.Id),
                    new Claim(Actors.DomainClaim, actor.DomainId),
                ],
                CookieAuthenticationDefaults.AuthenticationScheme);
            await context.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, new ClaimsPrincipal(identity));
        }

        return Answer(governance.JoinByInvite(actor, checkedInvite.Value));
    }

    internal static IResult Act(HttpContext context, Actors actors, Func<Actor, IResult> act) =>
        actors.Resolve(context) is { } actor ? act(actor) : SignInFirst;

    internal static async Task<IResult> ActAsync(HttpContext context, Actors actors, Func<Actor, Task<IResult>> act) =>
        actors.Resolve(context) is { } actor ? await act(actor) : SignInFirst;

    /// <summary>No sign-in, or the account was disabled since.</summary>
    private static IResult SignInFirst => Error(401, "Sign in first.");

    internal static IResult Answer<T>(Governed<T> result) => result.Allowed ? TypedResults.Ok(result.Value) : Refusal(result.Decision);

    private static IResult Answer(Decision decision, IResult allowed) => decision.Allowed ? allowed : Refusal(decision);

    internal static IResult Refusal(Decision decision) => Error(decision.Status, decision.Message);

    private static IResult Error(int status, string message) => TypedResults.Json(new PolicyEndpoints.ErrorResponse(message), statusCode: status);
}
