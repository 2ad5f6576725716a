using Edge.Config.Model;
using Edge.Proxy.Resilience;
using Edge.Proxy.Tests.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;
using Polly.CircuitBreaker;
using Yarp.ReverseProxy.Model;

namespace Edge.Proxy.Tests.Resilience;

public sealed class ClusterResilienceTests
{
    private static readonly CircuitBreakerOptions Breakers = new()
    {
        FailureRatio = 0.5,
        MinimumThroughput = 2,
        SamplingDuration = TimeSpan.FromSeconds(10),
        BreakDuration = TimeSpan.FromSeconds(5),
    };

    private readonly ManualTimeProvider _time = new();

    [Fact]
    public void WithoutOpenCircuits_NoBreakerYet_ReturnsSameList()
    {
        var cluster = Create();
        var destinations = Destinations("a", "b");

        Assert.Same(destinations, cluster.WithoutOpenCircuits(destinations));
    }

    [Fact]
    public void WithoutOpenCircuits_NoneOpen_ReturnsSameList()
    {
        var cluster = Create();
        var destinations = Destinations("a", "b", "c");
        foreach (var destination in destinations)
        {
            Assert.NotNull(cluster.Breaker(destination.DestinationId));
        }

        Assert.Same(destinations, cluster.WithoutOpenCircuits(destinations));
    }

    [Theory]
    [InlineData("a", "b,c,d")]
    [InlineData("b", "a,c,d")]
    [InlineData("d", "a,b,c")]
    [InlineData("a,c", "b,d")]
    [InlineData("b,d", "a,c")]
    [InlineData("a,b,c,d", "")]
    public async Task WithoutOpenCircuits_SomeOpen_KeepsTheOthersInOrder(string open, string kept)
    {
        var cluster = Create();
        var destinations = Destinations("a", "b", "c", "d");
        foreach (var destination in destinations)
        {
            Assert.NotNull(cluster.Breaker(destination.DestinationId));
        }

        foreach (var id in open.Split(','))
        {
            await cluster.Breaker(id)!.IsolateAsync();
        }

        var result = cluster.WithoutOpenCircuits(destinations);

        Assert.Equal(kept, string.Join(',', result.Select(d => d.DestinationId)));
        Assert.NotSame(destinations, result);
        Assert.Equal(4, destinations.Count);
        // DestinationState is itself a list, so compare by reference, not with xunit's collection equality.
        Assert.All(result, d => Assert.Contains(destinations, x => ReferenceEquals(x, d)));
    }

    [Fact]
    public async Task WithoutOpenCircuits_OpenedByFailures_LeavesItOutUntilTheBreakIsOver()
    {
        var cluster = Create();
        var destinations = Destinations("a", "b");
        var breaker = cluster.Breaker("a")!;
        await breaker.Pipeline.ExecuteAsync(static _ => ValueTask.FromResult(503));
        await breaker.Pipeline.ExecuteAsync(static _ => ValueTask.FromResult(503));
        Assert.Equal(CircuitState.Open, breaker.State);

        Assert.Equal("b", Assert.Single(cluster.WithoutOpenCircuits(destinations)).DestinationId);

        // Once the break is over the destination is offered again, so a request can be its trial.
        _time.Advance(Breakers.BreakDuration);
        Assert.Same(destinations, cluster.WithoutOpenCircuits(destinations));
    }

    [Fact]
    public async Task WithoutOpenCircuits_ClosedAgain_ReturnsSameList()
    {
        var cluster = Create();
        var destinations = Destinations("a", "b");
        await cluster.Breaker("a")!.IsolateAsync();
        Assert.Single(cluster.WithoutOpenCircuits(destinations));

        await cluster.Breaker("a")!.CloseAsync();

        Assert.Same(destinations, cluster.WithoutOpenCircuits(destinations));
    }

    [Fact]
    public async Task WithoutOpenCircuits_OpenBreakerOfUnlistedDestination_ReturnsSameList()
    {
        var cluster = Create();
        await cluster.Breaker("gone")!.IsolateAsync();
        var destinations = Destinations("a", "b");

        Assert.Same(destinations, cluster.WithoutOpenCircuits(destinations));
    }

    [Fact]
    public void Breaker_SameId_SameInstanceWhateverTheCase()
    {
        var cluster = Create();

        var breaker = cluster.Breaker("api-1");

        Assert.NotNull(breaker);
        Assert.Same(breaker, cluster.Breaker("api-1"));
        Assert.Same(breaker, cluster.Breaker("API-1"));
        Assert.Same(breaker, cluster.ExistingBreaker("api-1"));
        Assert.NotSame(breaker, cluster.Breaker("api-2"));
    }

    [Fact]
    public void ExistingBreaker_NeverAskedFor_Null()
    {
        var cluster = Create();

        Assert.Null(cluster.ExistingBreaker("api-1"));
    }

    [Fact]
    public async Task Breaker_FailuresOnOneDestination_LeaveTheOthersClosed()
    {
        var cluster = Create();
        var failing = cluster.Breaker("a")!;
        await failing.Pipeline.ExecuteAsync(static _ => ValueTask.FromResult(500));
        await failing.Pipeline.ExecuteAsync(static _ => ValueTask.FromResult(500));

        Assert.True(failing.IsOpen);
        Assert.False(cluster.Breaker("b")!.IsOpen);
    }

    [Fact]
    public void Breaker_BreakersDisabled_Null()
    {
        var cluster = Create(breakers: Breakers with { Enabled = false });

        Assert.False(cluster.BreakersEnabled);
        Assert.Null(cluster.Breaker("api-1"));
        Assert.Null(cluster.ExistingBreaker("api-1"));
    }

    [Fact]
    public void WithoutOpenCircuits_BreakersDisabled_ReturnsSameList()
    {
        var cluster = Create(breakers: Breakers with { Enabled = false });
        var destinations = Destinations("a");

        Assert.Same(destinations, cluster.WithoutOpenCircuits(destinations));
    }

    [Fact]
    public async Task Prune_RemovedDestinations_DropsTheirBreakersOnly()
    {
        var cluster = Create();
        var kept = cluster.Breaker("a")!;
        await kept.IsolateAsync();
        Assert.NotNull(cluster.Breaker("b"));
        Assert.NotNull(cluster.Breaker("c"));

        cluster.Prune(["A", "c", "new"]);

        Assert.Same(kept, cluster.ExistingBreaker("a"));
        Assert.True(kept.IsOpen);
        Assert.NotNull(cluster.ExistingBreaker("c"));
        Assert.Null(cluster.ExistingBreaker("b"));
        Assert.Null(cluster.ExistingBreaker("new"));
    }

    [Fact]
    public void Prune_NoDestinations_DropsEveryBreaker()
    {
        var cluster = Create();
        Assert.NotNull(cluster.Breaker("a"));

        cluster.Prune([]);

        Assert.Null(cluster.ExistingBreaker("a"));
    }

    [Fact]
    public void Bulkhead_NotConfigured_Null()
    {
        Assert.Null(Create(maxConcurrentRequests: null).Bulkhead);
    }

    [Fact]
    public void Bulkhead_Configured_HasTheLimit()
    {
        var bulkhead = Create(maxConcurrentRequests: 7).Bulkhead;

        Assert.NotNull(bulkhead);
        Assert.Equal(7, bulkhead.Limit);
        Assert.Equal(0, bulkhead.Count);
    }

    [Fact]
    public void Budget_RetriesDisabled_Null()
    {
        Assert.Null(Create(retry: new RetryOptions { Enabled = false, MaxAttempts = 3 }).Budget);
    }

    [Fact]
    public void Budget_OneAttempt_Null()
    {
        Assert.Null(Create(retry: new RetryOptions { MaxAttempts = 1 }).Budget);
    }

    [Fact]
    public void Budget_RetriesOn_StartsWithTheBurst()
    {
        var budget = Create(retry: new RetryOptions { MaxAttempts = 3, BudgetPercent = 0, BudgetBurst = 2 }).Budget;

        Assert.NotNull(budget);
        Assert.True(budget.TryWithdraw());
        Assert.True(budget.TryWithdraw());
        Assert.False(budget.TryWithdraw());
    }

    private ClusterResilience Create(CircuitBreakerOptions? breakers = null, RetryOptions? retry = null, int? maxConcurrentRequests = null)
        => new(
            "api",
            new EffectiveResilience(TimeSpan.FromSeconds(5), breakers ?? Breakers, retry ?? new RetryOptions(), maxConcurrentRequests),
            _time,
            NullLogger.Instance);

    private static List<DestinationState> Destinations(params string[] ids) => ids.Select(id => new DestinationState(id)).ToList();
}
