using Yarp.ReverseProxy.Configuration;

namespace Edge.Config.Model;

/// <summary>
/// How a migration is realised in YARP's config: a generated cluster whose one destination is the
/// target (present while the migration asks for Proxy phase), and, once the governor has let it
/// enter Proxy, its routes pointed at that cluster.
/// </summary>
public static class MigrationProxy
{
    /// <summary>
    /// Prefix of generated cluster ids. A config key cannot hold ':' (it separates sections), so no
    /// cluster written in a file or the environment can take such an id.
    /// </summary>
    public const string ClusterPrefix = "migration:";

    public const string DestinationId = "target";

    private static readonly IReadOnlyList<IReadOnlyDictionary<string, string>> OriginalHost =
        [new Dictionary<string, string> { ["RequestHeaderOriginalHost"] = "true" }];

    public static string ClusterId(string migration) => ClusterPrefix + migration;

    /// <summary>The target as an absolute http or https URL, or null when it is not one (validation says so).</summary>
    public static Uri? TargetUri(MigrationOptions migration)
        => Uri.TryCreate(migration.Target, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            ? uri
            : null;

    /// <summary>The cluster a migration forwards to; null when its target is not a URL.</summary>
    public static ClusterConfig? Cluster(string name, MigrationOptions migration)
        => TargetUri(migration) is null
            ? null
            : new ClusterConfig
            {
                ClusterId = ClusterId(name),
                Destinations = new Dictionary<string, DestinationConfig>(StringComparer.OrdinalIgnoreCase)
                {
                    [DestinationId] = new DestinationConfig { Address = migration.Target! },
                },
                HttpClient = migration.HttpClient,
                HttpRequest = migration.HttpRequest,
            };

    /// <summary>The routes as YARP sees them: those of the <paramref name="entered"/> migrations forward to their targets.</summary>
    public static IReadOnlyList<RouteConfig> Routes(
        IReadOnlyList<RouteConfig> routes,
        IReadOnlyDictionary<string, MigrationOptions> migrations,
        IReadOnlyCollection<string> entered)
    {
        if (entered.Count == 0)
        {
            return routes;
        }

        var moved = new Dictionary<string, (string Name, MigrationOptions Options)>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in entered)
        {
            if (migrations.TryGetValue(name, out var migration))
            {
                foreach (var routeId in migration.Routes)
                {
                    moved[routeId] = (name, migration);
                }
            }
        }

        var result = new List<RouteConfig>(routes.Count);
        foreach (var route in routes)
        {
            result.Add(moved.TryGetValue(route.RouteId, out var by) ? Forwarded(route, by.Name, by.Options) : route);
        }

        return result;
    }

    /// <summary>
    /// The route forwarding to the target. Its own transforms are dropped: they shaped requests for
    /// the old origins, while the new site must receive what clients will send it directly once DNS
    /// points there. No transform names X-Forwarded, so YARP's default applies: X-Forwarded-For,
    /// -Proto, -Host and -Prefix, set from this request. Match, order, timeout and the route's
    /// metadata (rate limits, body size) stay: the old edge still protects itself.
    /// </summary>
    public static RouteConfig Forwarded(RouteConfig route, string name, MigrationOptions migration)
        => route with
        {
            ClusterId = ClusterId(name),
            Transforms = migration.HostHeader == MigrationHostHeader.Original ? OriginalHost : [],
        };

    /// <summary>
    /// The Host header of the governor's probe: <c>HealthCheck:Host</c> when set; else, when the
    /// original Host is sent, the first literal host the migration's routes match (what clients will
    /// send); else the target's own. TLS SNI follows the Host header, so the probe also checks that
    /// the target presents a certificate for that name.
    /// </summary>
    public static string ProbeHost(MigrationOptions migration, IReadOnlyList<RouteConfig> routes, Uri target)
    {
        if (!string.IsNullOrEmpty(migration.HealthCheck.Host))
        {
            return migration.HealthCheck.Host;
        }

        if (migration.HostHeader == MigrationHostHeader.Original)
        {
            foreach (var routeId in migration.Routes)
            {
                var route = routes.FirstOrDefault(r => string.Equals(r.RouteId, routeId, StringComparison.OrdinalIgnoreCase));
                var host = route?.Match?.Hosts?.FirstOrDefault(h => !h.Contains('*', StringComparison.Ordinal));
                if (!string.IsNullOrEmpty(host))
                {
                    return host;
                }
            }
        }

        return target.Authority;
    }

    /// <summary>The probe's URL: the target's path with the probe path appended, as YARP composes health probes.</summary>
    public static Uri ProbeUri(Uri target, string path)
        => new(target.GetLeftPart(UriPartial.Authority) + target.AbsolutePath.TrimEnd('/') + path);
}
