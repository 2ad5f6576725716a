namespace Edge.Config.Model;

/// <summary><c>Edge:RateLimiting</c>: named rate-limit policies that routes opt into with YARP's <c>RateLimiterPolicy</c>.</summary>
public sealed class RateLimitingOptions
{
    /// <summary>Policies by name.</summary>
    public IReadOnlyDictionary<string, RateLimitPolicyOptions> Policies { get; init; } = new Dictionary<string, RateLimitPolicyOptions>();

    /// <summary>The policy for routes that name none; a route opts out with <c>RateLimiterPolicy: "Disable"</c>.</summary>
    public string? DefaultPolicy { get; init; }

    /// <summary>YARP's reserved policy names: <c>Default</c> (the default policy) and <c>Disable</c> (none).</summary>
    public const string Default = "Default";

    /// <inheritdoc cref="Default"/>
    public const string Disable = "Disable";

    /// <summary>The policy a route is limited by, or null for none.</summary>
    public string? PolicyFor(Yarp.ReverseProxy.Configuration.RouteConfig route)
    {
        string? own = null;
        route.Metadata?.TryGetValue(ProxyDefaults.RateLimiterPolicyKey, out own);
        if (string.Equals(own, Disable, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        return string.IsNullOrEmpty(own) || string.Equals(own, Default, StringComparison.OrdinalIgnoreCase)
            ? (string.IsNullOrEmpty(DefaultPolicy) ? null : DefaultPolicy)
            : own;
    }
}

/// <summary>The algorithms of System.Threading.RateLimiting.</summary>
public enum RateLimitKind
{
    FixedWindow,
    SlidingWindow,
    TokenBucket,
    Concurrency,
}

/// <summary>
/// One policy: a System.Threading.RateLimiting limiter per partition. The option names are that
/// library's; which of them a kind needs is checked by validation.
/// </summary>
public sealed record RateLimitPolicyOptions
{
    public RateLimitKind? Kind { get; init; }

    /// <summary>Requests per window (FixedWindow, SlidingWindow) or at once (Concurrency).</summary>
    public int? PermitLimit { get; init; }

    /// <summary>FixedWindow and SlidingWindow.</summary>
    public TimeSpan? Window { get; init; }

    /// <summary>SlidingWindow only.</summary>
    public int? SegmentsPerWindow { get; init; }

    /// <summary>TokenBucket: the bucket's size (the burst).</summary>
    public int? TokenLimit { get; init; }

    /// <summary>TokenBucket: tokens added each period.</summary>
    public int? TokensPerPeriod { get; init; }

    /// <summary>TokenBucket: how often tokens are added.</summary>
    public TimeSpan? ReplenishmentPeriod { get; init; }

    /// <summary>Requests that may wait for a permit instead of being refused at once (default 0: refuse).</summary>
    public int QueueLimit { get; init; }

    /// <summary><c>ClientIp</c> (default), <c>Header:&lt;name&gt;</c>, <c>Route</c> or <c>Global</c>.</summary>
    public string PartitionBy { get; init; } = "ClientIp";

    /// <summary>
    /// With <c>Header:&lt;name&gt;</c>: the limit (PermitLimit, or TokenLimit for a token bucket) of
    /// the one partition shared by every request without the header. Default: the policy's own.
    /// </summary>
    public int? AnonymousPermitLimit { get; init; }
}

/// <summary><c>Edge:Limits</c>: edge-wide limits on work and sizes.</summary>
public sealed class LimitsOptions
{
    public const long DefaultMaxRequestBodySize = 30_000_000;

    /// <summary>Proxied requests in flight at once across the edge; beyond it (and the queue) 503. Unset: no limit.</summary>
    public int? MaxConcurrentRequests { get; init; }

    /// <summary>Requests that may wait for a slot when <see cref="MaxConcurrentRequests"/> is reached (default 0).</summary>
    public int MaxQueuedRequests { get; init; }

    /// <summary>Largest request body in bytes; a route may lower or raise it with <c>Metadata.MaxRequestBodySize</c>.</summary>
    public long MaxRequestBodySize { get; init; } = DefaultMaxRequestBodySize;

    /// <summary>Open connections on the public listener(s); excess connections are closed at once. The admin listener is not counted.</summary>
    public int MaxConcurrentConnections { get; init; } = 10_000;

    /// <summary>Total size of a request's headers in bytes (431 beyond). Applied at startup.</summary>
    public int MaxRequestHeadersTotalSize { get; init; } = 32 * 1024;

    /// <summary>Number of request headers (431 beyond). Applied at startup.</summary>
    public int MaxRequestHeaderCount { get; init; } = 100;

    /// <summary>Length of the request line in bytes (414 beyond). Applied at startup.</summary>
    public int MaxRequestLineSize { get; init; } = 8 * 1024;

    /// <summary>How long a client may take to send its request headers. Applied at startup.</summary>
    public TimeSpan RequestHeadersTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a connection may stay open with no request in progress: idle between requests, and
    /// silent before its first byte (Kestrel times the request headers only from the first byte).
    /// nginx's default, shorter than Kestrel's 130 s. Applied at startup.
    /// </summary>
    public TimeSpan KeepAliveTimeout { get; init; } = TimeSpan.FromSeconds(75);

    /// <summary>Kestrel's default for both minimum data rates, in bytes per second.</summary>
    public const double DefaultMinDataRate = 240;

    /// <summary>Slowest request body upload, in bytes per second, once the grace period is over; slower clients are cut. Applied at startup.</summary>
    public double MinRequestBodyDataRate { get; init; } = DefaultMinDataRate;

    /// <summary>How long a body upload may run below <see cref="MinRequestBodyDataRate"/> before it counts. Applied at startup.</summary>
    public TimeSpan MinRequestBodyDataRateGracePeriod { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Slowest a client may read a response, in bytes per second, once the grace period is over; slower readers are cut. Applied at startup.</summary>
    public double MinResponseDataRate { get; init; } = DefaultMinDataRate;

    /// <summary>How long a response may be read below <see cref="MinResponseDataRate"/> before it counts. Applied at startup.</summary>
    public TimeSpan MinResponseDataRateGracePeriod { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary><c>Edge:Limits:Http2</c>: limits of HTTP/2 client connections (https and h2c listeners).</summary>
    public Http2LimitsOptions Http2 { get; init; } = new();
}

/// <summary><c>Edge:Limits:Http2</c>: what one HTTP/2 client connection may ask for. Applied at startup.</summary>
public sealed class Http2LimitsOptions
{
    /// <summary>Streams open at once on one connection (SETTINGS_MAX_CONCURRENT_STREAMS); more are refused with RST_STREAM.</summary>
    public int MaxStreamsPerConnection { get; init; } = 100;

    /// <summary>Largest single header field (name and value, HPACK-decoded) in bytes; a larger one closes the connection.</summary>
    public int MaxRequestHeaderFieldSize { get; init; } = 16 * 1024;
}

/// <summary><c>Edge:ForwardedHeaders</c>: which peers may tell the edge who the client is.</summary>
public sealed class TrustedProxyOptions
{
    /// <summary>IP addresses of proxies in front of the edge whose <c>X-Forwarded-For</c>/<c>-Proto</c> are believed.</summary>
    public IReadOnlyList<string> KnownProxies { get; init; } = [];

    /// <summary>CIDR ranges (e.g. <c>10.0.0.0/8</c>) of such proxies.</summary>
    public IReadOnlyList<string> KnownNetworks { get; init; } = [];
}

public enum PartitionKind
{
    ClientIp,
    Header,
    Route,
    Global,
}

/// <summary>A policy's <c>PartitionBy</c>, parsed: what splits requests into separate budgets.</summary>
public sealed record PartitionKey(PartitionKind Kind, string? Header)
{
    private const string HeaderPrefix = "Header:";

    /// <summary>Null when the text is not a partition (ClientIp, Header:&lt;name&gt;, Route or Global).</summary>
    public static PartitionKey? Parse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (value.StartsWith(HeaderPrefix, StringComparison.OrdinalIgnoreCase))
        {
            var name = value[HeaderPrefix.Length..].Trim();
            return name.Length > 0 && name.All(c => c > ' ' && c < 127 && c != ':')
                ? new PartitionKey(PartitionKind.Header, name)
                : null;
        }

        // Names only: Enum.TryParse would also take numbers ("2") and lists ("ClientIp,Route").
        var trimmed = value.Trim();
        foreach (var kind in (PartitionKind[])[PartitionKind.ClientIp, PartitionKind.Route, PartitionKind.Global])
        {
            if (string.Equals(trimmed, kind.ToString(), StringComparison.OrdinalIgnoreCase))
            {
                return new PartitionKey(kind, null);
            }
        }

        return null;
    }
}
