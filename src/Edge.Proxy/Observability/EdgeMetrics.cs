using System.Diagnostics.Metrics;

namespace Edge.Proxy.Observability;

/// <summary>
/// The edge's own instruments (System.Diagnostics.Metrics). Instrument names are the Prometheus
/// names from PRODUCT.md, so the exporter writes them as they are. With no listener attached an
/// instrument's Add is a single check, so recording costs nothing until metrics are scraped.
/// </summary>
internal static class EdgeMetrics
{
    public const string MeterName = "Edge";

    public static readonly Meter Meter = new(MeterName);

    /// <summary>Requests the edge refused itself, by <c>reason</c> and <c>policy</c>.</summary>
    public static readonly Counter<long> Rejections = Meter.CreateCounter<long>(
        "edge_rejections_total", unit: null, description: "Requests the edge refused itself, by reason and policy.");

    /// <summary>Reasons for <see cref="Rejections"/>, as PRODUCT.md lists them.</summary>
    public static class Reason
    {
        public const string RateLimit = "rate_limit";
        public const string Concurrency = "concurrency";
        public const string BodyTooLarge = "body_too_large";
        public const string NoHealthyDestination = "no_healthy_destination";
        public const string CircuitOpen = "circuit_open";
        public const string Draining = "draining";
    }

    public static void Reject(string reason, string policy = "")
        => Rejections.Add(1, new KeyValuePair<string, object?>("reason", reason), new KeyValuePair<string, object?>("policy", policy));
}
