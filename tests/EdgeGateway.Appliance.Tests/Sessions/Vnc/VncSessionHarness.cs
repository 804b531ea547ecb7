using EdgeGateway.Appliance.Configuration;
using EdgeGateway.Appliance.Sessions;
using EdgeGateway.Appliance.Sessions.Vnc;
using EdgeGateway.Protocol.Control;
using EdgeGateway.Protocol.Display;
using EdgeGateway.Protocol.Stream;
using EdgeGateway.Testing;
using Microsoft.Extensions.Logging;

namespace EdgeGateway.Appliance.Tests.Sessions.Vnc;

/// <summary>A <see cref="VncDeviceSession"/> against a real VNC server, with its frames and logs recorded.</summary>
internal sealed class VncSessionHarness : DisplaySessionHarness
{
    private VncSessionHarness(VncDeviceSession session, LogCollector logs, ILoggerFactory loggers, RecordingSink sink, RecordingUplink uplink)
        : base(session, logs, loggers, sink, uplink)
    {
        Session = session;
    }

    public VncDeviceSession Session { get; }

    public static async Task<(VncSessionHarness Harness, bool Started)> StartAsync(
        int port, string password, string pinsPath, string endpointId = "vnc-test", Action<VncOptions>? configure = null, string username = "", bool allowUnencrypted = true, LivenessOptions? liveness = null)
    {
        var logs = new LogCollector();
        var loggers = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
        var options = new ApplianceOptions { Id = "appliance-test", Liveness = liveness ?? new LivenessOptions() };
        options.Vnc.CertificatePinsPath = pinsPath;
        configure?.Invoke(options.Vnc);
        var endpoint = new EndpointOptions { Id = endpointId, Protocol = "vnc", Host = "127.0.0.1", Port = port, AllowLegacyAlgorithms = allowUnencrypted };
        var sink = new RecordingSink();
        var uplink = new RecordingUplink();
        var session = new VncDeviceSession("s-" + Guid.NewGuid().ToString("N"), "controller", endpoint, sink, uplink, options,
            new VncCertificatePins(pinsPath), TimeProvider.System, loggers);
        var harness = new VncSessionHarness(session, logs, loggers, sink, uplink);
        var start = new StartSession(session.SessionId, endpointId, "controller", username, new Secret(password), 80, 24);
        return (harness, await session.StartAsync(start, CancellationToken.None));
    }

    protected override uint[] CopyPixels(out int width, out int height) => Session.CopyPixels(out width, out height);
}
