using EdgeGateway.Cloud;
using EdgeGateway.Cloud.Pairing;
using EdgeGateway.Cloud.Policy;

if (args is ["enroll-appliance", ..])
{
    return EnrollCommand.Run(args[1..]);
}

if (args is ["audit-verify", ..])
{
    return AuditCommand.Run(args[1..]);
}

var app = CloudApp.Create(args);
try
{
    await app.RunAsync();
    return 0;
}
catch (Microsoft.Extensions.Options.OptionsValidationException ex)
{
    // A wrong setting stops the service with the keys to fix, not a stack trace.
    await Console.Error.WriteLineAsync("EdgeGateway cloud: configuration error:\n  " + string.Join("\n  ", ex.Failures));
    return 2;
}
