using System.Diagnostics.Metrics;
using Edge.Config.LoadBalancing;

namespace Edge.Proxy.Canary;

/// <summary>
/// The percentage of a <c>Weighted</c> cluster's new traffic each destination is set to receive
/// while every destination is available: from the weights, with a canary's share from its
/// rollout. The values of <c>edge_canary_weight</c> and the weights of <c>GET /admin/canary</c>.
/// </summary>
internal static class CanaryWeightGauge
{
    public static IEnumerable<(string Destination, double Percent)> Percentages(WeightedCluster table)
    {
        var canary = table.Canary;
        var canaryPercent = canary is null ? 0 : canary.Share.BasisPoints / (ClientTicket.Range / 100.0);
        var others = table.Weights.Where(w => canary is null || !string.Equals(w.Key, canary.DestinationId, StringComparison.Ordinal)).ToList();
        long total = others.Sum(w => (long)w.Value);
        var rest = 100 - canaryPercent;
        foreach (var (id, weight) in others.OrderBy(w => w.Key, StringComparer.Ordinal))
        {
            // Only weight-0 destinations: they share the traffic evenly (see WeightedCluster.PickByWeight).
            yield return (id, Math.Round(total == 0 ? rest / others.Count : rest * weight / total, 4));
        }

        if (canary is not null)
        {
            yield return (canary.DestinationId, canaryPercent);
        }
    }

    public static IEnumerable<Measurement<double>> Measure(WeightedClusters weighted)
    {
        var measurements = new List<Measurement<double>>();
        foreach (var table in weighted.All)
        {
            foreach (var (destination, percent) in Percentages(table))
            {
                measurements.Add(new Measurement<double>(
                    percent,
                    new KeyValuePair<string, object?>("cluster", table.ClusterId),
                    new KeyValuePair<string, object?>("destination", destination)));
            }
        }

        return measurements;
    }
}
