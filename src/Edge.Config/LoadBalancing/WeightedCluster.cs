using System.Collections.Frozen;
using Edge.Config.Model;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Model;

namespace Edge.Config.LoadBalancing;

/// <summary>
/// What the <c>Weighted</c> policy knows of one cluster: each destination's configured weight and,
/// when the cluster has an <c>Edge:Canary</c> entry, its canary. Built on each applied config;
/// only the canary's share moves between reloads (its rollout moves it).
/// </summary>
public sealed class WeightedCluster
{
    private readonly FrozenDictionary<string, int> _weights;

    private WeightedCluster(string clusterId, FrozenDictionary<string, int> weights, CanarySettings? canary, PickSequence sides, PickSequence destinations)
    {
        ClusterId = clusterId;
        _weights = weights;
        Canary = canary;
        Sides = sides;
        Destinations = destinations;
    }

    public string ClusterId { get; }

    /// <summary>Configured weights by destination id.</summary>
    public IReadOnlyDictionary<string, int> Weights => _weights;

    /// <summary>Null for a plain weighted cluster.</summary>
    public CanarySettings? Canary { get; }

    /// <summary>Puts new clients on a side in proportion to the canary's share.</summary>
    internal PickSequence Sides { get; }

    /// <summary>Picks among destinations by weight.</summary>
    internal PickSequence Destinations { get; }

    /// <summary>
    /// The table of a <c>Weighted</c> cluster. <paramref name="share"/> is the rollout's, required
    /// with <paramref name="canary"/>; <paramref name="previous"/>, the cluster's table before the
    /// reload, hands over its sequences so picks stay spread across the swap.
    /// </summary>
    public static WeightedCluster From(ClusterConfig cluster, CanaryRolloutOptions? canary, CanaryShare? share, WeightedCluster? previous)
    {
        var weights = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        foreach (var (id, destination) in cluster.Destinations ?? new Dictionary<string, DestinationConfig>())
        {
            weights[id] = destination is not null && DestinationWeight.TryRead(destination, out var weight, out _) ? weight : DestinationWeight.Default;
        }

        CanarySettings? settings = null;
        if (canary?.Destination is { } named)
        {
            ArgumentNullException.ThrowIfNull(share);
            // Spelled as the destination's key, which YARP uses as its id, so requests compare ordinally.
            var canaryId = weights.Keys.FirstOrDefault(k => string.Equals(k, named, StringComparison.OrdinalIgnoreCase)) ?? named;
            settings = new CanarySettings(canaryId, share, canary.StickyCookieFor(cluster.ClusterId), canary.StickyHeader, canary.ForceHeader, canary.ForceCookie);
        }

        return new WeightedCluster(
            cluster.ClusterId,
            weights.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase),
            settings,
            previous?.Sides ?? new PickSequence(),
            previous?.Destinations ?? new PickSequence());
    }

    /// <summary>
    /// The canary's share of a canary cluster without a rollout, from the weights: the canary's
    /// weight over the sum of all weights, in basis points.
    /// </summary>
    public static int ShareFromWeights(ClusterConfig cluster, string canaryId)
    {
        long canary = 0, all = 0;
        foreach (var (id, destination) in cluster.Destinations ?? new Dictionary<string, DestinationConfig>())
        {
            var weight = destination is not null && DestinationWeight.TryRead(destination, out var w, out _) ? w : DestinationWeight.Default;
            all += weight;
            if (string.Equals(id, canaryId, StringComparison.OrdinalIgnoreCase))
            {
                canary = weight;
            }
        }

        return all == 0 ? 0 : (int)Math.Round(canary * (double)ClientTicket.Range / all, MidpointRounding.AwayFromZero);
    }

    public int WeightOf(string destinationId) => _weights.TryGetValue(destinationId, out var weight) ? weight : DestinationWeight.Default;

    public bool IsCanary(DestinationState destination)
        => Canary is { } canary && string.Equals(destination.DestinationId, canary.DestinationId, StringComparison.Ordinal);

    /// <summary>
    /// Picks among <paramref name="available"/> (skipping the canary when <paramref name="skipCanary"/>)
    /// in proportion to their weights. Weight 0 gets nothing while any destination with a weight is
    /// available; when only weight-0 destinations are left they share the traffic, as YARP does with
    /// a lone available destination, rather than every request failing. Null when nothing is left.
    /// </summary>
    public DestinationState? PickByWeight(IReadOnlyList<DestinationState> available, bool skipCanary)
    {
        long total = 0;
        var count = 0;
        for (var i = 0; i < available.Count; i++)
        {
            if (!(skipCanary && IsCanary(available[i])))
            {
                total += WeightOf(available[i].DestinationId);
                count++;
            }
        }

        if (count == 0)
        {
            return null;
        }

        var weighted = total > 0;
        var target = Destinations.Next(weighted ? total : count);
        for (var i = 0; i < available.Count; i++)
        {
            var destination = available[i];
            if (skipCanary && IsCanary(destination))
            {
                continue;
            }

            target -= weighted ? WeightOf(destination.DestinationId) : 1;
            if (target < 0)
            {
                return destination;
            }
        }

        return null;
    }
}

/// <summary>The canary of a cluster and how clients are put on its side or kept off it.</summary>
public sealed record CanarySettings(string DestinationId, CanaryShare Share, string StickyCookie, string? StickyHeader, string ForceHeader, string ForceCookie);
