using EdgeGateway.Appliance.Configuration;
using EdgeGateway.Appliance.Uplink;
using EdgeGateway.Protocol.Control;
using Microsoft.Extensions.Options;

namespace EdgeGateway.Appliance.Sessions.Rdp;

/// <summary>Makes RDP sessions wired to the uplink (one <c>edgegateway-rdp</c> child process each).</summary>
internal sealed class RdpSessionFactory(
    IOptions<ApplianceOptions> options,
    IUplink uplink,
    TimeProvider time,
    ILoggerFactory loggers)
{
    public RdpDeviceSession Create(StartSession start, EndpointOptions endpoint)
    {
        var sink = new UplinkFrameSink(uplink, options.Value.Id, start.SessionId);
        return new RdpDeviceSession(start.SessionId, start.ControllerId, endpoint, sink, uplink, options.Value, time, loggers);
    }
}
