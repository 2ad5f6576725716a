using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Edge.LoadTests.Runner;
using Edge.LoadTests.Stack;
using Edge.Testing;

namespace Edge.LoadTests.Scenarios;

/// <summary>
/// 50 config reloads under load: each changes the cluster's destinations (a+b, then b+c...) and a
/// response header naming the generation; odd ones arrive by the file watcher (atomic rename),
/// even ones by <c>POST /admin/config/reload</c> after the write.
/// </summary>
internal sealed class Reloads : ILoadTest
{
    private const double Rate = 150;

    public string Name => "reloads";

    public string Description => $"{Rate:0} req/s while the config is rewritten 50 times (20 in a smoke run) (destinations and a response header change each time; half picked up by the file watcher, half by POST /admin/config/reload): zero failed requests, every reload applied.";

    public async Task<LoadTestResult> RunAsync(LoadTestContext context)
    {
        var clock = Stopwatch.StartNew();
        // A reload takes 100-300 ms to show (the watcher's poll and settle delay, or the POST's own apply), so a smoke run does fewer.
        var count = context.Pick(50, 20);
        await using var a = await OriginServer.StartAsync("a").ConfigureAwait(false);
        await using var b = await OriginServer.StartAsync("b").ConfigureAwait(false);
        await using var c = await OriginServer.StartAsync("c").ConfigureAwait(false);
        OriginServer[] origins = [a, b, c];
        await using var edge = await EdgeStack.StartAsync(context.EdgePath, Config(origins, 0), LoadTestContext.StartDeadline).ConfigureAwait(false);
        using var client = Http.Client(edge.PublicUrl);
        using var admin = Http.Client(edge.AdminUrl);
        admin.Timeout = TimeSpan.FromSeconds(10);

        await context.Runner.RunAsync(Scenario.Create("warm-up", Steps.Get(client, "/"))
            .WithLoadSimulations(LoadSimulation.KeepConstant(8, context.Pick(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1))))).ConfigureAwait(false);

        var during = context.Pick(TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(8));
        var started = context.Time.GetTimestamp();
        var load = context.Runner.RunAsync(Scenario.Create("GET during reloads", Steps.Get(client, "/", "X-Config-Generation"))
            .WithLoadSimulations(LoadSimulation.Inject(Rate, TimeSpan.FromSeconds(1), during)));

        // The reloads fill the middle of the load, leaving a quiet second at each end.
        var spacing = (during - TimeSpan.FromSeconds(2)) / count;
        await Task.Delay(TimeSpan.FromSeconds(1), context.Time).ConfigureAwait(false);
        var version = (string?)(await Steps.GetJsonAsync(admin, "/admin/config").ConfigureAwait(false))["version"];
        var applied = 0;
        var problems = new List<string>();
        var byFile = new List<double>();
        var byPost = new List<double>();
        for (var generation = 1; generation <= count; generation++)
        {
            var due = TimeSpan.FromSeconds(1) + (spacing * generation);
            var ahead = due - context.Time.GetElapsedTime(started);
            if (ahead > TimeSpan.Zero)
            {
                await Task.Delay(ahead, context.Time).ConfigureAwait(false);
            }

            var reloadStarted = context.Time.GetTimestamp();
            await edge.WriteConfigAsync(Config(origins, generation)).ConfigureAwait(false);
            if (generation % 2 == 0)
            {
                using var reload = await admin.PostAsync(new Uri("/admin/config/reload", UriKind.Relative), null).ConfigureAwait(false);
                if (!reload.IsSuccessStatusCode)
                {
                    problems.Add($"reload {generation}: POST answered {(int)reload.StatusCode}");
                }
            }

            // Applied means /admin/config shows a new version whose last reload was applied.
            var deadline = TimeSpan.FromSeconds(5);
            string? seen = version;
            while (context.Time.GetElapsedTime(reloadStarted) < deadline)
            {
                var state = await Steps.GetJsonAsync(admin, "/admin/config").ConfigureAwait(false);
                seen = (string?)state["version"];
                if (seen != version && (string?)state["lastReload"]?["result"] == "applied")
                {
                    break;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(20), context.Time).ConfigureAwait(false);
            }

            if (seen != version)
            {
                applied++;
                version = seen;
            }
            else
            {
                problems.Add($"reload {generation}: not applied within {deadline.TotalSeconds:0} s");
            }

            (generation % 2 == 0 ? byPost : byFile).Add(context.Time.GetElapsedTime(reloadStarted).TotalMilliseconds);
        }

        var reloadsDoneAt = context.Time.GetElapsedTime(started);
        var stats = await load.ConfigureAwait(false);
        var rejected = await Steps.MetricAsync(admin, "edge_config_reloads_total{result=\"rejected\"").ConfigureAwait(false);
        var appliedMetric = await Steps.MetricAsync(admin, "edge_config_reloads_total{result=\"applied\"").ConfigureAwait(false);
        var generations = stats.Samples.Where(s => s.Response.IsOk && s.Response.Message is not null)
            .Select(s => int.Parse(s.Response.Message!, CultureInfo.InvariantCulture)).DefaultIfEmpty(-1).Max();
        Threshold[] thresholds =
        [
            Threshold.FailCountIsZero(stats),
            Threshold.Check($"{count} reloads applied while the load ran", applied == count && reloadsDoneAt < stats.Duration, $"{applied} applied, the last {reloadsDoneAt.TotalSeconds:0.0} s into {stats.Duration.TotalSeconds:0.0} s{(problems.Count > 0 ? "; " + string.Join("; ", problems.Take(3)) : string.Empty)}"),
            Threshold.Check("edge_config_reloads_total: none rejected, at least as many applied as made", rejected == 0 && appliedMetric >= count, $"applied {appliedMetric:0}, rejected {rejected:0}"),
            Threshold.Check("the last generation served requests", generations == count, $"highest generation answered: {generations}"),
        ];
        var notes = string.Create(CultureInfo.InvariantCulture,
            $"Time from writing the file to `/admin/config` showing the new version (`Edge:Reload:PollInterval` 50 ms): by the file watcher p50 {Percentiles.NearestRank(byFile, 50):0} ms, max {byFile.DefaultIfEmpty(double.NaN).Max():0} ms; with `POST /admin/config/reload` p50 {Percentiles.NearestRank(byPost, 50):0} ms, max {byPost.DefaultIfEmpty(double.NaN).Max():0} ms.\n");
        return new LoadTestResult(Name, Description, [stats], Threshold.EvaluateAll(thresholds), notes, clock.Elapsed, [(TimeSpan.FromSeconds(1), "reloads begin"), (reloadsDoneAt, "reloads end")]);
    }

    /// <summary>Generation n: two of the three origins (rotating) and a response header naming n.</summary>
    private static JsonObject Config(OriginServer[] origins, int generation)
    {
        var config = EdgeConfigFile.Config(origins[generation % 3], origins[(generation + 1) % 3]);
        config["ReverseProxy"]!["Routes"]!["all"]!["Transforms"] = new JsonArray
        {
            new JsonObject { ["ResponseHeader"] = "X-Config-Generation", ["Set"] = generation.ToString(CultureInfo.InvariantCulture) },
        };
        config["Edge"]!["Reload"] = new JsonObject { ["PollInterval"] = "00:00:00.050" };
        return config;
    }
}
