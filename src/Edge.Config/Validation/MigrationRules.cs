using Edge.Config.Model;
using Yarp.ReverseProxy.Configuration;

namespace Edge.Config.Validation;

/// <summary>Rules for <c>Edge:Migrations</c>: the routes exist and move with one migration, the target is a URL that does not lead back here.</summary>
internal static class MigrationRules
{
    private const string Prefix = "Edge:Migrations";

    public static void Validate(EdgeOptions edge, IReadOnlyList<RouteConfig> routes, List<ConfigError> errors)
    {
        var known = routes.Select(r => r.RouteId).ToList();
        var knownText = known.Count == 0 ? "none are defined" : string.Join(", ", known.Select(k => $"'{k}'"));
        var owners = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, migration) in edge.Migrations)
        {
            var path = $"{Prefix}:{name}";
            var owner = $"Migration '{name}'";
            if (migration.Routes.Count == 0)
            {
                errors.Add(new ConfigError($"{path}:Routes",
                    $"{owner} lists no routes. Set 'Routes' to the ids of the routes that move, such as [\"{known.FirstOrDefault() ?? "api"}\"]. Known routes: {knownText}."));
            }

            foreach (var routeId in migration.Routes)
            {
                if (!known.Contains(routeId, StringComparer.OrdinalIgnoreCase))
                {
                    var suggestion = DidYouMean.Suggest(routeId, known);
                    var hint = suggestion is null ? string.Empty : $" Did you mean '{suggestion}'?";
                    errors.Add(new ConfigError($"{path}:Routes",
                        $"{owner} lists route '{routeId}', which does not exist.{hint} Known routes: {knownText}."));
                }
                else if (owners.TryGetValue(routeId, out var first))
                {
                    errors.Add(new ConfigError($"{path}:Routes",
                        $"{owner} lists route '{routeId}', which migration '{first}' already moves. A route moves with one migration at a time: remove it from one of them."));
                }
                else
                {
                    owners[routeId] = name;
                }
            }

            Target(path, owner, migration, routes, errors);

            if (migration.QuietPeriod <= TimeSpan.Zero)
            {
                errors.Add(new ConfigError($"{path}:QuietPeriod",
                    $"{owner} has QuietPeriod '{migration.QuietPeriod}'; it must be positive, such as '01:00:00' (the default), the time without requests after which the old site counts as drained."));
            }

            var health = migration.HealthCheck;
            if (!health.Path.StartsWith('/'))
            {
                errors.Add(new ConfigError($"{path}:HealthCheck:Path",
                    $"{owner} has HealthCheck:Path '{health.Path}'; it must start with '/', such as '/healthz'."));
            }

            if (health.Interval < TimeSpan.FromMilliseconds(100))
            {
                errors.Add(new ConfigError($"{path}:HealthCheck:Interval",
                    $"{owner} has HealthCheck:Interval '{health.Interval}'; it must be at least 00:00:00.100. The default is 00:00:05."));
            }

            if (health.Timeout <= TimeSpan.Zero)
            {
                errors.Add(new ConfigError($"{path}:HealthCheck:Timeout",
                    $"{owner} has HealthCheck:Timeout '{health.Timeout}'; it must be positive. The default is 00:00:02."));
            }
        }
    }

    private static void Target(string path, string owner, MigrationOptions migration, IReadOnlyList<RouteConfig> routes, List<ConfigError> errors)
    {
        if (string.IsNullOrWhiteSpace(migration.Target))
        {
            errors.Add(new ConfigError($"{path}:Target",
                $"{owner} has no Target. Set it to the new site's own address, such as 'https://new-site.example.net/'."));
            return;
        }

        if (MigrationProxy.TargetUri(migration) is not { } target)
        {
            errors.Add(new ConfigError($"{path}:Target",
                $"{owner} has Target '{migration.Target}', which is not an absolute http or https URL. Write the new site's own address, such as 'https://new-site.example.net/'."));
            return;
        }

        if (!string.IsNullOrEmpty(target.Query) || !string.IsNullOrEmpty(target.Fragment))
        {
            errors.Add(new ConfigError($"{path}:Target",
                $"{owner} has Target '{migration.Target}' with a query or fragment; give the scheme, host, port and at most a path, such as 'https://new-site.example.net/'."));
        }

        // Until DNS moves (step 2), the public name still leads to this edge: forwarding to it would loop.
        foreach (var routeId in migration.Routes)
        {
            var route = routes.FirstOrDefault(r => string.Equals(r.RouteId, routeId, StringComparison.OrdinalIgnoreCase));
            var host = route?.Match?.Hosts?.FirstOrDefault(h => string.Equals(HostName(h), target.IdnHost, StringComparison.OrdinalIgnoreCase));
            if (host is not null)
            {
                errors.Add(new ConfigError($"{path}:Target",
                    $"{owner} has Target '{migration.Target}', whose host '{target.IdnHost}' is a host route '{route!.RouteId}' answers here: until DNS moves, that name leads back to this edge and requests would loop. Address the new site by its own name or IP address; the original Host is still sent (HostHeader 'Original', the default)."));
                return;
            }
        }
    }

    private static string HostName(string host)
    {
        var colon = host.LastIndexOf(':');
        return colon > 0 && !host.EndsWith(']') ? host[..colon] : host;
    }
}
