namespace EdgeGateway.Bench.Reporting;

/// <summary>Summary of a sample set: count, min, median, p99, max and mean, in the figure's unit.</summary>
public sealed record Distribution(int Count, double Min, double Median, double P99, double Max, double Mean)
{
    /// <summary>Summarises <paramref name="values"/>; percentiles interpolate linearly between closest ranks.</summary>
    public static Distribution Of(IEnumerable<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var sorted = values.ToArray();
        if (sorted.Length == 0)
        {
            throw new ArgumentException("No samples.", nameof(values));
        }

        Array.Sort(sorted);
        return new Distribution(sorted.Length, sorted[0], Percentile(sorted, 0.50), Percentile(sorted, 0.99), sorted[^1], sorted.Average());
    }

    /// <summary>One measured value (a byte count, a start-up time): n = 1, every statistic the value itself.</summary>
    public static Distribution Single(double value) => new(1, value, value, value, value, value);

    /// <summary>The percentile <paramref name="q"/> (0..1) of an already sorted array.</summary>
    public static double Percentile(double[] sorted, double q)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        if (sorted.Length == 1)
        {
            return sorted[0];
        }

        var rank = q * (sorted.Length - 1);
        var low = (int)Math.Floor(rank);
        var high = Math.Min(low + 1, sorted.Length - 1);
        return sorted[low] + ((rank - low) * (sorted[high] - sorted[low]));
    }

    /// <summary>True when every statistic is a finite number (what the quick mode asserts).</summary>
    public bool IsFinite =>
        Count > 0 && double.IsFinite(Min) && double.IsFinite(Median) && double.IsFinite(P99) && double.IsFinite(Max) && double.IsFinite(Mean);

    /// <summary>Each statistic scaled (unit conversion).</summary>
    public Distribution Scale(double factor) => new(Count, Min * factor, Median * factor, P99 * factor, Max * factor, Mean * factor);
}
