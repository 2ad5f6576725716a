using System.Collections.Frozen;
using Edge.Config;
using Edge.Config.LoadBalancing;

namespace Edge.Proxy.Canary;

/// <summary>
/// Every cluster's canary (<c>Edge:Canary</c>), kept in step with the config: a reload that keeps
/// a rollout's canary, its address and its steps keeps the rollout where it is; any other change
/// starts it again from the config, which is the desired state. Each applied config also rebuilds
/// the <c>Weighted</c> policy's tables, handing each canary cluster its rollout's share.
/// </summary>
internal sealed partial class CanaryRollouts(WeightedClusters weighted, TimeProvider timeProvider, ILoggerFactory loggerFactory) : IDisposable
{
    private readonly ILogger _logger = loggerFactory.CreateLogger("Edge.Canary");
    private readonly Lock _gate = new();
    private volatile FrozenDictionary<string, CanaryRollout> _rollouts = FrozenDictionary<string, CanaryRollout>.Empty;
    private volatile FrozenDictionary<string, CanaryRollout> _recording = FrozenDictionary<string, CanaryRollout>.Empty;

    public WeightedClusters Weighted => weighted;

    /// <summary>The rollouts, by cluster id.</summary>
    public IEnumerable<CanaryRollout> All => _rollouts.Values.OrderBy(r => r.ClusterId, StringComparer.Ordinal);

    public CanaryRollout? Find(string clusterId) => _rollouts.GetValueOrDefault(clusterId);

    /// <summary>The rollout whose requests are counted (one with Steps), or null; free when there is none.</summary>
    public CanaryRollout? Recording(string clusterId)
    {
        var recording = _recording;
        return recording.Count == 0 ? null : recording.GetValueOrDefault(clusterId);
    }

    public void Update(EdgeConfigSnapshot snapshot)
    {
        lock (_gate)
        {
            var previous = _rollouts;
            var next = new Dictionary<string, CanaryRollout>(StringComparer.OrdinalIgnoreCase);
            foreach (var cluster in snapshot.Clusters)
            {
                if (!snapshot.Edge.Canary.TryGetValue(cluster.ClusterId, out var options))
                {
                    continue;
                }

                if (previous.TryGetValue(cluster.ClusterId, out var existing) && existing.Identity == CanaryRollout.IdentityOf(cluster, options))
                {
                    existing.Reconfigure(cluster, options);
                    next[cluster.ClusterId] = existing;
                    continue;
                }

                if (existing is not null)
                {
                    Log.Restarted(_logger, cluster.ClusterId);
                }

                next[cluster.ClusterId] = new CanaryRollout(cluster, options, timeProvider, _logger);
            }

            weighted.Update(snapshot, id => next[id].Share);
            _rollouts = next.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
            _recording = next.Where(r => r.Value.HasSteps).ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
            foreach (var (id, rollout) in previous)
            {
                if (!next.TryGetValue(id, out var kept) || !ReferenceEquals(kept, rollout))
                {
                    if (kept is null)
                    {
                        Log.Removed(_logger, id);
                    }

                    rollout.Dispose();
                }
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var rollout in _rollouts.Values)
            {
                rollout.Dispose();
            }

            _rollouts = FrozenDictionary<string, CanaryRollout>.Empty;
            _recording = FrozenDictionary<string, CanaryRollout>.Empty;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(506, LogLevel.Information, "Canary of cluster {Cluster} starts again from the config: its canary, the canary's address or weight 0, or its steps changed")]
        public static partial void Restarted(ILogger logger, string cluster);

        [LoggerMessage(507, LogLevel.Information, "Canary of cluster {Cluster} removed from the config")]
        public static partial void Removed(ILogger logger, string cluster);
    }
}
