using EdgeGateway.Cloud;
using EdgeGateway.Cloud.Pairing;

if (args is ["enroll-appliance", ..])
{
    return EnrollCommand.Run(args[1..]);
}

var app = CloudApp.Create(args);
await app.RunAsync();
return 0;
