using System.Diagnostics;
using EdgeGateway.Bench.Harness;
using EdgeGateway.Bench.Reporting;

namespace EdgeGateway.Bench.Scenarios;

/// <summary>
/// 1b — Terminal bytes. (a) <c>top -d 1</c> on both sides at the same time; (b) <c>seq 1 200000</c> under the default
/// 2 Mbit/s budget, sides alternating, while the Controller types (one key at a time, waiting for its echo).
/// Gateway: bytes of frames the appliance published and bytes on its MQTT/TLS socket; direct: terminal bytes
/// SSH.NET delivered and bytes on its SSH socket.
/// </summary>
public sealed class TerminalBytesScenario : IScenario
{
    public const string Number = "1b terminal bytes";

    // Typed during the burst: no letter of the command ("f"), of the markers (BURSTSTART, BURSTEND) or of the prompt.
    private const string BurstKeys = "abcdeghijklmnopqrstuvwxyzCFGHIJKLMOPQVWXYZ";
    private static readonly TimeSpan BurstEchoTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan KeyInterval = TimeSpan.FromMilliseconds(20);

    public string Id => "bytes";

    public string Title => "Terminal bytes: top and a seq burst";

    public async Task RunAsync(BenchContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        await using var stack = await BenchStack.StartAsync(context, "bytes", appliances: 1);
        var admin = await stack.LoginAdminAsync();
        await TopAsync(context, stack, admin);
        await SeqBurstAsync(context, stack, admin);
    }

    private static async Task TopAsync(BenchContext context, BenchStack stack, WebUser admin)
    {
        await using var gateway = await stack.OpenGatewayTerminalAsync(admin, stack.Appliances[0]);
        await using var direct = await stack.OpenDirectTerminalAsync();
        var sides = new ITerminalSide[] { gateway, direct };
        var before = sides.Select(Snapshot).ToArray();
        var cpuBefore = stack.Cloud.Sample();
        foreach (var side in sides)
        {
            await side.SendTextAsync("top -d 1\r");
        }

        await Task.Delay(context.Settings.TopDuration, context.Cancellation);
        foreach (var side in sides)
        {
            await side.SendTextAsync("q");
        }

        // top reads its input in chunks: a command typed right behind the 'q' would be swallowed with it.
        await Task.Delay(1000, context.Cancellation);

        foreach (var side in sides)
        {
            await side.RunAsync("echo TOP-$((3*3))\r", "TOP-9", TimeSpan.FromSeconds(20));
        }

        var after = sides.Select(Snapshot).ToArray();
        context.Say($"  top: gateway frames {after[0].Payload - before[0].Payload} B, socket {after[0].Socket} - {before[0].Socket}; direct terminal {after[1].Payload - before[1].Payload} B, socket {after[1].Socket} - {before[1].Socket}");
        var seconds = context.Settings.TopDuration.TotalSeconds;
        var gwFrames = (after[0].Payload - before[0].Payload) / 1000.0;
        var sshTerminal = (after[1].Payload - before[1].Payload) / 1000.0;
        var what = $"top -d 1 for {seconds:0} s";
        context.Add(Figure.Compare(Number, what + ": upstream frame bytes vs terminal bytes", "kB", Distribution.Single(gwFrames), "plain SSH terminal bytes", Distribution.Single(sshTerminal)) with
        {
            Goal = "≤ 1.1× (guacd: 13×)",
            GoalMet = gwFrames <= 1.1 * sshTerminal,
            Note = "Frame bytes = 16-byte header + payload of every frame the appliance handed to its uplink (RecordingUplink). Both sides ran top at the same time, same 100×30 xterm-256color PTY.",
        });
        if (after[0].Socket is { } gs && before[0].Socket is { } gs0 && after[1].Socket is { } ds && before[1].Socket is { } ds0)
        {
            context.Add(Figure.Compare(Number, what + ": appliance MQTT/TLS socket bytes vs SSH socket bytes", "kB", Distribution.Single((gs - gs0) / 1000.0), "direct SSH socket (downstream)", Distribution.Single((ds - ds0) / 1000.0)) with
            {
                Note = "Kernel tcp_info bytes_sent of the appliance's MQTT connection (TLS + MQTT framing + frames) vs bytes_received of the direct SSH.NET connection (SSH framing + MAC). Includes keep-alives.",
            });
        }

        var cpuAfter = stack.Cloud.Sample();
        context.Note("1b.top.cloudCpuSeconds", (cpuAfter.CpuSeconds - cpuBefore.CpuSeconds).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture));
    }

    private static async Task SeqBurstAsync(BenchContext context, BenchStack stack, WebUser admin)
    {
        await using var gateway = await stack.OpenGatewayTerminalAsync(admin, stack.Appliances[0]);
        await using var direct = await stack.OpenDirectTerminalAsync();
        var bytes = new Dictionary<ITerminalSide, List<(double Payload, double? Socket, double Seconds)>> { [gateway] = [], [direct] = [] };
        var echoes = new Dictionary<ITerminalSide, List<double>> { [gateway] = [], [direct] = [] };
        var lost = new Dictionary<ITerminalSide, int> { [gateway] = 0, [direct] = 0 };

        // --profile: the harness holds the appliance (SSH.NET, libvterm, the streamer) and both clients.
        var profile = PerfProfiler.Start(context, Environment.ProcessId, "seq-harness");
        for (var rep = 0; rep < context.Settings.SeqBursts; rep++)
        {
            var order = rep % 2 == 0 ? new ITerminalSide[] { gateway, direct } : [direct, gateway];
            foreach (var side in order)
            {
                var (payload, socket, seconds, samples, missing) = await BurstAsync(side, side == gateway ? gateway : null);
                bytes[side].Add((payload, socket, seconds));
                echoes[side].AddRange(samples);
                lost[side] += missing;
                context.Say($"  seq burst {rep + 1} {side.Name}: {payload / 1000:0.0} kB, {seconds:0.00} s, {samples.Count} echoes, {missing} lost");
            }
        }

        if (profile is not null)
        {
            context.Note("1b.profile.seq-harness", await profile.StopAsync());
        }

        var gwBytes = Distribution.Of(bytes[gateway].Select(b => b.Payload / 1000));
        var sshBytes = Distribution.Of(bytes[direct].Select(b => b.Payload / 1000));
        context.Add(Figure.Compare(Number, "seq 1 200000 at 2 Mbit/s budget: upstream frame bytes vs terminal bytes", "kB", gwBytes, "plain SSH terminal bytes", sshBytes) with
        {
            Goal = "≤ 36 kB (guacd 36 kB; plain ~1.49 MB)",
            GoalMet = gwBytes.Median <= 36,
            Note = $"Per burst, from the command to the end marker on screen plus the appliance back in forwarding mode; Controller typing during the burst included on both sides. Burst wall time: gateway median {Distribution.Of(bytes[gateway].Select(b => b.Seconds)).Median:0.00} s, direct {Distribution.Of(bytes[direct].Select(b => b.Seconds)).Median:0.00} s.",
        });
        if (bytes[gateway].All(b => b.Socket is not null) && bytes[direct].All(b => b.Socket is not null))
        {
            context.Add(Figure.Compare(Number, "seq 1 200000: MQTT/TLS socket bytes vs SSH socket bytes", "kB", Distribution.Of(bytes[gateway].Select(b => b.Socket!.Value / 1000)), "direct SSH socket (downstream)", Distribution.Of(bytes[direct].Select(b => b.Socket!.Value / 1000))) with
            {
                Note = "Kernel tcp_info counters, as for top.",
            });
        }

        if (echoes[gateway].Count > 0 && echoes[direct].Count > 0)
        {
            var gw = Distribution.Of(echoes[gateway]);
            var ssh = Distribution.Of(echoes[direct]);
            context.Add(Figure.Compare(Number, "Controller echo latency during the seq burst", "ms", gw, "SSH.NET direct during its burst", ssh, "p99") with
            {
                Goal = "< 5 ms p99",
                GoalMet = gw.P99 < 5 && lost[gateway] == 0,
                Note = $"A key every 20 ms from the burst's start marker (printed 50 ms before seq starts) to its end, not waiting for echoes; a key's echo is the first time its character is printed after it was sent (escape sequences stripped). Keys with no echo within {BurstEchoTimeout.TotalSeconds:0} s: gateway {lost[gateway]}, direct {lost[direct]} (counted in the samples as {BurstEchoTimeout.TotalMilliseconds:0} ms).",
            });
            context.AddSeries(new SampleSeries("gateway, during seq burst", "ms", [.. echoes[gateway]]));
            context.AddSeries(new SampleSeries("direct SSH, during seq burst", "ms", [.. echoes[direct]]));
        }
    }

    /// <summary>One burst on one side: bytes, seconds, echo samples and keys whose echo never came in time.</summary>
    private static async Task<(double Payload, double? Socket, double Seconds, List<double> Echoes, int Lost)> BurstAsync(ITerminalSide side, GatewayTerminal? gateway)
    {
        var before = Snapshot(side);
        side.Probe.ResetText();
        var burstStarted = side.Probe.ExpectMarker("BURSTSTART");
        var started = Stopwatch.GetTimestamp();
        await side.SendTextAsync("f\r");

        // Type once the device runs the burst: a key that arrives while the shell is still handing the terminal over
        // from its line editor to the command is not echoed by the device until the burst is over (either side).
        await burstStarted.WaitAsync(TimeSpan.FromSeconds(20));
        var done = side.Probe.ExpectMarker("BURSTEND");
        // A fast typist during the burst: a key every 20 ms, without waiting for echoes; each key is a character the
        // burst never prints, unique within 0.86 s, so its first appearance after it was sent is its echo.
        var pending = new List<(long SentAt, Task<long> Echo)>();
        var k = 0;
        while (!done.IsCompleted && Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(120))
        {
            var key = (byte)BurstKeys[k++ % BurstKeys.Length];
            var echo = side.Probe.ExpectEcho(key);
            var sentAt = Stopwatch.GetTimestamp();
            await side.SendAsync(new[] { key });
            pending.Add((sentAt, echo));
            await Task.WhenAny(done, Task.Delay(KeyInterval));
        }

        await done.WaitAsync(TimeSpan.FromSeconds(120));
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var samples = new List<double>();
        var lost = 0;
        var echoDeadline = Task.Delay(BurstEchoTimeout);
        foreach (var (sentAt, echo) in pending)
        {
            await Task.WhenAny(echo, echoDeadline);
            if (echo.IsCompletedSuccessfully)
            {
                samples.Add(Stopwatch.GetElapsedTime(sentAt, echo.Result).TotalMilliseconds);
            }
            else
            {
                lost++;
                samples.Add(BurstEchoTimeout.TotalMilliseconds);
            }
        }

        if (gateway is not null)
        {
            // Count until the appliance is back to forwarding: its last screen update belongs to the burst.
            var deadline = Stopwatch.StartNew();
            while (gateway.Appliance.Streamer(gateway.SessionId)?.InSyncMode == true && deadline.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(20);
            }
        }

        await Task.Delay(300);
        var after = Snapshot(side);

        // Drop what was typed ahead (readline has it on the prompt line) and start the next burst on a clear screen.
        await side.RunAsync("\u0015clear; echo CLR-$((7*7))\r", "CLR-49", TimeSpan.FromSeconds(20));
        return (after.Payload - before.Payload, after.Socket - before.Socket, seconds, samples, lost);
    }

    private static (long Payload, long? Socket) Snapshot(ITerminalSide side) => (side.PayloadBytes, side.SocketBytes);
}
