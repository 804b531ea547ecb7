using System.Diagnostics;
using System.Text.Json;
using EdgeGateway.Bench.Harness;
using EdgeGateway.Bench.Reporting;
using EdgeGateway.Bench.Scenarios;
using EdgeGateway.Testing;

namespace EdgeGateway.Bench;

/// <summary>Runs the scenarios, writes the results folder and checks that every scenario produced numbers.</summary>
public static class BenchRunner
{
    /// <summary>Every scenario, in the order they run.</summary>
    public static IReadOnlyList<IScenario> Scenarios { get; } =
    [
        new KeystrokeScenario(),
        new TerminalBytesScenario(),
        new FanOutScenario(),
        new ScaleScenario(),
        new DisplayScenario(),
        new FieldScenario(),
        new JointScenario(),
        new PairingScenario(),
        new FootprintScenario(),
        new CodecScenario(),
    ];

    public sealed record Outcome(BenchReport Report, string Directory, IReadOnlyList<string> Problems);

    public static async Task<Outcome> RunAsync(BenchSettings settings, IReadOnlyCollection<string>? only, string resultsRoot, string command, TextWriter log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(log);
        var started = DateTimeOffset.Now;
        var directory = Path.Combine(resultsRoot, $"{started:yyyyMMdd-HHmmss}-{settings.Mode}");
        Directory.CreateDirectory(directory);
        var report = new BenchReport { Mode = settings.Mode, Command = command, StartedAt = started, Machine = MachineInfo.Current(), Settings = settings };
        log.WriteLine($"EdgeGateway benchmark, {settings.Mode} mode, {started:yyyy-MM-dd HH:mm:ss zzz}");
        log.WriteLine($"Machine: {report.Machine}");
        log.WriteLine($"Results: {directory}");
        report.Notes["source"] = SourceVersion();
        log.WriteLine($"Source: {report.Notes["source"]}");

        var selected = Scenarios.Where(s => only is null || only.Count == 0 || only.Contains(s.Id)).ToList();
        await using (var device = await SshServer.StartAsync(cancellationToken))
        {
            var context = new BenchContext(settings, device, report, directory, log, cancellationToken);
            var cloudEnvironment = string.Join(' ', CloudProcess.EnvironmentOverrides().Select(o => $"{o.Key}={o.Value}"));
            if (cloudEnvironment.Length > 0)
            {
                // Runtime knobs given to the cloud alone change what is measured: they go into the results.
                context.Note("cloudEnvironment", cloudEnvironment);
                context.Say("Cloud process environment added: " + cloudEnvironment);
            }

            foreach (var scenario in selected)
            {
                cancellationToken.ThrowIfCancellationRequested();
                context.Say($"== {scenario.Title} ({scenario.Id})");
                var watch = Stopwatch.StartNew();
                string? error = null;
                try
                {
                    await scenario.RunAsync(context);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    error = ex.GetType().Name + ": " + ex.Message;
                    context.Say($"  FAILED: {ex}");
                    context.Add(new Figure { Scenario = scenario.Id, Name = scenario.Title, Unit = "—", Status = FigureStatus.Failed, Note = error });
                }

                report.Scenarios.Add(new ScenarioRun(scenario.Id, scenario.Title, Math.Round(watch.Elapsed.TotalSeconds, 1), error));
                context.Say($"   {scenario.Id} done in {watch.Elapsed.TotalSeconds:0.0} s");
            }
        }

        report.FinishedAt = DateTimeOffset.Now;
        var problems = Check(report, selected);
        Write(report, directory);
        log.WriteLine();
        log.WriteLine(TableWriter.Text(report));
        log.WriteLine($"Wrote {Path.Combine(directory, "results.json")}, table.md, table.txt, ratios.svg, latency.svg, fanout.svg, scale.svg ({(report.FinishedAt - report.StartedAt).TotalMinutes:0.0} min).");
        foreach (var problem in problems)
        {
            log.WriteLine("PROBLEM: " + problem);
        }

        return new Outcome(report, directory, problems);
    }

    /// <summary>What the quick mode asserts: every scenario ran and produced numbers (display: VNC rows with numbers, RDP "not yet" on purpose).</summary>
    public static IReadOnlyList<string> Check(BenchReport report, IEnumerable<IScenario> scenarios)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(scenarios);
        var problems = new List<string>();
        foreach (var run in report.Scenarios.Where(r => r.Error is not null))
        {
            problems.Add($"scenario {run.Id} failed: {run.Error}");
        }

        foreach (var scenario in scenarios)
        {
            var figures = report.Figures.Where(f => f.Scenario.StartsWith(scenario.Id, StringComparison.Ordinal) || Number(scenario) == f.Scenario).ToList();
            if (scenario is DisplayScenario)
            {
                // VNC and RDP are both built: each has rows, and every one of them has numbers.
                foreach (var protocol in new[] { "VNC", "RDP" })
                {
                    var rows = figures.Where(f => f.Name.StartsWith(protocol + ":", StringComparison.Ordinal)).ToList();
                    if (rows.Count == 0 || rows.Any(f => !f.HasNumbers))
                    {
                        problems.Add($"scenario display: {(rows.Count == 0 ? "no " + protocol + " rows" : "a " + protocol + " row has no numbers")}");
                    }
                }
            }

            if (!figures.Any(f => f.HasNumbers))
            {
                problems.Add($"scenario {scenario.Id} produced no numbers");
            }

            foreach (var f in figures.Where(f => f.Status == FigureStatus.Measured && !f.HasNumbers))
            {
                problems.Add($"{f.Scenario} / {f.Name}: not a finite number");
            }
        }

        return problems;
    }

    private static string Number(IScenario scenario) => scenario switch
    {
        KeystrokeScenario => KeystrokeScenario.Number,
        TerminalBytesScenario => TerminalBytesScenario.Number,
        FanOutScenario => FanOutScenario.Number,
        ScaleScenario => ScaleScenario.Number,
        DisplayScenario => DisplayScenario.Number,
        FieldScenario => FieldScenario.Number,
        JointScenario => JointScenario.Number,
        PairingScenario => PairingScenario.Number,
        FootprintScenario => FootprintScenario.Number,
        CodecScenario => CodecScenario.Number,
        _ => scenario.Id,
    };

    /// <summary>The commit measured (and whether the tree had local changes), or what EG_BENCH_SOURCE says.</summary>
    private static string SourceVersion()
    {
        var given = Environment.GetEnvironmentVariable("EG_BENCH_SOURCE");
        if (!string.IsNullOrWhiteSpace(given))
        {
            return given;
        }

        try
        {
            var info = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = RepoPaths.Root };
            foreach (var argument in new[] { "describe", "--always", "--dirty" })
            {
                info.ArgumentList.Add(argument);
            }

            using var git = Process.Start(info)!;
            var text = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit();
            return git.ExitCode == 0 && text.Length > 0 ? "git " + text : "unknown (not a git checkout)";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "unknown (git not found)";
        }
    }

    private static void Write(BenchReport report, string directory)
    {
        File.WriteAllText(Path.Combine(directory, "results.json"), JsonSerializer.Serialize(report, BenchReportJson.Default.BenchReport));
        File.WriteAllText(Path.Combine(directory, "table.txt"), TableWriter.Text(report));
        File.WriteAllText(Path.Combine(directory, "table.md"), TableWriter.Markdown(report));
        File.WriteAllText(Path.Combine(directory, "ratios.svg"), SvgCharts.Ratios(report));
        var latency = report.Series.Where(s => s.Unit == "ms" && s.Values.Length > 0).ToList();
        foreach (var (chart, title) in new[] { ("keystroke", "Keystroke echo latency: gateway vs direct SSH (CDF)"), ("fanout", "Fan-out: publish → slowest viewer, per frame (CDF)"), ("scale", "Scale: with and without idle appliances (CDF)") })
        {
            var series = latency.Where(s => s.Chart == chart).ToList();
            File.WriteAllText(Path.Combine(directory, chart == "keystroke" ? "latency.svg" : chart + ".svg"), SvgCharts.LatencyCdf(report, $"{title} — {report.Mode}, {report.StartedAt:yyyy-MM-dd}", series));
        }

        Directory.CreateDirectory(Path.Combine(directory, "samples"));
        foreach (var series in latency)
        {
            var name = string.Concat(series.Name.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-'));
            File.WriteAllLines(Path.Combine(directory, "samples", name + ".txt"), series.Values.Select(v => v.ToString("0.######", System.Globalization.CultureInfo.InvariantCulture)), System.Text.Encoding.UTF8);
        }
    }
}
