using System.Diagnostics.CodeAnalysis;
using Edge.Proxy.Observability;
using Edge.Proxy.Resilience;
using Edge.Proxy.Tests.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Model;

namespace Edge.Proxy.Tests.Observability;

public sealed class DestinationHealthGaugeTests
{
    [Fact]
    public async Task Measure_UnhealthyProbeOrOpenCircuit_Zero_UnknownOrHealthy_One()
    {
        var cluster = new ClusterState("api");
        Add(cluster, "unknown", DestinationHealth.Unknown, DestinationHealth.Unknown);
        Add(cluster, "healthy", DestinationHealth.Healthy, DestinationHealth.Healthy);
        Add(cluster, "active-down", DestinationHealth.Unhealthy, DestinationHealth.Healthy);
        Add(cluster, "passive-down", DestinationHealth.Healthy, DestinationHealth.Unhealthy);
        Add(cluster, "circuit-open", DestinationHealth.Healthy, DestinationHealth.Healthy);
        var resilience = new ResilienceRegistry(new ManualTimeProvider(), NullLoggerFactory.Instance);
        resilience.Update(await TestSnapshots.LoadAsync("""
            {
              "ReverseProxy": {
                "Routes": { "api": { "ClusterId": "api", "Match": { "Path": "/{**rest}" } } },
                "Clusters": { "api": { "Destinations": { "circuit-open": { "Address": "http://10.0.0.1:8080/" } } } }
              }
            }
            """));
        await resilience.Find("api")!.Breaker("circuit-open")!.IsolateAsync();

        var values = DestinationHealthGauge.Measure(new ProxyState(cluster), resilience)
            .ToDictionary(m => (string)m.Tags.ToArray().Single(t => t.Key == "destination").Value!, m => m.Value);

        Assert.Equal(
            new Dictionary<string, long> { ["unknown"] = 1, ["healthy"] = 1, ["active-down"] = 0, ["passive-down"] = 0, ["circuit-open"] = 0 },
            values);
        Assert.All(DestinationHealthGauge.Measure(new ProxyState(cluster), resilience),
            m => Assert.Equal("api", m.Tags.ToArray().Single(t => t.Key == "cluster").Value));
    }

    private static void Add(ClusterState cluster, string id, DestinationHealth active, DestinationHealth passive)
    {
        var destination = new DestinationState(id);
        destination.Health.Active = active;
        destination.Health.Passive = passive;
        cluster.Destinations[id] = destination;
    }

    private sealed class ProxyState(params ClusterState[] clusters) : IProxyStateLookup
    {
        public IEnumerable<ClusterState> GetClusters() => clusters;

        public IEnumerable<RouteModel> GetRoutes() => [];

        public bool TryGetCluster(string id, [NotNullWhen(true)] out ClusterState? cluster)
        {
            cluster = clusters.FirstOrDefault(c => c.ClusterId == id);
            return cluster is not null;
        }

        public bool TryGetRoute(string id, [NotNullWhen(true)] out RouteModel? route)
        {
            route = null;
            return false;
        }
    }
}
