using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Edge.LoadTests.Runner;
using Edge.LoadTests.Stack;

namespace Edge.LoadTests.Scenarios;

/// <summary>
/// Shedding and quotas: an origin that serves 200 req/s (10 at a time, 50 ms each) behind an edge
/// whose concurrency limit matches it, loaded at 0.5x and then 3x its capacity; a rate-limited
/// route offered 3x its quota; and the edge's CPU per proxied and per refused request.
/// </summary>
internal sealed class Overload : ILoadTest
{
    private const int OriginConcurrency = 10;
    private const double QuotaPerSecond = 100;
    private const int CpuCopies = 3;
    private static readonly TimeSpan OriginWork = TimeSpan.FromMilliseconds(50);

    public string Name => "overload";

    public string Description => $"An origin of 200 req/s capacity behind `Edge:Limits:MaxConcurrentRequests` {OriginConcurrency}, offered 0.5x then 3x its capacity, and a token-bucket route offered 3x its quota: "
        + "accepted requests' p99 under overload within 2x of normal; every refusal a fast 503/429 problem+json with Retry-After; CPU per refused request under half a proxied one and near the cheapest answer Kestrel can give.";

    public async Task<LoadTestResult> RunAsync(LoadTestContext context)
    {
        var clock = Stopwatch.StartNew();
        var capacity = OriginConcurrency / OriginWork.TotalSeconds;
        await using var origin = await CapacityOrigin.StartAsync(OriginConcurrency, OriginWork).ConfigureAwait(false);
        await using var edge = await EdgeStack.StartAsync(context.EdgePath, Config(origin.Url), LoadTestContext.StartDeadline).ConfigureAwait(false);
        using var client = Http.Client(edge.PublicUrl);
        var runner = context.Runner;
        var step = context.Pick(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(3));
        var second = TimeSpan.FromSeconds(1);

        // Warm-up: JIT, connection pools, tiered compilation of the paths measured below.
        await runner.RunAsync(Scenario.Create("warm-up", Steps.Get(client, "/fast", null)).WithLoadSimulations(LoadSimulation.KeepConstant(CpuCopies, context.Pick(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(0.5))))).ConfigureAwait(false);
        await runner.RunAsync(Scenario.Create("warm-up", Steps.GetOrRefused(client, "/refused", 429)).WithLoadSimulations(LoadSimulation.KeepConstant(16, context.Pick(TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(0.5))))).ConfigureAwait(false);
        await runner.RunAsync(Scenario.Create("warm-up", Steps.GetOrRefused(client, "/work", 503)).WithLoadSimulations(LoadSimulation.Inject(capacity * 0.5, second, context.Pick(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1))))).ConfigureAwait(false);

        var normal = await runner.RunAsync(Scenario.Create("normal (0.5x capacity)", Steps.GetOrRefused(client, "/work", 503))
            .WithLoadSimulations(LoadSimulation.Inject(capacity * 0.5, second, step))).ConfigureAwait(false);
        var overload = await runner.RunAsync(Scenario.Create("overload (3x capacity)", Steps.GetOrRefused(client, "/work", 503))
            .WithLoadSimulations(LoadSimulation.Inject(capacity * 3, second, step))).ConfigureAwait(false);
        var quota = await runner.RunAsync(Scenario.Create("quota (3x the route's quota)", Steps.GetOrRefused(client, "/quota", 429, alsoShed: true))
            .WithLoadSimulations(LoadSimulation.Inject(QuotaPerSecond * 3, second, step))).ConfigureAwait(false);

        var cpuStep = context.Pick(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(2));
        var (proxied, proxiedCpu) = await CpuPerRequestAsync(runner, edge, Scenario.Create("cpu: proxied (200)", Steps.Get(client, "/fast", null)), 200, cpuStep).ConfigureAwait(false);
        var (refused, refusedCpu) = await CpuPerRequestAsync(runner, edge, Scenario.Create("cpu: refused (429)", Steps.GetOrRefused(client, "/refused", 429)), 429, cpuStep).ConfigureAwait(false);
        using var admin = Http.Client(edge.AdminUrl);
        // The cheapest answer Kestrel can give (a constant from the admin listener): the floor any response costs.
        var (floor, floorCpu) = await CpuPerRequestAsync(runner, edge, Scenario.Create("cpu: floor (admin /healthz)", Steps.Get(admin, "/healthz", null)), 200, cpuStep).ConfigureAwait(false);

        static bool Accepted(Sample s) => s.Response.StatusCode == 200;
        static bool Refusal(Sample s) => s.Response.Message == Steps.Refused;
        static bool Shed(Sample s) => s.Response.Message == Steps.Shed;
        static bool Unexpected(Sample s) => !s.Response.IsOk && s.Response.Message != Steps.Refused && s.Response.Message != Steps.Shed;
        var normalP99 = normal.Percentile(99, Accepted);
        var overloadP99 = overload.Percentile(99, Accepted);
        var latencyRatio = overloadP99 / normalP99;
        var cpuRatio = refusedCpu / proxiedCpu;
        var cpuBound = context.Pick(0.5, 0.6);
        var floorBound = context.Pick(1.5, 2.0);
        var fastRefusal = OriginWork.TotalMilliseconds;
        var goodput = overload.Count(Accepted) / overload.Duration.TotalSeconds;
        var quotaAccepted = quota.Count(Accepted) / quota.Duration.TotalSeconds;
        Threshold[] thresholds =
        [
            // At half capacity a stall of the (shared) machine can still bunch a few requests past the limit.
            Threshold.Create(normal, "normal (0.5x capacity): shed <= 1 %", s => (double)s.Failed / s.Requests, v => v <= 0.01, "0.0%"),
            Threshold.Create(normal, "normal: every failure is a 503 problem+json with Retry-After", s => s.Count(Unexpected), v => v == 0, "0"),
            Threshold.Check($"overload: accepted p99 <= 2x normal p99 ({Load.Ms(normalP99)} ms)", latencyRatio <= 2, $"{latencyRatio:0.00}x ({Load.Ms(overloadP99)} ms)"),
            Threshold.Check($"overload: goodput >= 70 % of origin capacity ({capacity:0} req/s)", goodput >= capacity * 0.7, $"{goodput:0} req/s"),
            Threshold.Create(overload, "overload: every failure is a 503 problem+json with Retry-After", s => s.Count(Unexpected), v => v == 0, "0"),
            Threshold.Create(overload, "overload: some requests shed", s => s.Count(Refusal), v => v > 0, "0"),
            Threshold.Create(overload, $"overload: refused p99 < {fastRefusal:0} ms (faster than the origin's work)", s => s.Percentile(99, Refusal), v => v < fastRefusal, "0.0 'ms'"),
            Threshold.Create(quota, "quota: every failure is a 429 (or, past the edge-wide limit, a 503) problem+json with Retry-After", s => s.Count(Unexpected), v => v == 0, "0"),
            // The quota's admitted requests still pass the edge-wide concurrency limit; a stall of the
            // machine can bunch a few of them past it. Those answers are well formed but must stay rare.
            Threshold.Create(quota, "quota: shed by the concurrency limit <= 2 %", s => (double)s.Count(Shed) / s.Requests, v => v <= 0.02, "0.0%"),
            Threshold.Check($"quota: accepted rate within 20 % of the quota ({QuotaPerSecond:0} req/s, plus the bucket's burst)", Math.Abs(quotaAccepted - QuotaPerSecond) <= QuotaPerSecond * 0.2 + (20 / quota.Duration.TotalSeconds), $"{quotaAccepted:0} req/s"),
            Threshold.Create(quota, $"quota: refused p99 < {fastRefusal:0} ms", s => s.Percentile(99, Refusal), v => v < fastRefusal, "0.0 'ms'"),
            // Any answer costs Kestrel's parse and write (the floor); a refusal must add next to nothing to it.
            // One-second smoke phases on a shared machine measure CPU coarsely (10 ms ticks), hence wider bounds there.
            Threshold.Check($"CPU per refused request < {cpuBound:0.0}x a proxied one", cpuRatio < cpuBound, $"{cpuRatio:0.00}x"),
            Threshold.Check($"CPU per refused request <= {floorBound:0.0}x the floor (the cheapest answer)", refusedCpu <= floorCpu * floorBound, $"{refusedCpu / floorCpu:0.00}x"),
            Threshold.Check($"the origin never held more than its capacity ({OriginConcurrency} at once)", origin.MaxInFlight <= OriginConcurrency, $"{origin.MaxInFlight}"),
        ];

        var notes = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"Origin capacity {capacity:0} req/s ({OriginConcurrency} at a time, {OriginWork.TotalMilliseconds:0} ms each); quota route: token bucket of {QuotaPerSecond:0} req/s, burst 20, `PartitionBy: Global`.")
            .AppendLine()
            .AppendLine("| edge CPU per request | µs | requests |")
            .AppendLine("| --- | --- | --- |")
            .AppendLine(CultureInfo.InvariantCulture, $"| proxied (200) | {proxiedCpu:0.0} | {proxied.Requests} |")
            .AppendLine(CultureInfo.InvariantCulture, $"| refused (429) | {refusedCpu:0.0} | {refused.Requests} |")
            .AppendLine(CultureInfo.InvariantCulture, $"| floor: admin `/healthz`, a constant answer | {floorCpu:0.0} | {floor.Requests} |")
            .ToString();
        return new LoadTestResult(Name, Description, [normal, overload, quota, proxied, refused, floor], Threshold.EvaluateAll(thresholds), notes, clock.Elapsed, [], overload.Name);
    }

    /// <summary>
    /// Edge CPU (user + system) per answer of the kind measured (200 for proxied, 429 for
    /// refused), in µs, over a closed-loop run of <see cref="CpuCopies"/> copies: fewer than the
    /// concurrency limit, so proxied requests are not shed and counted as proxied, and the same
    /// for every kind, so per-request costs compare.
    /// </summary>
    private static async Task<(ScenarioStats Stats, double Micros)> CpuPerRequestAsync(ScenarioRunner runner, EdgeStack edge, Scenario scenario, int status, TimeSpan during)
    {
        var before = edge.CpuTime();
        var stats = await runner.RunAsync(scenario.WithLoadSimulations(LoadSimulation.KeepConstant(CpuCopies, during))).ConfigureAwait(false);
        var used = edge.CpuTime() - before;
        var answers = stats.CountStatus(status);
        return (stats, answers == stats.Requests ? used.TotalMicroseconds / Math.Max(1, answers) : double.NaN);
    }

    private static JsonObject Config(Uri origin) => JsonNode.Parse($$"""
        {
          "ReverseProxy": {
            "Routes": {
              "work": { "ClusterId": "origin", "Match": { "Path": "/work" } },
              "fast": { "ClusterId": "origin", "Match": { "Path": "/fast" } },
              "quota": { "ClusterId": "origin", "Match": { "Path": "/quota" }, "RateLimiterPolicy": "quota" },
              "refused": { "ClusterId": "origin", "Match": { "Path": "/refused" }, "RateLimiterPolicy": "closed" }
            },
            "Clusters": { "origin": { "Destinations": { "a": { "Address": "{{origin}}" } } } }
          },
          "Edge": {
            "Limits": { "MaxConcurrentRequests": {{OriginConcurrency}} },
            "RateLimiting": {
              "Policies": {
                "closed": { "Kind": "FixedWindow", "PermitLimit": 1, "Window": "01:00:00", "PartitionBy": "Global" },
                "quota": { "Kind": "TokenBucket", "TokenLimit": 20, "TokensPerPeriod": 10, "ReplenishmentPeriod": "00:00:00.100", "PartitionBy": "Global" }
              }
            },
            "Shutdown": { "DrainDelay": "00:00:00" }
          }
        }
        """)!.AsObject();
}

internal static class Load
{
    public static string Ms(double value) => value.ToString("0.0", CultureInfo.InvariantCulture);
}
