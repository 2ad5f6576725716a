using System.Globalization;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace Edge.Proxy.Observability;

/// <summary>
/// Aggregates the measurements of the exported meters with the OpenTelemetry SDK (cumulative,
/// lock-free lookups, no allocation per measurement once a series exists) and hands them over as
/// Prometheus families on each scrape (see docs/decisions/0004-metrics.md). Observable
/// instruments are read only then. Create it at startup: what happens before it exists is not counted.
/// </summary>
internal sealed class MetricsCollector : IDisposable
{
    /// <summary>The edge's own meter, the .NET runtime, Kestrel and outbound HTTP.</summary>
    public static readonly IReadOnlyList<string> DefaultMeters =
        [EdgeMetrics.MeterName, "System.Runtime", "Microsoft.AspNetCore.Server.Kestrel", OutboundHttpMeter];

    /// <summary>System.Net.Http's meter: nothing listens to it, so the client records nothing, unless it is exported.</summary>
    public const string OutboundHttpMeter = "System.Net.Http";

    /// <summary>The meters to export: all of <see cref="DefaultMeters"/>, or all but outbound HTTP.</summary>
    public static IReadOnlyList<string> Meters(bool outboundHttp)
        => outboundHttp ? DefaultMeters : [.. DefaultMeters.Where(m => m != OutboundHttpMeter)];

    /// <summary>
    /// System.Net.Http's gauges that move on every request: a request in flight, and a pooled
    /// connection going active and idle again. Not exported unless Edge:Metrics:OutboundHttpGauges
    /// asks; dropped, the client does not record them at all (docs/performance.md).
    /// </summary>
    public static readonly IReadOnlySet<string> PerRequestGauges = new HashSet<string>(StringComparer.Ordinal)
    {
        "http.client.active_requests",
        "http.client.open_connections",
    };

    // .NET publishes these as observable counters, but they go down as well as up (the semantic
    // conventions make them UpDownCounters); exported as counters, rate() would read every drop as a reset.
    private static readonly HashSet<string> GaugesPublishedAsCounters = new(StringComparer.Ordinal)
    {
        "dotnet.thread_pool.thread.count",
        "dotnet.thread_pool.queue.length",
    };

    private readonly Lock _gate = new();
    private readonly PullExporter _exporter = new();
    private readonly BaseExportingMetricReader _reader;
    private readonly MeterProvider _provider;

    /// <param name="meters">The meters to export.</param>
    /// <param name="dropped">Instruments of those meters not to export. Nothing then listens to them, so they record nothing.</param>
    public MetricsCollector(IEnumerable<string> meters, IReadOnlySet<string>? dropped = null)
    {
        _reader = new BaseExportingMetricReader(_exporter);
        var builder = Sdk.CreateMeterProviderBuilder()
            .AddMeter([.. meters])
            .SetExemplarFilter(ExemplarFilterType.AlwaysOff);
        if (dropped is { Count: > 0 })
        {
            builder.AddView(instrument => dropped.Contains(instrument.Name) ? MetricStreamConfiguration.Drop : null);
        }

        _provider = builder
            .AddReader(_reader)
            .Build();
    }

    /// <summary>Every series of the exported meters as they stand now.</summary>
    public IReadOnlyList<MetricFamily> Collect()
    {
        // The SDK folds concurrent collections into one export; one at a time, each scrape gets its own.
        lock (_gate)
        {
            _exporter.Families = null;
            _reader.Collect();
            return _exporter.Families ?? [];
        }
    }

    public void Dispose() => _provider.Dispose();

    private static MetricFamily? Convert(Metric metric)
    {
        MetricKind? kind = metric.MetricType switch
        {
            MetricType.LongSum or MetricType.DoubleSum => GaugesPublishedAsCounters.Contains(metric.Name) ? MetricKind.Gauge : MetricKind.Counter,
            MetricType.LongSumNonMonotonic or MetricType.DoubleSumNonMonotonic or MetricType.LongGauge or MetricType.DoubleGauge => MetricKind.Gauge,
            MetricType.Histogram => MetricKind.Histogram,
            _ => null,
        };
        if (kind is not { } k)
        {
            return null;
        }

        var samples = new List<MetricSample>();
        foreach (ref readonly var point in metric.GetMetricPoints())
        {
            var labels = new List<KeyValuePair<string, string>>();
            foreach (var tag in point.Tags)
            {
                labels.Add(new(PrometheusNames.Label(tag.Key), LabelValue(tag.Value)));
            }

            samples.Add(metric.MetricType switch
            {
                MetricType.LongSum or MetricType.LongSumNonMonotonic => new MetricSample(labels, point.GetSumLong()),
                MetricType.DoubleSum or MetricType.DoubleSumNonMonotonic => new MetricSample(labels, point.GetSumDouble()),
                MetricType.LongGauge => new MetricSample(labels, point.GetGaugeLastValueLong()),
                MetricType.DoubleGauge => new MetricSample(labels, point.GetGaugeLastValueDouble()),
                _ => new MetricSample(labels, 0, Histogram(point)),
            });
        }

        return samples.Count == 0
            ? null
            : new MetricFamily(PrometheusNames.Metric(metric.Name, metric.Unit, k), k, string.IsNullOrEmpty(metric.Description) ? metric.Name : metric.Description, samples);
    }

    private static HistogramData Histogram(in MetricPoint point)
    {
        var bounds = new List<double>();
        var counts = new List<long>();
        foreach (var bucket in point.GetHistogramBuckets())
        {
            if (!double.IsPositiveInfinity(bucket.ExplicitBound))
            {
                bounds.Add(bucket.ExplicitBound);
            }

            counts.Add(bucket.BucketCount);
        }

        if (counts.Count == bounds.Count)
        {
            // A histogram without buckets reports only its count.
            counts.Add(point.GetHistogramCount());
        }

        return new HistogramData(bounds, counts, point.GetHistogramSum());
    }

    private static string LabelValue(object? value) => value switch
    {
        null => string.Empty,
        string s => s,
        bool b => b ? "true" : "false",
        _ => System.Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty,
    };

    /// <summary>
    /// Converts what the reader collects into families while the SDK's points are valid (during
    /// Export). Nothing but <see cref="Collect"/> calls it: no periodic reader pushes.
    /// </summary>
    private sealed class PullExporter : BaseExporter<Metric>
    {
        public List<MetricFamily>? Families { get; set; }

        public override ExportResult Export(in Batch<Metric> batch)
        {
            var families = new Dictionary<string, MetricFamily>(StringComparer.Ordinal);
            foreach (var metric in batch)
            {
                // Two instruments that map to one Prometheus name would make the exposition invalid: the first wins.
                if (Convert(metric) is { } family)
                {
                    families.TryAdd(family.Name, family);
                }
            }

            Families = [.. families.Values];
            return ExportResult.Success;
        }
    }
}
