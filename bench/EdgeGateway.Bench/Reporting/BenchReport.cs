using System.Runtime.InteropServices;
using System.Text.Json.Serialization;

namespace EdgeGateway.Bench.Reporting;

/// <summary>The machine a run measured on: what docs/BENCHMARKS.md quotes next to the figures.</summary>
public sealed record MachineInfo(int Processors, string CpuModel, double MemoryGiB, string OperatingSystem, string Kernel, string Runtime, string LoadAverageAtStart)
{
    public static MachineInfo Current()
    {
        var cpu = ReadFirst("/proc/cpuinfo", "model name") ?? RuntimeInformation.ProcessArchitecture.ToString();
        var memKb = ReadFirst("/proc/meminfo", "MemTotal")?.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
        var os = File.Exists("/etc/os-release")
            ? File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))?[12..].Trim('"')
            : null;
        return new MachineInfo(
            Environment.ProcessorCount,
            cpu,
            memKb is null ? 0 : Math.Round(double.Parse(memKb, System.Globalization.CultureInfo.InvariantCulture) / (1024 * 1024), 1),
            os ?? RuntimeInformation.OSDescription,
            TryRead("/proc/sys/kernel/osrelease") ?? Environment.OSVersion.VersionString,
            RuntimeInformation.FrameworkDescription,
            TryRead("/proc/loadavg") ?? "?");
    }

    public override string ToString() =>
        $"{Processors} cores ({CpuModel}), {MemoryGiB:0.#} GiB, {OperatingSystem}, kernel {Kernel}, {Runtime}; load average at start: {LoadAverageAtStart}";

    private static string? ReadFirst(string path, string key)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        var line = File.ReadLines(path).FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal));
        return line?[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
    }

    private static string? TryRead(string path) => File.Exists(path) ? File.ReadAllText(path).Trim() : null;
}

/// <summary>A sample series kept for a chart (e.g. every keystroke's latency); <paramref name="Chart"/> names the SVG it goes to.</summary>
public sealed record SampleSeries(string Name, string Unit, double[] Values, string Chart = "keystroke");

/// <summary>Everything one run produced; serialised as results.json.</summary>
public sealed class BenchReport
{
    public required string Mode { get; init; }

    public required string Command { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public DateTimeOffset FinishedAt { get; set; }

    public required MachineInfo Machine { get; init; }

    /// <summary>Sizes of this run (sample counts, durations, viewer counts).</summary>
    public BenchSettings? Settings { get; init; }

    public List<Figure> Figures { get; } = [];

    /// <summary>Scenarios that ran (or failed), in order, with their wall time in seconds.</summary>
    public List<ScenarioRun> Scenarios { get; } = [];

    /// <summary>Raw samples behind the charts.</summary>
    [JsonIgnore]
    public List<SampleSeries> Series { get; } = [];

    /// <summary>Extra facts worth keeping with the run (publish outcomes, methods, counts).</summary>
    public Dictionary<string, string> Notes { get; } = [];
}

/// <summary>One scenario's outcome.</summary>
public sealed record ScenarioRun(string Id, string Title, double Seconds, string? Error);

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(BenchReport))]
internal sealed partial class BenchReportJson : JsonSerializerContext;
