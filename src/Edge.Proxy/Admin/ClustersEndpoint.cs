using System.Globalization;
using Edge.Proxy.Resilience;
using Yarp.ReverseProxy;

namespace Edge.Proxy.Admin;

/// <summary><c>GET /admin/clusters</c>: each cluster's destinations with address, health, circuit, weight and in-flight requests.</summary>
internal static class ClustersEndpoint
{
    public static ClustersBody Describe(IProxyStateLookup state, ResilienceRegistry resilience)
    {
        var clusters = new List<ClusterBody>();
        foreach (var cluster in state.GetClusters().OrderBy(c => c.ClusterId, StringComparer.Ordinal))
        {
            var own = resilience.Find(cluster.ClusterId);
            var destinations = new List<DestinationBody>();
            foreach (var destination in cluster.Destinations.Values.OrderBy(d => d.DestinationId, StringComparer.Ordinal))
            {
                var config = destination.Model.Config;
                var circuit = own is { BreakersEnabled: true }
                    ? own.ExistingBreaker(destination.DestinationId)?.State.ToString() ?? "Closed"
                    : "Off";
                int? weight = config.Metadata?.TryGetValue("Weight", out var w) == true && int.TryParse(w, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) ? parsed : null;
                destinations.Add(new DestinationBody(
                    destination.DestinationId,
                    config.Address,
                    new HealthBody(destination.Health.Active.ToString(), destination.Health.Passive.ToString()),
                    circuit,
                    weight,
                    destination.ConcurrentRequestCount));
            }

            var available = cluster.DestinationsState.AvailableDestinations.Count;
            clusters.Add(new ClusterBody(
                cluster.ClusterId,
                cluster.Model.Config.LoadBalancingPolicy ?? "PowerOfTwoChoices",
                available,
                own?.Bulkhead?.Count,
                own?.Bulkhead?.Limit,
                destinations));
        }

        return new ClustersBody(clusters);
    }
}

public sealed record ClustersBody(IReadOnlyList<ClusterBody> Clusters);

public sealed record ClusterBody(string Id, string LoadBalancingPolicy, int AvailableDestinations, int? InFlight, int? MaxConcurrentRequests, IReadOnlyList<DestinationBody> Destinations);

public sealed record DestinationBody(string Id, string Address, HealthBody Health, string Circuit, int? Weight, int InFlight);

public sealed record HealthBody(string Active, string Passive);
