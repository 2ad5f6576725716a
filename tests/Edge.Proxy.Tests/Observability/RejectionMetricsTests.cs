using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Edge.Proxy.Observability;

namespace Edge.Proxy.Tests.Observability;

public sealed class RejectionMetricsTests : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<(string Instrument, long Value, Dictionary<string, object?> Tags)> _measurements = new();

    public RejectionMetricsTests()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            // Only the rejection counter: listening to the request instruments would allocate on the
            // threads of tests running alongside (EdgeMetricsTests counts the bytes a request allocates).
            if (instrument.Meter.Name == EdgeMetrics.MeterName && instrument.Name == "edge_rejections_total")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var copy = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var tag in tags)
            {
                copy[tag.Key] = tag.Value;
            }

            _measurements.Enqueue((instrument.Name, value, copy));
        });
        _listener.Start();
    }

    [Fact]
    public void Reject_RecordsOneRejectionWithReasonAndPolicy()
    {
        // Other tests may reject at the same time through the shared meter; this policy name is this test's alone.
        var policy = "policy-" + Guid.NewGuid().ToString("N");

        EdgeMetrics.Reject(EdgeMetrics.Reason.RateLimit, policy);

        var (instrument, value, tags) = Assert.Single(_measurements, m => Equals(m.Tags.GetValueOrDefault("policy"), policy));
        Assert.Equal("edge_rejections_total", instrument);
        Assert.Equal(1, value);
        Assert.Equal("rate_limit", tags["reason"]);
        Assert.Equal(["policy", "reason"], tags.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Reject_EachCallCountsOnce()
    {
        var policy = "policy-" + Guid.NewGuid().ToString("N");

        EdgeMetrics.Reject(EdgeMetrics.Reason.Concurrency, policy);
        EdgeMetrics.Reject(EdgeMetrics.Reason.Concurrency, policy);
        EdgeMetrics.Reject(EdgeMetrics.Reason.RateLimit, policy);

        var mine = _measurements.Where(m => Equals(m.Tags.GetValueOrDefault("policy"), policy)).ToList();
        Assert.Equal(3, mine.Sum(m => m.Value));
        Assert.Equal(2, mine.Count(m => Equals(m.Tags["reason"], "concurrency")));
        Assert.Single(mine, m => Equals(m.Tags["reason"], "rate_limit"));
    }

    [Fact]
    public void Reject_WithoutPolicy_EmptyPolicyTag()
    {
        EdgeMetrics.Reject(EdgeMetrics.Reason.BodyTooLarge);

        Assert.Contains(_measurements, m => m.Instrument == "edge_rejections_total"
            && Equals(m.Tags["reason"], "body_too_large")
            && Equals(m.Tags["policy"], string.Empty));
    }

    [Fact]
    public void Rejections_IsACounterOnTheEdgeMeter()
    {
        Assert.Equal("Edge", EdgeMetrics.Meter.Name);
        Assert.Equal("edge_rejections_total", EdgeMetrics.Rejections.Name);
        Assert.Same(EdgeMetrics.Meter, EdgeMetrics.Rejections.Meter);
        Assert.False(string.IsNullOrEmpty(EdgeMetrics.Rejections.Description));
    }

    public void Dispose() => _listener.Dispose();
}
