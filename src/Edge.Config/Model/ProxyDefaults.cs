using System.Globalization;
using Yarp.ReverseProxy.Configuration;

namespace Edge.Config.Model;

/// <summary>
/// Edge's defaults written into YARP's routes and clusters, so YARP sees the effective config and
/// a change to a default reaches it through the ordinary reload.
/// </summary>
public static class ProxyDefaults
{
    /// <summary>Cluster metadata key carrying the effective connect timeout to the HTTP client factory.</summary>
    public const string ConnectTimeoutKey = "Edge.ConnectTimeout";

    /// <summary>Cluster metadata key carrying <c>Edge:Dns:PooledConnectionLifetime</c> to the HTTP client factory.</summary>
    public const string PooledConnectionLifetimeKey = "Edge.PooledConnectionLifetime";

    public static readonly TimeSpan ActiveInterval = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan ActiveTimeout = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan PassiveReactivation = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Route metadata key carrying the route's <c>RateLimiterPolicy</c>. YARP 2.1 checks that name
    /// against ASP.NET Core's startup-time <c>RateLimiterOptions</c>, which cannot follow a reloaded
    /// file; Edge's policies live in its own config, so the name is moved here, validated against
    /// <c>Edge:RateLimiting:Policies</c>, and enforced by the edge's admission middleware.
    /// </summary>
    public const string RateLimiterPolicyKey = "Edge.RateLimiterPolicy";

    /// <summary>Route metadata key of a route's own request body limit in bytes (PRODUCT.md).</summary>
    public const string MaxRequestBodySizeKey = "MaxRequestBodySize";

    public static RouteConfig Apply(RouteConfig route, EdgeOptions edge)
    {
        // A bad default is reported once, at Edge:Resilience:RequestTimeout, not again at every route.
        if (route.Timeout is null && string.IsNullOrEmpty(route.TimeoutPolicy) && edge.Resilience.RequestTimeout > TimeSpan.Zero)
        {
            route = route with { Timeout = edge.Resilience.RequestTimeout };
        }

        if (!string.IsNullOrEmpty(route.RateLimiterPolicy))
        {
            var metadata = new Dictionary<string, string>(route.Metadata ?? new Dictionary<string, string>(), StringComparer.OrdinalIgnoreCase)
            {
                [RateLimiterPolicyKey] = route.RateLimiterPolicy,
            };
            route = route with { RateLimiterPolicy = null, Metadata = metadata };
        }

        return route;
    }

    public static ClusterConfig Apply(ClusterConfig cluster, EdgeOptions edge)
    {
        // YARP's default affinity policy (HashCookie) needs System.IO.Hashing, which cannot be
        // installed here; ArrCookie behaves the same for users (see docs/decisions/0001).
        if (cluster.SessionAffinity is { Enabled: true, Policy: null or "" } affinity)
        {
            cluster = cluster with { SessionAffinity = affinity with { Policy = "ArrCookie" } };
        }

        var health = cluster.HealthCheck ?? new HealthCheckConfig();
        if (health.Active is { Enabled: true } active)
        {
            health = health with
            {
                Active = active with
                {
                    Interval = active.Interval ?? ActiveInterval,
                    Timeout = active.Timeout ?? ActiveTimeout,
                    Policy = string.IsNullOrEmpty(active.Policy) ? "ConsecutiveFailures" : active.Policy,
                },
            };
        }

        if (health.Passive is { Enabled: true } passive)
        {
            health = health with
            {
                Passive = passive with
                {
                    Policy = string.IsNullOrEmpty(passive.Policy) ? "TransportFailureRate" : passive.Policy,
                    ReactivationPeriod = passive.ReactivationPeriod ?? PassiveReactivation,
                },
            };
        }

        // Panic mode (send to every destination when none is healthy) is YARP's default; at the
        // edge it turns a known outage into random failures, so it is opt-in: set
        // AvailableDestinationsPolicy to HealthyOrPanic.
        health = health with { AvailableDestinationsPolicy = string.IsNullOrEmpty(health.AvailableDestinationsPolicy) ? "HealthyAndUnknown" : health.AvailableDestinationsPolicy };

        var metadata = new Dictionary<string, string>(cluster.Metadata ?? new Dictionary<string, string>(), StringComparer.OrdinalIgnoreCase)
        {
            [ConnectTimeoutKey] = edge.Resilience.For(cluster.ClusterId).ConnectTimeout.ToString("c", CultureInfo.InvariantCulture),
            [PooledConnectionLifetimeKey] = edge.Dns.PooledConnectionLifetime.ToString("c", CultureInfo.InvariantCulture),
        };
        return cluster with { HealthCheck = health, Metadata = metadata };
    }
}
