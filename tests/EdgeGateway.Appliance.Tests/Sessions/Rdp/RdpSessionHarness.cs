using EdgeGateway.Appliance.Configuration;
using EdgeGateway.Appliance.Sessions.Rdp;
using EdgeGateway.Protocol.Control;
using EdgeGateway.Testing;
using Microsoft.Extensions.Logging;

namespace EdgeGateway.Appliance.Tests.Sessions.Rdp;

/// <summary>An <see cref="RdpDeviceSession"/> (with its real <c>edgegateway-rdp</c> helper) against a real RDP server, its frames and logs recorded.</summary>
internal sealed class RdpSessionHarness : DisplaySessionHarness
{
    private RdpSessionHarness(RdpDeviceSession session, LogCollector logs, ILoggerFactory loggers, RecordingSink sink, RecordingUplink uplink)
        : base(session, logs, loggers, sink, uplink)
    {
        Session = session;
    }

    public RdpDeviceSession Session { get; }

    public static async Task<(RdpSessionHarness Harness, bool Started)> StartAsync(int port, string username, string password, string? pin = null, Action<RdpOptions>? configure = null, LivenessOptions? liveness = null)
    {
        var logs = new LogCollector();
        var loggers = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
        var options = new ApplianceOptions { Id = "appliance-test", Liveness = liveness ?? new LivenessOptions() };
        configure?.Invoke(options.Rdp);
        var endpoint = new EndpointOptions { Id = "rdp-test", Name = "RDP test", Protocol = "rdp", Host = "127.0.0.1", Port = port };
        var sink = new RecordingSink();
        var uplink = new RecordingUplink();
        var session = new RdpDeviceSession("s-" + Guid.NewGuid().ToString("N"), "controller", endpoint, sink, uplink, options, TimeProvider.System, loggers);
        var harness = new RdpSessionHarness(session, logs, loggers, sink, uplink);
        var start = new StartSession(session.SessionId, endpoint.Id, "controller", username, new Secret(password), 80, 24, PinnedCertificate: pin);
        return (harness, await session.StartAsync(start, CancellationToken.None));
    }

    protected override uint[] CopyPixels(out int width, out int height) => Session.CopyPixels(out width, out height);
}
