using System.Diagnostics;
using EdgeGateway.Bench.Harness;
using EdgeGateway.Bench.Reporting;
using EdgeGateway.Protocol.Stream;
using EdgeGateway.Testing;

namespace EdgeGateway.Bench.Scenarios;

/// <summary>
/// 7 — Devices as plants have them: how long viewers look at a dead session. A real sshd session process is frozen
/// (SIGSTOP) or killed (SIGKILL) while a Controller and viewers watch; the time runs from the signal to the moment
/// every viewer holds the session's End frame. The baseline is the configured liveness time
/// (<c>Appliance:Liveness:Interval</c> × <c>CountMax</c>): the goal is "≤ liveness time + 1 s". Then, with the cloud
/// and the appliance as real processes (<see cref="FieldProcessTrials"/>): an appliance killed → every viewer told
/// (goal ≤ 2 s), and a 1 MiB paste through the gateway against plain <c>ssh</c>.
/// </summary>
public sealed class FieldScenario : IScenario
{
    public const string Number = "7 field";
    private const int Viewers = 3;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    public string Id => "field";

    public string Title => "Dead and frozen devices";

    public async Task RunAsync(BenchContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var settings = context.Settings;
        var interval = settings.LivenessInterval;
        const int count = 2;
        var livenessTime = interval * count;
        await using var stack = await BenchStack.StartAsync(context, "field", appliances: 1, new Dictionary<string, string?>
        {
            ["Appliance:Liveness:Interval"] = interval.ToString(),
            ["Appliance:Liveness:CountMax"] = count.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Appliance:Liveness:DoubtAfter"] = (interval / 2.5).ToString(),
        });
        var admin = await stack.LoginAdminAsync();
        var viewer = await stack.LoginViewerAsync();

        var frozen = new List<double>();
        var dropped = new List<double>();
        for (var trial = 0; trial < settings.FieldTrials; trial++)
        {
            frozen.Add(await TrialAsync(context, stack, admin, viewer, "STOP"));
            dropped.Add(await TrialAsync(context, stack, admin, viewer, "KILL"));
        }

        var baseline = Distribution.Single(livenessTime.TotalMilliseconds);
        context.Add(Figure.Compare(Number, "device frozen (SIGSTOP) → every viewer has the end", "ms", Distribution.Of(frozen), "liveness time (interval × count)", baseline, "max") with
        {
            Goal = "≤ liveness time + 1 s",
            GoalMet = frozen.Max() <= livenessTime.TotalMilliseconds + 1000,
            Note = $"Idle session, {Viewers} viewers + the Controller; liveness {interval.TotalSeconds:0.#} s × {count}, doubt after {(interval / 2.5).TotalSeconds:0.#} s. Silence is counted from the device's last byte, so an idle freeze ends in up to interval × count.",
        });
        context.Add(Figure.Compare(Number, "device drops the connection (SIGKILL of its session process) → every viewer has the end", "ms", Distribution.Of(dropped), "liveness time (interval × count)", baseline, "max") with
        {
            Goal = "≤ liveness time + 1 s",
            GoalMet = dropped.Max() <= livenessTime.TotalMilliseconds + 1000,
            Note = "The device's TCP connection closes with its process: noticed at once, no probe needed.",
        });

        await FieldProcessTrials.RunAsync(context);
    }

    private static async Task<double> TrialAsync(BenchContext context, BenchStack stack, WebUser admin, WebUser viewer, string signal)
    {
        var (sessionId, _) = await stack.StartSessionAsync(admin, stack.Appliances[0].Id);
        var ends = new long[Viewers + 1];
        var streams = new List<ViewerClient>();
        try
        {
            for (var i = 0; i <= Viewers; i++)
            {
                var index = i;
                streams.Add(await stack.OpenStreamAsync(i == 0 ? admin : viewer, sessionId, (in FrameHeader header, ReadOnlySpan<byte> _, long at) =>
                {
                    if (header.Type == FrameType.End)
                    {
                        Interlocked.CompareExchange(ref ends[index], at, 0);
                    }
                }));
            }

            await Task.WhenAll(streams.Select(s => s.FirstFrame)).WaitAsync(Wait, context.Cancellation);
            var processes = await SessionProcessesAsync(stack.Device, context.Cancellation);
            var signalled = Stopwatch.GetTimestamp();
            SshServer.Signal(processes, signal);
            try
            {
                await Task.WhenAll(streams.Select(s => s.Ended)).WaitAsync(Wait, context.Cancellation);
            }
            finally
            {
                if (signal == "STOP")
                {
                    SshServer.Signal(processes, "CONT");
                }
            }

            if (ends.Any(e => e == 0))
            {
                throw new InvalidOperationException($"A viewer's stream closed without an End frame after SIG{signal}.");
            }

            var took = Stopwatch.GetElapsedTime(signalled, ends.Max()).TotalMilliseconds;
            context.Say($"  SIG{signal}: every viewer had the end after {took:0} ms");
            return took;
        }
        finally
        {
            foreach (var stream in streams)
            {
                await stream.DisposeAsync();
            }
        }
    }

    /// <summary>The one session process of the gateway's session (the bench's device serves nothing else meanwhile).</summary>
    private static async Task<IReadOnlyList<int>> SessionProcessesAsync(SshServer device, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Wait);
        while (true)
        {
            var found = device.SessionProcessIds();
            if (found.Count == 1)
            {
                return found;
            }

            await Task.Delay(20, deadline.Token);
        }
    }
}
