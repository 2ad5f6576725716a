using Edge.Config.Model;
using Edge.Config.Tests.TestSupport;

namespace Edge.Config.Tests.Model;

public class ResilienceOptionsTests
{
    // Defaults unlike the built-in ones, so a value taken from them cannot pass for a built-in default.
    private static readonly CircuitBreakerOptions Breaker = new()
    {
        FailureRatio = 0.3,
        SamplingDuration = TimeSpan.FromSeconds(40),
        MinimumThroughput = 7,
        BreakDuration = TimeSpan.FromSeconds(9),
    };

    private static readonly RetryOptions Retry = new() { MaxAttempts = 4, BudgetPercent = 15, BudgetBurst = 6 };

    [Fact]
    public void For_ClusterWithoutOverrides_GetsTheDefaults()
    {
        var options = Options(new Dictionary<string, ClusterResilienceOptions> { ["web"] = new() { MaxConcurrentRequests = 3 } });

        var api = options.For("api");

        Assert.Equal(TimeSpan.FromSeconds(2), api.ConnectTimeout);
        Assert.Equal(Breaker, api.CircuitBreaker);
        Assert.Equal(Retry, api.Retry);
        Assert.Null(api.MaxConcurrentRequests);
    }

    [Fact]
    public void For_OnlyFailureRatioOverridden_KeepsEveryOtherDefault()
    {
        var options = Options(new Dictionary<string, ClusterResilienceOptions>
        {
            ["api"] = new() { CircuitBreaker = new CircuitBreakerOverrides { FailureRatio = 0.9 } },
        });

        var api = options.For("api");

        Assert.Equal(Breaker with { FailureRatio = 0.9 }, api.CircuitBreaker);
        Assert.True(api.CircuitBreaker.Enabled);
        Assert.Equal(Retry, api.Retry);
        Assert.Equal(TimeSpan.FromSeconds(2), api.ConnectTimeout);
        Assert.Null(api.MaxConcurrentRequests);
    }

    [Fact]
    public void For_EveryBreakerKeyOverridden_TakesThemAll()
    {
        var options = Options(new Dictionary<string, ClusterResilienceOptions>
        {
            ["api"] = new()
            {
                CircuitBreaker = new CircuitBreakerOverrides
                {
                    Enabled = false,
                    FailureRatio = 0.8,
                    SamplingDuration = TimeSpan.FromSeconds(11),
                    MinimumThroughput = 3,
                    BreakDuration = TimeSpan.FromSeconds(4),
                },
            },
        });

        var expected = new CircuitBreakerOptions
        {
            Enabled = false,
            FailureRatio = 0.8,
            SamplingDuration = TimeSpan.FromSeconds(11),
            MinimumThroughput = 3,
            BreakDuration = TimeSpan.FromSeconds(4),
        };
        Assert.Equal(expected, options.For("api").CircuitBreaker);
    }

    [Fact]
    public void For_OnlyRetryBudgetOverridden_KeepsOtherRetryDefaults()
    {
        var options = Options(new Dictionary<string, ClusterResilienceOptions>
        {
            ["api"] = new() { Retry = new RetryOverrides { BudgetPercent = 50 } },
        });

        var api = options.For("api");

        Assert.Equal(Retry with { BudgetPercent = 50 }, api.Retry);
        Assert.Equal(Breaker, api.CircuitBreaker);
    }

    [Fact]
    public void For_ConnectTimeoutAndBulkheadOverridden_TakesThem()
    {
        var options = Options(new Dictionary<string, ClusterResilienceOptions>
        {
            ["api"] = new() { ConnectTimeout = TimeSpan.FromMilliseconds(750), MaxConcurrentRequests = 12 },
        });

        var api = options.For("api");

        Assert.Equal(TimeSpan.FromMilliseconds(750), api.ConnectTimeout);
        Assert.Equal(12, api.MaxConcurrentRequests);
        Assert.Equal(Breaker, api.CircuitBreaker);
        Assert.Equal(Retry, api.Retry);
    }

    [Fact]
    public void For_OverridesOfAnotherCluster_DoNotApply()
    {
        var options = Options(new Dictionary<string, ClusterResilienceOptions>
        {
            ["web"] = new() { MaxConcurrentRequests = 1, CircuitBreaker = new CircuitBreakerOverrides { Enabled = false } },
        });

        var api = options.For("api");

        Assert.Null(api.MaxConcurrentRequests);
        Assert.True(api.CircuitBreaker.Enabled);
    }

    [Fact]
    public void For_CalledTwice_GivesEqualSettings()
    {
        // The registry keeps a cluster's state across reloads by comparing these values.
        var options = Options(new Dictionary<string, ClusterResilienceOptions>
        {
            ["api"] = new() { CircuitBreaker = new CircuitBreakerOverrides { MinimumThroughput = 4 }, Retry = new RetryOverrides { MaxAttempts = 3 } },
        });

        Assert.Equal(options.For("api"), options.For("api"));
        Assert.NotEqual(options.For("api"), options.For("web"));
    }

    [Fact]
    public async Task Load_NoResilienceSection_HasTheDocumentedDefaults()
    {
        var snapshot = TestConfig.AssertValid(await TestConfig.LoadWithAsync("{}"));

        var resilience = snapshot.Edge.Resilience;
        Assert.Equal(TimeSpan.FromSeconds(30), resilience.RequestTimeout);
        var api = resilience.For("api");
        Assert.Equal(TimeSpan.FromSeconds(5), api.ConnectTimeout);
        Assert.Equal(new CircuitBreakerOptions { Enabled = true, FailureRatio = 0.5, SamplingDuration = TimeSpan.FromSeconds(30), MinimumThroughput = 20, BreakDuration = TimeSpan.FromSeconds(15) }, api.CircuitBreaker);
        Assert.Equal(new RetryOptions { Enabled = true, MaxAttempts = 2, BudgetPercent = 20, BudgetBurst = 10 }, api.Retry);
        Assert.Null(api.MaxConcurrentRequests);
    }

    [Fact]
    public async Task Load_OverrideOnlyFailureRatio_KeepsTheOtherLoadedDefaults()
    {
        var snapshot = TestConfig.AssertValid(await TestConfig.LoadWithAsync("""
            { "Edge": { "Resilience": {
                "CircuitBreaker": { "MinimumThroughput": 8, "BreakDuration": "00:00:20" },
                "Clusters": { "api": { "CircuitBreaker": { "FailureRatio": 0.75 } } } } } }
            """));

        var api = snapshot.Edge.Resilience.For("api");
        var web = snapshot.Edge.Resilience.For("web");

        Assert.Equal(0.75, api.CircuitBreaker.FailureRatio);
        Assert.Equal(8, api.CircuitBreaker.MinimumThroughput);
        Assert.Equal(TimeSpan.FromSeconds(20), api.CircuitBreaker.BreakDuration);
        Assert.Equal(TimeSpan.FromSeconds(30), api.CircuitBreaker.SamplingDuration);
        Assert.Equal(web.CircuitBreaker with { FailureRatio = 0.75 }, api.CircuitBreaker);
        Assert.Equal(web.Retry, api.Retry);
    }

    [Fact]
    public async Task Load_OverrideKeyInAnotherCase_AppliesToTheCluster()
    {
        var snapshot = TestConfig.AssertValid(await TestConfig.LoadWithAsync("""
            { "Edge": { "Resilience": { "Clusters": { "API": { "MaxConcurrentRequests": 9 } } } } }
            """));

        Assert.Equal(9, snapshot.Edge.Resilience.For("api").MaxConcurrentRequests);
    }

    private static ResilienceOptions Options(IReadOnlyDictionary<string, ClusterResilienceOptions> clusters) => new()
    {
        ConnectTimeout = TimeSpan.FromSeconds(2),
        CircuitBreaker = Breaker,
        Retry = Retry,
        Clusters = clusters,
    };
}
