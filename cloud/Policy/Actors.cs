using System.Security.Claims;

namespace EdgeGateway.Cloud.Policy;

/// <summary>
/// Turns a request's sign-in into an <see cref="Actor"/>. An account is looked up on every request, so a user an
/// admin disabled (or deleted) is refused at once, whatever their cookie says. A guest's identity lives in the
/// cookie alone (<see cref="GuestSessionClaim"/> names their one session).
/// </summary>
public sealed class Actors(UserStore users)
{
    /// <summary>The claim that binds a guest's cookie to the session their invite named.</summary>
    public const string GuestSessionClaim = "eg:session";

    /// <summary>The claim with a guest's domain (the session's).</summary>
    public const string DomainClaim = "eg:domain";

    /// <summary>The actor behind the request, or null when nobody (or a disabled or unknown user) is signed in.</summary>
    public Actor? Resolve(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var principal = context.User;
        var id = principal.FindFirstValue(ClaimTypes.NameIdentifier);
        if (id is null)
        {
            return null;
        }

        var source = Source(context);
        if (principal.IsInRole(Roles.Guest))
        {
            return new Actor(id, principal.Identity?.Name ?? "Guest", Roles.Guest, principal.FindFirstValue(DomainClaim) ?? PolicyStore.DefaultDomain, source, principal.FindFirstValue(GuestSessionClaim));
        }

        var user = users.Find(id);
        return user is null || user.Disabled ? null : new Actor(user.Id, user.Name, user.Role, user.DomainId, source);
    }

    /// <summary>The client's address as the audit records it.</summary>
    public static string Source(HttpContext context) => context?.Connection.RemoteIpAddress?.ToString() ?? string.Empty;
}

/// <summary>Audit helpers: one event per decision, with the actor and the target filled in.</summary>
public static class AuditExtensions
{
    /// <summary>Records <paramref name="action"/> by <paramref name="actor"/> with the decision's outcome and reason.</summary>
    public static AuditEvent? Record(this AuditLog log, Actor actor, string action, Decision decision, string? applianceId = null, string? endpointId = null, string? sessionId = null, string? detail = null)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(actor);
        return log.Append(new AuditEvent(
            action,
            decision.Allowed ? "allowed" : "refused",
            actor.Id,
            actor.Name,
            actor.Role,
            decision.Allowed ? null : decision.Reason,
            applianceId,
            endpointId,
            sessionId,
            actor.Source,
            detail));
    }
}
