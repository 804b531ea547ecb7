using System.Globalization;
using System.Net;
using System.Text;

namespace EdgeGateway.Bench.Reporting;

/// <summary>Two self-contained SVG charts: every ratio to its baseline, and latency distributions (CDF).</summary>
public static class SvgCharts
{
    private const int LabelWidth = 520;
    private const int PlotWidth = 520;
    private const int RowHeight = 22;
    private static readonly string[] Palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"];

    /// <summary>One bar per figure with a ratio, on a log scale; green when the goal is met, red when not, grey without a goal.</summary>
    public static string Ratios(BenchReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var figures = report.Figures.Where(f => f.Ratio is > 0 && double.IsFinite(f.Ratio.Value)).ToList();
        var min = Math.Min(0.5, figures.Count == 0 ? 0.5 : figures.Min(f => f.Ratio!.Value));
        var max = Math.Max(2, figures.Count == 0 ? 2 : figures.Max(f => f.Ratio!.Value));
        var lo = Math.Floor(Math.Log10(min));
        var hi = Math.Ceiling(Math.Log10(max));
        double X(double ratio) => LabelWidth + ((Math.Log10(ratio) - lo) / (hi - lo) * PlotWidth);

        var height = 60 + (figures.Count * RowHeight) + 30;
        var svg = Begin(LabelWidth + PlotWidth + 120, height);
        Text(svg, 10, 22, $"EdgeGateway benchmark ({report.Mode}, {report.StartedAt:yyyy-MM-dd}): measured ÷ baseline, same run (log scale)", 14, "bold");
        for (var decade = lo; decade <= hi; decade++)
        {
            var x = X(Math.Pow(10, decade));
            svg.AppendLine(CultureInfo.InvariantCulture, $"<line x1=\"{x:0.#}\" y1=\"40\" x2=\"{x:0.#}\" y2=\"{height - 25}\" stroke=\"#ddd\"/>");
            Text(svg, x - 10, height - 10, Math.Pow(10, decade).ToString("0.###", CultureInfo.InvariantCulture) + "×", 11);
        }

        var one = X(1);
        svg.AppendLine(CultureInfo.InvariantCulture, $"<line x1=\"{one:0.#}\" y1=\"40\" x2=\"{one:0.#}\" y2=\"{height - 25}\" stroke=\"#333\" stroke-dasharray=\"4 3\"/>");
        var y = 50;
        foreach (var f in figures)
        {
            var ratio = f.Ratio!.Value;
            var colour = f.GoalMet switch { true => "#2ca02c", false => "#d62728", null => "#8c8c8c" };
            var x1 = Math.Min(one, X(ratio));
            var x2 = Math.Max(one, X(ratio));
            Text(svg, 10, y + 14, Shorten($"{f.Scenario} · {f.Name}", 78), 11);
            svg.AppendLine(CultureInfo.InvariantCulture, $"<rect x=\"{x1:0.#}\" y=\"{y + 3}\" width=\"{Math.Max(1, x2 - x1):0.#}\" height=\"{RowHeight - 8}\" fill=\"{colour}\"/>");
            Text(svg, x2 + 4, y + 14, TableWriter.Num(ratio) + "×" + (f.RatioOf is null or "median" ? "" : " " + f.RatioOf), 11);
            y += RowHeight;
        }

        return End(svg);
    }

    /// <summary>Cumulative distributions of the latency series, log-scaled time axis.</summary>
    public static string LatencyCdf(BenchReport report, string title, IReadOnlyList<SampleSeries> series)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(series);
        const int Left = 70;
        const int Top = 40;
        const int Width = 760;
        const int Height = 380;
        var all = series.SelectMany(s => s.Values).Where(v => v > 0).ToList();
        var lo = Math.Floor(Math.Log10(all.Count == 0 ? 0.1 : all.Min()));
        var hi = Math.Ceiling(Math.Log10(all.Count == 0 ? 10 : all.Max()));
        if (hi <= lo)
        {
            hi = lo + 1;
        }

        double X(double v) => Left + ((Math.Log10(Math.Max(v, Math.Pow(10, lo))) - lo) / (hi - lo) * Width);
        double Y(double p) => Top + ((1 - p) * Height);

        var svg = Begin(Left + Width + 320, Top + Height + 60);
        Text(svg, 10, 22, title, 14, "bold");
        for (var decade = lo; decade <= hi; decade++)
        {
            var x = X(Math.Pow(10, decade));
            svg.AppendLine(CultureInfo.InvariantCulture, $"<line x1=\"{x:0.#}\" y1=\"{Top}\" x2=\"{x:0.#}\" y2=\"{Top + Height}\" stroke=\"#ddd\"/>");
            Text(svg, x - 12, Top + Height + 18, Math.Pow(10, decade).ToString("0.###", CultureInfo.InvariantCulture), 11);
        }

        foreach (var p in new[] { 0.0, 0.5, 0.9, 0.99, 1.0 })
        {
            svg.AppendLine(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" y1=\"{Y(p):0.#}\" x2=\"{Left + Width}\" y2=\"{Y(p):0.#}\" stroke=\"#eee\"/>");
            Text(svg, 10, Y(p) + 4, "p" + (p * 100).ToString("0", CultureInfo.InvariantCulture), 11);
        }

        Text(svg, Left + (Width / 2) - 20, Top + Height + 40, series.FirstOrDefault()?.Unit ?? string.Empty, 12);
        for (var i = 0; i < series.Count; i++)
        {
            var s = series[i];
            var sorted = s.Values.OrderBy(v => v).ToArray();
            if (sorted.Length == 0)
            {
                continue;
            }

            var colour = Palette[i % Palette.Length];
            var step = Math.Max(1, sorted.Length / 1000);
            var points = new StringBuilder();
            for (var k = 0; k < sorted.Length; k += step)
            {
                points.Append(CultureInfo.InvariantCulture, $"{X(sorted[k]):0.#},{Y((k + 1.0) / sorted.Length):0.#} ");
            }

            points.Append(CultureInfo.InvariantCulture, $"{X(sorted[^1]):0.#},{Y(1):0.#}");
            svg.AppendLine(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{points}\"/>");
            svg.AppendLine(CultureInfo.InvariantCulture, $"<rect x=\"{Left + Width + 15}\" y=\"{Top + 10 + (i * 20)}\" width=\"12\" height=\"12\" fill=\"{colour}\"/>");
            Text(svg, Left + Width + 32, Top + 21 + (i * 20), Shorten($"{s.Name} (n={s.Values.Length})", 44), 11);
        }

        return End(svg);
    }

    private static StringBuilder Begin(int width, int height)
    {
        var svg = new StringBuilder();
        svg.AppendLine(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\">");
        svg.AppendLine(CultureInfo.InvariantCulture, $"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>");
        return svg;
    }

    private static string End(StringBuilder svg) => svg.AppendLine("</svg>").ToString();

    private static void Text(StringBuilder svg, double x, double y, string text, int size, string weight = "normal") =>
        svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{x:0.#}\" y=\"{y:0.#}\" font-size=\"{size}\" font-weight=\"{weight}\">{WebUtility.HtmlEncode(text)}</text>");

    private static string Shorten(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
