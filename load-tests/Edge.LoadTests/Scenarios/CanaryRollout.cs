using System.Diagnostics;
using System.Text.Json.Nodes;
using Edge.LoadTests.Runner;
using Edge.LoadTests.Stack;
using Edge.Testing;

namespace Edge.LoadTests.Scenarios;

/// <summary>
/// Two progressive rollouts at once on one edge, under load: cluster 'good' has a healthy canary,
/// which must be promoted with no failed request; cluster 'bad' has a canary that answers 500,
/// which must be rolled back at its first analysis, after which no request fails.
/// </summary>
internal sealed class CanaryRollout : ILoadTest
{
    private const double GoodRate = 150;
    private const double BadRate = 100;
    private static readonly int[] Shares = [10, 50, 100];

    public string Name => "canary";

    public string Description => $"Weighted clusters with `Edge:Canary` steps {string.Join('/', Shares)} % and a short StepInterval, under load ({GoodRate:0} + {BadRate:0} req/s, each request a new client): "
        + "the healthy canary is promoted with zero failures; the canary answering 500 is rolled back at its first analysis and nothing fails after.";

    public async Task<LoadTestResult> RunAsync(LoadTestContext context)
    {
        var clock = Stopwatch.StartNew();
        await using var goodStable = await OriginServer.StartAsync("good-stable").ConfigureAwait(false);
        await using var goodCanary = await OriginServer.StartAsync("good-canary").ConfigureAwait(false);
        await using var badStable = await OriginServer.StartAsync("bad-stable").ConfigureAwait(false);
        await using var badCanary = await OriginServer.StartAsync("bad-canary").ConfigureAwait(false);
        badCanary.Status = 500;
        var interval = context.Pick(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1));
        var config = Config(goodStable, goodCanary, badStable, badCanary, interval);
        await using var edge = await EdgeStack.StartAsync(context.EdgePath, config, LoadTestContext.StartDeadline).ConfigureAwait(false);
        using var client = Http.Client(edge.PublicUrl);
        using var admin = Http.Client(edge.AdminUrl);
        admin.Timeout = TimeSpan.FromSeconds(10);

        // The rollouts started with the edge; the load below starts at once so that their first step sees traffic.
        var during = interval * (Shares.Length + 2);
        var started = context.Time.GetTimestamp();
        var second = TimeSpan.FromSeconds(1);
        var good = context.Runner.RunAsync(Scenario.Create("good canary", Steps.Get(client, "/good/")).WithLoadSimulations(LoadSimulation.Inject(GoodRate, second, during)));
        var bad = context.Runner.RunAsync(Scenario.Create("bad canary", Steps.Get(client, "/bad/")).WithLoadSimulations(LoadSimulation.Inject(BadRate, second, during)));

        TimeSpan? promotedAt = null, rolledBackAt = null;
        string goodState = "?", badState = "?";
        while (!good.IsCompleted || !bad.IsCompleted)
        {
            var rollouts = (await Steps.GetJsonAsync(admin, "/admin/canary").ConfigureAwait(false))["rollouts"]!.AsArray();
            goodState = State(rollouts, "good");
            badState = State(rollouts, "bad");
            var now = context.Time.GetElapsedTime(started);
            promotedAt ??= goodState == "Promoted" ? now : null;
            rolledBackAt ??= badState == "RolledBack" ? now : null;
            await Task.WhenAny(Task.WhenAll(good, bad), Task.Delay(TimeSpan.FromMilliseconds(50), context.Time)).ConfigureAwait(false);
        }

        var goodStats = await good.ConfigureAwait(false);
        var badStats = await bad.ConfigureAwait(false);
        // Requests already sent to the canary when it was rolled back may still come back as 500s.
        var settled = (rolledBackAt ?? during) + TimeSpan.FromMilliseconds(300);
        var failedAfter = badStats.Count(s => !s.Response.IsOk && s.At > settled);
        var failedBefore = badStats.Failed - failedAfter;
        var afterPromotion = goodStats.Samples.Where(s => s.At > (promotedAt ?? during) + TimeSpan.FromMilliseconds(300)).ToList();
        var canaryAfterPromotion = afterPromotion.Count(s => s.Response.Message == "good-canary");
        var promoteBy = interval * (Shares.Length + 1);
        Threshold[] thresholds =
        [
            Threshold.FailCountIsZero(goodStats),
            Threshold.Check($"good: promoted within {Shares.Length + 1} step intervals ({promoteBy.TotalSeconds:0.#} s)", promotedAt is { } p && p <= promoteBy, promotedAt is { } at ? $"promoted after {at.TotalSeconds:0.0} s" : $"state {goodState}"),
            Threshold.Check("good: after promotion the canary takes all the traffic", afterPromotion.Count > 0 && canaryAfterPromotion == afterPromotion.Count, $"{canaryAfterPromotion} of {afterPromotion.Count}"),
            Threshold.Check($"bad: rolled back at its first analysis (within 2 step intervals, {(interval * 2).TotalSeconds:0.#} s)", rolledBackAt is { } r && r <= interval * 2, rolledBackAt is { } back ? $"rolled back after {back.TotalSeconds:0.0} s" : $"state {badState}"),
            Threshold.Check("bad: no failed request after the rollback", failedAfter == 0, $"{failedAfter} after, {failedBefore} before"),
        ];
        var events = new List<(TimeSpan, string)>();
        if (promotedAt is { } promoted)
        {
            events.Add((promoted, "good promoted"));
        }

        if (rolledBackAt is { } rolledBack)
        {
            events.Add((rolledBack, "bad rolled back"));
        }

        return new LoadTestResult(Name, Description, [goodStats, badStats], Threshold.EvaluateAll(thresholds), string.Empty, clock.Elapsed, events);
    }

    private static string State(JsonArray rollouts, string cluster)
        => (string?)rollouts.FirstOrDefault(r => (string?)r!["cluster"] == cluster)?["state"] ?? "missing";

    private static JsonObject Config(OriginServer goodStable, OriginServer goodCanary, OriginServer badStable, OriginServer badCanary, TimeSpan interval)
    {
        var config = EdgeConfigFile.Config(goodStable);
        var clusters = config["ReverseProxy"]!["Clusters"]!.AsObject();
        clusters.Remove("main");
        clusters["good"] = Cluster(goodStable, goodCanary);
        clusters["bad"] = Cluster(badStable, badCanary);
        config["ReverseProxy"]!["Routes"] = new JsonObject
        {
            ["good"] = new JsonObject { ["ClusterId"] = "good", ["Match"] = new JsonObject { ["Path"] = "/good/{**rest}" } },
            ["bad"] = new JsonObject { ["ClusterId"] = "bad", ["Match"] = new JsonObject { ["Path"] = "/bad/{**rest}" } },
        };
        config["Edge"]!["Canary"] = new JsonObject
        {
            ["good"] = Rollout(goodCanary, interval),
            ["bad"] = Rollout(badCanary, interval),
        };
        return config;
    }

    private static JsonObject Cluster(OriginServer stable, OriginServer canary) => new()
    {
        ["LoadBalancingPolicy"] = "Weighted",
        ["Destinations"] = new JsonObject
        {
            [stable.Name] = new JsonObject { ["Address"] = stable.Url.ToString() },
            [canary.Name] = new JsonObject { ["Address"] = canary.Url.ToString() },
        },
    };

    private static JsonObject Rollout(OriginServer canary, TimeSpan interval) => new()
    {
        ["Destination"] = canary.Name,
        ["Steps"] = new JsonArray([.. Shares.Select(s => (JsonNode)s)]),
        ["StepInterval"] = interval.ToString("c", System.Globalization.CultureInfo.InvariantCulture),
        ["MinRequests"] = 10,
    };
}
