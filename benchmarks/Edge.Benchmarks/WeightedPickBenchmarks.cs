using System.Text;
using BenchmarkDotNet.Attributes;
using Edge.Config;
using Edge.Config.LoadBalancing;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Model;

namespace Edge.Benchmarks;

/// <summary>One pick of the <c>Weighted</c> policy: a 90/10 cluster, and the same with a canary rollout deciding the side.</summary>
[MemoryDiagnoser]
public class WeightedPickBenchmarks
{
    private readonly WeightedClusters _clusters = new();
    private readonly ClusterState _cluster = new("api");
    private readonly DestinationState[] _available = [new("stable"), new("canary")];
    private readonly DefaultHttpContext _returningClient = new();
    private WeightedLoadBalancingPolicy _policy = null!;

    [Params(false, true)]
    public bool Canary { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var canary = Canary ? """, "Edge": { "Canary": { "api": { "Destination": "canary", "Steps": [ 10, 100 ] } } }""" : string.Empty;
        var json = $$"""
            {
              "ReverseProxy": {
                "Routes": { "all": { "ClusterId": "api", "Match": { "Path": "/{**catchall}" } } },
                "Clusters": { "api": { "LoadBalancingPolicy": "Weighted", "Destinations": {
                  "stable": { "Address": "http://127.0.0.1:8081/", "Metadata": { "Weight": "90" } },
                  "canary": { "Address": "http://127.0.0.1:8082/", "Metadata": { "Weight": "10" } } } } }
              }{{canary}}
            }
            """;
        var loaded = await new EdgeConfigLoader(YarpServices.CreateStandaloneValidator(), TimeProvider.System)
            .LoadAsync(Encoding.UTF8.GetBytes(json), "bench.json", new Dictionary<string, string>());
        var snapshot = loaded.Snapshot ?? throw new InvalidOperationException(string.Join("; ", loaded.Errors));
        _clusters.Update(snapshot, _ => new CanaryShare(CanaryShare.FromPercent(10)));
        _policy = new WeightedLoadBalancingPolicy(_clusters);
        // A client that already holds its ticket: the steady state of a rollout.
        _returningClient.Request.Headers.Cookie = "edge-canary-api=42";
    }

    [Benchmark]
    public DestinationState? Pick() => _policy.PickDestination(_returningClient, _cluster, _available);
}
