namespace Edge.Config.Model;

/// <summary><c>Edge:Resilience</c>: timeouts, circuit breakers, retries and bulkheads, with per-cluster overrides.</summary>
public sealed class ResilienceOptions
{
    /// <summary>Default route timeout, for routes without their own <c>Timeout</c> or <c>TimeoutPolicy</c>.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a connection to an origin may take to open.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    public CircuitBreakerOptions CircuitBreaker { get; init; } = new();

    public RetryOptions Retry { get; init; } = new();

    /// <summary>Overrides by cluster id.</summary>
    public IReadOnlyDictionary<string, ClusterResilienceOptions> Clusters { get; init; } = new Dictionary<string, ClusterResilienceOptions>();

    /// <summary>The settings in force for one cluster: its overrides over the defaults above.</summary>
    public EffectiveResilience For(string clusterId)
    {
        var own = Clusters.TryGetValue(clusterId, out var o) ? o : null;
        return new EffectiveResilience(
            own?.ConnectTimeout ?? ConnectTimeout,
            own?.CircuitBreaker?.Over(CircuitBreaker) ?? CircuitBreaker,
            own?.Retry?.Over(Retry) ?? Retry,
            own?.MaxConcurrentRequests);
    }
}

public sealed record EffectiveResilience(TimeSpan ConnectTimeout, CircuitBreakerOptions CircuitBreaker, RetryOptions Retry, int? MaxConcurrentRequests);

/// <summary>A per-destination circuit breaker (Polly): opens on a failure ratio over a sampling window.</summary>
public sealed record CircuitBreakerOptions
{
    public bool Enabled { get; init; } = true;

    /// <summary>Share of failed requests (5xx or transport errors) that opens the circuit, above 0 and at most 1.</summary>
    public double FailureRatio { get; init; } = 0.5;

    public TimeSpan SamplingDuration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Requests needed in the window before the ratio counts (at least 2).</summary>
    public int MinimumThroughput { get; init; } = 20;

    /// <summary>How long the circuit stays open before one trial request (half-open).</summary>
    public TimeSpan BreakDuration { get; init; } = TimeSpan.FromSeconds(15);
}

/// <summary>Safe retries to another destination, within a budget.</summary>
public sealed record RetryOptions
{
    public bool Enabled { get; init; } = true;

    /// <summary>Attempts in all, the first included; 1 means no retry.</summary>
    public int MaxAttempts { get; init; } = 2;

    /// <summary>Retries may add at most this share of a cluster's requests (percent).</summary>
    public double BudgetPercent { get; init; } = 20;

    /// <summary>Retries allowed before the budget has filled from traffic, and the most it saves up.</summary>
    public int BudgetBurst { get; init; } = 10;
}

public sealed class ClusterResilienceOptions
{
    /// <summary>Concurrent requests beyond which the cluster answers 503 at once (bulkhead); none by default.</summary>
    public int? MaxConcurrentRequests { get; init; }

    public TimeSpan? ConnectTimeout { get; init; }

    public CircuitBreakerOverrides? CircuitBreaker { get; init; }

    public RetryOverrides? Retry { get; init; }
}

public sealed class CircuitBreakerOverrides
{
    public bool? Enabled { get; init; }

    public double? FailureRatio { get; init; }

    public TimeSpan? SamplingDuration { get; init; }

    public int? MinimumThroughput { get; init; }

    public TimeSpan? BreakDuration { get; init; }

    /// <summary>Every setting of <paramref name="options"/>, as overrides: one set of checks serves defaults and overrides.</summary>
    public static CircuitBreakerOverrides From(CircuitBreakerOptions options) => new()
    {
        Enabled = options.Enabled,
        FailureRatio = options.FailureRatio,
        SamplingDuration = options.SamplingDuration,
        MinimumThroughput = options.MinimumThroughput,
        BreakDuration = options.BreakDuration,
    };

    public CircuitBreakerOptions Over(CircuitBreakerOptions defaults) => new()
    {
        Enabled = Enabled ?? defaults.Enabled,
        FailureRatio = FailureRatio ?? defaults.FailureRatio,
        SamplingDuration = SamplingDuration ?? defaults.SamplingDuration,
        MinimumThroughput = MinimumThroughput ?? defaults.MinimumThroughput,
        BreakDuration = BreakDuration ?? defaults.BreakDuration,
    };
}

public sealed class RetryOverrides
{
    public bool? Enabled { get; init; }

    public int? MaxAttempts { get; init; }

    public double? BudgetPercent { get; init; }

    public int? BudgetBurst { get; init; }

    /// <summary>Every setting of <paramref name="options"/>, as overrides: one set of checks serves defaults and overrides.</summary>
    public static RetryOverrides From(RetryOptions options) => new()
    {
        Enabled = options.Enabled,
        MaxAttempts = options.MaxAttempts,
        BudgetPercent = options.BudgetPercent,
        BudgetBurst = options.BudgetBurst,
    };

    public RetryOptions Over(RetryOptions defaults) => new()
    {
        Enabled = Enabled ?? defaults.Enabled,
        MaxAttempts = MaxAttempts ?? defaults.MaxAttempts,
        BudgetPercent = BudgetPercent ?? defaults.BudgetPercent,
        BudgetBurst = BudgetBurst ?? defaults.BudgetBurst,
    };
}
