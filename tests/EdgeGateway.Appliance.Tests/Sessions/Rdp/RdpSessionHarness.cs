using System.Buffers.Binary;
using EdgeGateway.Appliance.Configuration;
using EdgeGateway.Appliance.Sessions.Rdp;
using EdgeGateway.Appliance.Tests.Sessions.Vnc;
using EdgeGateway.Protocol.Control;
using EdgeGateway.Protocol.Stream;
using EdgeGateway.Testing;
using Microsoft.Extensions.Logging;

namespace EdgeGateway.Appliance.Tests.Sessions.Rdp;

/// <summary>An <see cref="RdpDeviceSession"/> (with its real <c>edgegateway-rdp</c> helper) against a real RDP server, its frames and logs recorded.</summary>
internal sealed class RdpSessionHarness : IAsyncDisposable
{
    private static readonly TimeSpan ScreenTimeout = TimeSpan.FromSeconds(20);

    private readonly ILoggerFactory _loggers;

    private RdpSessionHarness(RdpDeviceSession session, LogCollector logs, ILoggerFactory loggers, VncSessionHarness.RecordingSink sink)
    {
        Session = session;
        Logs = logs;
        _loggers = loggers;
        Sink = sink;
    }

    public RdpDeviceSession Session { get; }

    public LogCollector Logs { get; }

    public VncSessionHarness.RecordingSink Sink { get; }

    public static async Task<(RdpSessionHarness Harness, bool Started)> StartAsync(int port, string username, string password, string? pin = null, Action<RdpOptions>? configure = null)
    {
        var logs = new LogCollector();
        var loggers = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
        var options = new ApplianceOptions { Id = "appliance-test" };
        configure?.Invoke(options.Rdp);
        var endpoint = new EndpointOptions { Id = "rdp-test", Name = "RDP test", Protocol = "rdp", Host = "127.0.0.1", Port = port };
        var sink = new VncSessionHarness.RecordingSink();
        var session = new RdpDeviceSession("s-" + Guid.NewGuid().ToString("N"), "controller", endpoint, sink, options, TimeProvider.System, loggers);
        var harness = new RdpSessionHarness(session, logs, loggers, sink);
        var start = new StartSession(session.SessionId, endpoint.Id, "controller", username, new Secret(password), 80, 24, PinnedCertificate: pin);
        return (harness, await session.StartAsync(start, CancellationToken.None));
    }

    /// <summary>Waits until the session's framebuffer and what a viewer rebuilds from its frames equal the X server's pixels (xwd).</summary>
    public async Task WaitForScreenAsync(XDisplayHost server, string what)
    {
        using var deadline = new CancellationTokenSource(ScreenTimeout);
        string? difference = "nothing compared yet";
        while (!deadline.IsCancellationRequested)
        {
            if (Session.Completion.IsCompleted)
            {
                var outcome = await Session.Completion;
                throw new Xunit.Sdk.XunitException($"The session ended while waiting for {what}: {outcome.Reason} {outcome.Message}");
            }

            var truth = await server.CaptureAsync();
            var pixels = Session.CopyPixels(out var width, out var height);
            difference = truth.Compare(width, height, pixels);
            if (difference is null)
            {
                difference = Sink.CompareViewer(truth);
                if (difference is null)
                {
                    return;
                }

                difference = "the viewer's copy: " + difference;
            }

            await Task.Delay(20, CancellationToken.None);
        }

        throw new Xunit.Sdk.XunitException($"Timed out after {ScreenTimeout.TotalSeconds:0} s waiting for {what}: {difference}");
    }

    public ValueTask<bool> PointerAsync(int x, int y, byte buttons)
    {
        var payload = new byte[5];
        payload[0] = buttons;
        BinaryPrimitives.WriteUInt16BigEndian(payload.AsSpan(1), (ushort)x);
        BinaryPrimitives.WriteUInt16BigEndian(payload.AsSpan(3), (ushort)y);
        return Session.HandleInputAsync(new FrameHeader(FrameType.PointerInput, FrameFlags.None, 5, 0), payload, CancellationToken.None);
    }

    public async Task KeyAsync(uint keysym)
    {
        foreach (var down in new byte[] { 1, 0 })
        {
            var payload = new byte[5];
            payload[0] = down;
            BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(1), keysym);
            Assert.True(await Session.HandleInputAsync(new FrameHeader(FrameType.KeyInput, FrameFlags.None, 5, 0), payload, CancellationToken.None));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Session.DisposeAsync();
        _loggers.Dispose();
    }
}
