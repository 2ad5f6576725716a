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

    public static readonly TimeSpan ActiveInterval = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan ActiveTimeout = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan PassiveReactivation = TimeSpan.FromSeconds(30);

    public static RouteConfig Apply(RouteConfig route, EdgeOptions edge)
        // A bad default is reported once, at Edge:Resilience:RequestTimeout, not again at every route.
        => route.Timeout is null && string.IsNullOrEmpty(route.TimeoutPolicy) && edge.Resilience.RequestTimeout > TimeSpan.Zero
            ? route with { Timeout = edge.Resilience.RequestTimeout }
            : route;

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
        };
        return cluster with { HealthCheck = health, Metadata = metadata };
    }
}
