using EdgeGateway.Appliance.Configuration;
using EdgeGateway.Appliance.Sessions.Terminal;
using EdgeGateway.Appliance.Uplink;
using EdgeGateway.Protocol.Control;
using Microsoft.Extensions.Options;

namespace EdgeGateway.Appliance.Sessions.Ssh;

/// <summary>Makes SSH sessions wired to the uplink.</summary>
internal sealed class SshSessionFactory(
    IOptions<ApplianceOptions> options,
    IUplink uplink,
    TimeProvider time,
    ILoggerFactory loggers)
{
    public SshDeviceSession Create(StartSession start, EndpointOptions endpoint)
    {
        var sink = new UplinkFrameSink(uplink, options.Value.Id, start.SessionId);
        return new SshDeviceSession(start.SessionId, start.ControllerId, endpoint, sink, uplink, options.Value, time, loggers);
    }
}
