using System.Diagnostics.Metrics;
using System.Text;
using EdgeGateway.Cloud.Configuration;
using EdgeGateway.Cloud.FanOut;
using EdgeGateway.Cloud.Operability;
using EdgeGateway.Protocol.Stream;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGateway.Cloud.Tests.FanOut;

/// <summary>
/// One <see cref="SessionStream"/> with real metrics, fake time and a count of the keyframe requests it made, plus
/// builders for the frames an appliance would send.
/// </summary>
internal sealed class FanOutHarness : IDisposable
{
    private readonly ServiceProvider _services;
    private readonly MeterListener _listener = new();
    private ulong _sequence;
    private int _keyframeRequests;
    private long _skips;
    private long _deliveries;
    private long _droppedInput;
    private long _clipboardDropped;

    public FanOutHarness(int viewerQueueFrames = 8, int viewerQueueBytes = 64 * 1024, int keyframeCacheBytes = 64 * 1024, bool clipboardToViewers = false)
    {
        Options = new SessionLimitsOptions
        {
            ViewerQueueFrames = viewerQueueFrames,
            ViewerQueueBytes = viewerQueueBytes,
            KeyframeCacheBytes = keyframeCacheBytes,
        };
        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = _services.GetRequiredService<IMeterFactory>();
        Metrics = new CloudMetrics(meters);

        // Only this harness's meter: tests run in parallel, each with its own factory.
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, meters))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            if (instrument == Metrics.ViewerSkips)
            {
                Interlocked.Add(ref _skips, value);
            }
            else if (instrument == Metrics.Deliveries)
            {
                Interlocked.Add(ref _deliveries, value);
            }
            else if (instrument == Metrics.DroppedInput)
            {
                Interlocked.Add(ref _droppedInput, value);
            }
            else if (instrument == Metrics.ClipboardDropped)
            {
                Interlocked.Add(ref _clipboardDropped, value);
            }
        });
        _listener.Start();

        Stream = new SessionStream(Options, Metrics, Time, () => Interlocked.Increment(ref _keyframeRequests), clipboardToViewers);
    }

    public SessionLimitsOptions Options { get; }

    public CloudMetrics Metrics { get; }

    public FakeTimeProvider Time { get; } = new();

    public SessionStream Stream { get; }

    /// <summary>Times the stream asked the appliance for a keyframe.</summary>
    public int KeyframeRequests => Volatile.Read(ref _keyframeRequests);

    /// <summary>The <c>edgegateway.stream.viewer_skips</c> counter.</summary>
    public long SkipsMetric => Interlocked.Read(ref _skips);

    /// <summary>The <c>edgegateway.stream.deliveries</c> counter.</summary>
    public long DeliveriesMetric => Interlocked.Read(ref _deliveries);

    /// <summary>The <c>edgegateway.stream.input_dropped</c> counter.</summary>
    public long DroppedInputMetric => Interlocked.Read(ref _droppedInput);

    /// <summary>The <c>edgegateway.stream.clipboard_dropped</c> counter.</summary>
    public long ClipboardDroppedMetric => Interlocked.Read(ref _clipboardDropped);

    public StreamViewer NewViewer(string name = "viewer") =>
        new(name, name, isController: false, Options.ViewerQueueFrames, Options.ViewerQueueBytes);

    /// <summary>A viewer joined to the stream.</summary>
    public StreamViewer Join(string name = "viewer")
    {
        var viewer = NewViewer(name);
        Stream.Join(viewer);
        return viewer;
    }

    public byte[] Output(string text) => Frame(FrameType.TerminalOutput, FrameFlags.None, Encoding.ASCII.GetBytes(text));

    /// <summary>An output frame of exactly <paramref name="size"/> bytes on the wire.</summary>
    public byte[] Output(int size, char fill = 'x') => Output(new string(fill, size - FrameCodec.HeaderSize));

    public byte[] Keyframe(string screen) => Frame(FrameType.TerminalSnapshot, FrameFlags.Keyframe, Encoding.ASCII.GetBytes(screen));

    /// <summary>A keyframe of exactly <paramref name="size"/> bytes on the wire.</summary>
    public byte[] Keyframe(int size, char fill = 'K') => Keyframe(new string(fill, size - FrameCodec.HeaderSize));

    public byte[] End(string message = "logout") =>
        Frame(FrameType.End, FrameFlags.None, SessionEnd.Encode(EndReason.DeviceClosed, message));

    /// <summary>Hands frames to the stream as the broker's publish interceptor does: parsed header, raw bytes.</summary>
    public void Send(params byte[][] frames)
    {
        foreach (var frame in frames)
        {
            Assert.Equal(FrameReadStatus.Complete, FrameCodec.TryReadMessage(frame, FrameCodec.DefaultMaxPayload, out var header, out _));
            Stream.OnFrame(frame, header);
        }
    }

    public void Dispose()
    {
        _listener.Dispose();
        Metrics.Dispose();
        _services.Dispose();
    }

    /// <summary>A frame of any type with the next sequence number.</summary>
    public byte[] Frame(FrameType type, FrameFlags flags, byte[] payload) => FrameCodec.Encode(type, flags, ++_sequence, payload);
}
