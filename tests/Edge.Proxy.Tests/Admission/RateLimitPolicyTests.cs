using System.Diagnostics;
using System.Net;
using System.Threading.RateLimiting;
using Edge.Config.Model;
using Edge.Proxy.Admission;
using Edge.Proxy.Tests.TestSupport;
using Microsoft.AspNetCore.Http;
using static Edge.Proxy.Tests.TestSupport.ProxyContexts;

namespace Edge.Proxy.Tests.Admission;

/// <summary>
/// The run-time policy over System.Threading.RateLimiting. That library has no injectable clock,
/// so timing tests use short real periods and poll against a deadline.
/// </summary>
[Collection(RealTime.Name)]
public sealed class RateLimitPolicyTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Long = TimeSpan.FromMinutes(1);

    [Fact]
    public void FixedWindow_TenPerWindow_AdmitsExactlyTenOfFifteen()
    {
        using var policy = new RateLimitPolicy("fixed", FixedWindow(10, Long));
        var context = Request();

        var leases = Enumerable.Range(0, 15).Select(_ => policy.AttemptAcquire(context)).ToList();

        Assert.Equal(10, leases.Count(l => l.IsAcquired));
        Assert.All(leases.Take(10), l => Assert.True(l.IsAcquired));
        var refused = leases[^1];
        Assert.False(refused.IsAcquired);
        Assert.True(refused.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter));
        Assert.InRange(retryAfter, TimeSpan.FromTicks(1), Long);
        leases.ForEach(l => l.Dispose());
    }

    [Fact]
    public async Task FixedWindow_WindowEnds_BudgetReturns()
    {
        using var policy = new RateLimitPolicy("fixed", FixedWindow(2, TimeSpan.FromMilliseconds(300)));
        var context = Request();
        // Started before the first acquire creates the partition, so it can only over-state the time since.
        var clock = Stopwatch.StartNew();
        Assert.True(policy.AttemptAcquire(context).IsAcquired);
        Assert.True(policy.AttemptAcquire(context).IsAcquired);
        Assert.False(policy.AttemptAcquire(context).IsAcquired);

        await AcquiredWithinDeadlineAsync(policy, context);

        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(250), $"the window ended after {clock.Elapsed.TotalMilliseconds} ms, before its 300 ms");
    }

    [Fact]
    public async Task TokenBucket_Drained_RefillsOneTokenPerPeriod()
    {
        using var policy = new RateLimitPolicy("bucket", TokenBucket(tokenLimit: 2, tokensPerPeriod: 1, TimeSpan.FromMilliseconds(200)));
        var context = Request();
        // Started before the first acquire creates the bucket, so it can only over-state how long the refill took.
        var clock = Stopwatch.StartNew();

        Assert.True(policy.AttemptAcquire(context).IsAcquired);
        Assert.True(policy.AttemptAcquire(context).IsAcquired);
        using (var third = policy.AttemptAcquire(context))
        {
            Assert.False(third.IsAcquired);
            Assert.True(third.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter));
            Assert.Equal(TimeSpan.FromMilliseconds(200), retryAfter);
        }

        await AcquiredWithinDeadlineAsync(policy, context);
        var refilledAfter = clock.Elapsed;
        var refilled = 1 + Drain(policy, context);
        var elapsed = clock.Elapsed;

        Assert.True(refilledAfter >= TimeSpan.FromMilliseconds(150), $"a token came back after {refilledAfter.TotalMilliseconds} ms, sooner than the 200 ms period");
        // Expected after 200-300 ms: the partitioned limiter replenishes on its 100 ms heartbeat. On a
        // loaded machine that heartbeat has been seen to run a second late, so the bound is loose; the
        // period itself is pinned by RetryAfter above.
        Assert.True(refilledAfter < TimeSpan.FromMilliseconds(1500), $"a token came back only after {refilledAfter.TotalMilliseconds} ms, for a 200 ms period");
        // Tokens accrue at one per 200 ms of elapsed time: a late heartbeat brings two at once, never more than the time allows.
        var allowed = Math.Max(1, (int)(elapsed / TimeSpan.FromMilliseconds(200)));
        Assert.True(refilled <= allowed, $"{refilled} tokens came back within {elapsed.TotalMilliseconds} ms, more than one per 200 ms");
    }

    [Fact]
    public void SlidingWindow_AtLimit_RefusesPerClient()
    {
        using var policy = new RateLimitPolicy("sliding", SlidingWindow(3, Long, segments: 3));
        var first = Request("10.0.0.1");
        var second = Request("10.0.0.2");

        Assert.Equal(3, Enumerable.Range(0, 5).Count(_ => policy.AttemptAcquire(first).IsAcquired));
        Assert.Equal(3, Enumerable.Range(0, 5).Count(_ => policy.AttemptAcquire(second).IsAcquired));
    }

    [Fact]
    public async Task SlidingWindow_PermitsReturnOnlyWhenTheirSegmentLeavesTheWindow()
    {
        // 400 ms in two 200 ms segments: the permits taken now come back after the whole window, not after one segment.
        using var policy = new RateLimitPolicy("sliding", SlidingWindow(2, TimeSpan.FromMilliseconds(400), segments: 2));
        var context = Request();
        var clock = Stopwatch.StartNew();
        Assert.True(policy.AttemptAcquire(context).IsAcquired);
        Assert.True(policy.AttemptAcquire(context).IsAcquired);
        Assert.False(policy.AttemptAcquire(context).IsAcquired);

        await AcquiredWithinDeadlineAsync(policy, context);

        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(350), $"permits came back after {clock.Elapsed.TotalMilliseconds} ms, within the 400 ms window");
    }

    [Fact]
    public void Concurrency_HoldsPermitsUntilTheLeaseIsDisposed()
    {
        using var policy = new RateLimitPolicy("inflight", Concurrency(2));
        var context = Request();

        var a = policy.AttemptAcquire(context);
        using var b = policy.AttemptAcquire(context);
        Assert.True(a.IsAcquired);
        Assert.True(b.IsAcquired);
        using (var refused = policy.AttemptAcquire(context))
        {
            Assert.False(refused.IsAcquired);
            // A concurrency limit cannot say when a slot frees; the 429 falls back to one second.
            Assert.False(refused.TryGetMetadata(MetadataName.RetryAfter, out _));
            Assert.Equal(TimeSpan.FromSeconds(1), policy.FallbackRetryAfter);
        }

        a.Dispose();

        using var c = policy.AttemptAcquire(context);
        Assert.True(c.IsAcquired);
        using var d = policy.AttemptAcquire(context);
        Assert.False(d.IsAcquired);
    }

    [Fact]
    public async Task Queue_WaitsForAPermitAndRefusesBeyondTheQueue()
    {
        using var policy = new RateLimitPolicy("queued", Concurrency(1) with { QueueLimit = 1 });
        var context = Request();
        Assert.True(policy.Queues);

        var held = await policy.AcquireAsync(context, CancellationToken.None);
        Assert.True(held.IsAcquired);
        var waiting = policy.AcquireAsync(context, CancellationToken.None).AsTask();
        using var overflow = await policy.AcquireAsync(context, CancellationToken.None);
        Assert.False(overflow.IsAcquired);
        Assert.False(waiting.IsCompleted);

        held.Dispose();

        using var granted = await waiting.WaitAsync(Deadline);
        Assert.True(granted.IsAcquired);
    }

    [Fact]
    public async Task Queue_WaitCancelled_Throws()
    {
        using var policy = new RateLimitPolicy("queued", Concurrency(1) with { QueueLimit = 1 });
        var context = Request();
        using var held = policy.AttemptAcquire(context);
        using var cancel = new CancellationTokenSource();

        var waiting = policy.AcquireAsync(context, cancel.Token).AsTask();
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(Deadline));
    }

    [Fact]
    public void Queues_NoQueueLimit_False()
    {
        using var policy = new RateLimitPolicy("p", Concurrency(1));

        Assert.False(policy.Queues);
    }

    [Fact]
    public void ClientIp_EachAddressHasItsOwnBudget()
    {
        using var policy = new RateLimitPolicy("perIp", FixedWindow(2, Long));

        Assert.Equal(2, Drain(policy, Request("10.0.0.1")));
        Assert.Equal(2, Drain(policy, Request("10.0.0.2")));
        Assert.Equal(2, Drain(policy, Request("2001:db8::1")));
        Assert.Equal(0, Drain(policy, Request("10.0.0.1")));
    }

    [Theory]
    [InlineData("10.0.0.7", "::ffff:10.0.0.7")]
    [InlineData("::ffff:10.0.0.7", "10.0.0.7")]
    public void ClientIp_Ipv4MappedIpv6_SameBudgetAsTheIpv4Address(string first, string second)
    {
        using var policy = new RateLimitPolicy("perIp", FixedWindow(2, Long));

        Assert.Equal(2, Drain(policy, Request(first)));
        Assert.Equal(0, Drain(policy, Request(second)));
        Assert.Equal(IPAddress.Parse("10.0.0.7"), RateLimitPolicy.ClientAddress(Request("::ffff:10.0.0.7")));
    }

    [Fact]
    public void ClientIp_Ipv6SameSlash64_ShareABudgetAndOtherSlash64sDoNot()
    {
        using var policy = new RateLimitPolicy("perIp", FixedWindow(2, Long));

        Assert.True(policy.AttemptAcquire(Request("2001:db8:1:2::1")).IsAcquired);
        Assert.True(policy.AttemptAcquire(Request("2001:db8:1:2:aaaa:bbbb:cccc:dddd")).IsAcquired);
        Assert.False(policy.AttemptAcquire(Request("2001:db8:1:2::99")).IsAcquired);

        Assert.Equal(2, Drain(policy, Request("2001:db8:1:3::1")));
        Assert.Equal(2, Drain(policy, Request("2001:db8:2:2::1")));
    }

    [Theory]
    [InlineData("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::")]
    [InlineData("fe80::1", "fe80::")]
    [InlineData("::1", "::")]
    [InlineData("10.1.2.3", "10.1.2.3")]
    public void ClientAddress_GroupsIpv6BySlash64AndKeepsIpv4(string remote, string expected)
    {
        Assert.Equal(IPAddress.Parse(expected), RateLimitPolicy.ClientAddress(Request(remote)));
    }

    [Fact]
    public void ClientIp_NoRemoteAddress_OneSharedBudget()
    {
        using var policy = new RateLimitPolicy("perIp", FixedWindow(2, Long));

        Assert.True(policy.AttemptAcquire(Request(clientIp: null)).IsAcquired);
        Assert.True(policy.AttemptAcquire(Request(clientIp: null)).IsAcquired);
        Assert.False(policy.AttemptAcquire(Request(clientIp: null)).IsAcquired);
        Assert.Equal(2, Drain(policy, Request("10.0.0.1")));
    }

    [Fact]
    public void Header_EachKeyHasItsOwnBudgetWhateverTheAddress()
    {
        using var policy = new RateLimitPolicy("perKey", FixedWindow(3, Long) with { PartitionBy = "Header:X-Api-Key", AnonymousPermitLimit = 1 });

        Assert.Equal(3, Drain(policy, Request("10.0.0.1", headers: ("X-Api-Key", "key-a"))));
        Assert.Equal(0, Drain(policy, Request("10.0.0.2", headers: ("X-Api-Key", "key-a"))));
        Assert.Equal(3, Drain(policy, Request("10.0.0.1", headers: ("x-api-key", "key-b"))));
    }

    [Fact]
    public void Header_RequestsWithoutIt_ShareOneAnonymousBudgetOfAnonymousPermitLimit()
    {
        using var policy = new RateLimitPolicy("perKey", FixedWindow(3, Long) with { PartitionBy = "Header:X-Api-Key", AnonymousPermitLimit = 2 });

        Assert.True(policy.AttemptAcquire(Request("10.0.0.1")).IsAcquired);
        Assert.True(policy.AttemptAcquire(Request("10.0.0.2", headers: ("X-Api-Key", string.Empty))).IsAcquired);
        Assert.False(policy.AttemptAcquire(Request("10.0.0.3")).IsAcquired);
        Assert.False(policy.AttemptAcquire(Request("2001:db8::1", headers: ("X-Other", "key-a"))).IsAcquired);

        // Keyed clients are untouched by the anonymous budget.
        Assert.Equal(3, Drain(policy, Request("10.0.0.3", headers: ("X-Api-Key", "key-a"))));
    }

    [Fact]
    public void Header_NoAnonymousPermitLimit_AnonymousGetsThePolicysLimit()
    {
        using var policy = new RateLimitPolicy("perKey", FixedWindow(3, Long) with { PartitionBy = "Header:X-Api-Key" });

        Assert.Equal(3, Drain(policy, Request("10.0.0.1")));
        Assert.Equal(0, Drain(policy, Request("10.0.0.2")));
    }

    [Fact]
    public void Header_TokenBucket_AnonymousPermitLimitIsItsTokenLimit()
    {
        using var policy = new RateLimitPolicy("perKey", TokenBucket(tokenLimit: 4, tokensPerPeriod: 2, Long) with { PartitionBy = "Header:X-Api-Key", AnonymousPermitLimit = 1 });

        Assert.Equal(1, Drain(policy, Request("10.0.0.1")));
        Assert.Equal(4, Drain(policy, Request("10.0.0.1", headers: ("X-Api-Key", "key-a"))));
    }

    [Fact]
    public void Route_EachRouteHasItsOwnBudgetSharedByItsClients()
    {
        using var policy = new RateLimitPolicy("perRoute", FixedWindow(2, Long) with { PartitionBy = "Route" });

        Assert.True(policy.AttemptAcquire(Request("10.0.0.1", routeId: "api")).IsAcquired);
        Assert.True(policy.AttemptAcquire(Request("10.0.0.2", routeId: "api")).IsAcquired);
        Assert.False(policy.AttemptAcquire(Request("10.0.0.3", routeId: "api")).IsAcquired);
        Assert.Equal(2, Drain(policy, Request("10.0.0.1", routeId: "web")));
    }

    [Fact]
    public void Global_EveryRequestSharesOneBudget()
    {
        using var policy = new RateLimitPolicy("global", FixedWindow(2, Long) with { PartitionBy = "Global" });

        Assert.True(policy.AttemptAcquire(Request("10.0.0.1", routeId: "api")).IsAcquired);
        Assert.True(policy.AttemptAcquire(Request("2001:db8::1", routeId: "web", headers: ("X-Api-Key", "k"))).IsAcquired);
        Assert.False(policy.AttemptAcquire(Request("10.0.0.9", routeId: "other")).IsAcquired);
    }

    [Fact]
    public void Constructor_UnvalidatedPartitionBy_Throws()
    {
        Assert.Throws<ArgumentException>(() => new RateLimitPolicy("p", FixedWindow(1, Long) with { PartitionBy = "Cookie" }));
    }

    [Theory]
    [InlineData("FixedWindow", "\"p\";q=10;w=60")]
    [InlineData("SlidingWindow", "\"p\";q=10;w=2")]
    [InlineData("TokenBucket", "\"p\";q=10;w=4")]
    [InlineData("Concurrency", "\"p\";q=10")]
    public void PolicyHeader_NameQuotaAndWindowInSeconds(string kind, string expected)
    {
        var options = Enum.Parse<RateLimitKind>(kind) switch
        {
            RateLimitKind.FixedWindow => FixedWindow(10, TimeSpan.FromMinutes(1)),
            // 1.5 s is written as whole seconds, rounded up.
            RateLimitKind.SlidingWindow => SlidingWindow(10, TimeSpan.FromMilliseconds(1500), segments: 3),
            // A drained bucket of 10 at 3 per second is full again after 4 periods.
            RateLimitKind.TokenBucket => TokenBucket(tokenLimit: 10, tokensPerPeriod: 3, TimeSpan.FromSeconds(1)),
            _ => Concurrency(10),
        };
        using var policy = new RateLimitPolicy("p", options);

        Assert.Equal(expected, policy.PolicyHeader);
    }

    [Fact]
    public void PolicyHeader_QuotesTheName()
    {
        using var policy = new RateLimitPolicy("a\"b\\c", Concurrency(1));

        Assert.Equal("\"a\\\"b\\\\c\";q=1", policy.PolicyHeader);
    }

    [Theory]
    [InlineData(1500, "\"p\";r=0;t=2")]
    [InlineData(60_000, "\"p\";r=0;t=60")]
    [InlineData(0, "\"p\";r=0;t=1")]
    [InlineData(10, "\"p\";r=0;t=1")]
    public void ExhaustedHeader_NothingLeftAndWholeSecondsToReset(int retryAfterMs, string expected)
    {
        using var policy = new RateLimitPolicy("p", FixedWindow(1, Long));

        Assert.Equal(expected, policy.ExhaustedHeader(TimeSpan.FromMilliseconds(retryAfterMs)));
    }

    [Fact]
    public void FallbackRetryAfter_WindowKinds_TheWindow()
    {
        using var fixedWindow = new RateLimitPolicy("f", FixedWindow(1, TimeSpan.FromSeconds(30)));
        using var bucket = new RateLimitPolicy("b", TokenBucket(tokenLimit: 10, tokensPerPeriod: 5, TimeSpan.FromSeconds(2)));

        Assert.Equal(TimeSpan.FromSeconds(30), fixedWindow.FallbackRetryAfter);
        Assert.Equal(TimeSpan.FromSeconds(4), bucket.FallbackRetryAfter);
    }

    private static int Drain(RateLimitPolicy policy, HttpContext context)
    {
        var acquired = 0;
        for (var i = 0; i < 100; i++)
        {
            using var lease = policy.AttemptAcquire(context);
            if (!lease.IsAcquired)
            {
                break;
            }

            acquired++;
        }

        return acquired;
    }

    /// <summary>Polls until a permit is granted (taking it), failing after <see cref="Deadline"/>.</summary>
    private static async Task AcquiredWithinDeadlineAsync(RateLimitPolicy policy, HttpContext context)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            using (var lease = policy.AttemptAcquire(context))
            {
                if (lease.IsAcquired)
                {
                    return;
                }
            }

            if (waited.Elapsed > Deadline)
            {
                Assert.Fail($"no permit came back within {Deadline.TotalSeconds} s");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(10));
        }
    }

    private static RateLimitPolicyOptions FixedWindow(int permitLimit, TimeSpan window)
        => new() { Kind = RateLimitKind.FixedWindow, PermitLimit = permitLimit, Window = window };

    private static RateLimitPolicyOptions SlidingWindow(int permitLimit, TimeSpan window, int segments)
        => new() { Kind = RateLimitKind.SlidingWindow, PermitLimit = permitLimit, Window = window, SegmentsPerWindow = segments };

    private static RateLimitPolicyOptions TokenBucket(int tokenLimit, int tokensPerPeriod, TimeSpan period)
        => new() { Kind = RateLimitKind.TokenBucket, TokenLimit = tokenLimit, TokensPerPeriod = tokensPerPeriod, ReplenishmentPeriod = period };

    private static RateLimitPolicyOptions Concurrency(int permitLimit)
        => new() { Kind = RateLimitKind.Concurrency, PermitLimit = permitLimit };
}
