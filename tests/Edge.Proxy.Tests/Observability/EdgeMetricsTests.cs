using System.Diagnostics;
using Edge.Proxy.Observability;
using Xunit.Abstractions;

namespace Edge.Proxy.Tests.Observability;

public sealed class EdgeMetricsTests(ITestOutputHelper output)
{
    [Fact]
    public void RequestFinished_CollectorListening_CountedWithConfigIdsAndNoAllocationPerRequest()
    {
        const int requests = 200_000;
        using var collector = new MetricsCollector([EdgeMetrics.MeterName]);
        // The first request of a label set creates its series; later ones only add to it.
        const int warmUp = 1_000;
        for (var i = 0; i < warmUp; i++)
        {
            EdgeMetrics.RequestStarted();
            EdgeMetrics.RequestFinished("api", "backend", "b1", 200, 0.003);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < requests; i++)
        {
            EdgeMetrics.RequestStarted();
            EdgeMetrics.RequestFinished("api", "backend", "b1", 200, 0.003);
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
        output.WriteLine($"{requests} requests recorded in {elapsed.TotalMilliseconds:0.0} ms ({elapsed.TotalNanoseconds / requests:0} ns each), {allocated} bytes allocated.");

        // A one-off allocation (tiered JIT, the SDK's thread-local buffers) is fine; one per request would be 200 kB at least.
        Assert.True(allocated < 1024, $"{allocated} bytes allocated for {requests} requests.");
        var families = collector.Collect().ToDictionary(f => f.Name);
        var counted = Assert.Single(families["edge_requests_total"].Samples);
        Assert.Equal(warmUp + requests, counted.Value);
        Assert.Equal(
            new Dictionary<string, string> { ["route"] = "api", ["cluster"] = "backend", ["destination"] = "b1", ["code"] = "200" },
            counted.Labels.ToDictionary());
        var duration = Assert.Single(families["edge_request_duration_seconds"].Samples).Histogram;
        Assert.NotNull(duration);
        Assert.Equal(EdgeMetrics.DurationBuckets, duration.Bounds);
        Assert.Equal(warmUp + requests, duration.Counts.Sum());
    }
}
