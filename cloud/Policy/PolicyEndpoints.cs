using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace EdgeGateway.Cloud.Policy;

/// <summary>Login and the appliance list.</summary>
internal static class PolicyEndpoints
{
    public sealed record LoginRequest(string Username, string Password);

    public sealed record ErrorResponse(string Error);

    /// <summary>What <c>GET /api/me</c> answers for a guest: no account, a name they gave, role <c>guest</c>.</summary>
    public sealed record GuestInfo(string Id, string Name, string Role);

    public static void MapPolicy(this IEndpointRouteBuilder app)
    {
        var auth = app.MapGroup("/api/auth").WithTags("Auth");
        auth.MapPost("/login", LoginAsync).RequireRateLimiting("login");
        auth.MapPost("/logout", async (HttpContext context) =>
        {
            await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return TypedResults.NoContent();
        });

        // A guest (signed in by an invite link) has no account: {id, name, role: "guest"} from the cookie.
        app.MapGet("/api/me", (HttpContext context, Actors actors, UserStore users) =>
            actors.Resolve(context) is not { } actor ? Results.Unauthorized()
            : actor.IsGuest ? Results.Ok(new GuestInfo(actor.Id, actor.Name, Roles.Guest))
            : users.Find(actor.Id) is { } found ? Results.Ok(found) : Results.Unauthorized())
            .RequireAuthorization().WithTags("Auth");

        app.MapGet("/api/appliances", (ApplianceRegistry registry) => TypedResults.Ok(registry.List()))
            .RequireAuthorization().WithTags("Appliances");
    }

    private static async Task<IResult> LoginAsync(LoginRequest request, UserStore users, HttpContext context)
    {
        if (request is null || string.IsNullOrEmpty(request.Username) || string.IsNullOrEmpty(request.Password))
        {
            return TypedResults.BadRequest(new ErrorResponse("Enter a user name and a password."));
        }

        var user = users.Verify(request.Username, request.Password);
        if (user is null)
        {
            return TypedResults.Json(new ErrorResponse("Wrong user name or password."), statusCode: StatusCodes.Status401Unauthorized);
        }

        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, user.Id), new Claim(ClaimTypes.Name, user.Name), new Claim(ClaimTypes.Role, user.Role)],
            CookieAuthenticationDefaults.AuthenticationScheme);
        await context.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, new ClaimsPrincipal(identity));
        return TypedResults.Ok(user);
    }
}
