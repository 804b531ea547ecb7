using EdgeGateway.Appliance;
using Microsoft.Extensions.Options;

var builder = Host.CreateApplicationBuilder(args);
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
