using System.Diagnostics;
using EdgeGateway.Bench.Harness;
using EdgeGateway.Bench.Reporting;

namespace EdgeGateway.Bench.Scenarios;

/// <summary>
/// 1 — Added keystroke latency. One printable character at a time into <c>cat &gt; /dev/null</c> (PTY echo on, so
/// only the echo comes back), wait for it, next — through the browser protocol → cloud → MQTT/TLS → appliance →
/// sshd and back, alternating keystroke by keystroke with SSH.NET straight to the same sshd.
/// </summary>
public sealed class KeystrokeScenario : IScenario
{
    public const string Number = "1 keystroke";
    private static readonly TimeSpan EchoTimeout = TimeSpan.FromSeconds(5);

    public string Id => "keystroke";

    public string Title => "Added keystroke latency";

    public async Task RunAsync(BenchContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var settings = context.Settings;
        await using var stack = await BenchStack.StartAsync(context, "keystroke", appliances: 1);
        var admin = await stack.LoginAdminAsync();
        await using var gateway = await stack.OpenGatewayTerminalAsync(admin, stack.Appliances[0]);
        await using var direct = await stack.OpenDirectTerminalAsync();

        var frames0 = gateway.PayloadBytes;
        var (gwSocket0, sshSocket0) = (gateway.SocketBytes, direct.SocketBytes);
        var cloudProfile = PerfProfiler.Start(context, stack.Cloud.ProcessId, "keystroke-cloud");
        var harnessProfile = PerfProfiler.Start(context, Environment.ProcessId, "keystroke-harness");
        var samples = await MeasureAsync(context, gateway, direct, settings.Keystrokes, settings.WarmupKeystrokes, settings.ThinkTime);
        foreach (var profile in new[] { cloudProfile, harnessProfile })
        {
            if (profile is not null)
            {
                context.Note("1.profile." + Path.GetFileNameWithoutExtension(await profile.StopAsync()), "perf report, flat self time");
            }
        }

        var (gw, ssh, lost) = (samples.Gateway, samples.Direct, samples.Lost);
        var frames1 = gateway.PayloadBytes;
        var (gwSocket1, sshSocket1) = (gateway.SocketBytes, direct.SocketBytes);
        Report(context, Number, "echo latency", gw, ssh, lost, "p99 added ≤ 2 ms", 2.0, "Cloud and appliance idle; keystrokes alternate gateway/direct one by one.");
        if (samples.DeviceLeg.Length > 0)
        {
            var directDistribution = Distribution.Of(ssh);
            context.Add(Figure.Alone(Number, "where the time goes: browser → cloud → MQTT/TLS → appliance", "ms", Distribution.Of(samples.DownLeg)) with
            {
                Note = "WebSocket send → the appliance's session manager gets the input frame (RecordingDownlink timestamp).",
            });
            context.Add(Figure.Compare(Number, "where the time goes: appliance → sshd → echo → frame to uplink", "ms", Distribution.Of(samples.DeviceLeg), "direct SSH round trip", directDistribution) with
            {
                Note = "Input frame at the session manager → echo frame handed to the uplink: SSH.NET write, sshd, PTY echo, SSH.NET read thread, libvterm, streamer. The baseline is the whole direct SSH.NET round trip.",
            });
            context.Add(Figure.Alone(Number, "where the time goes: uplink → MQTT/TLS → cloud → WebSocket → browser", "ms", Distribution.Of(samples.UpLeg)) with
            {
                Note = "Echo frame handed to the uplink → the frame complete at the Controller's WebSocket. Down + device + up = the echo latency above (same keystrokes).",
            });
        }
        if (gwSocket0 is { } g0 && gwSocket1 is { } g1 && sshSocket0 is { } s0 && sshSocket1 is { } s1)
        {
            var keys = settings.Keystrokes + settings.WarmupKeystrokes + ((settings.Keystrokes + settings.WarmupKeystrokes) / 64);
            context.Add(Figure.Compare(Number, "bytes on the wire per echoed keystroke", "B", Distribution.Single((g1 - g0) / (double)keys), "direct SSH socket, per echo", Distribution.Single((s1 - s0) / (double)keys)) with
            {
                Note = $"Appliance MQTT/TLS socket bytes sent vs direct SSH.NET socket bytes received (kernel tcp_info), over {keys} echoes incl. warm-up, line ends and keep-alives. Frames alone: {(frames1 - frames0) / (double)keys:0.0} B per echo (16-byte header + payload): the rest is the MQTT PUBLISH (topic name on every message) and the TLS record.",
            });
        }
        context.AddSeries(new SampleSeries("gateway", "ms", gw));
        context.AddSeries(new SampleSeries("direct SSH (SSH.NET)", "ms", ssh));
    }

    /// <summary>Latencies (ms) of both sides, and for the gateway where the time went (three legs, ms).</summary>
    public sealed record Samples(double[] Gateway, double[] Direct, int Lost, double[] DownLeg, double[] DeviceLeg, double[] UpLeg);

    /// <summary>Types <paramref name="count"/> keystrokes into each side, alternating, after a warm-up.</summary>
    public static async Task<Samples> MeasureAsync(BenchContext context, GatewayTerminal gateway, ITerminalSide direct, int count, int warmup, TimeSpan think)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(gateway);
        ArgumentNullException.ThrowIfNull(direct);
        foreach (var side in new ITerminalSide[] { gateway, direct })
        {
            // Echo on, canonical mode: the line discipline echoes each character; cat reads lines and drops them.
            await side.RunAsync("stty sane; echo CAT-$((4*4)); cat > /dev/null\r", "CAT-16", TimeSpan.FromSeconds(10));
        }

        var topic = gateway.Appliance.Stream(gateway.SessionId);
        var downlink = gateway.Appliance.Downlink;
        var gw = new List<double>(count);
        var ssh = new List<double>(count);
        var down = new List<double>(count);
        var device = new List<double>(count);
        var up = new List<double>(count);
        var lost = 0;
        for (var i = -warmup; i < count; i++)
        {
            var c = (byte)('a' + (((i % 26) + 26) % 26));

            // Alternate who goes first, so neither side always follows the other's wake-ups.
            var order = (i & 1) == 0 ? new ITerminalSide[] { gateway, direct } : [direct, gateway];
            foreach (var side in order)
            {
                var times = await EchoTimesAsync(side, c);
                if (i < 0)
                {
                    continue;
                }

                if (times is not { } t)
                {
                    lost++;
                    continue;
                }

                (side == gateway ? gw : ssh).Add(Stopwatch.GetElapsedTime(t.SentAt, t.ArrivedAt).TotalMilliseconds);
                if (side == gateway && downlink.LastInputAt is var inputAt && topic.LastHandedAt is var handedAt && t.SentAt < inputAt && inputAt <= handedAt && handedAt <= t.ArrivedAt)
                {
                    down.Add(Stopwatch.GetElapsedTime(t.SentAt, inputAt).TotalMilliseconds);
                    device.Add(Stopwatch.GetElapsedTime(inputAt, handedAt).TotalMilliseconds);
                    up.Add(Stopwatch.GetElapsedTime(handedAt, t.ArrivedAt).TotalMilliseconds);
                }
            }

            if ((i + warmup) % 64 == 63)
            {
                // End the line: cat reads it, the canonical-mode line buffer never fills.
                foreach (var side in new ITerminalSide[] { gateway, direct })
                {
                    await EchoAsync(side, (byte)'\r', (byte)'\n');
                }
            }

            if (think > TimeSpan.Zero)
            {
                await Task.Delay(think);
            }
        }

        foreach (var side in new ITerminalSide[] { gateway, direct })
        {
            // Ctrl-D on an empty line ends cat; the prompt returns.
            await side.RunAsync("\r\u0004echo DONE-$((5*5))\r", "DONE-25", TimeSpan.FromSeconds(10));
        }

        context.Say($"  keystrokes: {gw.Count} gateway, {ssh.Count} direct, {lost} without echo within {EchoTimeout.TotalSeconds:0} s");
        return new Samples([.. gw], [.. ssh], lost, [.. down], [.. device], [.. up]);
    }

    /// <summary>Sends one byte and returns the time until its echo arrived (ms), or null on timeout.</summary>
    public static async Task<double?> EchoAsync(ITerminalSide side, byte c, byte? echo = null) =>
        await EchoTimesAsync(side, c, echo) is { } t ? Stopwatch.GetElapsedTime(t.SentAt, t.ArrivedAt).TotalMilliseconds : null;

    /// <summary>Sends one byte; returns when it was sent and when its echo arrived (Stopwatch timestamps), or null on timeout.</summary>
    public static async Task<(long SentAt, long ArrivedAt)?> EchoTimesAsync(ITerminalSide side, byte c, byte? echo = null)
    {
        ArgumentNullException.ThrowIfNull(side);
        var arrived = side.Probe.ExpectEcho(echo ?? c);
        var sentAt = Stopwatch.GetTimestamp();
        await side.SendAsync(new[] { c });
        try
        {
            return (sentAt, await arrived.WaitAsync(EchoTimeout));
        }
        catch (TimeoutException)
        {
            return null;
        }
    }

    /// <summary>Adds the latency comparison and the "added latency" figure.</summary>
    public static void Report(BenchContext context, string scenario, string name, double[] gateway, double[] direct, int lost, string goal, double addedP99GoalMs, string note)
    {
        ArgumentNullException.ThrowIfNull(context);
        var gw = Distribution.Of(gateway);
        var ssh = Distribution.Of(direct);
        var lostNote = lost > 0 ? $" {lost} keystrokes got no echo within {EchoTimeout.TotalSeconds:0} s (not in the samples)." : string.Empty;
        context.Add(Figure.Compare(scenario, name, "ms", gw, "SSH.NET direct, same sshd", ssh) with
        {
            Note = note + $" p99 ratio {TableWriter.Num(gw.P99 / ssh.P99)}×." + lostNote,
        });
        var added = new Distribution(Math.Min(gw.Count, ssh.Count), gw.Min - ssh.Min, gw.Median - ssh.Median, gw.P99 - ssh.P99, gw.Max - ssh.Max, gw.Mean - ssh.Mean);
        context.Add(new Figure
        {
            Scenario = scenario,
            Name = name + ": added (gateway − direct, per statistic)",
            Unit = "ms",
            Measured = added,
            Goal = goal,
            GoalMet = added.P99 <= addedP99GoalMs && lost == 0,
            Note = "Each statistic is the gateway's minus the direct path's (min, median, p99, max of the two sample sets).",
        });
    }
}
