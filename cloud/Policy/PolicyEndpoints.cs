using System.Security.Claims;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace EdgeGateway.Cloud.Policy;

/// <summary>
/// Sign-in (password, then an RFC 6238 code where one is enrolled or required), sign-out, who is signed in, and the
/// appliance list as the actor may see it. Every sign-in, failed sign-in and sign-out is an audit event; the audit
/// holds the user name tried, never a password, code or secret.
/// </summary>
internal static class PolicyEndpoints
{
    /// <summary>Body of <c>POST /api/auth/login</c>. <c>Totp</c>: the authenticator's 6-digit code, where one is needed.</summary>
    public sealed record LoginRequest(string Username, string Password, string? Totp = null)
    {
        public override string ToString() => $"LoginRequest {{ Username = {Username}, Password = ***, Totp = *** }}";
    }

    /// <summary>Body of <c>POST /api/auth/totp/enrol</c>: the enrolment's token and the first code the app shows.</summary>
    public sealed record TotpConfirmRequest(string Enrolment, string Code);

    public sealed record ErrorResponse(string Error);

    /// <summary>
    /// A refused sign-in. <c>TotpRequired</c>: send the authenticator's code with the password. <c>TotpEnrolmentRequired</c>:
    /// the domain requires an authenticator for this administrator and none is set up; <c>Enrolment</c> holds a new one.
    /// </summary>
    public sealed record LoginFailure(
        string Error,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? TotpRequired = null,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? TotpEnrolmentRequired = null,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] TotpEnrolment? Enrolment = null);

    /// <summary>A guest's <c>GET /api/me</c>: role <c>guest</c> and the one session they may watch.</summary>
    public sealed record GuestInfo(string Id, string Name, string Role, string? SessionId);

    /// <summary>An endpoint as the signed-in actor sees it: <c>Access</c> = they may start a session there (an administrator of the domain, or a technician with a grant; a request for access may still be needed, see <c>Policy.RfaRequired</c>).</summary>
    public sealed record EndpointAccessView(string Id, string Name, string Protocol, string Host, int Port, bool Access, EndpointPolicy Policy);

    /// <summary>An appliance of the actor's domain with its endpoints as they see them.</summary>
    public sealed record ApplianceAccessView(string Id, string Name, bool Online, DateTimeOffset? LastSeen, IReadOnlyList<EndpointAccessView> Endpoints);

    /// <summary>Registers what sign-in and administration need beyond the stores.</summary>
    public static IServiceCollection AddAdministration(this IServiceCollection services)
    {
        services.TryAddSingleton<LoginLockout>();
        services.TryAddSingleton<TotpAuthenticator>();
        services.TryAddSingleton<TotpEnrolments>();
        services.TryAddSingleton<Governed>();
        return services;
    }

    public static void MapPolicy(this IEndpointRouteBuilder app)
    {
        var auth = app.MapGroup("/api/auth").WithTags("Auth");
        auth.MapPost("/login", LoginAsync).RequireRateLimiting("login");
        auth.MapPost("/totp/enrol", ConfirmEnrolmentAsync).RequireRateLimiting("login");
        auth.MapPost("/logout", async (HttpContext context, Actors actors, AuditLog audit) =>
        {
            if (actors.Resolve(context) is { } actor)
            {
                audit.Record(actor, "auth.logout", Decision.Allow);
            }

            await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return TypedResults.NoContent();
        });

        app.MapGet("/api/me", (HttpContext context, Actors actors, UserStore users) =>
            actors.Resolve(context) switch
            {
                null => Results.Unauthorized(),
                { IsGuest: true } guest => Results.Ok(new GuestInfo(guest.Id, guest.Name, Roles.Guest, guest.GuestSessionId)),
                var actor => users.Find(actor.Id) is { } user ? Results.Ok(user) : Results.Unauthorized(),
            })
            .RequireAuthorization().WithTags("Auth");

        app.MapGet("/api/appliances", ListAppliances).RequireAuthorization().WithTags("Appliances");

        app.MapAdmin();
        app.MapAccessRequests();
    }

    /// <summary>
    /// The actor's domain's appliances. Each endpoint says whether the actor may start there and carries its policy, so
    /// the dashboard offers Connect only where it would be allowed. A guest sees none.
    /// </summary>
    private static IResult ListAppliances(HttpContext context, Actors actors, ApplianceRegistry registry, PolicyStore policies)
    {
        if (actors.Resolve(context) is not { } actor)
        {
            return TypedResults.Unauthorized();
        }

        if (actor.IsGuest)
        {
            return TypedResults.Ok(Array.Empty<ApplianceAccessView>());
        }

        var views = registry.List(actor.DomainId).Select(a => new ApplianceAccessView(a.Id, a.Name, a.Online, a.LastSeen, [.. a.Endpoints.Select(e =>
        {
            var target = new Target(a.DomainId, a.Id, e.Id, ActorHasGrant: policies.HasGrant(actor.Id, a.Id, e.Id));
            return new EndpointAccessView(e.Id, e.Name, e.Protocol, e.Host, e.Port, Authorizer.Decide(actor, Act.Start, target).Allowed, policies.EndpointPolicy(a.Id, e.Id));
        })]));
        return TypedResults.Ok(views.ToList());
    }

    private static async Task<IResult> LoginAsync(LoginRequest request, HttpContext context, UserStore users, PolicyStore policies, LoginLockout lockout, TotpAuthenticator totp, TotpEnrolments enrolments, AuditLog audit)
    {
        if (request is null || string.IsNullOrWhiteSpace(request.Username) || string.IsNullOrEmpty(request.Password))
        {
            return TypedResults.BadRequest(new ErrorResponse("Enter a user name and a password."));
        }

        var name = request.Username.Trim();
        if (name.Length > UserNames.MaxLength || request.Password.Length > 1024)
        {
            return TypedResults.BadRequest(new ErrorResponse("The user name or password is too long."));
        }

        var source = Actors.Source(context);
        if (lockout.LockedFor(name) is { } locked)
        {
            LoginFailed(audit, null, name, source, "locked", "refused");
            return TypedResults.Json(new ErrorResponse(LockedMessage(locked)), statusCode: StatusCodes.Status429TooManyRequests);
        }

        var user = users.Verify(name, request.Password);
        if (user is null)
        {
            LoginFailed(audit, users.FindByName(name), name, source, "wrong-password", "failed");
            return lockout.Failed(name)
                ? TypedResults.Json(new ErrorResponse(LockedMessage(LoginLockout.LockDuration)), statusCode: StatusCodes.Status429TooManyRequests)
                : TypedResults.Json(new ErrorResponse("Wrong user name or password."), statusCode: StatusCodes.Status401Unauthorized);
        }

        if (user.Disabled)
        {
            LoginFailed(audit, user, name, source, "disabled", "refused");
            return TypedResults.Json(new ErrorResponse("This account is disabled."), statusCode: StatusCodes.Status403Forbidden);
        }

        var secret = users.TotpSecret(user.Id);
        if (secret is null)
        {
            if (user.Role == Roles.DomainAdmin && policies.FindDomain(user.DomainId) is { AdminTotpRequired: true })
            {
                LoginFailed(audit, user, name, source, "totp-enrolment-required", "refused");
                return TypedResults.Json(
                    new LoginFailure("Your domain requires an authenticator app for administrators. Scan the QR code with one, then enter the 6-digit code it shows.", TotpEnrolmentRequired: true, Enrolment: enrolments.Begin(user)),
                    statusCode: StatusCodes.Status401Unauthorized);
            }
        }
        else if (string.IsNullOrWhiteSpace(request.Totp))
        {
            return TypedResults.Json(new LoginFailure("Enter the 6-digit code from your authenticator app.", TotpRequired: true), statusCode: StatusCodes.Status401Unauthorized);
        }
        else if (totp.Check(user.Id, secret, request.Totp) is not TotpCheck.Valid and var check)
        {
            LoginFailed(audit, user, name, source, check == TotpCheck.Reused ? "totp-reused" : "totp-wrong", "failed");
            return lockout.Failed(name)
                ? TypedResults.Json(new ErrorResponse(LockedMessage(LoginLockout.LockDuration)), statusCode: StatusCodes.Status429TooManyRequests)
                : TypedResults.Json(
                    new LoginFailure(check == TotpCheck.Reused ? "That code was used already. Wait for the next one." : "The code is not correct. Check the time on your phone and try the current code.", TotpRequired: true),
                    statusCode: StatusCodes.Status401Unauthorized);
        }

        lockout.Succeeded(name);
        await SignInAsync(context, user);
        audit.Append(new AuditEvent("auth.login", "allowed", user.Id, user.Name, user.Role, Source: source, Detail: secret is null ? "password" : "password and TOTP"));
        return TypedResults.Ok(user);
    }

    /// <summary>Confirms a TOTP enrolment with the app's first code: stores the secret and signs the user in.</summary>
    private static async Task<IResult> ConfirmEnrolmentAsync(TotpConfirmRequest request, HttpContext context, UserStore users, TotpAuthenticator totp, TotpEnrolments enrolments, AuditLog audit)
    {
        if (request is null || string.IsNullOrEmpty(request.Enrolment) || string.IsNullOrWhiteSpace(request.Code) || request.Enrolment.Length > 100)
        {
            return TypedResults.BadRequest(new ErrorResponse("Enter the 6-digit code your authenticator app shows."));
        }

        if (enrolments.Attempt(request.Enrolment) is not var (userId, secret) || users.Find(userId) is not { Disabled: false } user)
        {
            return TypedResults.Json(new ErrorResponse("This enrolment has expired. Sign in again to get a new QR code."), statusCode: StatusCodes.Status410Gone);
        }

        var source = Actors.Source(context);
        if (!totp.Matches(secret, request.Code, out var step))
        {
            audit.Append(new AuditEvent("auth.totp-enrol", "failed", user.Id, user.Name, user.Role, "totp-wrong", Source: source));
            return TypedResults.Json(new LoginFailure("The code is not correct. Check the time on your phone and try the current code.", TotpEnrolmentRequired: true), statusCode: StatusCodes.Status401Unauthorized);
        }

        enrolments.Complete(request.Enrolment);
        users.SetTotpSecret(user.Id, secret);
        users.TryUseTotpStep(user.Id, step);
        await SignInAsync(context, user);
        audit.Append(new AuditEvent("auth.totp-enrol", "allowed", user.Id, user.Name, user.Role, Source: source));
        audit.Append(new AuditEvent("auth.login", "allowed", user.Id, user.Name, user.Role, Source: source, Detail: "password and TOTP (enrolled)"));
        return TypedResults.Ok(users.Find(user.Id));
    }

    private static Task SignInAsync(HttpContext context, UserInfo user)
    {
        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, user.Id), new Claim(ClaimTypes.Name, user.Name), new Claim(ClaimTypes.Role, user.Role)],
            CookieAuthenticationDefaults.AuthenticationScheme);
        return context.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, new ClaimsPrincipal(identity));
    }

    /// <summary>A failed sign-in's audit event: the account when the name is one, and the name tried (never the password).</summary>
    private static void LoginFailed(AuditLog audit, UserInfo? user, string nameTried, string source, string reason, string outcome) =>
        audit.Append(new AuditEvent("auth.login-failed", outcome, user?.Id, user?.Name, user?.Role, reason, Source: source, Detail: "user name tried: " + AuditText.Short(nameTried)));

    private static string LockedMessage(TimeSpan locked) =>
        $"Too many failed sign-ins for this user name. Try again in {Math.Max(1, (int)Math.Ceiling(locked.TotalMinutes))} minutes.";
}

/// <summary>Rules for user names.</summary>
internal static class UserNames
{
    public const int MaxLength = 64;

    /// <summary>A sentence saying what is wrong with <paramref name="name"/>, or null when it is a valid user name.</summary>
    public static string? Validate(string? name) =>
        string.IsNullOrWhiteSpace(name) ? "Enter a user name."
        : name.Length > MaxLength ? $"A user name has at most {MaxLength} characters."
        : name != name.Trim() ? "A user name cannot start or end with a space."
        : name.Any(char.IsControl) ? "A user name cannot contain control characters."
        : null;
}

/// <summary>Text that goes into audit details: control characters dropped, cut to a short length.</summary>
internal static class AuditText
{
    public static string Short(string? text, int max = 100)
    {
        var clean = new string([.. (text ?? string.Empty).Where(c => !char.IsControl(c))]);
        return clean.Length <= max ? clean : clean[..max] + "…";
    }
}
