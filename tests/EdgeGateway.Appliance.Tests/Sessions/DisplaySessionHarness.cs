using System.Buffers.Binary;
using System.Collections.Concurrent;
using EdgeGateway.Appliance.Sessions;
using EdgeGateway.Appliance.Uplink;
using EdgeGateway.Protocol.Control;
using EdgeGateway.Protocol.Display;
using EdgeGateway.Protocol.Stream;
using EdgeGateway.Testing;
using Microsoft.Extensions.Logging;

namespace EdgeGateway.Appliance.Tests.Sessions;

/// <summary>
/// A remote-display session (VNC or RDP) under test against a real server: its frames recorded and applied to a
/// reference viewer, its logs collected, input sent as the Controller's frames.
/// </summary>
internal abstract class DisplaySessionHarness : IAsyncDisposable
{
    private static readonly TimeSpan ScreenTimeout = TimeSpan.FromSeconds(20);

    private readonly ILoggerFactory _loggers;

    protected DisplaySessionHarness(IDeviceSession session, LogCollector logs, ILoggerFactory loggers, RecordingSink sink, RecordingUplink uplink)
    {
        DeviceSession = session;
        Logs = logs;
        _loggers = loggers;
        Sink = sink;
        Uplink = uplink;
    }

    public LogCollector Logs { get; }

    public RecordingSink Sink { get; }

    /// <summary>The control messages the session published (device status, refused input).</summary>
    public RecordingUplink Uplink { get; }

    private IDeviceSession DeviceSession { get; }

    /// <summary>The session's framebuffer now.</summary>
    protected abstract uint[] CopyPixels(out int width, out int height);

    /// <summary>
    /// Waits until the session's framebuffer — and what a viewer rebuilds from the display frames the session sent —
    /// equal the X server's own pixels (xwd), pixel for pixel.
    /// </summary>
    public async Task WaitForScreenAsync(XDisplayHost server, string what)
    {
        using var deadline = new CancellationTokenSource(ScreenTimeout);
        string? difference = "nothing compared yet";
        while (!deadline.IsCancellationRequested)
        {
            if (DeviceSession.Completion.IsCompleted)
            {
                var outcome = await DeviceSession.Completion;
                throw new Xunit.Sdk.XunitException($"The session ended while waiting for {what}: {outcome.Reason} {outcome.Message}");
            }

            var truth = await server.CaptureAsync();
            var pixels = CopyPixels(out var width, out var height);
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
        return DeviceSession.HandleInputAsync(new FrameHeader(FrameType.PointerInput, FrameFlags.None, 5, 0), payload, CancellationToken.None);
    }

    public async Task KeyAsync(uint keysym)
    {
        foreach (var down in new byte[] { 1, 0 })
        {
            var payload = new byte[5];
            payload[0] = down;
            BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(1), keysym);
            Assert.True(await DeviceSession.HandleInputAsync(new FrameHeader(FrameType.KeyInput, FrameFlags.None, 5, 0), payload, CancellationToken.None));
        }
    }

    /// <summary>Types ASCII text (printable characters are their own X keysyms) and, when asked, Return.</summary>
    public async Task TypeAsync(string text, bool enter)
    {
        foreach (var c in text)
        {
            await KeyAsync(c);
        }

        if (enter)
        {
            await KeyAsync(0xFF0D);
        }
    }

    /// <summary>
    /// With the screen still, waits until the device has sent something <paramref name="answers"/> times (counted by
    /// <paramref name="deviceBytes"/>): each is an answer to a liveness probe. The session must live on and never have
    /// been reported "not responding".
    /// </summary>
    public async Task WaitForProbeAnswersAsync(Func<long> deviceBytes, int answers)
    {
        var (seen, last) = (0, deviceBytes());
        await Conditions.WaitUntilAsync(
            () =>
            {
                var now = deviceBytes();
                (seen, last) = now != last ? (seen + 1, now) : (seen, last);
                return seen >= answers || DeviceSession.Completion.IsCompleted;
            },
            ScreenTimeout,
            $"{answers} answered probes");
        Assert.False(DeviceSession.Completion.IsCompleted, DeviceSession.Completion.IsCompleted ? (await DeviceSession.Completion).Message : "");
        Assert.DoesNotContain(Uplink.Control, m => m is DeviceStatus);
    }

    /// <summary>
    /// Freezes the device's server processes (SIGSTOP) and asserts what everyone sees: "not responding", a key refused
    /// with a notice to the Controller, then the end with <paramref name="message"/>; resumes them (SIGCONT) in any case.
    /// </summary>
    public async Task FreezeAndExpectTheEndAsync(IReadOnlyList<int> pids, string message)
    {
        Assert.NotEmpty(pids);
        try
        {
            SshServer.Signal(pids, "STOP");
            await Conditions.WaitUntilAsync(() => Uplink.Control.Any(m => m is DeviceStatus { Responding: false }), ScreenTimeout, "the device reported not responding");

            var key = DisplayScreen.Key(true, 'a');
            Assert.False(await DeviceSession.HandleInputAsync(new FrameHeader(FrameType.KeyInput, FrameFlags.None, key.Length, 0), key, CancellationToken.None));
            var refused = Assert.Single(Uplink.Control.OfType<InputRefused>());
            Assert.Contains("not responding", refused.Message, StringComparison.Ordinal);

            var outcome = await DeviceSession.Completion.WaitAsync(ScreenTimeout);
            Assert.Equal(EndReason.DeviceUnresponsive, outcome.Reason);
            Assert.Equal(message, outcome.Message);
            Assert.Contains(Sink.Frames, f => f.Type == FrameType.End);
        }
        finally
        {
            SshServer.Signal(pids, "CONT");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await DeviceSession.DisposeAsync();
        _loggers.Dispose();
    }

    /// <summary>The control messages a session published (device status, refused input); frames are not expected here.</summary>
    internal sealed class RecordingUplink : IUplink
    {
        public ConcurrentQueue<ControlMessage> Control { get; } = new();

        public bool IsConnected => true;

        public ValueTask<bool> PublishFrameAsync(string topic, ReadOnlyMemory<byte> frame, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("A display session sends its frames to its sink.");

        public ValueTask PublishControlAsync(ControlMessage message, CancellationToken cancellationToken)
        {
            Control.Enqueue(message);
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>Output frames the session sent, in order, applied to a reference viewer (<see cref="DisplayCanvas"/>).</summary>
    internal sealed class RecordingSink : IFrameSink
    {
        private readonly DisplayCanvas _viewer = new();
        private readonly List<string> _faults = [];

        public ConcurrentQueue<(FrameType Type, FrameFlags Flags, byte[] Payload)> Frames { get; } = new();

        public ValueTask SendAsync(FrameType type, FrameFlags flags, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
        {
            Frames.Enqueue((type, flags, payload.ToArray()));
            if (type != FrameType.End)
            {
                lock (_viewer)
                {
                    var status = _viewer.Apply(type, flags, payload.Span);
                    if (status != DisplayReadStatus.Ok)
                    {
                        _faults.Add($"{type}: {status}");
                    }
                }
            }

            return ValueTask.CompletedTask;
        }

        /// <summary>Null when the viewer shows exactly the X server's pixels and every frame was well formed.</summary>
        public string? CompareViewer(XwdImage truth)
        {
            lock (_viewer)
            {
                return _faults.Count > 0 ? "malformed frames: " + string.Join(", ", _faults)
                    : _viewer.Width == 0 ? "no DisplayInit yet"
                    : truth.Compare(_viewer.Width, _viewer.Height, _viewer.Pixels);
            }
        }
    }
}
