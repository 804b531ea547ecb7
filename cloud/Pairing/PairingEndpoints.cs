using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.RateLimiting;
using EdgeGateway.Cloud.Broker;
using EdgeGateway.Cloud.Configuration;
using EdgeGateway.Cloud.Policy;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using static EdgeGateway.Cloud.Policy.AdminEndpoints;
using ErrorResponse = EdgeGateway.Cloud.Policy.PolicyEndpoints.ErrorResponse;

namespace EdgeGateway.Cloud.Pairing;

/// <summary>
/// The pairing API (<c>/api/pairing/…</c>). For appliances, unauthenticated, shaped as RFC 8628:
/// <c>POST device_authorization</c> (form or JSON: <c>csr</c>, <c>hardware</c>, <c>software_version</c>) and
/// <c>POST token</c> (<c>grant_type</c>, <c>device_code</c>; the success answer is the certificate, not an access
/// token), and <c>GET ca.pem</c> (checked by the appliance against a configured fingerprint). For people, signed in and
/// decided by <see cref="Authorizer"/>: look up a code, approve or deny it, list appliances with their certificates,
/// revoke. Wrong codes count against the person and the address (10 in 15 min, then 429) and are audited without the code.
/// </summary>
internal static class PairingEndpoints
{
    /// <summary>RFC 8628 §3.2 answer. <c>UserCode</c> is formatted XXXX-XXXX; times in seconds.</summary>
    public sealed record DeviceAuthorizationResponse(
        [property: JsonPropertyName("device_code")] string DeviceCode,
        [property: JsonPropertyName("user_code")] string UserCode,
        [property: JsonPropertyName("verification_uri")] string VerificationUri,
        [property: JsonPropertyName("verification_uri_complete")] string VerificationUriComplete,
        [property: JsonPropertyName("expires_in")] int ExpiresIn,
        [property: JsonPropertyName("interval")] int Interval)
    {
        public override string ToString() => "DeviceAuthorizationResponse { *** }";
    }

    /// <summary>RFC 6749 §5.2 error shape, with RFC 8628's codes; <c>interval</c> after <c>slow_down</c>.</summary>
    public sealed record TokenError(
        [property: JsonPropertyName("error")] string Error,
        [property: JsonPropertyName("error_description")] string Description,
        [property: JsonPropertyName("interval"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Interval = null);

    /// <summary>
    /// The token endpoint's success: the appliance's id, its certificate chain (leaf then CA, PEM), the CA alone, where
    /// the broker is, and when the certificate expires (UTC, ISO 8601) and should be renewed.
    /// </summary>
    public sealed record PairingResult(
        [property: JsonPropertyName("appliance_id")] string ApplianceId,
        [property: JsonPropertyName("certificate_chain")] string CertificateChain,
        [property: JsonPropertyName("ca_certificate")] string CaCertificate,
        [property: JsonPropertyName("mqtt_host")] string MqttHost,
        [property: JsonPropertyName("mqtt_port")] int MqttPort,
        [property: JsonPropertyName("not_after")] DateTimeOffset NotAfter,
        [property: JsonPropertyName("renew_after")] DateTimeOffset RenewAfter);

    /// <summary>Body of <c>POST /api/pairing/requests/{code}/approve</c>. <c>ApplianceId</c>: re-pair that appliance instead of adding one.</summary>
    public sealed record ApproveRequest(string? DomainId, string? Site, string? Name, string? ApplianceId = null);

    /// <summary>What the person sees before approving, and the domains they may pair into.</summary>
    public sealed record RequestDetails(PairingRequestView Request, IReadOnlyList<DomainInfo> Domains);

    /// <summary>An approval's result.</summary>
    public sealed record Approved(string ApplianceId, string Name, string DomainId, string Site, string CertificateSerial, DateTimeOffset NotAfter);

    public static IServiceCollection AddPairing(this IServiceCollection services)
    {
        services.TryAddSingleton<PairingService>();
        services.AddHostedService<RevocationSweep>();
        services.TryAddSingleton(sp => new CodeGuesses(new LoginLockout(sp.GetRequiredService<TimeProvider>())));
        services.Configure<RateLimiterOptions>(options => options.AddPolicy("pairing", context => RateLimitPartition.GetFixedWindowLimiter(
            context.Connection.RemoteIpAddress?.ToString() ?? string.Empty,
            _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = context.RequestServices.GetRequiredService<IOptions<CloudOptions>>().Value.Pairing.RequestsPerMinutePerAddress,
                Window = TimeSpan.FromMinutes(1),
            })));
        return services;
    }

    public static void MapPairing(this IEndpointRouteBuilder app)
    {
        var device = app.MapGroup("/api/pairing").WithTags("Pairing");
        device.MapPost("/device_authorization", DeviceAuthorizationAsync).RequireRateLimiting("pairing").DisableAntiforgery();
        device.MapPost("/token", TokenAsync).DisableAntiforgery();
        device.MapGet("/ca.pem", (CertificateAuthority authority) => TypedResults.Text(authority.Certificate.ExportCertificatePem(), "application/x-pem-file"));

        var people = app.MapGroup("/api/pairing").RequireAuthorization().WithTags("Pairing");
        people.MapGet("/requests/{userCode}", Lookup);
        people.MapPost("/requests/{userCode}/approve", Approve);
        people.MapPost("/requests/{userCode}/deny", Deny);
        people.MapGet("/appliances", List);
        people.MapPost("/appliances/{applianceId}/revoke", RevokeAsync);
    }

    private static async Task<IResult> DeviceAuthorizationAsync(HttpContext context, PairingService pairing, AuditLog audit)
    {
        var form = await ReadFieldsAsync(context.Request);
        if (form is null)
        {
            return BadRequest("Send a form or a JSON object of at most 16 KiB with csr, hardware and software_version.");
        }

        var source = Actors.Source(context);
        DeviceAuthorization started;
        try
        {
            started = pairing.Start(form.GetValueOrDefault("csr"), form.GetValueOrDefault("hardware"), form.GetValueOrDefault("software_version"), source);
        }
        catch (CertificateRequestException ex)
        {
            audit.Append(new AuditEvent("pairing.request", "refused", ActorName: "appliance", ActorRole: "appliance", Reason: "bad-csr", Source: source, Detail: AuditText.Short(ex.Message, 200)));
            return TypedResults.Json(new TokenError("invalid_request", ex.Message), statusCode: 400);
        }
        catch (PairingBusyException ex)
        {
            return TypedResults.Json(new ErrorResponse(ex.Message), statusCode: 503);
        }

        audit.Append(new AuditEvent("pairing.request", "allowed", ActorName: "appliance", ActorRole: "appliance", Source: source, Detail: $"pairing request {started.RequestId}"));
        var uri = $"{context.Request.Scheme}://{context.Request.Host}/#/appliances/add";
        NoStore(context);
        return TypedResults.Ok(new DeviceAuthorizationResponse(started.DeviceCode, started.UserCode, uri, $"{uri}?code={started.UserCode}", (int)started.ExpiresIn.TotalSeconds, (int)started.Interval.TotalSeconds));
    }

    private static async Task<IResult> TokenAsync(HttpContext context, PairingService pairing, CertificateAuthority authority, IOptions<CloudOptions> options)
    {
        NoStore(context);
        var form = await ReadFieldsAsync(context.Request);
        if (form is null || form.GetValueOrDefault("grant_type") != PairingService.DeviceCodeGrant)
        {
            return TypedResults.Json(new TokenError("unsupported_grant_type", $"grant_type must be {PairingService.DeviceCodeGrant}."), statusCode: 400);
        }

        var result = pairing.Poll(form.GetValueOrDefault("device_code"));
        if (result.Error is { } error)
        {
            return TypedResults.Json(new TokenError(error, result.Description, result.Interval), statusCode: 400);
        }

        var settings = options.Value;
        var ca = authority.Certificate.ExportCertificatePem();
        var notAfter = result.NotAfter!.Value;
        var host = settings.Pairing.BrokerHost.Length > 0 ? settings.Pairing.BrokerHost : context.Request.Host.Host;
        var port = settings.Pairing.BrokerPort > 0 ? settings.Pairing.BrokerPort : settings.Broker.Port;
        return TypedResults.Ok(new PairingResult(result.ApplianceId!, result.CertificatePem!.TrimEnd() + "\n" + ca, ca, host, port, notAfter, notAfter - settings.Pairing.CertificateLifetime / 3));
    }

    private static IResult Lookup(string userCode, HttpContext context, Governed governed, PairingService pairing, PolicyStore policies, CodeGuesses guesses)
    {
        if (governed.Read(context, out var actor, Act.PairAppliance) is { } refused)
        {
            return refused;
        }

        if (guesses.Refusal(actor) is { } locked)
        {
            return locked;
        }

        return pairing.Find(userCode) is { } request
            ? TypedResults.Ok(new RequestDetails(request, [policies.FindDomain(actor.DomainId)!])) // one pairs into one's own domain
            : guesses.Wrong(actor, governed, "pairing.lookup");
    }

    private static IResult Approve(string userCode, ApproveRequest body, HttpContext context, Governed governed, PairingService pairing, PolicyStore policies, CodeGuesses guesses, IServiceProvider services)
    {
        var domainId = body?.DomainId ?? governed.Actors.Resolve(context)?.DomainId ?? PolicyStore.DefaultDomain;
        var replace = string.IsNullOrEmpty(body?.ApplianceId) ? null : body.ApplianceId;
        if (replace is not null)
        {
            domainId = policies.ApplianceDomain(replace);
        }

        var name = body?.Name?.Trim() ?? string.Empty;
        var site = body?.Site?.Trim() ?? string.Empty;
        if (governed.Decide(context, "pairing.approve", new Target(domainId, replace), out var actor, act: Act.PairAppliance, detail: $"name {AuditText.Short(name, 100)}, site {AuditText.Short(site, 100)}") is { } refused)
        {
            return refused;
        }

        if (guesses.Refusal(actor) is { } locked)
        {
            return locked;
        }

        if (name.Length is < 1 or > 100 || site.Length > 100 || name.Any(char.IsControl) || site.Any(char.IsControl))
        {
            return BadRequest("Give the appliance a name of 1 to 100 characters and a site of at most 100.");
        }

        if (policies.FindDomain(domainId) is null || (replace is not null && !pairing.ApplianceExists(replace)))
        {
            return NotFound(replace is null ? "There is no such domain." : "There is no such appliance to re-pair.");
        }

        if (pairing.Approve(userCode, domainId, site, name, replace, actor.Id) is not { } approved)
        {
            return guesses.Wrong(actor, governed, "pairing.approve");
        }

        if (replace is not null)
        {
            _ = services.GetRequiredService<EmbeddedBroker>().DisconnectApplianceAsync(replace); // the box it replaces, if still connected
        }

        governed.Audit.Append(new AuditEvent("pairing.issued", "allowed", actor.Id, actor.Name, actor.Role, null, approved.ApplianceId, Source: actor.Source,
            Detail: $"certificate {approved.Certificate.Serial}, key {approved.Certificate.KeySha256[..16]}…, until {approved.Certificate.NotAfter:u}"));
        return TypedResults.Ok(new Approved(approved.ApplianceId, name, domainId, site, approved.Certificate.Serial, approved.Certificate.NotAfter));
    }

    private static IResult Deny(string userCode, HttpContext context, Governed governed, PairingService pairing, CodeGuesses guesses)
    {
        if (governed.Decide(context, "pairing.deny", new Target(governed.Actors.Resolve(context)?.DomainId ?? PolicyStore.DefaultDomain), out var actor, act: Act.PairAppliance) is { } refused)
        {
            return refused;
        }

        return guesses.Refusal(actor) ?? (pairing.Deny(userCode, actor.Id) ? TypedResults.NoContent() : guesses.Wrong(actor, governed, "pairing.deny"));
    }

    private static IResult List(HttpContext context, Governed governed, PairingService pairing, ApplianceRegistry registry) =>
        governed.Read(context, out var actor, Act.PairAppliance) ?? TypedResults.Ok(pairing.List(actor.DomainId, registry.IsOnline));

    private static async Task<IResult> RevokeAsync(string applianceId, HttpContext context, Governed governed, PairingService pairing, PolicyStore policies, EmbeddedBroker broker)
    {
        if (!pairing.ApplianceExists(applianceId))
        {
            return governed.Read(context, out _, Act.PairAppliance) ?? NotFound("There is no such appliance.");
        }

        if (governed.Decide(context, "appliance.revoke", new Target(policies.ApplianceDomain(applianceId), applianceId), out var actor, act: Act.RevokeAppliance) is { } refused)
        {
            return refused;
        }

        pairing.Revoke(applianceId, actor.Id);
        await broker.DisconnectApplianceAsync(applianceId); // at once; the broker refuses it from now on
        return TypedResults.NoContent();
    }

    /// <summary>The request's fields from a form (RFC 8628's encoding) or a JSON object of strings; null when neither or over 16 KiB.</summary>
    private static async Task<Dictionary<string, string>?> ReadFieldsAsync(HttpRequest request)
    {
        if (request.ContentLength is > 16384)
        {
            return null;
        }

        try
        {
            if (request.HasFormContentType)
            {
                var form = await request.ReadFormAsync(new Microsoft.AspNetCore.Http.Features.FormOptions { ValueLengthLimit = 16384, KeyLengthLimit = 64, ValueCountLimit = 16 });
                return form.ToDictionary(f => f.Key, f => f.Value.ToString(), StringComparer.Ordinal);
            }

            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer);
            if (buffer.Length > 16384)
            {
                return null;
            }

            using var json = JsonDocument.Parse(buffer.ToArray());
            return json.RootElement.ValueKind != JsonValueKind.Object ? null
                : json.RootElement.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.String).ToDictionary(p => p.Name, p => p.Value.GetString()!, StringComparer.Ordinal);
        }
        catch (Exception ex) when (ex is JsonException or InvalidDataException or IOException)
        {
            return null;
        }
    }

    private static void NoStore(HttpContext context) => context.Response.Headers.CacheControl = "no-store";
}

/// <summary>
/// Wrong pairing codes, counted per person and per address (a <see cref="LoginLockout"/> of its own: 10 in 15 minutes
/// lock for 15 minutes), so a signed-in account cannot walk the code space. Every wrong code is audited, never the code.
/// </summary>
internal sealed class CodeGuesses(LoginLockout lockout)
{
    public IResult? Refusal(Actor actor) =>
        (lockout.LockedFor("user:" + actor.Id) ?? lockout.LockedFor("addr:" + actor.Source)) is { } wait
            ? TypedResults.Json(new ErrorResponse($"Too many wrong pairing codes. Try again in {Math.Ceiling(wait.TotalMinutes)} min."), statusCode: 429)
            : null;

    public IResult Wrong(Actor actor, Governed governed, string action)
    {
        lockout.Failed("user:" + actor.Id);
        lockout.Failed("addr:" + actor.Source);
        governed.Audit.Append(new AuditEvent(action, "refused", actor.Id, actor.Name, actor.Role, "unknown-code", Source: actor.Source, Detail: "no pending pairing with this code"));
        return NotFound("No appliance is waiting with this code. Check the code on the appliance; a code works for a few minutes, and once.");
    }
}
