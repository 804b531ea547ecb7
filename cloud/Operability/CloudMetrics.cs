using System.Diagnostics.Metrics;

namespace EdgeGateway.Cloud.Operability;

/// <summary>The cloud's own instruments (meter <c>EdgeGateway.Cloud</c>), exported in Prometheus format at /metrics.</summary>
public sealed class CloudMetrics : IDisposable
{
    public const string MeterName = "EdgeGateway.Cloud";

    private readonly Meter _meter;

    public CloudMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        _meter = meters.Create(MeterName);
        FramesIn = _meter.CreateCounter<long>("edgegateway.stream.frames_in", "{frame}", "Session-stream frames received from appliances");
        BytesIn = _meter.CreateCounter<long>("edgegateway.stream.bytes_in", "By", "Session-stream bytes received from appliances");
        Deliveries = _meter.CreateCounter<long>("edgegateway.stream.deliveries", "{frame}", "Frames queued to viewers");
        ViewerSkips = _meter.CreateCounter<long>("edgegateway.stream.viewer_skips", "{event}", "Times a slow viewer was skipped forward to a keyframe");
        ViewerDrops = _meter.CreateCounter<long>("edgegateway.stream.viewer_drops", "{connection}", "Viewer connections dropped for not reading at all");
        DroppedInput = _meter.CreateCounter<long>("edgegateway.stream.input_dropped", "{frame}", "Input frames dropped (not from the Controller, or malformed)");
        ClipboardDropped = _meter.CreateCounter<long>("edgegateway.stream.clipboard_dropped", "{frame}", "Device clipboard frames kept from viewers by the endpoint's clipboard policy");
        BadFrames = _meter.CreateCounter<long>("edgegateway.stream.bad_frames", "{frame}", "Malformed frames from appliances");
        RefusedPublishes = _meter.CreateCounter<long>("edgegateway.broker.refused_publishes", "{message}", "Publishes outside an appliance's own topics");
    }

    public Counter<long> FramesIn { get; }

    public Counter<long> BytesIn { get; }

    public Counter<long> Deliveries { get; }

    public Counter<long> ViewerSkips { get; }

    public Counter<long> ViewerDrops { get; }

    public Counter<long> DroppedInput { get; }

    public Counter<long> ClipboardDropped { get; }

    public Counter<long> BadFrames { get; }

    public Counter<long> RefusedPublishes { get; }

    /// <summary>Registers gauges read when scraped.</summary>
    public void ObserveSessions(Func<int> sessions, Func<int> viewers, Func<int> appliances)
    {
        _meter.CreateObservableGauge("edgegateway.sessions.active", sessions, "{session}", "Sessions in progress");
        _meter.CreateObservableGauge("edgegateway.viewers.connected", viewers, "{viewer}", "Viewer connections");
        _meter.CreateObservableGauge("edgegateway.appliances.online", appliances, "{appliance}", "Appliances connected");
    }

    public void Dispose() => _meter.Dispose();
}
