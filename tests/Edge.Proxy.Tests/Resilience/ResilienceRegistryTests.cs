using Edge.Config;
using Edge.Proxy.Resilience;
using Edge.Proxy.Tests.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;
using Polly.CircuitBreaker;

namespace Edge.Proxy.Tests.Resilience;

public sealed class ResilienceRegistryTests
{
    private readonly ResilienceRegistry _registry = new(new ManualTimeProvider(), NullLoggerFactory.Instance);

    [Fact]
    public void Find_BeforeAnyUpdate_Null()
    {
        Assert.Null(_registry.Find("api"));
    }

    [Fact]
    public async Task Update_Defaults_EveryClusterHasAnEntry()
    {
        _registry.Update(await LoadAsync(overrides: "{}"));

        var api = _registry.Find("api");
        Assert.NotNull(api);
        Assert.Equal("api", api.ClusterId);
        Assert.True(api.BreakersEnabled);
        Assert.NotNull(api.Budget);
        Assert.Null(api.Bulkhead);
        Assert.NotNull(_registry.Find("web"));
        Assert.Same(api, _registry.Find("API"));
    }

    [Theory]
    [InlineData("""{ "CircuitBreaker": { "Enabled": false }, "Retry": { "Enabled": false } }""")]
    [InlineData("""{ "CircuitBreaker": { "Enabled": false }, "Retry": { "MaxAttempts": 1 } }""")]
    public async Task Update_BreakerRetryAndBulkheadAllOff_NoEntry(string api)
    {
        _registry.Update(await LoadAsync(overrides: $$"""{ "api": {{api}} }"""));

        Assert.Null(_registry.Find("api"));
        Assert.NotNull(_registry.Find("web"));
    }

    [Theory]
    [InlineData("""{ "Retry": { "Enabled": false } }""", true, false, false)]
    [InlineData("""{ "CircuitBreaker": { "Enabled": false } }""", false, true, false)]
    [InlineData("""{ "CircuitBreaker": { "Enabled": false }, "Retry": { "Enabled": false }, "MaxConcurrentRequests": 5 }""", false, false, true)]
    public async Task Update_AnyOneFeatureOn_HasEntryWithOnlyThatFeature(string api, bool breakers, bool budget, bool bulkhead)
    {
        _registry.Update(await LoadAsync(overrides: $$"""{ "api": {{api}} }"""));

        var cluster = _registry.Find("api");
        Assert.NotNull(cluster);
        Assert.Equal(breakers, cluster.BreakersEnabled);
        Assert.Equal(budget, cluster.Budget is not null);
        Assert.Equal(bulkhead, cluster.Bulkhead is not null);
    }

    [Fact]
    public async Task Update_SettingsUnchanged_KeepsInstanceAndOpenCircuits()
    {
        _registry.Update(await LoadAsync(overrides: """{ "api": { "MaxConcurrentRequests": 5 } }"""));
        var before = _registry.Find("api")!;
        var breaker = before.Breaker("api-1")!;
        await breaker.IsolateAsync();
        Assert.True(before.Bulkhead!.TryEnter());

        // An unrelated change: another cluster's override and a new route.
        _registry.Update(await LoadAsync(
            overrides: """{ "api": { "MaxConcurrentRequests": 5 }, "web": { "Retry": { "MaxAttempts": 3 } } }""",
            extraRoute: true));

        var after = _registry.Find("api");
        Assert.NotNull(after);
        Assert.Same(before, after);
        Assert.Same(breaker, after.ExistingBreaker("api-1"));
        Assert.Equal(CircuitState.Isolated, breaker.State);
        Assert.Equal(1, after.Bulkhead!.Count);
    }

    [Fact]
    public async Task Update_SameConfigTwice_KeepsEveryInstance()
    {
        _registry.Update(await LoadAsync(overrides: "{}"));
        var api = _registry.Find("api");
        var web = _registry.Find("web");

        _registry.Update(await LoadAsync(overrides: "{}"));

        Assert.Same(api, _registry.Find("api"));
        Assert.Same(web, _registry.Find("web"));
    }

    [Theory]
    [InlineData("""{ "api": { "CircuitBreaker": { "FailureRatio": 0.9 } } }""")]
    [InlineData("""{ "api": { "Retry": { "BudgetBurst": 3 } } }""")]
    [InlineData("""{ "api": { "MaxConcurrentRequests": 6 } }""")]
    [InlineData("""{ "api": { "ConnectTimeout": "00:00:01" } }""")]
    public async Task Update_ClusterSettingsChanged_NewInstanceWithFreshState(string changed)
    {
        _registry.Update(await LoadAsync(overrides: """{ "api": { "MaxConcurrentRequests": 5 } }"""));
        var before = _registry.Find("api")!;
        await before.Breaker("api-1")!.IsolateAsync();
        var web = _registry.Find("web");

        _registry.Update(await LoadAsync(overrides: changed));

        var after = _registry.Find("api");
        Assert.NotNull(after);
        Assert.NotSame(before, after);
        Assert.Null(after.ExistingBreaker("api-1"));
        Assert.False(after.Breaker("api-1")!.IsOpen);
        Assert.Same(web, _registry.Find("web"));
    }

    [Fact]
    public async Task Update_DefaultChanged_NewInstanceForEveryClusterInheritingIt()
    {
        _registry.Update(await LoadAsync(overrides: """{ "web": { "CircuitBreaker": { "MinimumThroughput": 10 } } }"""));
        var api = _registry.Find("api");
        var web = _registry.Find("web");

        _registry.Update(await LoadAsync(
            overrides: """{ "web": { "CircuitBreaker": { "MinimumThroughput": 10 } } }""",
            defaults: """{ "Retry": { "BudgetPercent": 50 } }"""));

        Assert.NotSame(api, _registry.Find("api"));
        Assert.NotSame(web, _registry.Find("web"));
        Assert.Equal(50, _registry.Find("api")!.Settings.Retry.BudgetPercent);
    }

    [Fact]
    public async Task Update_DestinationRemoved_DropsItsBreakerKeepsTheRest()
    {
        _registry.Update(await LoadAsync(overrides: "{}", secondApiDestination: true));
        var cluster = _registry.Find("api")!;
        var kept = cluster.Breaker("api-1")!;
        await cluster.Breaker("api-2")!.IsolateAsync();

        _registry.Update(await LoadAsync(overrides: "{}", secondApiDestination: false));

        Assert.Same(cluster, _registry.Find("api"));
        Assert.Same(kept, cluster.ExistingBreaker("api-1"));
        Assert.Null(cluster.ExistingBreaker("api-2"));
    }

    [Fact]
    public async Task Update_FeaturesTurnedOff_EntryRemoved()
    {
        _registry.Update(await LoadAsync(overrides: "{}"));
        Assert.NotNull(_registry.Find("api"));

        _registry.Update(await LoadAsync(overrides: """{ "api": { "CircuitBreaker": { "Enabled": false }, "Retry": { "Enabled": false } } }"""));

        Assert.Null(_registry.Find("api"));
    }

    private static Task<EdgeConfigSnapshot> LoadAsync(string overrides, string defaults = "{}", bool extraRoute = false, bool secondApiDestination = false)
    {
        var route = extraRoute ? """, "admin": { "ClusterId": "web", "Match": { "Path": "/admin/{**rest}" } }""" : string.Empty;
        var destination = secondApiDestination ? """, "api-2": { "Address": "http://10.0.0.3:8080/" }""" : string.Empty;
        var defaultsBody = defaults.Trim()[1..^1].Trim();
        var resilience = defaultsBody.Length == 0
            ? $$"""{ "Clusters": {{overrides}} }"""
            : $$"""{ {{defaultsBody}}, "Clusters": {{overrides}} }""";
        return TestSnapshots.LoadAsync($$"""
            {
              "ReverseProxy": {
                "Routes": {
                  "api": { "ClusterId": "api", "Match": { "Path": "/api/{**rest}" } },
                  "web": { "ClusterId": "web", "Match": { "Path": "/{**catchall}" } }{{route}}
                },
                "Clusters": {
                  "api": { "Destinations": { "api-1": { "Address": "http://10.0.0.1:8080/" }{{destination}} } },
                  "web": { "Destinations": { "web-1": { "Address": "http://10.0.0.2:8080/" } } }
                }
              },
              "Edge": {
                "Listeners": { "Public": "http://0.0.0.0:8080", "Admin": "http://127.0.0.1:9901" },
                "Resilience": {{resilience}}
              }
            }
            """);
    }
}
