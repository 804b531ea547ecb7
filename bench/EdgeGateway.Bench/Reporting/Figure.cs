using System.Text.Json.Serialization;

namespace EdgeGateway.Bench.Reporting;

/// <summary>Whether a figure holds a measurement.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<FigureStatus>))]
public enum FigureStatus
{
    /// <summary>Measured in this run.</summary>
    Measured,

    /// <summary>The feature does not exist yet: there is no number, on purpose.</summary>
    NotYet,

    /// <summary>Not run in this mode (named in the note).</summary>
    Skipped,

    /// <summary>The scenario failed; the note says why.</summary>
    Failed,
}

/// <summary>
/// One line of the results table: a measured distribution, the baseline it is compared with (measured in the same
/// run), their ratio, and the goal from the benchmark issue.
/// </summary>
public sealed record Figure
{
    /// <summary>Scenario number and name, e.g. "1 keystroke".</summary>
    public required string Scenario { get; init; }

    /// <summary>What is measured.</summary>
    public required string Name { get; init; }

    /// <summary>Unit of every statistic (ms, kB, MB, …).</summary>
    public required string Unit { get; init; }

    public FigureStatus Status { get; init; } = FigureStatus.Measured;

    /// <summary>The system under test.</summary>
    public Distribution? Measured { get; init; }

    /// <summary>What it is compared with.</summary>
    public string? BaselineName { get; init; }

    public Distribution? Baseline { get; init; }

    /// <summary>Measured ÷ baseline, on the statistic <see cref="RatioOf"/> names.</summary>
    public double? Ratio { get; init; }

    /// <summary>"median", "p99", "total"…</summary>
    public string? RatioOf { get; init; }

    /// <summary>The goal, as the issue states it.</summary>
    public string? Goal { get; init; }

    public bool? GoalMet { get; init; }

    /// <summary>Method and caveats, in a few words.</summary>
    public string? Note { get; init; }

    /// <summary>A figure compared with a baseline; the ratio is taken on the median unless told otherwise.</summary>
    public static Figure Compare(string scenario, string name, string unit, Distribution measured, string baselineName, Distribution baseline, string ratioOf = "median")
    {
        ArgumentNullException.ThrowIfNull(measured);
        ArgumentNullException.ThrowIfNull(baseline);
        var (m, b) = ratioOf switch
        {
            "p99" => (measured.P99, baseline.P99),
            "max" => (measured.Max, baseline.Max),
            "mean" => (measured.Mean, baseline.Mean),
            _ => (measured.Median, baseline.Median),
        };
        return new Figure
        {
            Scenario = scenario,
            Name = name,
            Unit = unit,
            Measured = measured,
            BaselineName = baselineName,
            Baseline = baseline,
            Ratio = b == 0 ? null : m / b,
            RatioOf = ratioOf,
        };
    }

    /// <summary>A figure with no measured baseline in this run (the note says why).</summary>
    public static Figure Alone(string scenario, string name, string unit, Distribution measured) =>
        new() { Scenario = scenario, Name = name, Unit = unit, Measured = measured };

    /// <summary>True when the figure is what the quick mode requires: measured, with finite numbers.</summary>
    [JsonIgnore]
    public bool HasNumbers => Status == FigureStatus.Measured && Measured is { IsFinite: true } && (Baseline is null || Baseline.IsFinite);
}
