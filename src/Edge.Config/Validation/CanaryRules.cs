using System.Globalization;
using Edge.Config.LoadBalancing;
using Edge.Config.Model;
using Yarp.ReverseProxy.Configuration;

namespace Edge.Config.Validation;

/// <summary>Rules for <c>Weighted</c> clusters' weights and for <c>Edge:Canary</c>.</summary>
internal static class CanaryRules
{
    private const string Prefix = "Edge:Canary";
    private static readonly TimeSpan MinStepInterval = TimeSpan.FromMilliseconds(100);

    public static void Validate(EdgeOptions edge, IReadOnlyList<ClusterConfig> clusters, List<ConfigError> errors)
    {
        foreach (var cluster in clusters.Where(WeightedClusters.IsWeighted))
        {
            Weights(cluster, edge.Canary.GetValueOrDefault(cluster.ClusterId), errors);
        }

        var known = clusters.Select(c => c.ClusterId).ToList();
        foreach (var (id, canary) in edge.Canary)
        {
            var path = $"{Prefix}:{id}";
            var cluster = clusters.FirstOrDefault(c => string.Equals(c.ClusterId, id, StringComparison.OrdinalIgnoreCase));
            if (cluster is null)
            {
                var suggestion = DidYouMean.Suggest(id, known);
                var hint = suggestion is null ? string.Empty : $" Did you mean '{suggestion}'?";
                errors.Add(new ConfigError(path,
                    $"{path} names cluster '{id}', which does not exist.{hint} Known clusters: {string.Join(", ", known.Select(k => $"'{k}'"))}."));
                continue;
            }

            Rollout(path, cluster, canary, errors);
        }
    }

    private static void Weights(ClusterConfig cluster, CanaryRolloutOptions? canary, List<ConfigError> errors)
    {
        long stable = 0;
        var destinations = cluster.Destinations ?? new Dictionary<string, DestinationConfig>();
        foreach (var (id, destination) in destinations)
        {
            if (destination is null)
            {
                continue;
            }

            if (!DestinationWeight.TryRead(destination, out var weight, out var raw))
            {
                errors.Add(new ConfigError($"ReverseProxy:Clusters:{cluster.ClusterId}:Destinations:{id}:Metadata:{DestinationWeight.MetadataKey}",
                    $"Cluster '{cluster.ClusterId}' destination '{id}' has Metadata.Weight '{raw}'; it must be a whole number from 0 to {DestinationWeight.Max.ToString(CultureInfo.InvariantCulture)}, such as \"10\" (0 sends it no new traffic; without a Weight a destination weighs {DestinationWeight.Default})."));
                continue;
            }

            // The canary of a rollout gets its share from the rollout's steps, not from its weight.
            if (!(canary?.Steps is not null && string.Equals(id, canary.Destination, StringComparison.OrdinalIgnoreCase)))
            {
                stable += weight;
            }
        }

        if (destinations.Count > 0 && stable == 0 && destinations.Values.All(d => d is null || DestinationWeight.TryRead(d, out _, out _)))
        {
            var which = canary?.Steps is not null ? "every destination besides the rollout's canary" : "every destination";
            errors.Add(new ConfigError($"ReverseProxy:Clusters:{cluster.ClusterId}:Destinations",
                $"Cluster '{cluster.ClusterId}' uses the Weighted policy, but {which} has Weight 0, so nothing would take its traffic. Give at least one of them a Weight above 0."));
        }
    }

    private static void Rollout(string path, ClusterConfig cluster, CanaryRolloutOptions canary, List<ConfigError> errors)
    {
        if (!WeightedClusters.IsWeighted(cluster))
        {
            errors.Add(new ConfigError(path,
                $"{path}: cluster '{cluster.ClusterId}' has LoadBalancingPolicy '{cluster.LoadBalancingPolicy ?? "(none: PowerOfTwoChoices)"}', which ignores weights and canaries. Set \"LoadBalancingPolicy\": \"{WeightedClusters.PolicyName}\" on the cluster."));
        }

        var destinations = (cluster.Destinations ?? new Dictionary<string, DestinationConfig>()).Keys.ToList();
        var known = string.Join(", ", destinations.Select(d => $"'{d}'"));
        if (string.IsNullOrWhiteSpace(canary.Destination))
        {
            errors.Add(new ConfigError($"{path}:Destination",
                $"{path} has no Destination. Set 'Destination' to the id of the canary destination in cluster '{cluster.ClusterId}'. Known destinations: {known}."));
        }
        else if (!destinations.Contains(canary.Destination, StringComparer.OrdinalIgnoreCase))
        {
            var suggestion = DidYouMean.Suggest(canary.Destination, destinations);
            var hint = suggestion is null ? string.Empty : $" Did you mean '{suggestion}'?";
            errors.Add(new ConfigError($"{path}:Destination",
                $"{path}:Destination is '{canary.Destination}', which is not a destination of cluster '{cluster.ClusterId}'.{hint} Known destinations: {known}."));
        }
        else if (destinations.Count < 2)
        {
            errors.Add(new ConfigError($"{path}:Destination",
                $"{path}: cluster '{cluster.ClusterId}' has only the canary '{canary.Destination}'. Add the stable destination(s) beside it."));
        }
        else if (canary.Steps is null && cluster.Destinations![canary.Destination] is { } own && !DestinationWeight.IsSet(own))
        {
            errors.Add(new ConfigError($"{path}:Destination",
                $"{path}: the canary '{canary.Destination}' has no Metadata.Weight, and without Steps its share comes from its weight. Set it, such as \"Metadata\": {{ \"Weight\": \"5\" }}, or add Steps for a progressive rollout."));
        }

        if (canary.Steps is { } steps)
        {
            var written = $"[{string.Join(", ", steps.Select(s => s.ToString(CultureInfo.InvariantCulture)))}]";
            if (steps.Count == 0)
            {
                errors.Add(new ConfigError($"{path}:Steps",
                    $"{path}:Steps is empty. List the canary's share at each step in percent, such as [1, 5, 25, 50, 100], or remove Steps to set the canary's share with its Weight."));
            }
            else if (steps.Any(s => s is < 1 or > 100))
            {
                errors.Add(new ConfigError($"{path}:Steps",
                    $"{path}:Steps is {written}; every step is a percentage from 1 to 100, such as [1, 5, 25, 50, 100]."));
            }
            else if (steps.Zip(steps.Skip(1)).Any(p => p.Second <= p.First))
            {
                errors.Add(new ConfigError($"{path}:Steps",
                    $"{path}:Steps is {written}; steps must be strictly increasing, such as [1, 5, 25, 50, 100]."));
            }
        }

        if (canary.StepInterval < MinStepInterval)
        {
            errors.Add(new ConfigError($"{path}:StepInterval",
                $"{path}:StepInterval is '{canary.StepInterval}'; it must be at least 00:00:00.100. The default is 00:05:00."));
        }

        if (canary.MinRequests < 1)
        {
            errors.Add(new ConfigError($"{path}:MinRequests",
                $"{path}:MinRequests is {canary.MinRequests}; it must be at least 1. The default is 100."));
        }

        if (canary.MaxErrorRatio is < 0 or > 1 || double.IsNaN(canary.MaxErrorRatio))
        {
            errors.Add(new ConfigError($"{path}:MaxErrorRatio",
                $"{path}:MaxErrorRatio is {canary.MaxErrorRatio.ToString(CultureInfo.InvariantCulture)}; it is how far the canary's 5xx ratio may exceed the stable side's, from 0 to 1, such as 0.02 (two percentage points)."));
        }

        if (canary.MaxP95LatencyRatio < 1 || double.IsNaN(canary.MaxP95LatencyRatio))
        {
            errors.Add(new ConfigError($"{path}:MaxP95LatencyRatio",
                $"{path}:MaxP95LatencyRatio is {canary.MaxP95LatencyRatio.ToString(CultureInfo.InvariantCulture)}; it is how many times the stable side's p95 the canary's may be, at least 1, such as 1.5."));
        }

        if (canary.P95LatencyFloor < TimeSpan.Zero)
        {
            errors.Add(new ConfigError($"{path}:P95LatencyFloor",
                $"{path}:P95LatencyFloor is '{canary.P95LatencyFloor}'; it must be zero or positive, such as '00:00:00.050'."));
        }

        Token($"{path}:StickyCookie", canary.StickyCookieFor(cluster.ClusterId), "cookie", canary.StickyCookie is null
            ? $" The default is '{CanaryRolloutOptions.StickyCookiePrefix}<cluster id>', which cluster '{cluster.ClusterId}' cannot form: set StickyCookie."
            : string.Empty, errors);
        Token($"{path}:ForceCookie", canary.ForceCookie, "cookie", string.Empty, errors);
        Token($"{path}:ForceHeader", canary.ForceHeader, "header", string.Empty, errors);
        if (canary.StickyHeader is not null)
        {
            Token($"{path}:StickyHeader", canary.StickyHeader, "header", string.Empty, errors);
        }

        if (string.Equals(canary.StickyCookieFor(cluster.ClusterId), canary.ForceCookie, StringComparison.Ordinal))
        {
            errors.Add(new ConfigError($"{path}:StickyCookie",
                $"{path}: StickyCookie and ForceCookie are both '{canary.ForceCookie}'; the ticket and the tester's override need cookies of their own."));
        }
    }

    /// <summary>Cookie and header names are HTTP tokens (RFC 9110 5.6.2).</summary>
    private static void Token(string path, string name, string what, string advice, List<ConfigError> errors)
    {
        if (name.Length == 0 || name.Any(c => !(char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal))))
        {
            errors.Add(new ConfigError(path,
                $"{path} is '{name}', which is not a valid {what} name: use letters, digits and - _ . (no spaces, no ; = , or quotes).{advice}"));
        }
    }
}
