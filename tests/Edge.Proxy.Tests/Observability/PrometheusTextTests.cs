using Edge.Proxy.Observability;

namespace Edge.Proxy.Tests.Observability;

public sealed class PrometheusTextTests
{
    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("say \"hi\"", "say \\\"hi\\\"")]
    [InlineData(@"C:\edge\", @"C:\\edge\\")]
    [InlineData("two\nlines", "two\\nlines")]
    [InlineData("\\\"\n", "\\\\\\\"\\n")]
    [InlineData("", "")]
    [InlineData("ünïcode ✓", "ünïcode ✓")]
    public void EscapeLabelValue_QuoteBackslashNewline_Escaped(string value, string expected)
    {
        Assert.Equal(expected, PrometheusText.EscapeLabelValue(value));
    }

    [Fact]
    public void Write_LabelValuesWithQuoteBackslashNewline_EscapedInTheSampleLine()
    {
        var family = new MetricFamily("edge_test_total", MetricKind.Counter, "Test.", [Sample(3, ("route", "a\"b\\c\nd"))]);

        var text = PrometheusText.Write([family]);

        Assert.Equal(
            "# HELP edge_test_total Test.\n"
            + "# TYPE edge_test_total counter\n"
            + "edge_test_total{route=\"a\\\"b\\\\c\\nd\"} 3\n",
            text);
    }

    [Fact]
    public void Write_HelpWithBackslashAndNewline_EscapedQuotesLeftAsTheyAre()
    {
        var family = new MetricFamily("g", MetricKind.Gauge, "a \"b\" c\\d\ne", [Sample(1)]);

        var text = PrometheusText.Write([family]);

        Assert.StartsWith("# HELP g a \"b\" c\\\\d\\ne\n# TYPE g gauge\ng 1\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_SameStateInAnyOrder_SameTextSortedByNameThenLabels()
    {
        MetricFamily Requests(bool reversed)
        {
            MetricSample[] samples =
            [
                Sample(1, ("route", "b"), ("code", "200")),
                Sample(2, ("code", "200"), ("route", "a")),
                Sample(3, ("route", "a"), ("code", "404")),
            ];
            return new MetricFamily("edge_requests_total", MetricKind.Counter, "Requests.", reversed ? [.. samples.Reverse()] : samples);
        }

        var inflight = new MetricFamily("edge_inflight_requests", MetricKind.Gauge, "In flight.", [Sample(0)]);
        var alpha = new MetricFamily("alpha", MetricKind.Gauge, "First.", [Sample(7)]);

        var one = PrometheusText.Write([Requests(false), inflight, alpha]);
        var other = PrometheusText.Write([alpha, Requests(true), inflight]);

        Assert.Equal(one, other);
        Assert.Equal(
            "# HELP alpha First.\n# TYPE alpha gauge\nalpha 7\n"
            + "# HELP edge_inflight_requests In flight.\n# TYPE edge_inflight_requests gauge\nedge_inflight_requests 0\n"
            + "# HELP edge_requests_total Requests.\n# TYPE edge_requests_total counter\n"
            + "edge_requests_total{code=\"200\",route=\"a\"} 2\n"
            + "edge_requests_total{code=\"200\",route=\"b\"} 1\n"
            + "edge_requests_total{code=\"404\",route=\"a\"} 3\n",
            one);
    }

    [Fact]
    public void Write_Histogram_CumulativeBucketsThenInfSumAndCount()
    {
        // 1 observation up to 0.1, 2 in (0.1, 1], 3 above 1.
        var histogram = new HistogramData([0.1, 1], [1, 2, 3], 12.5);
        var family = new MetricFamily("edge_request_duration_seconds", MetricKind.Histogram, "Duration.",
            [new MetricSample([new("route", "api")], 0, histogram)]);

        var text = PrometheusText.Write([family]);

        Assert.Equal(
            "# HELP edge_request_duration_seconds Duration.\n"
            + "# TYPE edge_request_duration_seconds histogram\n"
            + "edge_request_duration_seconds_bucket{route=\"api\",le=\"0.1\"} 1\n"
            + "edge_request_duration_seconds_bucket{route=\"api\",le=\"1\"} 3\n"
            + "edge_request_duration_seconds_bucket{route=\"api\",le=\"+Inf\"} 6\n"
            + "edge_request_duration_seconds_sum{route=\"api\"} 12.5\n"
            + "edge_request_duration_seconds_count{route=\"api\"} 6\n",
            text);
    }

    [Fact]
    public void Write_HistogramWithoutLabels_LeIsTheOnlyLabel()
    {
        var family = new MetricFamily("h", MetricKind.Histogram, "H.", [new MetricSample([], 0, new HistogramData([0.5], [0, 1], 0.75))]);

        var text = PrometheusText.Write([family]);

        Assert.Contains("h_bucket{le=\"0.5\"} 0\nh_bucket{le=\"+Inf\"} 1\nh_sum 0.75\nh_count 1\n", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(42d, "42")]
    [InlineData(0.25, "0.25")]
    [InlineData(0.001, "0.001")]
    [InlineData(-3.5, "-3.5")]
    [InlineData(double.PositiveInfinity, "+Inf")]
    [InlineData(double.NegativeInfinity, "-Inf")]
    [InlineData(double.NaN, "NaN")]
    public void FormatValue_Numbers_PrometheusSpelling(double value, string expected)
    {
        Assert.Equal(expected, PrometheusText.FormatValue(value));
    }

    private static MetricSample Sample(double value, params (string Name, string Value)[] labels)
        => new([.. labels.Select(l => new KeyValuePair<string, string>(l.Name, l.Value))], value);
}
