using EdgeGateway.Bench.Reporting;
using EdgeGateway.Testing;

namespace EdgeGateway.Bench;

/// <summary>What every scenario gets: settings, the shared sshd, the report to add figures to, a log.</summary>
public sealed class BenchContext
{
    private readonly Lock _gate = new();

    public BenchContext(BenchSettings settings, SshServer device, BenchReport report, string outputDirectory, TextWriter log, CancellationToken cancellation)
    {
        Settings = settings;
        Device = device;
        Report = report;
        OutputDirectory = outputDirectory;
        Log = log;
        Cancellation = cancellation;
    }

    public BenchSettings Settings { get; }

    /// <summary>The real OpenSSH server every scenario's sessions go to.</summary>
    public SshServer Device { get; }

    public BenchReport Report { get; }

    /// <summary>This run's results folder (results/…).</summary>
    public string OutputDirectory { get; }

    public TextWriter Log { get; }

    public CancellationToken Cancellation { get; }

    public void Add(Figure figure)
    {
        lock (_gate)
        {
            Report.Figures.Add(figure);
        }

        Say($"  {figure.Scenario} · {figure.Name}: {Describe(figure)}");
    }

    public void AddSeries(SampleSeries series)
    {
        lock (_gate)
        {
            Report.Series.Add(series);
        }
    }

    public void Note(string key, string value)
    {
        lock (_gate)
        {
            Report.Notes[key] = value;
        }
    }

    public void Say(string line)
    {
        lock (_gate)
        {
            Log.WriteLine($"[{DateTime.Now:HH:mm:ss}] {line}");
            Log.Flush();
        }
    }

    private static string Describe(Figure f)
    {
        if (f.Measured is not { } m)
        {
            return f.Status.ToString();
        }

        var text = $"n={m.Count} median={TableWriter.Num(m.Median)} p99={TableWriter.Num(m.P99)} max={TableWriter.Num(m.Max)} {f.Unit}";
        if (f.Baseline is { } b)
        {
            text += $" | {f.BaselineName}: median={TableWriter.Num(b.Median)} p99={TableWriter.Num(b.P99)}";
        }

        if (f.Ratio is { } r)
        {
            text += $" | ratio {TableWriter.Num(r)}×";
        }

        if (f.GoalMet is { } met)
        {
            text += met ? " | goal met" : " | GOAL MISSED";
        }

        return text;
    }
}

/// <summary>A benchmark scenario: adds its figures to the report.</summary>
public interface IScenario
{
    /// <summary>Short id used on the command line (--only).</summary>
    string Id { get; }

    string Title { get; }

    /// <summary>Runs the scenario and adds its figures (measured, or "not yet" / "skipped" with a reason).</summary>
    Task RunAsync(BenchContext context);
}
