using System.Collections.Frozen;
using Edge.Config.Model;
using Yarp.ReverseProxy.Configuration;

namespace Edge.Config.LoadBalancing;

/// <summary>
/// The tables of every <c>Weighted</c> cluster, swapped whole on each applied config. Read on
/// every request of such a cluster: one frozen-dictionary lookup.
/// </summary>
public sealed class WeightedClusters
{
    /// <summary>The <c>LoadBalancingPolicy</c> name of the policy.</summary>
    public const string PolicyName = "Weighted";

    private volatile FrozenDictionary<string, WeightedCluster> _clusters = FrozenDictionary<string, WeightedCluster>.Empty;

    public static bool IsWeighted(ClusterConfig cluster) => string.Equals(cluster.LoadBalancingPolicy, PolicyName, StringComparison.OrdinalIgnoreCase);

    public WeightedCluster? Find(string clusterId) => _clusters.GetValueOrDefault(clusterId);

    public IEnumerable<WeightedCluster> All => _clusters.Values;

    /// <summary>
    /// Rebuilds the tables from <paramref name="snapshot"/>. A cluster with an <c>Edge:Canary</c>
    /// entry gets its canary's share from <paramref name="shareOf"/> (its rollout's).
    /// </summary>
    public void Update(EdgeConfigSnapshot snapshot, Func<string, CanaryShare> shareOf)
    {
        var next = new Dictionary<string, WeightedCluster>(StringComparer.OrdinalIgnoreCase);
        foreach (var cluster in snapshot.Clusters)
        {
            if (!IsWeighted(cluster))
            {
                continue;
            }

            var canary = snapshot.Edge.Canary.GetValueOrDefault(cluster.ClusterId);
            var share = canary is null ? null : shareOf(cluster.ClusterId);
            next[cluster.ClusterId] = WeightedCluster.From(cluster, canary, share, Find(cluster.ClusterId));
        }

        _clusters = next.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
    }
}
