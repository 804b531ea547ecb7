using System.Globalization;
using System.Text;

namespace EdgeGateway.Bench.Reporting;

/// <summary>The results table, as plain text for the console and as Markdown for docs/BENCHMARKS.md.</summary>
public static class TableWriter
{
    private static readonly string[] Headers = ["scenario", "figure", "unit", "n", "min", "median", "p99", "max", "baseline (same run)", "base n", "base median", "base p99", "ratio", "goal", "met"];

    public static string Text(BenchReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var rows = Rows(report).ToList();
        var widths = Headers.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        widths[1] = Math.Min(widths[1], 60);
        widths[8] = Math.Min(widths[8], 34);
        widths[13] = Math.Min(widths[13], 24);
        var text = new StringBuilder();
        text.AppendLine(Line(Headers, widths));
        text.AppendLine(string.Join("-+-", widths.Select(w => new string('-', w))));
        foreach (var row in rows)
        {
            text.AppendLine(Line(row, widths));
        }

        return text.ToString();
    }

    public static string Markdown(BenchReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var text = new StringBuilder();
        text.AppendLine("| " + string.Join(" | ", Headers) + " |");
        text.AppendLine("|" + string.Join("|", Headers.Select((_, i) => i is >= 3 and <= 7 or >= 9 and <= 12 ? "---:" : "---")) + "|");
        foreach (var row in Rows(report))
        {
            text.AppendLine("| " + string.Join(" | ", row.Select(c => c.Replace("|", "\\|", StringComparison.Ordinal))) + " |");
        }

        text.AppendLine();
        foreach (var figure in report.Figures.Where(f => !string.IsNullOrEmpty(f.Note)))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"- **{figure.Scenario} / {figure.Name}**: {figure.Note}");
        }

        return text.ToString();
    }

    private static IEnumerable<string[]> Rows(BenchReport report)
    {
        foreach (var f in report.Figures)
        {
            if (f.Status != FigureStatus.Measured || f.Measured is null)
            {
                var status = f.Status switch
                {
                    FigureStatus.NotYet => "not yet",
                    FigureStatus.Skipped => "skipped",
                    FigureStatus.Failed => "FAILED",
                    _ => "—",
                };
                yield return [f.Scenario, f.Name, f.Unit, status, "", "", "", "", f.BaselineName ?? "", "", "", "", "", f.Goal ?? "", ""];
                continue;
            }

            var m = f.Measured;
            var b = f.Baseline;
            yield return
            [
                f.Scenario,
                f.Name,
                f.Unit,
                m.Count.ToString(CultureInfo.InvariantCulture),
                Num(m.Min),
                Num(m.Median),
                Num(m.P99),
                Num(m.Max),
                f.BaselineName ?? "",
                b is null ? "" : b.Count.ToString(CultureInfo.InvariantCulture),
                b is null ? "" : Num(b.Median),
                b is null ? "" : Num(b.P99),
                f.Ratio is { } r ? Num(r) + "×" + (f.RatioOf is null or "median" ? "" : " (" + f.RatioOf + ")") : "",
                f.Goal ?? "",
                f.GoalMet switch { true => "yes", false => "NO", null => "" },
            ];
        }
    }

    /// <summary>Three significant digits, no exponent for everyday magnitudes.</summary>
    public static string Num(double value)
    {
        if (!double.IsFinite(value))
        {
            return value.ToString(CultureInfo.InvariantCulture);
        }

        var abs = Math.Abs(value);
        var format = abs switch
        {
            0 => "0",
            >= 1000 => "#,0",
            >= 100 => "0",
            >= 10 => "0.0",
            >= 1 => "0.00",
            >= 0.01 => "0.000",
            _ => "0.00000",
        };
        return value.ToString(format, CultureInfo.InvariantCulture);
    }

    private static string Line(string[] cells, int[] widths) =>
        string.Join(" | ", cells.Select((c, i) => Fit(c, widths[i])));

    private static string Fit(string text, int width) => text.Length > width ? text[..(width - 1)] + "…" : text.PadRight(width);
}
