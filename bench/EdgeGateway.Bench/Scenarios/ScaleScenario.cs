using System.Diagnostics;
using System.Globalization;
using EdgeGateway.Bench.Harness;
using EdgeGateway.Bench.Reporting;

namespace EdgeGateway.Bench.Scenarios;

/// <summary>
/// 3 — Scale of one node. Active load (S sessions × V viewers, each session printing lines at a fixed rate) measured twice on
/// the same cloud process: with no other appliance connected, then with N simulated appliances connected and idle
/// (real MQTT/TLS, real certificates). Between the two: memory per connected appliance and the connect rate.
/// </summary>
public sealed class ScaleScenario : IScenario
{
    public const string Number = "3 scale";

    public string Id => "scale";

    public string Title => "Scale of one node";

    public async Task RunAsync(BenchContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var s = context.Settings;
        var perAppliance = (int)Math.Ceiling(s.ActiveSessions / (double)s.ActiveAppliances);
        var overrides = new Dictionary<string, string?> { ["Appliance:MaxSessions"] = (perAppliance + 2).ToString(CultureInfo.InvariantCulture) };
        await using var stack = await BenchStack.StartAsync(context, "scale", s.ActiveAppliances, overrides);
        var admin = await stack.LoginAdminAsync();
        var viewer = await stack.LoginViewerAsync();

        // Warm-up (not reported): the first sessions pay for JIT and connection set-up in the cloud and the harness,
        // which would otherwise count against the first measured phase only.
        var warmup = s with { ActiveSessions = Math.Min(2, s.ActiveSessions), ViewersPerSession = Math.Min(2, s.ViewersPerSession), ActiveLines = 40, ScaleKeystrokes = 20 };
        await ActivePhaseAsync(context, stack, admin, viewer, "warm-up", warmup);

        // Two windows each way, the second one reported: both sides of the comparison run on a process that has
        // already carried the full load once (thread pool grown, code tiered up).
        await ActivePhaseAsync(context, stack, admin, viewer, "no idle appliances, first load", s);
        var quiet = await ActivePhaseAsync(context, stack, admin, viewer, "no idle appliances", s);

        // Memory per connected appliance: the cloud process's RSS before and after the swarm connected (nothing else changes).
        var requested = s.IdleAppliances;
        var (open, limit) = ProcStats.FileDescriptors();
        var possible = (int)Math.Min(requested, limit - open - 2000);
        if (possible < requested)
        {
            context.Note("3.fdLimit", $"ulimit -n {limit}: {possible} of {requested} appliances possible in this process");
        }

        await Task.Delay(s.FootprintSettle, context.Cancellation);
        var before = stack.Cloud.Sample();
        context.Say($"  scale: connecting {possible} simulated appliances ({s.ConnectConcurrency} at a time)");
        await using var swarm = await ApplianceSwarm.ConnectAsync(stack.Cloud, "sim", possible, s.ConnectConcurrency, TimeSpan.FromSeconds(15), context.Cancellation);
        context.Say($"  scale: {swarm.Connected} connected in {swarm.Took.TotalSeconds:0.0} s, {swarm.Failed} failed {swarm.FirstError}; certificates issued in {swarm.IssueTook.TotalSeconds:0.0} s");
        await Task.Delay(s.FootprintSettle * 2, context.Cancellation);
        var after = stack.Cloud.Sample();
        var harnessBefore = ProcStats.Self();
        var idleProfile = PerfProfiler.Start(context, stack.Cloud.ProcessId, "scale-idle-cloud");
        await Task.Delay(s.FootprintSettle * 2, context.Cancellation);
        var idle = stack.Cloud.Sample();
        var harnessAfter = ProcStats.Self();
        if (idleProfile is not null)
        {
            context.Note("3.profile.idle", await idleProfile.StopAsync());
        }

        var idleCpuPercent = (idle.CpuSeconds - after.CpuSeconds) / Stopwatch.GetElapsedTime(after.Timestamp, idle.Timestamp).TotalSeconds * 100;
        var harnessIdlePercent = (harnessAfter.CpuSeconds - harnessBefore.CpuSeconds) / Stopwatch.GetElapsedTime(harnessBefore.Timestamp, harnessAfter.Timestamp).TotalSeconds * 100;
        context.Add(Figure.Alone(Number, $"{swarm.Connected:N0} idle appliances: cloud CPU while they idle", "% of a core", Distribution.Single(idleCpuPercent)) with
        {
            Note = $"Cloud process CPU over {(s.FootprintSettle * 2).TotalSeconds:0} s with nothing but the idle connections (keep-alive 15 s: {swarm.Connected / 15.0:0} PINGREQ/s). The harness holding the client side used {harnessIdlePercent:0.0} % of a core meanwhile — on the same 2 cores, which is why the active figures below degrade more than the cloud's own cost per byte does.",
        });

        var failedNote = swarm.Failed > 0 ? $" {swarm.Failed} of {possible} failed to connect: {swarm.FirstError}" : string.Empty;
        var perApplianceKb = (after.RssBytes - before.RssBytes) / 1024.0 / Math.Max(1, swarm.Connected);
        context.Add(Figure.Alone(Number, $"{swarm.Connected:N0} idle appliances: cloud memory per appliance", "KiB", Distribution.Single(perApplianceKb)) with
        {
            Note = $"Cloud process RSS {before.RssBytes / 1048576.0:0} MiB → {after.RssBytes / 1048576.0:0} MiB (server GC, not forced: includes uncollected garbage), {after.Threads} threads. Idle CPU with them connected (keep-alive 15 s): {idleCpuPercent:0.0} % of one core." + failedNote,
        });
        context.Add(Figure.Alone(Number, $"{swarm.Connected:N0} idle appliances: connect rate", "appliances/s", Distribution.Single(swarm.Connected / swarm.Took.TotalSeconds)) with
        {
            Note = $"TLS 1.3 with client certificate + CONNECT + SUBSCRIBE + Hello (QoS 1, acknowledged), {s.ConnectConcurrency} in flight, clients in the harness process on the same 2 cores." + failedNote,
        });
        if (swarm.OnlineMs.Count > 0)
        {
            context.Add(Figure.Alone(Number, "time to online per appliance (TCP connect → Hello acknowledged)", "ms", Distribution.Of(swarm.OnlineMs)));
        }

        // The first load after the swarm connected pays once for what its connecting left behind (the GC promotes
        // the connections' state, ~600 MB): printed and noted, but the figures are from the load after it, as an
        // appliance fleet that has been online for a while sees it.
        var first = await ActivePhaseAsync(context, stack, admin, viewer, $"{swarm.Connected:N0} idle appliances, first load after they connected", s);
        var busy = await ActivePhaseAsync(context, stack, admin, viewer, $"{swarm.Connected:N0} idle appliances", s);
        var label = $"{s.ActiveSessions} sessions × {s.ViewersPerSession} viewers, {swarm.Connected:N0} idle appliances";
        context.Note("3.swarmPingFailures", swarm.PingFailures.ToString(CultureInfo.InvariantCulture) + " keep-alive pings without an answer while the swarm was connected");
        var baseline = $"same, no idle appliances";
        context.Add(Figure.Compare(Number, label + ": delivered to viewers", "MB/s", Distribution.Single(busy.Delivery.DeliveredBytes / 1e6 / busy.Seconds), baseline, Distribution.Single(quiet.Delivery.DeliveredBytes / 1e6 / quiet.Seconds)) with
        {
            Note = $"Offered: {s.ActiveSessions} sessions × {s.ActiveLines} lines at {s.ActiveLinesPerSecond:0.#} lines/s, each to {s.ViewersPerSession} viewers (the Controller's copy not counted). Delivered {busy.Delivery.DeliveredBytes / 1e6:0.0} MB in {busy.Delivery.Deliveries:N0} frames over {busy.Seconds:0.0} s (baseline {quiet.Delivery.DeliveredBytes / 1e6:0.0} MB in {quiet.Delivery.Deliveries:N0} frames over {quiet.Seconds:0.0} s: fewer, larger frames when the appliance reads several lines at once); missing {busy.Delivery.Missing:N0} (baseline {quiet.Delivery.Missing:N0}).",
        });
        if (busy.Delivery.AllDeliveriesMs.Length > 0 && quiet.Delivery.AllDeliveriesMs.Length > 0)
        {
            var firstLoad = Distribution.Of(first.Delivery.AllDeliveriesMs);
            context.Add(Figure.Compare(Number, label + ": publish → viewer latency, all deliveries", "ms", Distribution.Of(busy.Delivery.AllDeliveriesMs), baseline, Distribution.Of(quiet.Delivery.AllDeliveriesMs), "p99") with
            {
                Note = FormattableString.Invariant($"The second load window after the swarm connected. The first one (same load, not in the figure): median {firstLoad.Median:0.00} ms, p99 {firstLoad.P99:0.0} ms, max {firstLoad.Max:0} ms, cloud GC {first.CloudGc}, machine {first.MachineBusy:P0} busy — the connections' state being promoted once."),
            });
            context.AddSeries(new SampleSeries($"deliveries, {swarm.Connected} idle appliances", "ms", busy.Delivery.AllDeliveriesMs, "scale"));
            context.AddSeries(new SampleSeries("deliveries, no idle appliances", "ms", quiet.Delivery.AllDeliveriesMs, "scale"));
        }
        if (busy.Delivery.SlowestPerFrameMs.Length > 0 && quiet.Delivery.SlowestPerFrameMs.Length > 0)
        {
            context.Add(Figure.Compare(Number, label + ": latency to the slowest viewer per frame", "ms", Distribution.Of(busy.Delivery.SlowestPerFrameMs), baseline, Distribution.Of(quiet.Delivery.SlowestPerFrameMs), "p99"));
        }

        context.Add(Figure.Compare(Number, label + ": cloud CPU per delivered GB", "CPU s/GB", Distribution.Single(busy.CloudCpuSeconds / (busy.Delivery.DeliveredBytes / 1e9)), baseline, Distribution.Single(quiet.CloudCpuSeconds / (quiet.Delivery.DeliveredBytes / 1e9))) with
        {
            Note = $"Cloud process CPU over the load window: {busy.CloudCpuSeconds:0.0} s (baseline {quiet.CloudCpuSeconds:0.0} s). The harness (appliances, viewers and the idle swarm's client side) used {busy.HarnessCpuSeconds:0.0} s (baseline {quiet.HarnessCpuSeconds:0.0} s); the machine was {busy.MachineBusy:P0} busy over all {Environment.ProcessorCount} cores (baseline {quiet.MachineBusy:P0}). Near 100 %, the latency figures above measure queueing for a core, not the cloud. The cloud's GC: {busy.CloudGc} (baseline {quiet.CloudGc}).",
        });
        context.Add(Figure.Compare(Number, $"session start (POST /api/sessions → 201), {swarm.Connected:N0} idle appliances", "ms", Distribution.Of(busy.StartMs), baseline, Distribution.Of(quiet.StartMs), "median") with
        {
            Note = "Includes the SSH connect and login on the appliance (~0.2 s).",
        });
        if (busy.KeystrokeMs.Length > 0 && quiet.KeystrokeMs.Length > 0)
        {
            context.Add(Figure.Compare(Number, $"keystroke echo, {swarm.Connected:N0} idle appliances (after the load)", "ms", Distribution.Of(busy.KeystrokeMs), baseline, Distribution.Of(quiet.KeystrokeMs), "p99") with
            {
                Note = "Input is queued straight to the appliance's own MQTT session (no dispatch over every connected client); the echo comes up through the same cloud that keeps the 10,000 alive.",
            });
            context.AddSeries(new SampleSeries($"keystroke, {swarm.Connected} idle appliances", "ms", busy.KeystrokeMs, "scale"));
            context.AddSeries(new SampleSeries("keystroke, no idle appliances", "ms", quiet.KeystrokeMs, "scale"));
        }
    }

    /// <summary>One load window: deliveries, CPU seconds of the cloud and of the harness, how busy the machine was (0–1, all cores), the cloud's GC pause time.</summary>
    private sealed record ActiveResult(DeliveryStats Delivery, double Seconds, double CloudCpuSeconds, double HarnessCpuSeconds, double MachineBusy, GcWindow CloudGc, double[] StartMs, double[] KeystrokeMs);

    private static async Task<ActiveResult> ActivePhaseAsync(BenchContext context, BenchStack stack, WebUser admin, WebUser viewer, string label, BenchSettings s)
    {
        context.Say($"  scale ({label}): starting {s.ActiveSessions} sessions");
        var terminals = new GatewayTerminal[s.ActiveSessions];
        var groups = new ViewerGroup[s.ActiveSessions];
        try
        {
            // sshd refuses some connections beyond 10 unauthenticated at once (MaxStartups): a few at a time.
            using (var gate = new SemaphoreSlim(4))
            {
                await Task.WhenAll(Enumerable.Range(0, s.ActiveSessions).Select(async i =>
                {
                    await gate.WaitAsync(context.Cancellation);
                    try
                    {
                        terminals[i] = await stack.OpenGatewayTerminalAsync(admin, stack.Appliances[i % stack.Appliances.Count]);
                    }
                    finally
                    {
                        gate.Release();
                    }
                }));
            }

            context.Say($"  scale ({label}): connecting {s.ActiveSessions * s.ViewersPerSession} viewers");
            for (var i = 0; i < terminals.Length; i++)
            {
                groups[i] = await ViewerGroup.ConnectAsync(stack, viewer, terminals[i].SessionId, s.ViewersPerSession);
            }

            await Task.Delay(1000, context.Cancellation);
            var topics = terminals.Select(t => t.Appliance.Stream(t.SessionId)).ToArray();
            var first = topics.Select(t => t.NextSequence).ToArray();
            var gc0 = await ReadGcAsync(stack.Cloud, context.Cancellation);
            var cloud0 = stack.Cloud.Sample();
            var harness0 = ProcStats.Self();
            var harnessPause0 = GC.GetTotalPauseDuration();
            var machine0 = ProcStats.Machine();
            var started = Stopwatch.GetTimestamp();
            var phase = label.StartsWith("no ", StringComparison.Ordinal) ? "quiet" : "busy";
            var profiles = label == "warm-up" ? [] : new[] { PerfProfiler.Start(context, stack.Cloud.ProcessId, "scale-load-cloud-" + phase), PerfProfiler.Start(context, Environment.ProcessId, "scale-load-harness-" + phase) };
            var interval = (1 / s.ActiveLinesPerSecond).ToString("0.###", CultureInfo.InvariantCulture);
            await Task.WhenAll(terminals.Select(t => t.RunAsync($"g {s.ActiveLines} {interval}\r", "FANDONE", TimeSpan.FromSeconds((s.ActiveLines / s.ActiveLinesPerSecond * 6) + 120))));
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            foreach (var profile in profiles)
            {
                if (profile is not null)
                {
                    context.Note("3.profile." + label + "." + Path.GetFileNameWithoutExtension(await profile.StopAsync()), "perf report, flat self time");
                }
            }

            await Task.Delay(300, context.Cancellation);
            var last = topics.Select(t => t.NextSequence - 1).ToArray();
            for (var i = 0; i < groups.Length; i++)
            {
                await groups[i].WaitForAsync(last[i], TimeSpan.FromSeconds(30));
            }

            // Every CPU reading ends here, once the viewers have the last frame: the same window for all of them.
            var cloud1 = stack.Cloud.Sample();
            var harness1 = ProcStats.Self();
            var machine1 = ProcStats.Machine();
            var cloudCpu = cloud1.CpuSeconds - cloud0.CpuSeconds;
            var harnessCpu = harness1.CpuSeconds - harness0.CpuSeconds;
            var machineBusy = (machine1.Busy - machine0.Busy) / (machine1.Total - machine0.Total);
            var gc = (await ReadGcAsync(stack.Cloud, context.Cancellation)).Since(gc0);
            var perSession = terminals.Select((t, i) => DeliveryStats.Compute(topics[i], [.. groups[i].Records], first[i], last[i])).ToList();
            var delivery = new DeliveryStats(
                perSession.Sum(d => d.Frames),
                perSession.Sum(d => d.Deliveries),
                perSession.Sum(d => d.Missing),
                perSession.Sum(d => d.DeliveredBytes),
                [.. perSession.SelectMany(d => d.SlowestPerFrameMs)],
                [.. perSession.SelectMany(d => d.AllDeliveriesMs)]);
            context.Say($"  scale ({label}): {delivery.Deliveries:N0} deliveries in {seconds:0.0} s, {delivery.Missing} missing; CPU: cloud {cloudCpu:0.0} s, harness {harnessCpu:0.0} s, machine {machineBusy:P0} busy; cloud GC {gc}; harness GC paused {(GC.GetTotalPauseDuration() - harnessPause0).TotalMilliseconds:0} ms");

            // Keystrokes on the first session, everything else idle again.
            var keystrokes = await TypeAsync(terminals[0], s.ScaleKeystrokes);
            return new ActiveResult(delivery, seconds, cloudCpu, harnessCpu, machineBusy, gc, [.. terminals.Select(t => t.StartTook.TotalMilliseconds)], keystrokes);
        }
        finally
        {
            foreach (var group in groups.Where(g => g is not null))
            {
                await group.DisposeAsync();
            }

            using var gate = new SemaphoreSlim(8);
            await Task.WhenAll(terminals.Where(t => t is not null).Select(async t =>
            {
                await gate.WaitAsync();
                try
                {
                    await t.DisposeAsync();
                }
                finally
                {
                    gate.Release();
                }
            }));
        }
    }

    /// <summary>The cloud's GC pause time and collections per generation (meter System.Runtime on its /metrics), or their change over a window.</summary>
    private sealed record GcWindow(double? PauseSeconds, double? Gen0, double? Gen1, double? Gen2)
    {
        public GcWindow Since(GcWindow start) => new(PauseSeconds - start.PauseSeconds, Gen0 - start.Gen0, Gen1 - start.Gen1, Gen2 - start.Gen2);

        public override string ToString() => PauseSeconds is { } pause
            ? FormattableString.Invariant($"paused {pause * 1000:0} ms in {Gen0:0} gen0, {Gen1:0} gen1, {Gen2:0} gen2 collections")
            : "no GC metrics";
    }

    private static async Task<GcWindow> ReadGcAsync(CloudProcess cloud, CancellationToken cancellationToken)
    {
        const string collections = "dotnet_gc_collections_total";
        var text = await cloud.ReadMetricsAsync(cancellationToken);
        return new GcWindow(
            CloudProcess.SumMetric(text, "dotnet_gc_pause_time_seconds_total", null),
            CloudProcess.SumMetric(text, collections, "\"gen0\""),
            CloudProcess.SumMetric(text, collections, "\"gen1\""),
            CloudProcess.SumMetric(text, collections, "\"gen2\""));
    }

    private static async Task<double[]> TypeAsync(ITerminalSide side, int count)
    {
        await side.RunAsync("stty sane; echo CAT-$((4*4)); cat > /dev/null\r", "CAT-16", TimeSpan.FromSeconds(20));
        var samples = new List<double>(count);
        for (var i = 0; i < count; i++)
        {
            if (await KeystrokeScenario.EchoAsync(side, (byte)('a' + (i % 26))) is { } ms)
            {
                samples.Add(ms);
            }

            if (i % 64 == 63)
            {
                await KeystrokeScenario.EchoAsync(side, (byte)'\r', (byte)'\n');
            }

            await Task.Delay(2);
        }

        return [.. samples];
    }
}
