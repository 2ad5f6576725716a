using System.Diagnostics;
using System.Text.Json.Nodes;
using Edge.LoadTests.Runner;
using Edge.LoadTests.Stack;
using Edge.Testing;

namespace Edge.LoadTests.Scenarios;

/// <summary>Three origins under steady GET load; one is killed part-way (listener closed, connections aborted): retries and health checks hide it.</summary>
internal sealed class OriginKilled : ILoadTest
{
    private const double Rate = 150;

    public string Name => "origin-killed";

    public string Description => $"{Rate:0} req/s of GETs to three origins (round robin, active and passive health checks, retries on); origin c is killed 40 % of the way in: zero failed GETs.";

    public async Task<LoadTestResult> RunAsync(LoadTestContext context)
    {
        var clock = Stopwatch.StartNew();
        await using var a = await OriginServer.StartAsync("a").ConfigureAwait(false);
        await using var b = await OriginServer.StartAsync("b").ConfigureAwait(false);
        await using var c = await OriginServer.StartAsync("c").ConfigureAwait(false);
        var config = EdgeConfigFile.Config(a, b, c);
        config["ReverseProxy"]!["Clusters"]!["main"]!["HealthCheck"] = new JsonObject
        {
            ["Active"] = new JsonObject { ["Enabled"] = true, ["Interval"] = "00:00:01", ["Timeout"] = "00:00:01", ["Path"] = "/health" },
            ["Passive"] = new JsonObject { ["Enabled"] = true },
        };
        await using var edge = await EdgeStack.StartAsync(context.EdgePath, config, LoadTestContext.StartDeadline).ConfigureAwait(false);
        using var client = Http.Client(edge.PublicUrl);

        await context.Runner.RunAsync(Scenario.Create("warm-up", Steps.Get(client, "/"))
            .WithLoadSimulations(LoadSimulation.KeepConstant(8, context.Pick(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1))))).ConfigureAwait(false);
        var during = context.Pick(TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(5));
        var started = context.Time.GetTimestamp();
        var load = context.Runner.RunAsync(Scenario.Create("GET during an origin's death", Steps.Get(client, "/"))
            .WithLoadSimulations(LoadSimulation.Inject(Rate, TimeSpan.FromSeconds(1), during)));

        await Task.Delay(during * 0.4, context.Time).ConfigureAwait(false);
        var killedAt = context.Time.GetElapsedTime(started);
        var servedBeforeKill = c.Requests;
        await c.KillAsync().ConfigureAwait(false);
        var stats = await load.ConfigureAwait(false);

        var afterKill = stats.Samples.Where(s => s.At > killedAt + TimeSpan.FromSeconds(0.5)).ToList();
        var cAfterKill = afterKill.Count(s => s.Response.Message == "c");
        Threshold[] thresholds =
        [
            Threshold.FailCountIsZero(stats),
            Threshold.P99Below(stats, context.Pick(200.0, 500.0)),
            Threshold.Check("c served its share before it was killed", servedBeforeKill > 0, $"{servedBeforeKill} requests"),
            Threshold.Check("after the kill only a and b answer", cAfterKill == 0 && afterKill.Count > 0, $"{afterKill.Count} answers after the kill, {cAfterKill} from c"),
        ];
        return new LoadTestResult(Name, Description, [stats], Threshold.EvaluateAll(thresholds), string.Empty, clock.Elapsed, [(killedAt, "origin c killed")]);
    }
}
