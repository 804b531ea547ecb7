using EdgeGateway.Appliance.Configuration;
using EdgeGateway.Appliance.Uplink;
using EdgeGateway.Protocol.Control;
using Microsoft.Extensions.Options;

namespace EdgeGateway.Appliance.Sessions.Vnc;

/// <summary>Makes VNC sessions wired to the uplink; one certificate pin store for all of them.</summary>
internal sealed class VncSessionFactory(
    IOptions<ApplianceOptions> options,
    IUplink uplink,
    TimeProvider time,
    ILoggerFactory loggers)
{
    private readonly VncCertificatePins _pins = new(options.Value.VncCertificatePinsPath);

    public VncDeviceSession Create(StartSession start, EndpointOptions endpoint)
    {
        var sink = new UplinkFrameSink(uplink, options.Value.Id, start.SessionId);
        return new VncDeviceSession(start.SessionId, start.ControllerId, endpoint, sink, uplink, options.Value, _pins, time, loggers);
    }
}
