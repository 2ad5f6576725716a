using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace Edge.Config.Model;

/// <summary>
/// <c>Edge:Migrations:&lt;name&gt;</c>: routes moved to a new site with the proxy/DNS two-step. In
/// <see cref="MigrationPhase.Proxy"/> this edge forwards the routes' requests, as clients sent
/// them, to <see cref="Target"/>; in <see cref="MigrationPhase.Off"/> they serve from their own clusters.
/// </summary>
public sealed class MigrationOptions
{
    /// <summary>Ids of the routes that move.</summary>
    public IReadOnlyList<string> Routes { get; init; } = [];

    /// <summary>The new site, by its own name or address (not the public name, which still points here until step 2).</summary>
    public string? Target { get; init; }

    public MigrationPhase Phase { get; init; } = MigrationPhase.Off;

    /// <summary>The Host header the target receives: the client's (default) or the target's own.</summary>
    public MigrationHostHeader HostHeader { get; init; } = MigrationHostHeader.Original;

    /// <summary>The probe that must pass before the edge enters <see cref="MigrationPhase.Proxy"/>.</summary>
    public MigrationHealthCheckOptions HealthCheck { get; init; } = new();

    /// <summary>Time without a request, in Proxy phase, after which the migration reports <c>drained</c>.</summary>
    public TimeSpan QuietPeriod { get; init; } = TimeSpan.FromHours(1);

    /// <summary>YARP's HttpClient settings for the connection to the target (TLS protocols, certificate checks...).</summary>
    public HttpClientConfig? HttpClient { get; init; }

    /// <summary>YARP's HttpRequest settings for requests to the target (HTTP version, activity timeout...).</summary>
    public ForwarderRequestConfig? HttpRequest { get; init; }
}

public enum MigrationPhase
{
    /// <summary>The routes serve from their own clusters.</summary>
    Off,

    /// <summary>The routes are forwarded to the migration's target.</summary>
    Proxy,
}

public enum MigrationHostHeader
{
    /// <summary>The Host the client sent, as the new site will receive it once DNS points there.</summary>
    Original,

    /// <summary>The target's own host and port.</summary>
    Target,
}

public sealed class MigrationHealthCheckOptions
{
    /// <summary>Path probed on the target; any 2xx answer passes.</summary>
    public string Path { get; init; } = "/";

    /// <summary>Host header of the probe; by default the one requests will carry (see <see cref="MigrationProxy.ProbeHost"/>).</summary>
    public string? Host { get; init; }

    /// <summary>Time between probes while entering Proxy is held.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(2);
}
