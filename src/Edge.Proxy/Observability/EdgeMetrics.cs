using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;

namespace Edge.Proxy.Observability;

/// <summary>
/// The edge's own instruments (System.Diagnostics.Metrics). Instrument names are the Prometheus
/// names from PRODUCT.md, so the exporter writes them as they are. With no listener attached an
/// instrument's Add is a single check, so recording costs nothing until metrics are scraped.
/// A new instrument here is exported at <c>/metrics</c> without any other change.
/// </summary>
internal static class EdgeMetrics
{
    public const string MeterName = "Edge";

    public static readonly Meter Meter = new(MeterName);

    /// <summary>Buckets of <see cref="RequestDuration"/>, in seconds: from a fast cache hit to a long upload.</summary>
    public static readonly IReadOnlyList<double> DurationBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    /// <summary>Requests on the public listener, by <c>route</c>, <c>cluster</c>, <c>destination</c> and status <c>code</c>.</summary>
    public static readonly Counter<long> Requests = Meter.CreateCounter<long>(
        "edge_requests_total", unit: null, description: "Requests answered on the public listener, by route, cluster, destination and status code.");

    /// <summary>Time from the request's arrival to the end of its response, by <c>route</c> and <c>cluster</c>.</summary>
    public static readonly Histogram<double> RequestDuration = Meter.CreateHistogram(
        "edge_request_duration_seconds", unit: "s", description: "Time from a request's arrival to the end of its response, by route and cluster.",
        tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });

    private static long s_inflight;

    /// <summary>Requests on the public listener that have not finished; read only when scraped.</summary>
    public static readonly ObservableGauge<long> InflightRequests = Meter.CreateObservableGauge(
        "edge_inflight_requests", () => Volatile.Read(ref s_inflight), unit: null, description: "Requests on the public listener that have not finished.");

    /// <summary>1 when a destination takes traffic: YARP's active and passive health not Unhealthy and its circuit not open.</summary>
    public static readonly ObservedGauge<long> DestinationHealthy = new(
        "edge_destination_healthy", "1 when the destination takes traffic (active and passive health not Unhealthy, circuit not open), else 0.");

    /// <summary>The percentage of a Weighted cluster's new traffic each destination is set to receive (canary rollouts move it).</summary>
    public static readonly ObservedGauge<double> CanaryWeight = new(
        "edge_canary_weight", "Percentage of a Weighted cluster's new traffic the destination is set to receive, from its weight or its canary rollout's step.");

    /// <summary>Requests the edge refused itself, by <c>reason</c> and <c>policy</c>.</summary>
    public static readonly Counter<long> Rejections = Meter.CreateCounter<long>(
        "edge_rejections_total", unit: null, description: "Requests the edge refused itself, by reason and policy.");

    /// <summary>Config reloads by <c>result</c> (<c>applied</c>, including unchanged, or <c>rejected</c>).</summary>
    public static readonly Counter<long> ConfigReloads = Meter.CreateCounter<long>(
        "edge_config_reloads_total", unit: null, description: "Config reloads by result: applied (an unchanged config counts too) or rejected.");

    /// <summary>Requests served through a migration in Proxy phase, by <c>route</c>: traffic that still reaches the old edge.</summary>
    public static readonly Counter<long> MigrationResidualRequests = Meter.CreateCounter<long>(
        "edge_migration_residual_requests_total", unit: null, description: "Requests served through a migration in Proxy phase, by route: traffic that still reaches this (old) edge.");

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

    // Status codes as label values, made once: a request's tags then allocate nothing.
    private static readonly string[] Codes = Enumerable.Range(0, 600).Select(c => c.ToString(CultureInfo.InvariantCulture)).ToArray();

    public static void Reject(string reason, string policy = "")
        => Rejections.Add(1, new KeyValuePair<string, object?>("reason", reason), new KeyValuePair<string, object?>("policy", policy));

    /// <summary>Counts a refusal and marks the request, so its log line says why.</summary>
    public static void Reject(HttpContext context, string reason, string policy = "")
    {
        RequestLog.MarkRejected(context, reason);
        Reject(reason, policy);
    }

    public static void ConfigReloaded(string result) => ConfigReloads.Add(1, new KeyValuePair<string, object?>("result", result));

    public static void MigrationResidual(string route) => MigrationResidualRequests.Add(1, new KeyValuePair<string, object?>("route", route));

    public static void RequestStarted() => Interlocked.Increment(ref s_inflight);

    /// <summary>Counts a finished request. Labels are config ids (or empty), never anything from the request itself.</summary>
    public static void RequestFinished(string route, string cluster, string destination, int status, double seconds)
    {
        Interlocked.Decrement(ref s_inflight);
        if (Requests.Enabled)
        {
            var tags = new TagList
            {
                { "route", route },
                { "cluster", cluster },
                { "destination", destination },
                { "code", (uint)status < (uint)Codes.Length ? Codes[status] : status.ToString(CultureInfo.InvariantCulture) },
            };
            Requests.Add(1, in tags);
        }

        if (RequestDuration.Enabled)
        {
            RequestDuration.Record(seconds, new KeyValuePair<string, object?>("route", route), new KeyValuePair<string, object?>("cluster", cluster));
        }
    }
}
