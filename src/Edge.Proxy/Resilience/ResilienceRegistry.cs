using System.Collections.Frozen;
using Edge.Config;

namespace Edge.Proxy.Resilience;

/// <summary>
/// The resilience state of every cluster, rebuilt on each applied config. A cluster whose
/// settings did not change keeps its state (open circuits stay open across an unrelated reload).
/// </summary>
internal sealed class ResilienceRegistry(TimeProvider timeProvider, ILoggerFactory loggerFactory)
{
    private readonly ILogger _logger = loggerFactory.CreateLogger("Edge.Resilience");
    private volatile FrozenDictionary<string, ClusterResilience> _clusters = FrozenDictionary<string, ClusterResilience>.Empty;

    /// <summary>The cluster's state, or null when it has nothing to do (no breaker, no retry, no bulkhead).</summary>
    public ClusterResilience? Find(string clusterId) => _clusters.GetValueOrDefault(clusterId);

    public void Update(EdgeConfigSnapshot snapshot)
    {
        var previous = _clusters;
        var next = new Dictionary<string, ClusterResilience>(StringComparer.OrdinalIgnoreCase);
        foreach (var cluster in snapshot.Clusters)
        {
            var settings = snapshot.Edge.Resilience.For(cluster.ClusterId);
            var active = settings.CircuitBreaker.Enabled || settings.Retry is { Enabled: true, MaxAttempts: > 1 } || settings.MaxConcurrentRequests is not null;
            if (!active)
            {
                continue;
            }

            if (previous.TryGetValue(cluster.ClusterId, out var existing) && existing.Settings == settings)
            {
                existing.Prune(cluster.Destinations?.Keys ?? []);
                next[cluster.ClusterId] = existing;
            }
            else
            {
                next[cluster.ClusterId] = new ClusterResilience(cluster.ClusterId, settings, timeProvider, _logger);
            }
        }

        _clusters = next.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
    }
}
