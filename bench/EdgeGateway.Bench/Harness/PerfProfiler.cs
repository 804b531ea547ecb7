using System.Diagnostics;

namespace EdgeGateway.Bench.Harness;

/// <summary>
/// A sampling CPU profile of one process with Linux <c>perf</c> (cpu-clock, 499 Hz), only with <c>--profile</c>.
/// Managed frames get names when the process runs with <c>DOTNET_PerfMapEnabled=1</c> and
/// <c>DOTNET_EnableWriteXorExecute=0</c> (scripts/bench.sh sets both for --profile runs: the harness and the cloud it
/// starts inherit them). The flat report (self time by symbol) is written
/// next to the results; a profiled run's timings are perturbed and are not the ones to quote.
/// </summary>
public sealed class PerfProfiler
{
    private readonly Process _perf;
    private readonly string _data;
    private readonly string _report;

    private PerfProfiler(Process perf, string data, string report)
    {
        _perf = perf;
        _data = data;
        _report = report;
    }

    public static PerfProfiler? Start(BenchContext context, int pid, string name)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!context.Settings.Profile)
        {
            return null;
        }

        var directory = Path.Combine(context.OutputDirectory, "profile");
        Directory.CreateDirectory(directory);
        var data = Path.Combine(directory, name + ".perf.data");
        var info = new ProcessStartInfo("perf") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in new[] { "record", "-F", "499", "-p", pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "-o", data })
        {
            info.ArgumentList.Add(argument);
        }

        var perf = Process.Start(info);
        if (perf is null)
        {
            context.Say("  profile: could not start perf");
            return null;
        }

        context.Say($"  profile: perf recording pid {pid} ({name})");
        return new PerfProfiler(perf, data, Path.Combine(directory, name + ".txt"));
    }

    private async Task<string> ReportAsync(string sort)
    {
        var info = new ProcessStartInfo("perf") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "report", "-i", _data, "--stdio", "--no-children", "--sort", sort, "--percent-limit", "0.3" })
        {
            info.ArgumentList.Add(argument);
        }

        using var report = Process.Start(info)!;
        var text = await report.StandardOutput.ReadToEndAsync();
        await report.WaitForExitAsync();
        return text;
    }

    /// <summary>Stops recording (SIGINT, as perf expects) and writes the flat report; returns its path.</summary>
    public async Task<string> StopAsync()
    {
        ProcStats.Signal(_perf.Id, 2);
        await _perf.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var text = await ReportAsync("dso") + await ReportAsync("dso,symbol");
        await File.WriteAllTextAsync(_report, text);
        _perf.Dispose();
        return _report;
    }
}
