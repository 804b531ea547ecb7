using EdgeGateway.Appliance;

var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddSystemd();
builder.Services.AddAppliance(builder.Configuration);

using var host = builder.Build();
await host.RunAsync();
