using System.Collections.Concurrent;
using Edge.Config.Model;
using Yarp.ReverseProxy.Model;

namespace Edge.Proxy.Resilience;

/// <summary>One cluster's resilience state: its settings, bulkhead, retry budget and per-destination breakers.</summary>
internal sealed class ClusterResilience
{
    private readonly ConcurrentDictionary<string, DestinationBreaker> _breakers = new(StringComparer.OrdinalIgnoreCase);
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private int _openCircuits;

    public ClusterResilience(string clusterId, EffectiveResilience settings, TimeProvider timeProvider, ILogger logger)
    {
        ClusterId = clusterId;
        Settings = settings;
        _timeProvider = timeProvider;
        _logger = logger;
        Bulkhead = settings.MaxConcurrentRequests is { } cap ? new Bulkhead(cap) : null;
        Budget = settings.Retry is { Enabled: true, MaxAttempts: > 1 } retry ? new RetryBudget(retry.BudgetPercent, retry.BudgetBurst) : null;
    }

    public string ClusterId { get; }

    public EffectiveResilience Settings { get; }

    public Bulkhead? Bulkhead { get; }

    /// <summary>Null when retries are off for the cluster.</summary>
    public RetryBudget? Budget { get; }

    public bool BreakersEnabled => Settings.CircuitBreaker.Enabled;

    public DestinationBreaker? Breaker(string destinationId)
        => BreakersEnabled
            ? _breakers.GetOrAdd(destinationId, static (id, self) => new DestinationBreaker(self.ClusterId, id, self.Settings.CircuitBreaker, self._timeProvider, self._logger, self.OnOpenChanged), this)
            : null;

    public DestinationBreaker? ExistingBreaker(string destinationId) => _breakers.GetValueOrDefault(destinationId);

    /// <summary>The destinations whose circuit is not open; the same list when none is.</summary>
    public IReadOnlyList<DestinationState> WithoutOpenCircuits(IReadOnlyList<DestinationState> destinations)
    {
        // The common case, every circuit closed, costs one read.
        if (Volatile.Read(ref _openCircuits) == 0)
        {
            return destinations;
        }

        List<DestinationState>? kept = null;
        for (var i = 0; i < destinations.Count; i++)
        {
            var open = _breakers.TryGetValue(destinations[i].DestinationId, out var breaker) && breaker.IsOpen;
            if (open && kept is null)
            {
                kept = new List<DestinationState>(destinations.Count);
                for (var j = 0; j < i; j++)
                {
                    kept.Add(destinations[j]);
                }
            }
            else if (!open)
            {
                kept?.Add(destinations[i]);
            }
        }

        return kept ?? destinations;
    }

    private void OnOpenChanged(int change) => Interlocked.Add(ref _openCircuits, change);

    /// <summary>Drops breakers of destinations that are no longer configured, so state stays bounded.</summary>
    public void Prune(IEnumerable<string> destinationIds)
    {
        var keep = new HashSet<string>(destinationIds, StringComparer.OrdinalIgnoreCase);
        foreach (var id in _breakers.Keys)
        {
            if (!keep.Contains(id))
            {
                _breakers.TryRemove(id, out _);
            }
        }
    }
}
