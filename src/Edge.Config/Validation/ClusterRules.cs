using Yarp.ReverseProxy.Configuration;

namespace Edge.Config.Validation;

/// <summary>Edge's rules for clusters, beyond YARP's own: destinations and affinity policies.</summary>
internal static class ClusterRules
{
    public static void Validate(IReadOnlyList<ClusterConfig> clusters, List<ConfigError> errors)
    {
        foreach (var cluster in clusters)
        {
            var prefix = $"ReverseProxy:Clusters:{cluster.ClusterId}";
            if (cluster.Destinations is null || cluster.Destinations.Count == 0)
            {
                errors.Add(new ConfigError($"{prefix}:Destinations",
                    $"Cluster '{cluster.ClusterId}' has no destinations, so every request to it would fail. Add one under 'Destinations', such as \"a\": {{ \"Address\": \"http://10.0.0.1:8080/\" }}."));
            }
            else
            {
                foreach (var (id, destination) in cluster.Destinations)
                {
                    if (destination is null)
                    {
                        continue;
                    }

                    CheckAddress(cluster.ClusterId, id, destination.Address, $"{prefix}:Destinations:{id}:Address", "Address", errors);
                    if (!string.IsNullOrEmpty(destination.Health))
                    {
                        CheckAddress(cluster.ClusterId, id, destination.Health, $"{prefix}:Destinations:{id}:Health", "Health", errors);
                    }
                }
            }

            if (string.Equals(cluster.SessionAffinity?.Policy, "HashCookie", StringComparison.OrdinalIgnoreCase))
            {
                errors.Add(new ConfigError($"{prefix}:SessionAffinity:Policy",
                    $"Cluster '{cluster.ClusterId}' uses session affinity policy '{cluster.SessionAffinity!.Policy}', which this build cannot run: it needs the System.IO.Hashing package, which is not available. Use 'ArrCookie' (the default here), 'Cookie' or 'CustomHeader'."));
            }
        }
    }

    private static void CheckAddress(string clusterId, string destinationId, string? address, string path, string key, List<ConfigError> errors)
    {
        if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            errors.Add(new ConfigError(path,
                $"Cluster '{clusterId}' destination '{destinationId}' has {key} '{address}', which is not an absolute http or https URL. Write it as 'http://HOST:PORT/', such as 'http://10.0.0.1:8080/'."));
        }
    }
}
