using Edge.Config.Model;
using Yarp.ReverseProxy.Configuration;

namespace Edge.Config.Validation;

/// <summary>
/// Runs every rule over a config and collects all errors, so one `edge validate` shows them all:
/// YARP's own validation of each route and cluster, then Edge's rules.
/// </summary>
public static class EdgeConfigValidator
{
    public static async Task ValidateAsync(
        IReadOnlyList<RouteConfig> routes,
        IReadOnlyList<ClusterConfig> clusters,
        EdgeOptions edge,
        IConfigValidator? yarpValidator,
        List<ConfigError> errors)
    {
        RouteRules.Validate(routes, clusters, errors);
        ClusterRules.Validate(clusters, errors);
        EdgeRules.Validate(edge, errors);
        ResilienceRules.Validate(edge.Resilience, clusters, errors);
        LimitsRules.Validate(edge, routes, errors);
        CanaryRules.Validate(edge, clusters, errors);
        MigrationRules.Validate(edge, routes, errors);
        DnsRules.Validate(edge.Dns, errors);
        TlsRules.Validate(edge, errors);
        WebSocketRules.Validate(edge.WebSockets, errors);

        if (yarpValidator is null)
        {
            return;
        }

        foreach (var route in routes)
        {
            foreach (var ex in await yarpValidator.ValidateRouteAsync(route).ConfigureAwait(false))
            {
                errors.Add(new ConfigError($"ReverseProxy:Routes:{route.RouteId}", Owned($"Route '{route.RouteId}'", ex.Message)));
            }
        }

        foreach (var cluster in clusters)
        {
            foreach (var ex in await yarpValidator.ValidateClusterAsync(cluster).ConfigureAwait(false))
            {
                errors.Add(new ConfigError($"ReverseProxy:Clusters:{cluster.ClusterId}", Owned($"Cluster '{cluster.ClusterId}'", ex.Message)));
            }
        }
    }

    // YARP's messages usually name the item already; prefix the owner only where they do not.
    private static string Owned(string owner, string message)
        => message.Contains(owner.Split(' ')[1], StringComparison.Ordinal) ? message : $"{owner}: {message}";
}
