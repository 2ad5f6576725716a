using System.Diagnostics;
using Edge.LoadTests.Runner;
using Edge.LoadTests.Stack;
using Edge.Testing;

namespace Edge.LoadTests.Scenarios;

/// <summary>Steady load well below capacity through the edge to two origins: no failure, and a p99 bound.</summary>
internal sealed class SteadyLoad : ILoadTest
{
    private const double Rate = 150;

    public string Name => "steady";

    public string Description => $"A ramp to {Rate:0} req/s, then a constant {Rate:0} req/s (open model) to two origins (round robin): zero failures, p99 bounded.";

    public async Task<LoadTestResult> RunAsync(LoadTestContext context)
    {
        var clock = Stopwatch.StartNew();
        await using var a = await OriginServer.StartAsync("a").ConfigureAwait(false);
        await using var b = await OriginServer.StartAsync("b").ConfigureAwait(false);
        await using var edge = await EdgeStack.StartAsync(context.EdgePath, EdgeConfigFile.Config(a, b), LoadTestContext.StartDeadline).ConfigureAwait(false);
        using var client = Http.Client(edge.PublicUrl);

        var warmUp = await context.Runner.RunAsync(Scenario.Create("warm-up", Steps.Get(client, "/"))
            .WithLoadSimulations(LoadSimulation.KeepConstant(8, context.Pick(TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(1))))).ConfigureAwait(false);
        var during = context.Pick(TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(4));
        var steady = await context.Runner.RunAsync(Scenario.Create("steady", Steps.Get(client, "/"))
            .WithLoadSimulations(
                LoadSimulation.RampingInject(Rate, TimeSpan.FromSeconds(1), context.Pick(TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(1))),
                LoadSimulation.Inject(Rate, TimeSpan.FromSeconds(1), during))).ConfigureAwait(false);

        var p99Bound = context.Pick(50.0, 250.0);
        var servedByBoth = steady.Count(s => s.Response.Message == "a") > 0 && steady.Count(s => s.Response.Message == "b") > 0;
        Threshold[] thresholds =
        [
            Threshold.FailCountIsZero(warmUp),
            Threshold.FailCountIsZero(steady),
            Threshold.P99Below(steady, p99Bound),
            Threshold.Create(steady, "steady: offered rate held (requests >= 95 % of planned)", s => s.Requests / (Rate * (during.TotalSeconds + (context.Pick(3.0, 1.0) / 2))), v => v >= 0.95, "0.00"),
            Threshold.Check("both origins served", servedByBoth, $"a {a.Requests}, b {b.Requests}"),
        ];
        return new LoadTestResult(Name, Description, [warmUp, steady], Threshold.EvaluateAll(thresholds), string.Empty, clock.Elapsed, []);
    }
}
