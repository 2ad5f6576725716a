using System.Diagnostics.Metrics;
using Edge.Proxy.Observability;

namespace Edge.Proxy.Tests.Observability;

/// <summary>The OpenTelemetry SDK's aggregation, read back as Prometheus families, on a meter of the test's own.</summary>
public sealed class MetricsCollectorTests : IDisposable
{
    private readonly Meter _meter = new($"Edge.Tests.{Guid.NewGuid():N}");
    private readonly MetricsCollector _collector;

    public MetricsCollectorTests() => _collector = new MetricsCollector([_meter.Name]);

    public void Dispose()
    {
        _collector.Dispose();
        _meter.Dispose();
    }

    [Fact]
    public void Collect_NothingRecorded_NoFamily()
    {
        _meter.CreateCounter<long>("edge_unused_total");

        Assert.Empty(_collector.Collect());
    }

    [Fact]
    public void Collect_CounterAndUpDownCounter_CounterAndGaugeWithTheirTags()
    {
        var counter = _meter.CreateCounter<long>("demo.requests", unit: "{request}", description: "Demo requests.");
        var open = _meter.CreateUpDownCounter<long>("demo.open_connections", unit: "{connection}");
        counter.Add(2, new KeyValuePair<string, object?>("http.route", "a"));
        counter.Add(3, new KeyValuePair<string, object?>("http.route", "b"));
        counter.Add(1, new KeyValuePair<string, object?>("http.route", "a"));
        open.Add(5);
        open.Add(-2);

        var families = _collector.Collect().ToDictionary(f => f.Name);

        var requests = families["demo_requests_total"];
        Assert.Equal(MetricKind.Counter, requests.Kind);
        Assert.Equal("Demo requests.", requests.Help);
        var byRoute = requests.Samples.ToDictionary(s => Assert.Single(s.Labels).Value, s => s.Value);
        Assert.Equal(new Dictionary<string, double> { ["a"] = 3, ["b"] = 3 }, byRoute);
        Assert.Equal("http_route", requests.Samples[0].Labels[0].Key);
        var connections = families["demo_open_connections"];
        Assert.Equal(MetricKind.Gauge, connections.Kind);
        Assert.Equal(3, Assert.Single(connections.Samples).Value);
    }

    [Fact]
    public void Collect_HistogramWithAdvisedBuckets_CountsPerBucketSumAndTotal()
    {
        var histogram = _meter.CreateHistogram("demo_duration_seconds", unit: "s", description: null, tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 1] });
        foreach (var seconds in new[] { 0.05, 0.5, 0.5, 5 })
        {
            histogram.Record(seconds);
        }

        var family = Assert.Single(_collector.Collect());
        var data = Assert.Single(family.Samples).Histogram;

        Assert.Equal(MetricKind.Histogram, family.Kind);
        Assert.NotNull(data);
        Assert.Equal([0.1, 1], data.Bounds);
        Assert.Equal([1L, 2, 1], data.Counts);
        Assert.Equal(6.05, data.Sum, precision: 10);
        var text = PrometheusText.Write([family]);
        Assert.Contains("demo_duration_seconds_bucket{le=\"0.1\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("demo_duration_seconds_bucket{le=\"1\"} 3\n", text, StringComparison.Ordinal);
        Assert.Contains("demo_duration_seconds_bucket{le=\"+Inf\"} 4\n", text, StringComparison.Ordinal);
        Assert.Contains("demo_duration_seconds_count 4\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Collect_ObservableGauge_ReadAtEachCollect()
    {
        var value = 1L;
        _meter.CreateObservableGauge("demo_level", () => value);

        Assert.Equal(1, Assert.Single(Assert.Single(_collector.Collect()).Samples).Value);
        value = 7;
        Assert.Equal(7, Assert.Single(Assert.Single(_collector.Collect()).Samples).Value);
    }

    [Fact]
    public void Collect_RuntimeThreadCountPublishedAsObservableCounter_ExportedAsGauge()
    {
        _meter.CreateObservableCounter("dotnet.thread_pool.thread.count", () => 4L, unit: "{thread}");

        var family = Assert.Single(_collector.Collect());

        Assert.Equal("dotnet_thread_pool_thread_count_value", family.Name);
        Assert.Equal(MetricKind.Gauge, family.Kind);
    }

    [Fact]
    public void Collect_Counters_CumulativeAcrossCollects()
    {
        var counter = _meter.CreateCounter<long>("demo_total");
        counter.Add(2);
        _collector.Collect();
        counter.Add(3);

        Assert.Equal(5, Assert.Single(Assert.Single(_collector.Collect()).Samples).Value);
    }
}
