using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace EdgeGateway.Cloud.Policy;

/// <summary>Login and the appliance list.</summary>
internal static class PolicyEndpoints
{
    public sealed record LoginRequest(string Username, string Password);

    public sealed record ErrorResponse(string Error);

    public static void MapPolicy(this IEndpointRouteBuilder app)
    {
        var auth = app.MapGroup("/api/auth").WithTags("Auth");
        auth.MapPost("/login", LoginAsync).RequireRateLimiting("login");
        auth.MapPost("/logout", async (HttpContext context) =>
        {
            await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return TypedResults.NoContent();
        });

        app.MapGet("/api/me", (ClaimsPrincipal user, UserStore users) =>
            users.Find(user.FindFirstValue(ClaimTypes.NameIdentifier)!) is { } found ? Results.Ok(found) : Results.Unauthorized())
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
