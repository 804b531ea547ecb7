using System.Threading.RateLimiting;
using EdgeGateway.Cloud.Broker;
using EdgeGateway.Cloud.Configuration;
using EdgeGateway.Cloud.FanOut;
using EdgeGateway.Cloud.Invitations;
using EdgeGateway.Cloud.Operability;
using EdgeGateway.Cloud.Pairing;
using EdgeGateway.Cloud.Policy;
using EdgeGateway.Cloud.Sessions;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;

namespace EdgeGateway.Cloud;

/// <summary>Builds the cloud service; Program and the end-to-end tests share it.</summary>
public static class CloudApp
{
    /// <summary>Creates the application from command-line arguments (configuration keys included).</summary>
    public static WebApplication Create(string[] args, Action<WebApplicationBuilder>? configure = null) =>
        Create(new WebApplicationOptions { Args = args }, configure);

    /// <summary>Creates the application with explicit host options (content and web roots, for tests).</summary>
    public static WebApplication Create(WebApplicationOptions options, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(options);
        configure?.Invoke(builder);
        builder.Services.AddCloud(builder.Configuration);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.ConfigureEndpointDefaults(listen => listen.Use(next => connection =>
            {
                var sendBuffer = kestrel.ApplicationServices.GetRequiredService<IOptions<CloudOptions>>().Value.Sessions.ViewerSendBufferBytes;
                if (sendBuffer > 0 && connection.Features.Get<IConnectionSocketFeature>()?.Socket is { } socket)
                {
                    socket.SendBufferSize = sendBuffer;
                }

                return next(connection);
            }));
            kestrel.ConfigureHttpsDefaults(https =>
                https.ServerCertificateSelector = (_, _) => kestrel.ApplicationServices.GetRequiredService<ServerCertificate>().Certificate);
        });

        var app = builder.Build();
        app.UseSecurityHeaders();
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(20) });
        app.UseDefaultFiles();
        app.UseStaticFiles();
        app.UseRateLimiter();
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") });
        app.MapPrometheusScrapingEndpoint("/metrics");
        app.MapOpenApi();
        app.MapPolicy();
        app.MapAudit();
        app.MapHistory();
        app.MapSessions();
        app.MapSessionStream();
        app.MapInvitations();
        app.MapPairing();
        return app;
    }

    /// <summary>Registers the cloud's services.</summary>
    public static IServiceCollection AddCloud(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<CloudOptions>().Bind(configuration.GetSection(CloudOptions.Section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CloudOptions>, CloudOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => CertificateAuthority.LoadOrCreate(Path.Combine(sp.GetRequiredService<IOptions<CloudOptions>>().Value.DataDirectory, "pki")));
        services.TryAddSingleton<ServerCertificate>();
        services.TryAddSingleton<CloudDatabase>();
        services.TryAddSingleton<UserStore>();
        services.TryAddSingleton<PolicyStore>();
        services.TryAddSingleton<AuditLog>();
        services.TryAddSingleton<SessionHistory>();
        services.TryAddSingleton<Favourites>();
        services.TryAddSingleton<EndpointCertificates>();
        services.TryAddSingleton<Actors>();
        services.AddAdministration();
        services.TryAddSingleton<ApplianceRegistry>();
        services.TryAddSingleton<CloudMetrics>();
        services.TryAddSingleton<EmbeddedBroker>();
        services.TryAddSingleton<IApplianceChannel>(sp => sp.GetRequiredService<EmbeddedBroker>());
        services.TryAddSingleton<SessionService>();
        services.TryAddSingleton<IUpstreamHandler>(sp => sp.GetRequiredService<SessionService>());
        services.TryAddSingleton<SessionGovernance>();
        services.TryAddSingleton<InvitationMailer>();
        services.TryAddSingleton<SessionMessages>();
        services.TryAddSingleton<SessionConversation>();
        services.AddPairing();
        services.AddHostedService<AdminBootstrap>();
        services.AddHostedService(sp => sp.GetRequiredService<EmbeddedBroker>());

        services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie(options =>
        {
            options.Cookie.Name = "eg_session";
            options.Cookie.HttpOnly = true;
            options.Cookie.SecurePolicy = CookieSecurePolicy.Always;
            options.Cookie.SameSite = SameSiteMode.Strict;
            options.ExpireTimeSpan = TimeSpan.FromHours(8);
            options.SlidingExpiration = true;
            options.Events.OnRedirectToLogin = context => Refuse(context.Response, StatusCodes.Status401Unauthorized, "Sign in first.");
            options.Events.OnRedirectToAccessDenied = context => Refuse(context.Response, StatusCodes.Status403Forbidden, "You may not do this.");
        });
        services.AddAuthorization();
        services.AddRateLimiter(options =>
        {
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.AddPolicy("login", context => RateLimitPartition.GetFixedWindowLimiter(
                context.Connection.RemoteIpAddress?.ToString() ?? string.Empty,
                _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = context.RequestServices.GetRequiredService<IOptions<CloudOptions>>().Value.LoginsPerMinute,
                    Window = TimeSpan.FromMinutes(1),
                }));
        });

        services.AddHealthChecks()
            .AddCheck<ReadinessCheck>("broker-and-database", tags: ["ready"]);
        services.AddOpenApi();
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddAspNetCoreInstrumentation()
            .AddMeter(CloudMetrics.MeterName)
            .AddMeter("System.Runtime") // the runtime's own: GC pauses and heap, thread pool queue, lock contention
            .AddPrometheusExporter());
        return services;
    }

    /// <summary>An API refusal with the sentence the page shows, also for requests refused before any handler.</summary>
    private static Task Refuse(HttpResponse response, int status, string message)
    {
        response.StatusCode = status;
        return response.WriteAsJsonAsync(new PolicyEndpoints.ErrorResponse(message));
    }

    private static void UseSecurityHeaders(this WebApplication app) =>
        app.Use(async (context, next) =>
        {
            var headers = context.Response.Headers;
            headers["Content-Security-Policy"] = "default-src 'self'; connect-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'";
            headers["X-Content-Type-Options"] = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            headers["Strict-Transport-Security"] = "max-age=31536000";
            await next();
        });
}

/// <summary>Ready when the broker listens and the database answers.</summary>
internal sealed class ReadinessCheck(EmbeddedBroker broker, CloudDatabase database) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(
            !broker.IsStarted ? HealthCheckResult.Unhealthy("MQTT broker not started")
            : !database.Ping() ? HealthCheckResult.Unhealthy("database not reachable")
            : HealthCheckResult.Healthy());
}
