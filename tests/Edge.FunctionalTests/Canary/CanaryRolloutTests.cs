using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Edge.Testing;
using Xunit.Abstractions;

namespace Edge.FunctionalTests.Canary;

public sealed class CanaryRolloutTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Rollout_Canary20PercentErrors_RolledBackToZeroOnItsOwn()
    {
        await using var stable = await OriginServer.StartAsync("stable");
        await using var canary = await OriginServer.StartAsync("canary");
        canary.FailEvery = 5;
        using var file = new EdgeConfigFile(CanaryClients.Config(stable, canary, "90", null, Rollout()));
        await using var edge = await EdgeProcess.StartAsync(file.Path);
        using var clients = new CanaryClients(edge);

        var state = await DriveUntilAsync(edge, clients, "RolledBack");

        Assert.Equal(0, state.GetProperty("canaryPercent").GetDouble());
        var analysis = state.GetProperty("lastAnalysis");
        Assert.Equal("RollBack", analysis.GetProperty("decision").GetString());
        Assert.True(analysis.GetProperty("canary").GetProperty("errors5xx").GetInt64() > 0);
        output.WriteLine($"Rolled back: {analysis}");

        // From now on no new request reaches the canary, whatever its client's ticket.
        var served = canary.Requests;
        var origins = await clients.SendManyAsync(200);
        Assert.All(origins, o => Assert.Equal("stable", o));
        Assert.Equal("stable", await clients.SendAsync("/", r => r.Headers.Add("Cookie", "edge-canary-main=0")));
        Assert.Equal(served, canary.Requests);

        Assert.Equal(1, await edge.WaitForCountAsync("rolled back at step 1 (10 % -> 0 %)", 1));
        var scrape = await PrometheusScrape.FetchAsync(edge.Admin);
        Assert.Equal(0, scrape.Value("edge_canary_weight", ("cluster", "main"), ("destination", "canary")));
        Assert.Equal(100, scrape.Value("edge_canary_weight", ("cluster", "main"), ("destination", "stable")));
    }

    [Fact]
    public async Task Rollout_HealthyCanary_AdvancesThroughEveryStepToPromoted()
    {
        await using var stable = await OriginServer.StartAsync("stable");
        await using var canary = await OriginServer.StartAsync("canary");
        using var file = new EdgeConfigFile(CanaryClients.Config(stable, canary, "90", null, Rollout()));
        await using var edge = await EdgeProcess.StartAsync(file.Path);
        using var clients = new CanaryClients(edge);

        var state = await DriveUntilAsync(edge, clients, "Promoted");

        Assert.Equal(100, state.GetProperty("canaryPercent").GetDouble());
        Assert.Equal(3, state.GetProperty("step").GetInt32());
        Assert.Equal(1, await edge.WaitForCountAsync("at step 1 (10 %): Advance, canary now at 50 %", 1));
        Assert.Equal(1, await edge.WaitForCountAsync("at step 2 (50 %): Advance, canary now at 100 %", 1));
        Assert.Equal(1, await edge.WaitForCountAsync("at step 3 (100 %): Promote, canary now at 100 %", 1));
        Assert.Equal(0, edge.Count("rolled back"));
        var origins = await clients.SendManyAsync(100);
        Assert.All(origins, o => Assert.Equal("canary", o));
    }

    [Fact]
    public async Task Admin_PauseResumePromoteAbort_TransitionsJsonAndMetric()
    {
        await using var stable = await OriginServer.StartAsync("stable");
        await using var canary = await OriginServer.StartAsync("canary");
        var rollout = Rollout();
        rollout["StepInterval"] = "00:10:00";
        using var file = new EdgeConfigFile(CanaryClients.Config(stable, canary, "90", null, rollout));
        await using var edge = await EdgeProcess.StartAsync(file.Path);

        using (var document = JsonDocument.Parse(await edge.Admin.GetStringAsync("/admin/canary")))
        {
            var main = Assert.Single(document.RootElement.GetProperty("rollouts").EnumerateArray());
            Assert.Equal("main", main.GetProperty("cluster").GetString());
            Assert.Equal("canary", main.GetProperty("canary").GetString());
            Assert.Equal("Running", main.GetProperty("state").GetString());
            Assert.Equal(1, main.GetProperty("step").GetInt32());
            Assert.Equal([10, 50, 100], main.GetProperty("steps").EnumerateArray().Select(s => s.GetInt32()));
            Assert.Equal(10, main.GetProperty("canaryPercent").GetDouble());
            Assert.Equal(90, main.GetProperty("weights").GetProperty("stable").GetDouble());
            Assert.Equal(10, main.GetProperty("weights").GetProperty("canary").GetDouble());
            Assert.Equal("00:10:00", main.GetProperty("stepInterval").GetString());
            Assert.Equal(20, main.GetProperty("thresholds").GetProperty("minRequests").GetInt32());
            Assert.Equal(JsonValueKind.Null, main.GetProperty("lastAnalysis").ValueKind);
            Assert.NotEqual(JsonValueKind.Null, main.GetProperty("nextAnalysisAt").ValueKind);
        }

        await ActAsync(edge, "pause", HttpStatusCode.OK, "Paused", 10);
        await ActAsync(edge, "pause", HttpStatusCode.Conflict, "it is Paused", null);
        await ActAsync(edge, "resume", HttpStatusCode.OK, "Running", 10);
        await ActAsync(edge, "resume", HttpStatusCode.Conflict, "it is Running", null);
        await ActAsync(edge, "promote", HttpStatusCode.OK, "Promoted", 100);
        await ActAsync(edge, "pause", HttpStatusCode.Conflict, "it is Promoted", null);
        await ActAsync(edge, "abort", HttpStatusCode.OK, "Aborted", 0);
        await ActAsync(edge, "abort", HttpStatusCode.Conflict, "it is Aborted", null);
        await ActAsync(edge, "promote", HttpStatusCode.Conflict, "it is Aborted", null);

        using var unknown = await edge.Admin.PostAsync("/admin/canary/nowhere/pause", null);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);
        using (var problem = JsonDocument.Parse(await unknown.Content.ReadAsStringAsync()))
        {
            Assert.StartsWith("Cluster 'nowhere' has no canary", problem.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        var scrape = await PrometheusScrape.FetchAsync(edge.Admin);
        Assert.Equal("gauge", scrape.TypeOf("edge_canary_weight"));
        Assert.Equal(0, scrape.Value("edge_canary_weight", ("cluster", "main"), ("destination", "canary")));
        Assert.Equal(100, scrape.Value("edge_canary_weight", ("cluster", "main"), ("destination", "stable")));
        Assert.Equal(1, await edge.WaitForCountAsync("through the admin API: now Aborted", 1));
    }

    [Fact]
    public async Task Rollout_RestartOfTheEdge_StartsAgainFromTheConfig_WeightZeroKeepsItOff()
    {
        await using var stable = await OriginServer.StartAsync("stable");
        await using var canary = await OriginServer.StartAsync("canary");
        var rollout = Rollout();
        rollout["StepInterval"] = "00:10:00";
        var config = CanaryClients.Config(stable, canary, "90", null, rollout);
        using var file = new EdgeConfigFile(config);
        await using (var first = await EdgeProcess.StartAsync(file.Path))
        {
            using var abort = await first.Admin.PostAsync("/admin/canary/main/abort", null);
            Assert.Equal(HttpStatusCode.OK, abort.StatusCode);
        }

        await using (var second = await EdgeProcess.StartAsync(file.Path))
        {
            Assert.Equal(10, await WeightedRoutingTests.CanaryPercentAsync(second));
        }

        // The permanent rollback: the canary's Weight 0 in the config.
        CanaryClients.SetWeight(config, "canary", "0");
        file.Write(config);
        await using var third = await EdgeProcess.StartAsync(file.Path);
        using var document = JsonDocument.Parse(await third.Admin.GetStringAsync("/admin/canary"));
        var main = document.RootElement.GetProperty("rollouts")[0];
        Assert.Equal("Off", main.GetProperty("state").GetString());
        Assert.Equal(0, main.GetProperty("canaryPercent").GetDouble());
    }

    /// <summary>Steps 10, 50, 100 of 300 ms, judged on at least 20 canary requests.</summary>
    private static JsonObject Rollout() => new()
    {
        ["Steps"] = new JsonArray(10, 50, 100),
        ["StepInterval"] = "00:00:00.300",
        ["MinRequests"] = 20,
    };

    /// <summary>Sends traffic from new clients, 4 at a time, until the rollout reaches <paramref name="state"/> (at most 20 s).</summary>
    private static async Task<JsonElement> DriveUntilAsync(EdgeProcess edge, CanaryClients clients, string state)
    {
        using var stop = new CancellationTokenSource();
        var sent = 0;
        var load = Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            while (!stop.IsCancellationRequested)
            {
                await clients.SendAsync("/work");
                Interlocked.Increment(ref sent);
            }
        }));

        JsonElement current = default;
        try
        {
            await Eventually.TrueAsync(async () =>
            {
                using var document = JsonDocument.Parse(await edge.Admin.GetStringAsync("/admin/canary"));
                current = document.RootElement.GetProperty("rollouts")[0].Clone();
                return current.GetProperty("state").GetString() == state;
            }, TimeSpan.FromSeconds(20), $"the rollout to reach {state}");
        }
        finally
        {
            await stop.CancelAsync();
            await load;
        }

        return current;
    }

    private static async Task ActAsync(EdgeProcess edge, string action, HttpStatusCode expected, string stateOrDetail, double? percent)
    {
        using var response = await edge.Admin.PostAsync($"/admin/canary/main/{action}", null);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"POST {action} answered {(int)response.StatusCode}: {body}");
        using var document = JsonDocument.Parse(body);
        if (expected != HttpStatusCode.OK)
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains(stateOrDetail, document.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
            return;
        }

        Assert.Equal(stateOrDetail, document.RootElement.GetProperty("state").GetString());
        Assert.Equal(percent, document.RootElement.GetProperty("canaryPercent").GetDouble());
    }
}
