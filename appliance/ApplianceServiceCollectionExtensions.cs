using EdgeGateway.Appliance.Configuration;
using EdgeGateway.Appliance.Pairing;
using EdgeGateway.Appliance.Sessions;
using EdgeGateway.Appliance.Sessions.Rdp;
using EdgeGateway.Appliance.Sessions.Ssh;
using EdgeGateway.Appliance.Sessions.Vnc;
using EdgeGateway.Appliance.Uplink;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace EdgeGateway.Appliance;

/// <summary>Registers the appliance's services.</summary>
public static class ApplianceServiceCollectionExtensions
{
    /// <summary>Adds the uplink, the session manager and the protocol terminators.</summary>
    public static IServiceCollection AddAppliance(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ApplianceOptions>().Bind(configuration.GetSection(ApplianceOptions.Section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ApplianceOptions>, ApplianceOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IdentityProvider>();
        services.TryAddSingleton<MqttUplink>();
        services.TryAddSingleton<IUplink>(sp => sp.GetRequiredService<MqttUplink>());
        services.AddHostedService(sp => sp.GetRequiredService<MqttUplink>());
        services.TryAddSingleton<SshSessionFactory>();
        services.TryAddSingleton<VncSessionFactory>();
        services.TryAddSingleton<RdpSessionFactory>();
        services.TryAddSingleton<SessionManager>();
        services.TryAddSingleton<IDownlinkHandler>(sp => sp.GetRequiredService<SessionManager>());
        return services;
    }
}
