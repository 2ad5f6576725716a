using Edge.Config.Tests.TestSupport;

namespace Edge.Config.Tests.Validation;

public class ResilienceRulesTests
{
    [Theory]
    // Timeouts.
    [InlineData("""{ "RequestTimeout": "00:00:00" }""",
        "Edge:Resilience:RequestTimeout is '00:00:00'", "must be positive")]
    [InlineData("""{ "RequestTimeout": "-00:00:05" }""",
        "Edge:Resilience:RequestTimeout is '-00:00:05'", "must be positive")]
    [InlineData("""{ "ConnectTimeout": "00:00:00" }""",
        "Edge:Resilience:ConnectTimeout is '00:00:00'", "must be positive")]
    // Circuit breaker defaults.
    [InlineData("""{ "CircuitBreaker": { "FailureRatio": 0 } }""",
        "Edge:Resilience:CircuitBreaker:FailureRatio is 0;", "above 0 and at most 1")]
    [InlineData("""{ "CircuitBreaker": { "FailureRatio": 1.5 } }""",
        "Edge:Resilience:CircuitBreaker:FailureRatio is 1.5;", "above 0 and at most 1")]
    [InlineData("""{ "CircuitBreaker": { "FailureRatio": -0.25 } }""",
        "Edge:Resilience:CircuitBreaker:FailureRatio is -0.25;", "above 0 and at most 1")]
    [InlineData("""{ "CircuitBreaker": { "MinimumThroughput": 1 } }""",
        "Edge:Resilience:CircuitBreaker:MinimumThroughput is 1;", "at least 2")]
    [InlineData("""{ "CircuitBreaker": { "SamplingDuration": "00:00:00.499" } }""",
        "Edge:Resilience:CircuitBreaker:SamplingDuration is '00:00:00.499", "at least 00:00:00.500")]
    [InlineData("""{ "CircuitBreaker": { "BreakDuration": "00:00:00.100" } }""",
        "Edge:Resilience:CircuitBreaker:BreakDuration is '00:00:00.1", "at least 00:00:00.500")]
    [InlineData("""{ "CircuitBreaker": { "BreakDuration": "00:00:00" } }""",
        "Edge:Resilience:CircuitBreaker:BreakDuration is '00:00:00'", "at least 00:00:00.500")]
    // Retry defaults.
    [InlineData("""{ "Retry": { "MaxAttempts": 0 } }""",
        "Edge:Resilience:Retry:MaxAttempts is 0;", "from 1 (no retry) to 10")]
    [InlineData("""{ "Retry": { "MaxAttempts": 11 } }""",
        "Edge:Resilience:Retry:MaxAttempts is 11;", "from 1 (no retry) to 10")]
    [InlineData("""{ "Retry": { "BudgetPercent": -1 } }""",
        "Edge:Resilience:Retry:BudgetPercent is -1;", "from 0 to 100")]
    [InlineData("""{ "Retry": { "BudgetPercent": 101 } }""",
        "Edge:Resilience:Retry:BudgetPercent is 101;", "from 0 to 100")]
    [InlineData("""{ "Retry": { "BudgetBurst": -1 } }""",
        "Edge:Resilience:Retry:BudgetBurst is -1;", "0 or more")]
    // Per-cluster overrides, reported at the cluster.
    [InlineData("""{ "Clusters": { "apj": { "MaxConcurrentRequests": 5 } } }""",
        "Edge:Resilience:Clusters:apj names cluster 'apj'", "does not exist", "Did you mean 'api'?", "Known clusters: 'api', 'web'.")]
    [InlineData("""{ "Clusters": { "payments": { "MaxConcurrentRequests": 5 } } }""",
        "Edge:Resilience:Clusters:payments names cluster 'payments'", "does not exist", "Known clusters: 'api', 'web'.")]
    [InlineData("""{ "Clusters": { "api": { "MaxConcurrentRequests": 0 } } }""",
        "Edge:Resilience:Clusters:api:MaxConcurrentRequests is 0;", "at least 1", "Remove it for no cap")]
    [InlineData("""{ "Clusters": { "api": { "MaxConcurrentRequests": -3 } } }""",
        "Edge:Resilience:Clusters:api:MaxConcurrentRequests is -3;", "at least 1")]
    [InlineData("""{ "Clusters": { "api": { "ConnectTimeout": "00:00:00" } } }""",
        "Edge:Resilience:Clusters:api:ConnectTimeout is '00:00:00'", "must be positive")]
    [InlineData("""{ "Clusters": { "api": { "CircuitBreaker": { "FailureRatio": 1.5 } } } }""",
        "Edge:Resilience:Clusters:api:CircuitBreaker:FailureRatio is 1.5;", "above 0 and at most 1")]
    [InlineData("""{ "Clusters": { "web": { "CircuitBreaker": { "MinimumThroughput": 1 } } } }""",
        "Edge:Resilience:Clusters:web:CircuitBreaker:MinimumThroughput is 1;", "at least 2")]
    [InlineData("""{ "Clusters": { "api": { "CircuitBreaker": { "BreakDuration": "00:00:00.200" } } } }""",
        "Edge:Resilience:Clusters:api:CircuitBreaker:BreakDuration is '00:00:00.2", "at least 00:00:00.500")]
    [InlineData("""{ "Clusters": { "api": { "Retry": { "MaxAttempts": 11 } } } }""",
        "Edge:Resilience:Clusters:api:Retry:MaxAttempts is 11;", "from 1 (no retry) to 10")]
    [InlineData("""{ "Clusters": { "api": { "Retry": { "BudgetPercent": 101 } } } }""",
        "Edge:Resilience:Clusters:api:Retry:BudgetPercent is 101;", "from 0 to 100")]
    [InlineData("""{ "Clusters": { "api": { "Retry": { "BudgetBurst": -1 } } } }""",
        "Edge:Resilience:Clusters:api:Retry:BudgetBurst is -1;", "0 or more")]
    // What the reader refuses before the rules run.
    [InlineData("""{ "CircuitBreaker": { "FailureRatio": "half" } }""",
        "'Resilience:CircuitBreaker:FailureRatio'", "'half'", "not a number")]
    [InlineData("""{ "Retry": { "MaxAtempts": 3 } }""",
        "'Resilience:Retry:MaxAtempts'", "Did you mean 'MaxAttempts'?")]
    [InlineData("""{ "Clusters": { "api": { "MaxConcurrentRequests": 2.5 } } }""",
        "'Resilience:Clusters:api:MaxConcurrentRequests'", "'2.5'", "not a whole number")]
    public async Task Rejects_BadResilience(string resilience, params string[] expected)
    {
        var result = await TestConfig.LoadWithAsync(Fragment(resilience));

        TestConfig.AssertError(result, expected);
    }

    [Theory]
    [InlineData("""{ "RequestTimeout": "00:00:00.001", "ConnectTimeout": "00:10:00" }""")]
    [InlineData("""{ "CircuitBreaker": { "FailureRatio": 1 } }""")]
    [InlineData("""{ "CircuitBreaker": { "FailureRatio": 0.01 } }""")]
    [InlineData("""{ "CircuitBreaker": { "MinimumThroughput": 2 } }""")]
    [InlineData("""{ "CircuitBreaker": { "SamplingDuration": "00:00:00.500", "BreakDuration": "00:00:00.500" } }""")]
    [InlineData("""{ "CircuitBreaker": { "Enabled": false } }""")]
    [InlineData("""{ "Retry": { "MaxAttempts": 1 } }""")]
    [InlineData("""{ "Retry": { "MaxAttempts": 10 } }""")]
    [InlineData("""{ "Retry": { "BudgetPercent": 0, "BudgetBurst": 0 } }""")]
    [InlineData("""{ "Retry": { "BudgetPercent": 100 } }""")]
    [InlineData("""{ "Retry": { "BudgetPercent": 12.5 } }""")]
    [InlineData("""{ "Clusters": { "api": { "MaxConcurrentRequests": 1 } } }""")]
    [InlineData("""{ "Clusters": { "API": { "MaxConcurrentRequests": 100, "ConnectTimeout": "00:00:01" } } }""")]
    [InlineData("""{ "Clusters": { "api": { "CircuitBreaker": { "Enabled": false }, "Retry": { "Enabled": false } } } }""")]
    [InlineData("""{ "Clusters": { "api": { "CircuitBreaker": { "FailureRatio": 0.9, "MinimumThroughput": 50 }, "Retry": { "MaxAttempts": 3 } } } }""")]
    public async Task Accepts_GoodResilience(string resilience)
    {
        var result = await TestConfig.LoadWithAsync(Fragment(resilience));

        TestConfig.AssertValid(result);
    }

    [Fact]
    public async Task Validate_BadOverride_ReportedOnceAtTheClusterNotAtTheDefaults()
    {
        var result = await TestConfig.LoadWithAsync(Fragment("""{ "Clusters": { "api": { "CircuitBreaker": { "FailureRatio": 0 } } } }"""));

        var error = Assert.Single(result.Errors);
        Assert.Equal("Edge:Resilience:Clusters:api:CircuitBreaker:FailureRatio", error.Path);
    }

    [Fact]
    public async Task Validate_BadDefault_ReportedOnceNotAgainAtClustersThatOverrideOtherKeys()
    {
        var result = await TestConfig.LoadWithAsync(Fragment("""
            { "CircuitBreaker": { "FailureRatio": 0 }, "Retry": { "MaxAttempts": 0 },
              "Clusters": { "api": { "CircuitBreaker": { "MinimumThroughput": 5 }, "Retry": { "BudgetPercent": 10 } } } }
            """));

        Assert.Equal(
            ["Edge:Resilience:CircuitBreaker:FailureRatio", "Edge:Resilience:Retry:MaxAttempts"],
            result.Errors.Select(e => e.Path).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Validate_BadDefaultRequestTimeout_ReportedOnceNotAtEveryRoute()
    {
        var result = await TestConfig.LoadWithAsync(Fragment("""{ "RequestTimeout": "00:00:00" }"""));

        var error = Assert.Single(result.Errors);
        Assert.Equal("Edge:Resilience:RequestTimeout", error.Path);
    }

    [Fact]
    public async Task Validate_SeveralProblems_ReportsEveryOne()
    {
        var result = await TestConfig.LoadWithAsync(Fragment("""
            {
              "ConnectTimeout": "00:00:00",
              "CircuitBreaker": { "FailureRatio": 2, "MinimumThroughput": 0 },
              "Retry": { "MaxAttempts": 0, "BudgetBurst": -5 },
              "Clusters": { "web": { "MaxConcurrentRequests": 0 }, "nope": { "MaxConcurrentRequests": 3 } }
            }
            """));

        Assert.Null(result.Snapshot);
        Assert.Contains(result.Errors, e => e.Message.Contains("names cluster 'nope', which does not exist", StringComparison.Ordinal));
        Assert.Equal(
            [
                "Edge:Resilience:CircuitBreaker:FailureRatio",
                "Edge:Resilience:CircuitBreaker:MinimumThroughput",
                "Edge:Resilience:Clusters:nope",
                "Edge:Resilience:Clusters:web:MaxConcurrentRequests",
                "Edge:Resilience:ConnectTimeout",
                "Edge:Resilience:Retry:BudgetBurst",
                "Edge:Resilience:Retry:MaxAttempts",
            ],
            result.Errors.Select(e => e.Path).Order(StringComparer.Ordinal));
    }

    private static string Fragment(string resilience) => $$"""{ "Edge": { "Resilience": {{resilience}} } }""";
}
