using EdgeGateway.Appliance;
using EdgeGateway.Appliance.Pairing;
using Microsoft.Extensions.Options;

if (args is ["pair", ..])
{
    return PairCommand.Run(args[1..], Console.Out);
}

// appsettings.json is read from beside the binary whatever the working directory, and read once: the service is
// restarted to reconfigure it (watching the file would put an inotify watch on every folder below the content root).
var settings = new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory, Configuration = new ConfigurationManager() };
settings.Configuration["hostBuilder:reloadConfigOnChange"] = "false";
var builder = Host.CreateApplicationBuilder(settings);
builder.Services.AddSystemd();
builder.Services.AddAppliance(builder.Configuration);

using var host = builder.Build();
try
{
    await host.RunAsync();
    return 0;
}
catch (OptionsValidationException ex)
{
    // A wrong setting stops the service with the keys to fix, not a stack trace.
    await Console.Error.WriteLineAsync("EdgeGateway appliance: configuration error:\n  " + string.Join("\n  ", ex.Failures));
    return 2;
}
