using System.Text;
using BenchmarkDotNet.Attributes;
using Edge.Proxy.Observability;

namespace Edge.Benchmarks;

/// <summary>
/// One <c>/metrics</c> exposition of a busy edge: 10 routes x 4 destinations x 5 status codes of
/// <c>edge_requests_total</c>, and a 16-bucket duration histogram per route.
/// </summary>
[MemoryDiagnoser]
public class PrometheusTextBenchmarks
{
    private readonly StringBuilder _text = new(256 * 1024);
    private List<MetricFamily> _families = null!;

    [GlobalSetup]
    public void Setup()
    {
        var requests = new List<MetricSample>();
        var durations = new List<MetricSample>();
        double[] bounds = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
        for (var route = 0; route < 10; route++)
        {
            for (var destination = 0; destination < 4; destination++)
            {
                foreach (var code in new[] { "200", "404", "429", "502", "504" })
                {
                    requests.Add(new MetricSample(
                        [new("route", $"route-{route}"), new("cluster", $"cluster-{route}"), new("destination", $"d-{destination}"), new("code", code)],
                        route * 1000 + destination));
                }
            }

            durations.Add(new MetricSample(
                [new("route", $"route-{route}"), new("cluster", $"cluster-{route}")],
                0,
                new HistogramData(bounds, Enumerable.Range(0, bounds.Length + 1).Select(i => (long)i * 7).ToArray(), 123.4)));
        }

        _families =
        [
            new MetricFamily("edge_requests_total", MetricKind.Counter, "Requests.", requests),
            new MetricFamily("edge_request_duration_seconds", MetricKind.Histogram, "Durations.", durations),
        ];
    }

    [Benchmark]
    public int Write()
    {
        _text.Clear();
        PrometheusText.Write(_text, _families);
        return _text.Length;
    }
}
