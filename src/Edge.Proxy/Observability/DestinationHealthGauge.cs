using System.Diagnostics.Metrics;
using Edge.Proxy.Resilience;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Model;

namespace Edge.Proxy.Observability;

/// <summary>
/// The values of <c>edge_destination_healthy</c>, read from YARP's proxy state at scrape time:
/// 1 when load balancing may pick the destination (neither active nor passive health says
/// Unhealthy, so Unknown counts as healthy as it does for routing, and its circuit is not open), else 0.
/// </summary>
internal static class DestinationHealthGauge
{
    public static IEnumerable<Measurement<long>> Measure(IProxyStateLookup state, ResilienceRegistry resilience)
    {
        var measurements = new List<Measurement<long>>();
        foreach (var cluster in state.GetClusters())
        {
            var own = resilience.Find(cluster.ClusterId);
            foreach (var destination in cluster.Destinations.Values)
            {
                var health = destination.Health;
                var healthy = health.Active != DestinationHealth.Unhealthy
                    && health.Passive != DestinationHealth.Unhealthy
                    && own?.ExistingBreaker(destination.DestinationId)?.IsOpen != true;
                measurements.Add(new Measurement<long>(
                    healthy ? 1 : 0,
                    new KeyValuePair<string, object?>("cluster", cluster.ClusterId),
                    new KeyValuePair<string, object?>("destination", destination.DestinationId)));
            }
        }

        return measurements;
    }
}
