using System.Diagnostics;
using System.Globalization;
using EdgeGateway.Bench.Harness;
using EdgeGateway.Bench.Reporting;

namespace EdgeGateway.Bench.Scenarios;

/// <summary>
/// 2 — Fan-out. One SSH session prints a fixed 100-byte line 20 times a second (pure bash), watched by 1, 10, 100 and
/// 1,000 WebSocket viewers on one cloud node. Per viewer count: upstream bytes on the appliance's side (frames and
/// socket), publish-to-viewer latency of the slowest viewer per frame, and the cloud process's CPU per delivered GB.
/// </summary>
public sealed class FanOutScenario : IScenario
{
    public const string Number = "2 fan-out";

    /// <summary>
    /// The marginal CPU figure divides a difference of two CPU readings (10 ms ticks each, on a shared box): below
    /// this difference it is noise (it came out negative at 10 viewers) and is noted instead of reported.
    /// </summary>
    private const double MarginalCpuFloorSeconds = 0.1;

    public string Id => "fanout";

    public string Title => "Fan-out to 1…1,000 viewers";

    public async Task RunAsync(BenchContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var settings = context.Settings;
        await using var stack = await BenchStack.StartAsync(context, "fanout", appliances: 1);
        var admin = await stack.LoginAdminAsync();
        var viewerUser = await stack.LoginViewerAsync();
        await using var controller = await stack.OpenGatewayTerminalAsync(admin, stack.Appliances[0]);
        var topic = controller.Appliance.Stream(controller.SessionId);

        var counts = settings.FanOutViewers.ToList();
        if (settings.Mode == "full")
        {
            counts.Add(counts[0]); // the first count again at the end: shows drift over the run
        }

        Phase? first = null;
        for (var p = 0; p < counts.Count; p++)
        {
            var phase = await RunPhaseAsync(context, stack, controller, topic, viewerUser, counts[p]);
            var label = p == counts.Count - 1 && p > 0 && counts[p] == counts[0] ? $"{counts[p]} viewer(s), repeated at the end" : $"{counts[p]} viewer(s)";
            Report(context, phase, first, label);
            first ??= phase;
        }
    }

    private sealed record Phase(int Viewers, double FrameKb, double? SocketKb, DeliveryStats Delivery, double CloudCpuSeconds, double HarnessCpuSeconds, double Seconds, TimeSpan JoinTook, long TextMessages);

    private static async Task<Phase> RunPhaseAsync(BenchContext context, BenchStack stack, GatewayTerminal controller, TopicLog topic, WebUser viewerUser, int count)
    {
        context.Say($"  fan-out: connecting {count} viewer(s)");
        await using var group = await ViewerGroup.ConnectAsync(stack, viewerUser, controller.SessionId, count);
        await Task.Delay(1000, context.Cancellation);

        var frames0 = topic.Totals;
        var socket0 = stack.UpstreamSocket()?.BytesSent;
        var cloud0 = stack.Cloud.Sample();
        var self0 = ProcStats.Self();
        var firstSequence = topic.NextSequence;
        var text0 = group.Records.Sum(r => r.Client!.TextMessages);

        var lines = context.Settings.FanOutLines;
        var profile = count == context.Settings.FanOutViewers.Max() ? PerfProfiler.Start(context, stack.Cloud.ProcessId, $"fanout-{count}-cloud") : null;
        await controller.RunAsync($"g {lines}\r", "FANDONE", TimeSpan.FromSeconds((lines / 20.0 * 4) + 60));
        if (profile is not null)
        {
            context.Note($"2.profile.{count}", await profile.StopAsync());
        }

        await Task.Delay(300, context.Cancellation); // the prompt after the marker
        var lastSequence = topic.NextSequence - 1;
        var complete = await group.WaitForAsync(lastSequence, TimeSpan.FromSeconds(60));

        var cloud1 = stack.Cloud.Sample();
        var self1 = ProcStats.Self();
        var frames1 = topic.Totals;
        var socket1 = stack.UpstreamSocket()?.BytesSent;
        var delivery = DeliveryStats.Compute(topic, group.Records, firstSequence, lastSequence);
        var seconds = Stopwatch.GetElapsedTime(cloud0.Timestamp, cloud1.Timestamp).TotalSeconds;
        context.Say($"  fan-out {count}: {delivery.Frames} frames, {delivery.Deliveries} deliveries, {delivery.Missing} missing, all caught up: {complete}, joined in {group.JoinTook.TotalSeconds:0.00} s");
        return new Phase(
            count,
            (frames1.Bytes - frames0.Bytes) / 1000.0,
            socket0 is { } s0 && socket1 is { } s1 ? (s1 - s0) / 1000.0 : null,
            delivery,
            cloud1.CpuSeconds - cloud0.CpuSeconds,
            self1.CpuSeconds - self0.CpuSeconds,
            seconds,
            group.JoinTook,
            group.Records.Sum(r => r.Client!.TextMessages) - text0);
    }

    private static void Report(BenchContext context, Phase phase, Phase? first, string label)
    {
        var gb = phase.Delivery.DeliveredBytes / 1e9;
        var cpuPerGb = phase.CloudCpuSeconds / gb;
        var frames = Distribution.Single(phase.FrameKb);
        if (first is null)
        {
            context.Add(Figure.Alone(Number, $"{label}: upstream frame bytes", "kB", frames) with
            {
                Note = $"The baseline of the rows below. {phase.Delivery.Frames} frames in {phase.Seconds:0.0} s.",
            });
        }
        else
        {
            var ratio = phase.FrameKb / first.FrameKb;
            context.Add(Figure.Compare(Number, $"{label}: upstream frame bytes", "kB", frames, $"{first.Viewers} viewer(s)", Distribution.Single(first.FrameKb)) with
            {
                Goal = "= 1 viewer ± 1 %",
                GoalMet = Math.Abs(ratio - 1) <= 0.01,
            });
        }

        if (phase.SocketKb is { } socket)
        {
            context.Add(first?.SocketKb is { } baseSocket
                ? Figure.Compare(Number, $"{label}: appliance MQTT/TLS socket bytes", "kB", Distribution.Single(socket), $"{first.Viewers} viewer(s)", Distribution.Single(baseSocket)) with
                {
                    Goal = "= 1 viewer ± 1 %",
                    GoalMet = Math.Abs((socket / baseSocket) - 1) <= 0.01,
                }
                : Figure.Alone(Number, $"{label}: appliance MQTT/TLS socket bytes", "kB", Distribution.Single(socket)));
        }

        if (phase.Delivery.SlowestPerFrameMs.Length > 0)
        {
            var slowest = Distribution.Of(phase.Delivery.SlowestPerFrameMs);
            var missingNote = phase.Delivery.Missing > 0 ? $" {phase.Delivery.Missing} of {phase.Delivery.Frames * phase.Viewers} deliveries missing (viewer skipped forward or not caught up); frames some viewer missed are not in the slowest-viewer samples." : " Every viewer received every frame.";
            var note = $"Appliance hands frame to uplink → frame complete at the viewer's WebSocket (same process, monotonic clock). All deliveries: median {TableWriter.Num(Distribution.Of(phase.Delivery.AllDeliveriesMs).Median)} ms, p99 {TableWriter.Num(Distribution.Of(phase.Delivery.AllDeliveriesMs).P99)} ms." + missingNote;
            context.Add((first is null || first.Delivery.SlowestPerFrameMs.Length == 0
                ? Figure.Alone(Number, $"{label}: latency to the slowest viewer", "ms", slowest)
                : Figure.Compare(Number, $"{label}: latency to the slowest viewer", "ms", slowest, $"{first.Viewers} viewer(s)", Distribution.Of(first.Delivery.SlowestPerFrameMs), "p99")) with { Note = note });
            context.AddSeries(new SampleSeries($"{phase.Viewers} viewers (slowest/frame)", "ms", phase.Delivery.SlowestPerFrameMs, "fanout"));
        }

        var cpuNote = $"Cloud process CPU (utime+stime from /proc) ÷ frame bytes delivered to viewers: {phase.CloudCpuSeconds:0.00} s for {phase.Delivery.DeliveredBytes / 1e6:0.00} MB. Includes the cloud's fixed costs (keep-alives, the one upstream), which dominate at 1 viewer. Harness (appliance + viewers) CPU {phase.HarnessCpuSeconds:0.00} s.";
        context.Add((first is null
            ? Figure.Alone(Number, $"{label}: cloud CPU per delivered GB", "CPU s/GB", Distribution.Single(cpuPerGb))
            : Figure.Compare(Number, $"{label}: cloud CPU per delivered GB", "CPU s/GB", Distribution.Single(cpuPerGb), $"{first.Viewers} viewer(s)", Distribution.Single(first.CloudCpuSeconds / (first.Delivery.DeliveredBytes / 1e9)))) with { Note = cpuNote });

        var extraCpu = first is null ? 0 : phase.CloudCpuSeconds - first.CloudCpuSeconds;
        if (first is not null && phase.Delivery.DeliveredBytes > first.Delivery.DeliveredBytes && extraCpu < MarginalCpuFloorSeconds)
        {
            context.Note($"2.{phase.Viewers}.marginalCpu", FormattableString.Invariant($"not reported: the cloud's extra CPU over {first.Viewers} viewer(s) was {extraCpu:0.00} s, within the noise of /proc's 10 ms ticks and the box"));
        }
        else if (first is not null && phase.Delivery.DeliveredBytes > first.Delivery.DeliveredBytes)
        {
            // Same work upstream in both phases (same lines at the same rate): the difference is the cost of the extra viewers.
            var marginal = (phase.CloudCpuSeconds - first.CloudCpuSeconds) / ((phase.Delivery.DeliveredBytes - first.Delivery.DeliveredBytes) / 1e9);
            context.Add(Figure.Alone(Number, $"{label}: cloud CPU per delivered GB, marginal over {first.Viewers} viewer(s)", "CPU s/GB", Distribution.Single(marginal)) with
            {
                Note = $"(cloud CPU here − at {first.Viewers} viewer(s)) ÷ (bytes delivered here − there); both windows stream the same {context.Settings.FanOutLines} lines at 20/s. Per delivered frame: {(phase.CloudCpuSeconds - first.CloudCpuSeconds) / Math.Max(1, phase.Delivery.Deliveries - first.Delivery.Deliveries) * 1e6:0.0} µs.",
            });
        }

        var join = Distribution.Single(phase.JoinTook.TotalMilliseconds);
        context.Add((first is null
            ? Figure.Alone(Number, $"{label}: join (connect + first frame, all viewers)", "ms", join)
            : Figure.Compare(Number, $"{label}: join (connect + first frame, all viewers)", "ms", join, $"{first.Viewers} viewer(s)", Distribution.Single(first.JoinTook.TotalMilliseconds))) with
        {
            Note = $"{context.Settings.Mode} run, 32 connects in flight. The viewer count goes to every viewer at most once per 100 ms.",
        });
        context.Note($"2.{phase.Viewers}.textMessagesDuringWindow", phase.TextMessages.ToString(CultureInfo.InvariantCulture));
    }
}
