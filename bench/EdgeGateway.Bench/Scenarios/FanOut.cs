using System.Diagnostics;
using EdgeGateway.Bench.Harness;
using EdgeGateway.Bench.Reporting;

namespace EdgeGateway.Bench.Scenarios;

/// <summary>What one viewer received: sequence, arrival time and size of every frame.</summary>
public sealed class ViewerRecord
{
    private readonly Lock _gate = new();
    private readonly List<(ulong Sequence, long At, int Length)> _frames = new(1024);

    public ViewerClient? Client { get; set; }

    /// <summary>A copy of what arrived so far (the receive loop keeps adding).</summary>
    public IReadOnlyList<(ulong Sequence, long At, int Length)> Frames
    {
        get
        {
            lock (_gate)
            {
                return [.. _frames];
            }
        }
    }

    public void Observe(ulong sequence, long at, int length)
    {
        lock (_gate)
        {
            _frames.Add((sequence, at, length));
        }
    }
}

/// <summary>Viewers of one session, connected together and measured together.</summary>
public sealed class ViewerGroup : IAsyncDisposable
{
    private ViewerGroup(string sessionId, ViewerRecord[] records, TimeSpan joinTook)
    {
        SessionId = sessionId;
        Records = records;
        JoinTook = joinTook;
    }

    public string SessionId { get; }

    public ViewerRecord[] Records { get; }

    /// <summary>From the first connect to the last viewer's first frame.</summary>
    public TimeSpan JoinTook { get; }

    /// <summary>Connects <paramref name="count"/> viewers (bounded concurrency) and waits until each got its first frame.</summary>
    public static async Task<ViewerGroup> ConnectAsync(BenchStack stack, WebUser user, string sessionId, int count, int concurrency = 32)
    {
        ArgumentNullException.ThrowIfNull(stack);
        var records = Enumerable.Range(0, count).Select(_ => new ViewerRecord()).ToArray();
        var started = Stopwatch.GetTimestamp();
        using var gate = new SemaphoreSlim(concurrency);
        await Task.WhenAll(records.Select(async record =>
        {
            await gate.WaitAsync(stack.Context.Cancellation);
            try
            {
                record.Client = await stack.OpenStreamAsync(user, sessionId, (in header, payload, at) => record.Observe(header.Sequence, at, payload.Length + Protocol.Stream.FrameCodec.HeaderSize));
            }
            finally
            {
                gate.Release();
            }
        }));
        await Task.WhenAll(records.Select(r => r.Client!.FirstFrame)).WaitAsync(TimeSpan.FromSeconds(120));
        return new ViewerGroup(sessionId, records, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>Waits until every viewer holds a frame with sequence ≥ <paramref name="sequence"/> (or the timeout).</summary>
    public async Task<bool> WaitForAsync(ulong sequence, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (Records.Any(r => r.Client!.LastSequence < (long)sequence && !r.Client.Ended.IsCompleted))
        {
            if (deadline.Elapsed > timeout)
            {
                return false;
            }

            await Task.Delay(20);
        }

        return true;
    }

    public async ValueTask DisposeAsync()
    {
        using var gate = new SemaphoreSlim(64);
        await Task.WhenAll(Records.Where(r => r.Client is not null).Select(async r =>
        {
            await gate.WaitAsync();
            try
            {
                await r.Client!.DisposeAsync();
            }
            finally
            {
                gate.Release();
            }
        }));
    }
}

/// <summary>Publish-to-viewer latency and delivery over a window of sequence numbers.</summary>
public sealed record DeliveryStats(
    int Frames,
    long Deliveries,
    long Missing,
    long DeliveredBytes,
    double[] SlowestPerFrameMs,
    double[] AllDeliveriesMs)
{
    /// <summary>
    /// For each frame in [<paramref name="first"/>, <paramref name="last"/>], the time from the appliance handing it to
    /// its uplink to its arrival at each viewer (same process, same monotonic clock).
    /// </summary>
    public static DeliveryStats Compute(TopicLog topic, IEnumerable<ViewerRecord> viewers, ulong first, ulong last)
    {
        ArgumentNullException.ThrowIfNull(topic);
        var frames = (int)(last - first + 1);
        var slowest = new double[frames];
        var seen = new int[frames];
        var all = new List<double>();
        long deliveries = 0, bytes = 0, viewerCount = 0;
        foreach (var viewer in viewers)
        {
            viewerCount++;
            foreach (var (sequence, at, length) in viewer.Frames)
            {
                if (sequence < first || sequence > last)
                {
                    continue;
                }

                var handed = topic.HandedAt(sequence);
                if (handed == 0)
                {
                    continue;
                }

                var ms = Stopwatch.GetElapsedTime(handed, at).TotalMilliseconds;
                var i = (int)(sequence - first);
                slowest[i] = Math.Max(slowest[i], ms);
                seen[i]++;
                all.Add(ms);
                deliveries++;
                bytes += length;
            }
        }

        // A frame some viewer never got (skipped forward) has no "slowest" time: it is counted as missing instead.
        var complete = slowest.Where((_, i) => seen[i] == viewerCount).ToArray();
        return new DeliveryStats(frames, deliveries, (frames * viewerCount) - deliveries, bytes, complete, [.. all]);
    }
}
