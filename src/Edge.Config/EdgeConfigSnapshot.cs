using Edge.Config.Model;
using Yarp.ReverseProxy.Configuration;

namespace Edge.Config;

/// <summary>One effective, validated config: what a reload swaps in as a whole.</summary>
public sealed record EdgeConfigSnapshot(
    string Version,
    string Source,
    DateTimeOffset LoadedAt,
    IReadOnlyList<RouteConfig> Routes,
    IReadOnlyList<ClusterConfig> Clusters,
    EdgeOptions Edge);
