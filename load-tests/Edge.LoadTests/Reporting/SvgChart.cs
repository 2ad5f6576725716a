using System.Globalization;
using System.Net;
using System.Text;
using Edge.LoadTests.Runner;
using Edge.LoadTests.Scenarios;

namespace Edge.LoadTests.Reporting;

/// <summary>
/// One SVG, one panel per load test: for its main scenario, ok and failed requests per second
/// (left axis) and the ok requests' p99 latency (right axis), per second, with the test's events
/// (an origin killed, a rollback) as vertical marks. A long run's sampled resources get a panel of
/// their own below it, each series as a percentage of its baseline. Written by hand: no charting
/// package is served.
/// </summary>
internal static class SvgChart
{
    private const int Width = 900;
    private const int PanelHeight = 220;
    private const int Left = 60;
    private const int Right = 60;
    private const int Top = 30;
    private const int Bottom = 30;

    public static string Render(IReadOnlyList<LoadTestResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var svg = new StringBuilder();
        var panels = results.Count + results.Count(r => r.Resources is { Count: > 0 });
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{(PanelHeight * panels) + 30}\" font-family=\"sans-serif\" font-size=\"11\">\n");
        svg.Append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        svg.Append("<text x=\"60\" y=\"16\" font-size=\"12\"><tspan fill=\"#2a7\">ok req/s</tspan>  <tspan fill=\"#d33\">failed req/s</tspan>  <tspan fill=\"#36c\">p99 ms (right axis)</tspan></text>\n");
        var y0 = 20;
        foreach (var result in results)
        {
            Panel(svg, result, y0);
            y0 += PanelHeight;
            if (result.Resources is { Count: > 0 } resources)
            {
                ResourcePanel(svg, result, resources, y0);
                y0 += PanelHeight;
            }
        }

        svg.Append("</svg>\n");
        return svg.ToString();
    }

    /// <summary>The scenario a panel shows: the one the test names, else the longest (the load the test is about).</summary>
    private static ScenarioStats? MainScenario(LoadTestResult result)
        => result.Scenarios.FirstOrDefault(s => s.Name == result.Charted) ?? result.Scenarios.OrderByDescending(s => s.Duration).FirstOrDefault();

    private static void Panel(StringBuilder svg, LoadTestResult result, int y0)
    {
        var stats = MainScenario(result);
        var plotWidth = Width - Left - Right;
        var plotHeight = PanelHeight - Top - Bottom;
        var top = y0 + Top;
        var title = result.Timeline is not null ? "the whole run" : stats?.Name ?? "no load";
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left}\" y=\"{top - 8}\" font-weight=\"bold\">{Escape(result.Name)}: {Escape(title)} ({(result.Passed ? "passed" : "FAILED")})</text>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{Left}\" y=\"{top}\" width=\"{plotWidth}\" height=\"{plotHeight}\" fill=\"none\" stroke=\"#999\"/>\n");
        var points = result.Timeline ?? stats?.Timeline(TimeSpan.FromSeconds(1));
        if (points is null || points.Count == 0)
        {
            return;
        }

        var seconds = Math.Max(1, points.Count);
        var maxRate = Nice(points.Max(p => Math.Max(p.OkPerSecond, p.FailedPerSecond)));
        var maxMs = Nice(points.Where(p => !double.IsNaN(p.P99Ms)).Select(p => p.P99Ms).DefaultIfEmpty(1).Max());
        double X(double second) => Left + (second / seconds * plotWidth);
        double Y(double value, double max) => top + plotHeight - (value / max * plotHeight);

        for (var tick = 0; tick <= 4; tick++)
        {
            var y = top + plotHeight - (tick * plotHeight / 4.0);
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" y1=\"{y:0.#}\" x2=\"{Left + plotWidth}\" y2=\"{y:0.#}\" stroke=\"#eee\"/>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 4}\" y=\"{y + 4:0.#}\" text-anchor=\"end\" fill=\"#2a7\">{maxRate * tick / 4:0}</text>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left + plotWidth + 4}\" y=\"{y + 4:0.#}\" fill=\"#36c\">{maxMs * tick / 4:0.#}</text>\n");
        }

        var step = Math.Max(1, seconds / 10);
        for (var s = 0; s <= seconds; s += step)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{X(s):0.#}\" y=\"{top + plotHeight + 14}\" text-anchor=\"middle\">{s} s</text>\n");
        }

        Line(svg, points.Select(p => (X(p.At.TotalSeconds + 0.5), Y(p.OkPerSecond, maxRate))), "#2a7");
        Line(svg, points.Select(p => (X(p.At.TotalSeconds + 0.5), Y(p.FailedPerSecond, maxRate))), "#d33");
        Line(svg, points.Where(p => !double.IsNaN(p.P99Ms)).Select(p => (X(p.At.TotalSeconds + 0.5), Y(p.P99Ms, maxMs))), "#36c");
        foreach (var (at, label) in result.Events)
        {
            var x = X(at.TotalSeconds);
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{x:0.#}\" y1=\"{top}\" x2=\"{x:0.#}\" y2=\"{top + plotHeight}\" stroke=\"#888\" stroke-dasharray=\"4 3\"/>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x + 3:0.#}\" y=\"{top + 12}\" fill=\"#555\">{Escape(label)}</text>\n");
        }
    }

    private static readonly string[] SeriesColours = ["#2a7", "#d33", "#36c", "#a5c", "#e90"];

    /// <summary>Each series as a percentage of its baseline over the run, with the 100 % line; the legend gives each baseline.</summary>
    private static void ResourcePanel(StringBuilder svg, LoadTestResult result, IReadOnlyList<ResourceSeries> resources, int y0)
    {
        var plotWidth = Width - Left - Right;
        var plotHeight = PanelHeight - Top - Bottom;
        var top = y0 + Top;
        var legend = string.Join("  ", resources.Select((r, i) => string.Create(CultureInfo.InvariantCulture, $"<tspan fill=\"{SeriesColours[i % SeriesColours.Length]}\">{Escape(r.Name)} (100 % = {r.Baseline:0.#} {Escape(r.Unit)})</tspan>")));
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left}\" y=\"{top - 8}\"><tspan font-weight=\"bold\">{Escape(result.Name)}: resources, % of the baseline</tspan>  {legend}</text>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{Left}\" y=\"{top}\" width=\"{plotWidth}\" height=\"{plotHeight}\" fill=\"none\" stroke=\"#999\"/>\n");
        var percentages = resources
            .Select(r => r.Samples.Where(_ => r.Baseline > 0).Select(s => (s.At.TotalSeconds, Percent: s.Value / r.Baseline * 100)).ToList())
            .ToList();
        var all = percentages.SelectMany(p => p).ToList();
        if (all.Count == 0)
        {
            return;
        }

        var seconds = Math.Max(1, all.Max(p => p.TotalSeconds));
        var low = Math.Floor(Math.Min(95, all.Min(p => p.Percent)) / 5) * 5;
        var high = Math.Ceiling(Math.Max(105, all.Max(p => p.Percent)) / 5) * 5;
        double X(double second) => Left + (second / seconds * plotWidth);
        double Y(double percent) => top + plotHeight - ((percent - low) / (high - low) * plotHeight);
        for (var tick = 0; tick <= 4; tick++)
        {
            var value = low + ((high - low) * tick / 4);
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" y1=\"{Y(value):0.#}\" x2=\"{Left + plotWidth}\" y2=\"{Y(value):0.#}\" stroke=\"#eee\"/>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 4}\" y=\"{Y(value) + 4:0.#}\" text-anchor=\"end\">{value:0.#} %</text>\n");
        }

        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" y1=\"{Y(100):0.#}\" x2=\"{Left + plotWidth}\" y2=\"{Y(100):0.#}\" stroke=\"#999\" stroke-dasharray=\"2 2\"/>\n");
        var step = Math.Max(1, (int)seconds / 10);
        for (var s = 0; s <= seconds; s += step)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{X(s):0.#}\" y=\"{top + plotHeight + 14}\" text-anchor=\"middle\">{s} s</text>\n");
        }

        for (var i = 0; i < percentages.Count; i++)
        {
            Line(svg, percentages[i].Select(p => (X(p.TotalSeconds), Y(p.Percent))), SeriesColours[i % SeriesColours.Length]);
        }

        foreach (var (at, label) in result.Events)
        {
            var x = X(at.TotalSeconds);
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{x:0.#}\" y1=\"{top}\" x2=\"{x:0.#}\" y2=\"{top + plotHeight}\" stroke=\"#888\" stroke-dasharray=\"4 3\"/>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x + 3:0.#}\" y=\"{top + 12}\" fill=\"#555\">{Escape(label)}</text>\n");
        }
    }

    private static void Line(StringBuilder svg, IEnumerable<(double X, double Y)> points, string colour)
    {
        var list = string.Join(' ', points.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.X:0.#},{p.Y:0.#}")));
        if (list.Length > 0)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<polyline points=\"{list}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.5\"/>\n");
        }
    }

    /// <summary>A round axis maximum at or above the value: 1, 2 or 5 times a power of ten.</summary>
    internal static double Nice(double value)
    {
        if (value <= 0 || double.IsNaN(value))
        {
            return 1;
        }

        var power = Math.Pow(10, Math.Floor(Math.Log10(value)));
        foreach (var factor in new[] { 1.0, 2.0, 5.0, 10.0 })
        {
            if (value <= factor * power)
            {
                return factor * power;
            }
        }

        return 10 * power;
    }

    private static string Escape(string text) => WebUtility.HtmlEncode(text);
}
