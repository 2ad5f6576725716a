namespace Edge.Config.Model;

/// <summary>The <c>Edge</c> section: what YARP's own schema lacks.</summary>
public sealed class EdgeOptions
{
    public ListenerOptions Listeners { get; init; } = new();

    public ShutdownOptions Shutdown { get; init; } = new();

    public LoggingOptions Logging { get; init; } = new();

    public ReloadOptions Reload { get; init; } = new();

    public ResilienceOptions Resilience { get; init; } = new();

    public RateLimitingOptions RateLimiting { get; init; } = new();

    public LimitsOptions Limits { get; init; } = new();

    public TrustedProxyOptions ForwardedHeaders { get; init; } = new();

    /// <summary>Proxy/DNS two-step migrations, by name.</summary>
    public IReadOnlyDictionary<string, MigrationOptions> Migrations { get; init; } = new Dictionary<string, MigrationOptions>();

    public DnsOptions Dns { get; init; } = new();

    /// <summary>Canaries and progressive rollouts, by the id of their <c>Weighted</c> cluster.</summary>
    public IReadOnlyDictionary<string, CanaryRolloutOptions> Canary { get; init; } = new Dictionary<string, CanaryRolloutOptions>();

    public TracingOptions Tracing { get; init; } = new();

    public MetricsOptions Metrics { get; init; } = new();

    public SecurityOptions Security { get; init; } = new();

    public TlsOptions Tls { get; init; } = new();

    public WebSocketOptions WebSockets { get; init; } = new();
}

/// <summary><c>Edge:Metrics</c>.</summary>
public sealed class MetricsOptions
{
    /// <summary>Aggregate metrics and serve <c>GET /metrics</c>. Read at startup.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>
    /// Also export System.Net.Http's outbound metrics (<c>http_client_*</c>): request duration by
    /// origin, time queued for a connection, connection lifetimes. They cost about 3 % of the
    /// edge's CPU per small request; the edge's own per-destination series remain when they are
    /// off. Read at startup.
    /// </summary>
    public bool OutboundHttp { get; init; } = true;

    /// <summary>
    /// With <see cref="OutboundHttp"/>, also export <c>http_client_open_connections</c> and
    /// <c>http_client_active_requests</c>. .NET updates these gauges two to three times per
    /// proxied request (a connection goes active and idle again each time), which cost about 5 %
    /// of the edge's CPU per small request, so they are off unless asked for. Read at startup.
    /// </summary>
    public bool OutboundHttpGauges { get; init; }
}

public sealed class ListenerOptions
{
    public const string DefaultPublic = "http://0.0.0.0:8080";
    public const string DefaultAdmin = "http://127.0.0.1:9901";

    /// <summary>A ';'-separated list of URLs for proxied traffic.</summary>
    public string Public { get; init; } = DefaultPublic;

    /// <summary>A ';'-separated list of URLs for health, metrics and the admin API.</summary>
    public string Admin { get; init; } = DefaultAdmin;
}

public sealed class ShutdownOptions
{
    /// <summary>How long the edge keeps serving after SIGTERM while <c>/readyz</c> says 503.</summary>
    public TimeSpan DrainDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long in-flight requests get to finish once the edge stops accepting.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);
}

public sealed class LoggingOptions
{
    /// <summary><c>json</c> (one JSON object per line) or <c>text</c>.</summary>
    public string Format { get; init; } = "json";

    /// <summary>Verbose, Debug, Information, Warning, Error or Fatal (Trace and Critical are accepted as aliases).</summary>
    public string Level { get; init; } = "Information";

    /// <summary>One line per proxied request.</summary>
    public bool RequestLogs { get; init; } = true;

    /// <summary>The level request lines are written at (they appear when <see cref="Level"/> lets it through).</summary>
    public string RequestLogLevel { get; init; } = "Information";

    /// <summary>Share (0 to 1) of successful requests logged; 5xx answers and refusals are always logged.</summary>
    public double RequestLogSampling { get; init; } = 1;

    /// <summary>Log the query string too (values of <see cref="RedactQueryKeys"/> replaced).</summary>
    public bool IncludeQueryString { get; init; }

    /// <summary>Query keys whose values never reach the log.</summary>
    public IReadOnlyList<string> RedactQueryKeys { get; init; } = DefaultRedactQueryKeys;

    /// <summary>Request headers to add to each request line; secrets are never logged, even when listed.</summary>
    public IReadOnlyList<string> RequestHeaders { get; init; } = [];

    /// <summary>Headers never logged, beyond Authorization, Proxy-Authorization, Cookie and Set-Cookie which never are.</summary>
    public IReadOnlyList<string> RedactHeaders { get; init; } = ["X-Api-Key"];

    /// <summary>Identical warnings or errors (same source and message template) logged per <see cref="ErrorLogWindow"/>; the rest are counted and reported with the next one.</summary>
    public int ErrorLogBurst { get; init; } = 5;

    public TimeSpan ErrorLogWindow { get; init; } = TimeSpan.FromSeconds(10);

    public static readonly IReadOnlyList<string> DefaultRedactQueryKeys =
        ["access_token", "api_key", "apikey", "code", "key", "password", "secret", "sig", "signature", "token"];

    /// <summary>Headers that carry credentials: never logged whatever the config says.</summary>
    public static readonly IReadOnlyList<string> SecretHeaders = ["Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie"];
}

/// <summary><c>Edge:Tracing</c>: W3C trace context is always propagated; spans are exported only when an endpoint is set.</summary>
public sealed class TracingOptions
{
    /// <summary>OTLP endpoint (e.g. <c>http://otel-collector:4317</c>); unset = no export. Read at startup.</summary>
    public string? OtlpEndpoint { get; init; }

    /// <summary><c>grpc</c> (default) or <c>http/protobuf</c>.</summary>
    public string OtlpProtocol { get; init; } = "grpc";

    /// <summary>Share (0 to 1) of new traces recorded; a trace the client started keeps its own sampling decision.</summary>
    public double SamplingRatio { get; init; } = 1;

    public string ServiceName { get; init; } = "edge";
}

public sealed class ReloadOptions
{
    /// <summary>How often the config file is checked for changes (content, rename or symlink swap).</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);
}
