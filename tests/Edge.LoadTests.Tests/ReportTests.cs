using System.Xml.Linq;
using Edge.LoadTests.Reporting;
using Edge.LoadTests.Runner;
using Edge.LoadTests.Scenarios;

namespace Edge.LoadTests.Tests;

public sealed class ReportTests
{
    private static LoadTestResult Result(bool passes)
    {
        var stats = new ScenarioStats("steady") { Duration = TimeSpan.FromSeconds(3) };
        for (var i = 0; i < 300; i++)
        {
            stats.Add(new Sample(TimeSpan.FromMilliseconds(i * 10), 1 + (i % 10), Response.Ok()));
        }

        return new LoadTestResult("steady", "Steady <load> & more.", [stats], [new ThresholdResult("p99 < 50 ms", "10.0 ms", passes)], string.Empty, TimeSpan.FromSeconds(4), [(TimeSpan.FromSeconds(1), "origin killed")]);
    }

    [Fact]
    public void Markdown_ScenarioRowAndThresholds()
    {
        var text = MarkdownReport.Render([Result(true), Result(false) with { Name = "other" }], "full", "report.svg", TimeSpan.FromSeconds(9));

        Assert.Contains("| steady | 300 | 300 | 0 | 100 | 5.0 | 8.0 | 10.0 | 10.0 | 200: 300 |", text, StringComparison.Ordinal);
        Assert.Contains("| p99 < 50 ms | 10.0 ms | pass |", text, StringComparison.Ordinal);
        Assert.Contains("| p99 < 50 ms | 10.0 ms | FAIL |", text, StringComparison.Ordinal);
        Assert.Contains("| [other](#other) | FAILED | 4.0 s |", text, StringComparison.Ordinal);
        Assert.Contains("![requests per second and p99 latency over time](report.svg)", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Svg_IsWellFormedXml_OnePanelPerTest_WithEvents()
    {
        var svg = SvgChart.Render([Result(true), Result(false)]);

        var document = XDocument.Parse(svg);
        XNamespace ns = "http://www.w3.org/2000/svg";
        Assert.Equal(ns + "svg", document.Root!.Name);
        Assert.Equal(6, document.Descendants(ns + "polyline").Count());
        Assert.Equal(2, document.Descendants(ns + "text").Count(t => t.Value == "origin killed"));
        Assert.Contains(document.Descendants(ns + "text"), t => t.Value.Contains("Steady", StringComparison.Ordinal) || t.Value.Contains("steady", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(0.7, 1)]
    [InlineData(1.5, 2)]
    [InlineData(3, 5)]
    [InlineData(7, 10)]
    [InlineData(151, 200)]
    public void Nice_RoundsUpToOneTwoOrFive(double value, double expected) => Assert.Equal(expected, SvgChart.Nice(value));
}

public sealed class LongRunReportTests
{
    [Fact]
    public void Svg_WithResources_AddsAPanelDrawnAgainstEachBaseline_AndUsesTheGivenTimeline()
    {
        var samples = Enumerable.Range(0, 10).Select(i => new ResourceSample(TimeSpan.FromSeconds(i * 10), 100 + i)).ToList();
        ResourceSeries[] resources = [new("RSS", "MiB", samples, 100), new("threads", "threads", samples, 50)];
        TimelinePoint[] timeline = [new(TimeSpan.Zero, 10, 0, 5), new(TimeSpan.FromSeconds(1), 10, 1, 6)];
        var result = new LoadTestResult("soak", "Soak.", [], [new ThresholdResult("t", "m", true)], string.Empty, TimeSpan.FromSeconds(100), [(TimeSpan.FromSeconds(60), "first window")], null, timeline, resources);

        var document = XDocument.Parse(SvgChart.Render([result]));

        XNamespace ns = "http://www.w3.org/2000/svg";
        // 3 lines (ok, failed, p99) from the given timeline, plus one per resource.
        Assert.Equal(5, document.Descendants(ns + "polyline").Count());
        Assert.Contains(document.Descendants(ns + "tspan"), t => t.Value == "RSS (100 % = 100 MiB)");
        Assert.Contains(document.Descendants(ns + "text"), t => t.Value.StartsWith("soak: the whole run", StringComparison.Ordinal));
        Assert.Equal(2, document.Descendants(ns + "text").Count(t => t.Value == "first window"));
        Assert.Equal("470", document.Root!.Attribute("height")!.Value);
    }
}
