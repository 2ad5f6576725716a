using System.Threading.RateLimiting;
using Edge.Config;
using Edge.Config.Model;
using Edge.Proxy.Admission;
using Edge.Proxy.Tests.TestSupport;
using static Edge.Proxy.Tests.TestSupport.ProxyContexts;

namespace Edge.Proxy.Tests.Admission;

public sealed class AdmissionStateTests : IDisposable
{
    private const string Strict = """{ "Kind": "FixedWindow", "PermitLimit": 2, "Window": "00:01:00" }""";
    private const string Loose = """{ "Kind": "FixedWindow", "PermitLimit": 100, "Window": "00:01:00" }""";

    private readonly List<IDisposable> _retired = [];
    private readonly List<AdmissionState> _built = [];

    [Fact]
    public void Empty_NothingLimitedAndTheDefaultBodyLimit()
    {
        var state = AdmissionState.Empty;

        Assert.Empty(state.Policies);
        Assert.Empty(state.ByRoute);
        Assert.Null(state.Shedder);
        Assert.Null(state.ShedderLimits);
        Assert.Equal(LimitsOptions.DefaultMaxRequestBodySize, state.BodyLimitFor("api"));
    }

    [Fact]
    public async Task Build_MapsEachRouteToItsOwnPolicyOrTheDefault()
    {
        var state = Build(await LoadAsync(strict: Strict, loose: Loose, defaultPolicy: "loose"));

        Assert.Equal(["loose", "strict"], state.Policies.Keys.Order(StringComparer.Ordinal));
        var strict = state.Policies["strict"];
        Assert.Equal("strict", strict.Name);
        Assert.Equal(2, strict.Options.PermitLimit);
        Assert.Same(strict, state.ByRoute["api"]);
        // No RateLimiterPolicy, and "Default": the default policy.
        Assert.Same(state.Policies["loose"], state.ByRoute["web"]);
        Assert.Same(state.Policies["loose"], state.ByRoute["upload"]);
        // "Disable": no policy at all.
        Assert.False(state.ByRoute.ContainsKey("health"));
        Assert.Same(strict, state.ByRoute["API"]);
        Assert.Empty(_retired);
    }

    [Fact]
    public async Task Build_NoDefaultPolicy_OnlyRoutesWithTheirOwnAreLimited()
    {
        var state = Build(await LoadAsync(strict: Strict, loose: Loose, defaultPolicy: null));

        Assert.Equal(["api"], state.ByRoute.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(2, state.Policies.Count);
    }

    [Fact]
    public async Task Build_RouteNamesPolicyInOtherCase_MappedToIt()
    {
        var state = Build(await LoadAsync(strict: Strict, loose: null, defaultPolicy: null, apiPolicy: "STRICT"));

        Assert.Same(state.Policies["strict"], state.ByRoute["api"]);
    }

    [Fact]
    public async Task Build_NoRateLimiting_NoPoliciesAndNoRouteLimited()
    {
        var state = Build(await LoadAsync(strict: null, loose: null, defaultPolicy: null, apiPolicy: null));

        Assert.Empty(state.Policies);
        Assert.Empty(state.ByRoute);
    }

    [Fact]
    public async Task Build_UnchangedPolicy_KeepsTheInstanceAndItsBudgets()
    {
        var first = Build(await LoadAsync(strict: Strict, loose: Loose, defaultPolicy: "loose"));
        var strict = first.Policies["strict"];
        var oldLoose = first.Policies["loose"];
        var client = Request("10.0.0.1");
        Assert.True(strict.AttemptAcquire(client).IsAcquired);
        Assert.True(strict.AttemptAcquire(client).IsAcquired);

        // Another policy changes and a route is added; "strict" is as it was.
        var second = Build(
            await LoadAsync(strict: Strict, loose: """{ "Kind": "FixedWindow", "PermitLimit": 200, "Window": "00:01:00" }""", defaultPolicy: "loose", extraRoute: true),
            first);

        Assert.Same(strict, second.Policies["strict"]);
        Assert.Same(strict, second.ByRoute["api"]);
        Assert.False(second.Policies["strict"].AttemptAcquire(client).IsAcquired);
        Assert.NotSame(oldLoose, second.Policies["loose"]);
        Assert.Same(second.Policies["loose"], second.ByRoute["extra"]);
        Assert.Equal([oldLoose], _retired);
    }

    [Fact]
    public async Task Build_ChangedPolicy_NewInstanceWithFreshBudgetAndTheOldIsRetired()
    {
        var first = Build(await LoadAsync(strict: Strict, loose: Loose, defaultPolicy: "loose"));
        var oldStrict = first.Policies["strict"];
        var loose = first.Policies["loose"];
        var client = Request("10.0.0.1");
        Assert.True(oldStrict.AttemptAcquire(client).IsAcquired);
        Assert.True(oldStrict.AttemptAcquire(client).IsAcquired);

        var second = Build(
            await LoadAsync(strict: """{ "Kind": "FixedWindow", "PermitLimit": 3, "Window": "00:01:00" }""", loose: Loose, defaultPolicy: "loose"),
            first);

        var newStrict = second.Policies["strict"];
        Assert.NotSame(oldStrict, newStrict);
        Assert.Same(newStrict, second.ByRoute["api"]);
        Assert.Equal(3, newStrict.Options.PermitLimit);
        Assert.True(newStrict.AttemptAcquire(client).IsAcquired);
        Assert.Same(loose, second.Policies["loose"]);
        Assert.Equal([oldStrict], _retired);
    }

    [Fact]
    public async Task Build_RemovedPolicy_Retired()
    {
        var first = Build(await LoadAsync(strict: Strict, loose: Loose, defaultPolicy: "loose"));

        var second = Build(await LoadAsync(strict: Strict, loose: null, defaultPolicy: null), first);

        Assert.Equal(["strict"], second.Policies.Keys.Order(StringComparer.Ordinal));
        Assert.Equal([first.Policies["loose"]], _retired);
        Assert.Equal(["api"], second.ByRoute.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Build_SameConfigTwice_KeepsEverythingAndRetiresNothing()
    {
        var first = Build(await LoadAsync(strict: Strict, loose: Loose, defaultPolicy: "loose", limits: """{ "MaxConcurrentRequests": 5 }"""));

        var second = Build(await LoadAsync(strict: Strict, loose: Loose, defaultPolicy: "loose", limits: """{ "MaxConcurrentRequests": 5 }"""), first);

        Assert.Same(first.Policies["strict"], second.Policies["strict"]);
        Assert.Same(first.Policies["loose"], second.Policies["loose"]);
        Assert.Same(first.Shedder, second.Shedder);
        Assert.Empty(_retired);
    }

    [Fact]
    public async Task Build_NoMaxConcurrentRequests_NoShedder()
    {
        var state = Build(await LoadAsync(limits: """{ "MaxQueuedRequests": 10 }"""));

        Assert.Null(state.Shedder);
        Assert.Null(state.ShedderLimits);
    }

    [Fact]
    public async Task Build_MaxConcurrentRequests_ShedderWithThatManyPermits()
    {
        var state = Build(await LoadAsync(limits: """{ "MaxConcurrentRequests": 2, "MaxQueuedRequests": 1 }"""));

        var shedder = state.Shedder!;
        Assert.Equal(2, state.ShedderLimits!.MaxConcurrentRequests);
        using var a = shedder.AttemptAcquire();
        using var b = shedder.AttemptAcquire();
        using var c = shedder.AttemptAcquire();
        Assert.True(a.IsAcquired);
        Assert.True(b.IsAcquired);
        Assert.False(c.IsAcquired);
        // One may wait for a slot.
        var queued = shedder.AcquireAsync(1).AsTask();
        using var overflow = await shedder.AcquireAsync(1);
        Assert.False(overflow.IsAcquired);
        Assert.False(queued.IsCompleted);
        a.Dispose();
        using var granted = await queued.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(granted.IsAcquired);
    }

    [Fact]
    public async Task Build_LimitsUnchanged_KeepsTheShedderAndItsCount()
    {
        var first = Build(await LoadAsync(limits: """{ "MaxConcurrentRequests": 5, "MaxQueuedRequests": 2 }"""));
        using var held = first.Shedder!.AttemptAcquire();

        // Other limits change; the concurrency limit and its queue do not.
        var second = Build(await LoadAsync(limits: """{ "MaxConcurrentRequests": 5, "MaxQueuedRequests": 2, "MaxRequestBodySize": 1000, "MaxConcurrentConnections": 50 }"""), first);

        Assert.Same(first.Shedder, second.Shedder);
        Assert.Equal(4, second.Shedder!.GetStatistics()!.CurrentAvailablePermits);
        Assert.Empty(_retired);
    }

    [Theory]
    [InlineData("""{ "MaxConcurrentRequests": 6, "MaxQueuedRequests": 2 }""", 6)]
    [InlineData("""{ "MaxConcurrentRequests": 5, "MaxQueuedRequests": 3 }""", 5)]
    [InlineData("""{ "MaxConcurrentRequests": 5 }""", 5)]
    public async Task Build_LimitsChanged_NewShedderAndTheOldIsRetired(string limits, int permits)
    {
        var first = Build(await LoadAsync(limits: """{ "MaxConcurrentRequests": 5, "MaxQueuedRequests": 2 }"""));
        using var held = first.Shedder!.AttemptAcquire();

        var second = Build(await LoadAsync(limits: limits), first);

        Assert.NotNull(second.Shedder);
        Assert.NotSame(first.Shedder, second.Shedder);
        Assert.Equal(permits, second.Shedder.GetStatistics()!.CurrentAvailablePermits);
        Assert.Equal([first.Shedder], _retired);
    }

    [Fact]
    public async Task Build_MaxConcurrentRequestsRemoved_NoShedderAndTheOldIsRetired()
    {
        var first = Build(await LoadAsync(limits: """{ "MaxConcurrentRequests": 5 }"""));

        var second = Build(await LoadAsync(limits: "{}"), first);

        Assert.Null(second.Shedder);
        Assert.Null(second.ShedderLimits);
        Assert.Equal([first.Shedder!], _retired);
    }

    [Fact]
    public async Task BodyLimitFor_RouteMetadataOverTheEdgeWideLimit()
    {
        var state = Build(await LoadAsync(limits: """{ "MaxRequestBodySize": 1000 }""", extraRoute: true, extraRouteBodyLimit: "0"));

        // Above the edge-wide limit: a route may raise it.
        Assert.Equal(1_048_576, state.BodyLimitFor("upload"));
        Assert.Equal(1_048_576, state.BodyLimitFor("UPLOAD"));
        Assert.Equal(0, state.BodyLimitFor("extra"));
        Assert.Equal(1000, state.BodyLimitFor("api"));
        Assert.Equal(1000, state.BodyLimitFor("no-such-route"));
        Assert.Equal(1000, state.MaxRequestBodySize);
    }

    [Fact]
    public async Task BodyLimitFor_NoEdgeWideLimit_TheDefault()
    {
        var state = Build(await LoadAsync());

        Assert.Equal(LimitsOptions.DefaultMaxRequestBodySize, state.BodyLimitFor("api"));
        Assert.Equal(1_048_576, state.BodyLimitFor("upload"));
    }

    [Fact]
    public async Task BodyLimitFor_RouteLimitRemovedOnReload_BackToTheEdgeWideLimit()
    {
        var first = Build(await LoadAsync(extraRoute: true, extraRouteBodyLimit: "10"));

        var second = Build(await LoadAsync(extraRoute: true), first);

        Assert.Equal(10, first.BodyLimitFor("extra"));
        Assert.Equal(LimitsOptions.DefaultMaxRequestBodySize, second.BodyLimitFor("extra"));
    }

    [Fact]
    public async Task Registry_ReplacedPolicy_DisposedOnlyAfterRetireAfter()
    {
        var time = new ManualTimeProvider();
        var registry = new AdmissionRegistry(time);
        Assert.Same(AdmissionState.Empty, registry.Current);
        registry.Update(await LoadAsync(strict: Strict, loose: null, defaultPolicy: null));
        var old = registry.Current.Policies["strict"];

        registry.Update(await LoadAsync(strict: """{ "Kind": "FixedWindow", "PermitLimit": 3, "Window": "00:01:00" }""", loose: null, defaultPolicy: null));
        Assert.NotSame(old, registry.Current.Policies["strict"]);

        // A request that picked the old policy before the reload can still use it.
        time.Advance(AdmissionRegistry.RetireAfter - TimeSpan.FromSeconds(1));
        Assert.True(old.AttemptAcquire(Request()).IsAcquired);

        time.Advance(TimeSpan.FromSeconds(1));
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!IsDisposed(old))
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(5), "the retired policy was not disposed");
            await Task.Delay(TimeSpan.FromMilliseconds(10));
        }

        Assert.True(registry.Current.Policies["strict"].AttemptAcquire(Request()).IsAcquired);
        _built.Add(registry.Current);
    }

    private static bool IsDisposed(RateLimitPolicy policy)
    {
        try
        {
            using var lease = policy.AttemptAcquire(Request("10.9.9.9"));
            return false;
        }
        catch (ObjectDisposedException)
        {
            return true;
        }
    }

    /// <summary>Every limiter the test built, so their heartbeat timers stop with it.</summary>
    public void Dispose()
    {
        var limiters = new HashSet<IDisposable>(ReferenceEqualityComparer.Instance);
        limiters.UnionWith(_retired);
        foreach (var state in _built)
        {
            limiters.UnionWith(state.Policies.Values);
            if (state.Shedder is { } shedder)
            {
                limiters.Add(shedder);
            }
        }

        foreach (var limiter in limiters)
        {
            limiter.Dispose();
        }
    }

    private AdmissionState Build(EdgeConfigSnapshot snapshot, AdmissionState? previous = null)
    {
        var state = AdmissionState.Build(snapshot, previous ?? AdmissionState.Empty, _retired);
        _built.Add(state);
        return state;
    }

    /// <summary>
    /// Routes: <c>api</c> (its own policy), <c>web</c> (none), <c>health</c> (Disable) and <c>upload</c>
    /// (Default, 1 MiB bodies); optionally <c>extra</c>. A null policy is left out of the file.
    /// </summary>
    private static Task<EdgeConfigSnapshot> LoadAsync(
        string? strict = null,
        string? loose = null,
        string? defaultPolicy = null,
        string? apiPolicy = "strict",
        string limits = "{}",
        bool extraRoute = false,
        string? extraRouteBodyLimit = null)
    {
        var policies = new List<string>();
        if (strict is not null)
        {
            policies.Add($"\"strict\": {strict}");
        }

        if (loose is not null)
        {
            policies.Add($"\"loose\": {loose}");
        }

        var rateLimiting = policies.Count == 0 && defaultPolicy is null
            ? "{}"
            : $$"""{ {{(defaultPolicy is null ? string.Empty : $"\"DefaultPolicy\": \"{defaultPolicy}\",")}} "Policies": { {{string.Join(", ", policies)}} } }""";
        var api = apiPolicy is null || strict is null ? string.Empty : $", \"RateLimiterPolicy\": \"{apiPolicy}\"";
        var extraMetadata = extraRouteBodyLimit is null ? string.Empty : $$""", "Metadata": { "MaxRequestBodySize": "{{extraRouteBodyLimit}}" }""";
        var extra = extraRoute ? $$""", "extra": { "ClusterId": "web", "Match": { "Path": "/extra/{**rest}" }{{extraMetadata}} }""" : string.Empty;
        return TestSnapshots.LoadAsync($$"""
            {
              "ReverseProxy": {
                "Routes": {
                  "api": { "ClusterId": "api", "Match": { "Path": "/api/{**rest}" }{{api}} },
                  "web": { "ClusterId": "web", "Match": { "Path": "/{**catchall}" } },
                  "health": { "ClusterId": "web", "Match": { "Path": "/health" }, "RateLimiterPolicy": "Disable" },
                  "upload": { "ClusterId": "api", "Match": { "Path": "/upload/{**rest}" }, "RateLimiterPolicy": "Default", "Metadata": { "MaxRequestBodySize": "1048576" } }{{extra}}
                },
                "Clusters": {
                  "api": { "Destinations": { "api-1": { "Address": "http://10.0.0.1:8080/" } } },
                  "web": { "Destinations": { "web-1": { "Address": "http://10.0.0.2:8080/" } } }
                }
              },
              "Edge": {
                "Listeners": { "Public": "http://0.0.0.0:8080", "Admin": "http://127.0.0.1:9901" },
                "RateLimiting": {{rateLimiting}},
                "Limits": {{limits}}
              }
            }
            """);
    }
}
