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

        var (gw, ssh, lost) = await MeasureAsync(context, gateway, direct, settings.Keystrokes, settings.WarmupKeystrokes, settings.ThinkTime);
        Report(context, Number, "echo latency", gw, ssh, lost, "p99 added ≤ 2 ms", 2.0, "Cloud and appliance idle; keystrokes alternate gateway/direct one by one.");
        context.AddSeries(new SampleSeries("gateway", "ms", gw));
        context.AddSeries(new SampleSeries("direct SSH (SSH.NET)", "ms", ssh));
    }

    /// <summary>Types <paramref name="count"/> keystrokes into each side, alternating, after a warm-up; latencies in ms.</summary>
    public static async Task<(double[] Gateway, double[] Direct, int Lost)> MeasureAsync(BenchContext context, ITerminalSide gateway, ITerminalSide direct, int count, int warmup, TimeSpan think)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(gateway);
        ArgumentNullException.ThrowIfNull(direct);
        foreach (var side in new[] { gateway, direct })
        {
            // Echo on, canonical mode: the line discipline echoes each character; cat reads lines and drops them.
            await side.RunAsync("stty sane; echo CAT-$((4*4)); cat > /dev/null\r", "CAT-16", TimeSpan.FromSeconds(10));
        }

        var gw = new List<double>(count);
        var ssh = new List<double>(count);
        var lost = 0;
        for (var i = -warmup; i < count; i++)
        {
            var c = (byte)('a' + (((i % 26) + 26) % 26));

            // Alternate who goes first, so neither side always follows the other's wake-ups.
            var order = (i & 1) == 0 ? new[] { gateway, direct } : [direct, gateway];
            foreach (var side in order)
            {
                var latency = await EchoAsync(side, c);
                if (i < 0)
                {
                    continue;
                }

                if (latency is { } ms)
                {
                    (side == gateway ? gw : ssh).Add(ms);
                }
                else
                {
                    lost++;
                }
            }

            if ((i + warmup) % 64 == 63)
            {
                // End the line: cat reads it, the canonical-mode line buffer never fills.
                foreach (var side in new[] { gateway, direct })
                {
                    await EchoAsync(side, (byte)'\r', (byte)'\n');
                }
            }

            if (think > TimeSpan.Zero)
            {
                await Task.Delay(think);
            }
        }

        foreach (var side in new[] { gateway, direct })
        {
            // Ctrl-D on an empty line ends cat; the prompt returns.
            await side.RunAsync("\r\u0004echo DONE-$((5*5))\r", "DONE-25", TimeSpan.FromSeconds(10));
        }

        context.Say($"  keystrokes: {gw.Count} gateway, {ssh.Count} direct, {lost} without echo within {EchoTimeout.TotalSeconds:0} s");
        return ([.. gw], [.. ssh], lost);
    }

    /// <summary>Sends one byte and returns the time until its echo arrived (ms), or null on timeout.</summary>
    public static async Task<double?> EchoAsync(ITerminalSide side, byte c, byte? echo = null)
    {
        ArgumentNullException.ThrowIfNull(side);
        var arrived = side.Probe.ExpectEcho(echo ?? c);
        var sentAt = Stopwatch.GetTimestamp();
        await side.SendAsync(new[] { c });
        try
        {
            var at = await arrived.WaitAsync(EchoTimeout);
            return Stopwatch.GetElapsedTime(sentAt, at).TotalMilliseconds;
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
