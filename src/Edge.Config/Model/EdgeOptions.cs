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
}

public sealed class ReloadOptions
{
    /// <summary>How often the config file is checked for changes (content, rename or symlink swap).</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);
}
