using System.Security.Cryptography;
using System.Text;
using Edge.Config.Model;
using Edge.Config.Sources;
using Edge.Config.Validation;
using Microsoft.Extensions.Configuration;
using Yarp.ReverseProxy.Configuration;

namespace Edge.Config;

/// <summary>The outcome of reading and checking a config: a snapshot, or every error found.</summary>
public sealed record LoadResult(EdgeConfigSnapshot? Snapshot, IReadOnlyList<ConfigError> Errors)
{
    public bool Succeeded => Snapshot is not null;
}

/// <summary>
/// Builds the effective config: the file's keys, overridden by environment variables, read into
/// YARP's routes and clusters and Edge's options, then validated as a whole.
/// </summary>
public sealed class EdgeConfigLoader(IConfigValidator? yarpValidator, TimeProvider timeProvider)
{
    private static readonly string[] TopLevelKeys = ["ReverseProxy", "Edge"];
    private static readonly string[] ReverseProxyKeys = ["Routes", "Clusters"];

    public async Task<LoadResult> LoadAsync(ConfigSource source, IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken = default)
    {
        byte[]? bytes;
        try
        {
            bytes = await source.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new LoadResult(null, [new ConfigError(source.Name,
                $"Config file '{source.Name}' could not be read: {ex.Message} Check that it is a file the edge's user can read.")]);
        }

        if (bytes is null)
        {
            return new LoadResult(null, [new ConfigError(source.Name,
                $"Config file '{source.Name}' does not exist. Create it, or point --config or {ConfigSource.EnvironmentVariable} at an existing file.")]);
        }

        return await LoadAsync(bytes, source.Name, environment).ConfigureAwait(false);
    }

    public async Task<LoadResult> LoadAsync(ReadOnlyMemory<byte> json, string sourceName, IReadOnlyDictionary<string, string> environment)
    {
        try
        {
            return await LoadCoreAsync(json, sourceName, environment).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A config must never crash the edge, whatever shape it has: refuse it instead.
            return new LoadResult(null, [new ConfigError(sourceName,
                $"{sourceName} could not be read: {ex.GetType().Name}: {ex.Message}. This is a bug in Edge's config reader; the config is refused and the last good one keeps serving.")]);
        }
    }

    private async Task<LoadResult> LoadCoreAsync(ReadOnlyMemory<byte> json, string sourceName, IReadOnlyDictionary<string, string> environment)
    {
        var errors = new List<ConfigError>();
        var data = JsonFlattener.Flatten(json, sourceName, errors);
        var unknownTop = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var key in data.Keys)
        {
            var top = key.Split(':')[0];
            if (!TopLevelKeys.Contains(top, StringComparer.OrdinalIgnoreCase) && top != "$schema" && unknownTop.Add(top))
            {
                errors.Add(UnknownKey(sourceName, top, top, TopLevelKeys, string.Empty));
            }
        }

        var variables = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value, variable) in EnvironmentSource.Overrides(environment))
        {
            data[key] = value;
            variables[key] = variable;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(data).Build();
        string DescribeSource(string path)
        {
            // The key itself, or for a section every variable beneath it (Edge__Listners__Public names 'Listners').
            var setBy = variables
                .Where(v => string.Equals(v.Key, path, StringComparison.OrdinalIgnoreCase) || v.Key.StartsWith(path + ":", StringComparison.OrdinalIgnoreCase))
                .Select(v => v.Value)
                .Order(StringComparer.Ordinal)
                .ToList();
            return setBy.Count == 0 ? string.Empty : $" (set by environment variable {string.Join(", ", setBy)})";
        }

        var reader = new ConfigReader(errors, DescribeSource);
        reader.KeyProperties.Add((typeof(RouteConfig), nameof(RouteConfig.RouteId)));
        reader.KeyProperties.Add((typeof(ClusterConfig), nameof(ClusterConfig.ClusterId)));

        var proxy = configuration.GetSection("ReverseProxy");
        foreach (var child in proxy.GetChildren())
        {
            if (!ReverseProxyKeys.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                errors.Add(UnknownKey("ReverseProxy", child.Path, child.Key, ReverseProxyKeys, DescribeSource(child.Path)));
            }
        }

        var edge = reader.Read<EdgeOptions>(configuration.GetSection("Edge"), "Edge");

        var routes = new List<RouteConfig>();
        foreach (var section in proxy.GetSection("Routes").GetChildren())
        {
            var route = reader.Read<RouteConfig>(section, $"Route '{section.Key}'") with { RouteId = section.Key };
            routes.Add(ProxyDefaults.Apply(route, edge));
        }

        var clusters = new List<ClusterConfig>();
        foreach (var section in proxy.GetSection("Clusters").GetChildren())
        {
            var cluster = reader.Read<ClusterConfig>(section, $"Cluster '{section.Key}'") with { ClusterId = section.Key };
            clusters.Add(ProxyDefaults.Apply(cluster, edge));
        }

        // A migration asking for Proxy phase brings its cluster, so it is validated, has its
        // resilience state and HTTP client before the governor lets any route use it.
        foreach (var (name, migration) in edge.Migrations)
        {
            if (migration.Phase == MigrationPhase.Proxy && MigrationProxy.Cluster(name, migration) is { } cluster)
            {
                clusters.Add(ProxyDefaults.Apply(cluster, edge));
            }
        }

        await EdgeConfigValidator.ValidateAsync(routes, clusters, edge, yarpValidator, errors).ConfigureAwait(false);
        if (errors.Count > 0)
        {
            return new LoadResult(null, errors);
        }

        var snapshot = new EdgeConfigSnapshot(Hash(configuration), sourceName, timeProvider.GetUtcNow(), routes, clusters, edge);
        return new LoadResult(snapshot, []);
    }

    private static ConfigError UnknownKey(string owner, string path, string key, string[] known, string source)
    {
        var suggestion = DidYouMean.Suggest(key, known);
        var hint = suggestion is null ? string.Empty : $" Did you mean '{suggestion}'?";
        return new ConfigError(path, $"{owner}: unknown key '{path}'.{hint} Known keys here: {string.Join(", ", known)}.{source}");
    }

    /// <summary>A short, stable hash of the effective keys: equal configs give equal versions.</summary>
    private static string Hash(IConfiguration configuration)
    {
        var entries = configuration.AsEnumerable()
            .Where(e => e.Value is not null && TopLevelKeys.Any(t => e.Key.StartsWith(t + ":", StringComparison.OrdinalIgnoreCase)))
            .Select(e => e.Key.ToUpperInvariant() + "=" + e.Value)
            .Order(StringComparer.Ordinal);
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', entries)));
        return Convert.ToHexStringLower(hash.AsSpan(0, 8));
    }
}
