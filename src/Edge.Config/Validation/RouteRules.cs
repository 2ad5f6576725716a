using Yarp.ReverseProxy.Configuration;

namespace Edge.Config.Validation;

/// <summary>Edge's rules for routes, beyond YARP's own: cluster references and ambiguous matches.</summary>
internal static class RouteRules
{
    public static void Validate(IReadOnlyList<RouteConfig> routes, IReadOnlyList<ClusterConfig> clusters, List<ConfigError> errors)
    {
        var known = clusters.Select(c => c.ClusterId).ToList();
        var knownText = known.Count == 0 ? "none are defined" : string.Join(", ", known.Select(k => $"'{k}'"));
        foreach (var route in routes)
        {
            var path = $"ReverseProxy:Routes:{route.RouteId}:ClusterId";
            if (string.IsNullOrWhiteSpace(route.ClusterId))
            {
                errors.Add(new ConfigError(path, $"Route '{route.RouteId}' has no ClusterId. Set 'ClusterId' to the cluster that serves it. Known clusters: {knownText}."));
            }
            else if (!known.Contains(route.ClusterId, StringComparer.OrdinalIgnoreCase))
            {
                var suggestion = DidYouMean.Suggest(route.ClusterId, known);
                var hint = suggestion is null ? string.Empty : $" Did you mean '{suggestion}'?";
                errors.Add(new ConfigError(path, $"Route '{route.RouteId}' references cluster '{route.ClusterId}', which does not exist.{hint} Known clusters: {knownText}."));
            }
        }

        foreach (var route in routes)
        {
            // The edge runs no authentication or CORS middleware, so these would fail every
            // matching request at run time; refuse them while the config can still be fixed.
            if (!string.IsNullOrEmpty(route.AuthorizationPolicy) && !string.Equals(route.AuthorizationPolicy, "Anonymous", StringComparison.OrdinalIgnoreCase))
            {
                errors.Add(new ConfigError($"ReverseProxy:Routes:{route.RouteId}:AuthorizationPolicy",
                    $"Route '{route.RouteId}' has AuthorizationPolicy '{route.AuthorizationPolicy}', but Edge does not authenticate clients; the origin must. Remove the key (or use 'Anonymous')."));
            }

            if (!string.IsNullOrEmpty(route.CorsPolicy))
            {
                errors.Add(new ConfigError($"ReverseProxy:Routes:{route.RouteId}:CorsPolicy",
                    $"Route '{route.RouteId}' has CorsPolicy '{route.CorsPolicy}', but Edge defines no CORS policies. Remove the key: serve the API on the same origin (under /backend) so no CORS is needed, or let the origin answer CORS requests."));
            }
        }

        // Two routes that match the same requests at the same order make ASP.NET's matcher throw
        // at request time; catch it while the config can still be refused.
        var seen = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var route in routes)
        {
            var signature = MatchSignature(route);
            if (signature is null)
            {
                continue;
            }

            if (seen.TryGetValue(signature, out var first))
            {
                errors.Add(new ConfigError($"ReverseProxy:Routes:{route.RouteId}:Match",
                    $"Route '{route.RouteId}' matches exactly the same requests as route '{first}' (same Path, Hosts, Methods and Order), so requests would be ambiguous. Change its Match or give one of them a different 'Order'."));
            }
            else
            {
                seen[signature] = route.RouteId;
            }
        }
    }

    private static string? MatchSignature(RouteConfig route)
    {
        var match = route.Match;
        if (match is null || match.Headers is { Count: > 0 } || match.QueryParameters is { Count: > 0 })
        {
            return null;
        }

        static string Set(IReadOnlyList<string>? values) => values is null ? string.Empty : string.Join(",", values.Select(v => v.ToUpperInvariant()).Order());
        // YARP maps a missing Path to the catch-all; "/" matches only the root, so it is not trimmed away.
        var path = string.IsNullOrEmpty(match.Path) ? "/{**catchall}" : match.Path.Length > 1 ? match.Path.TrimEnd('/') : match.Path;
        return $"{path}|{Set(match.Hosts)}|{Set(match.Methods)}|{route.Order}";
    }
}
