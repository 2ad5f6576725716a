using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Edge.Testing;
using Xunit.Abstractions;

namespace Edge.FunctionalTests.Canary;

public sealed class WeightedRoutingTests(ITestOutputHelper output)
{
    [Theory]
    // Plain weighted cluster, and the same weights as a canary whose clients get sticky tickets.
    [InlineData(false)]
    [InlineData(true)]
    public async Task Weighted_90To10_2000DistinctClients_CanaryGets10PercentWithin2(bool asCanary)
    {
        await using var stable = await OriginServer.StartAsync("stable");
        await using var canary = await OriginServer.StartAsync("canary");
        using var file = new EdgeConfigFile(CanaryClients.Config(stable, canary, "90", "10", asCanary ? new JsonObject() : null));
        await using var edge = await EdgeProcess.StartAsync(file.Path);
        using var clients = new CanaryClients(edge);

        var origins = await clients.SendManyAsync(2000);

        var share = origins.Count(o => o == "canary") / 2000.0;
        output.WriteLine($"{(asCanary ? "canary cluster" : "plain weighted")}: canary served {share:P2} of 2000 requests from distinct clients");
        Assert.Equal(2000, origins.Count(o => o is "stable" or "canary"));
        Assert.InRange(share, 0.08, 0.12);
    }

    [Theory]
    [InlineData("0", "100", "canary")]
    [InlineData("100", "0", "stable")]
    public async Task Weighted_ZeroAndHundred_EveryRequestToTheWeightedOne(string stableWeight, string canaryWeight, string expected)
    {
        await using var stable = await OriginServer.StartAsync("stable");
        await using var canary = await OriginServer.StartAsync("canary");
        using var file = new EdgeConfigFile(CanaryClients.Config(stable, canary, stableWeight, canaryWeight));
        await using var edge = await EdgeProcess.StartAsync(file.Path);
        using var clients = new CanaryClients(edge);

        var origins = await clients.SendManyAsync(500);

        Assert.All(origins, o => Assert.Equal(expected, o));
    }

    [Fact]
    public async Task Weighted_CanaryUnhealthy_GetsNothing_UntilItRecovers()
    {
        await using var stable = await OriginServer.StartAsync("stable");
        await using var canary = await OriginServer.StartAsync("canary");
        var config = CanaryClients.Config(stable, canary, "50", "50", new JsonObject());
        var cluster = config["ReverseProxy"]!["Clusters"]!["main"]!;
        cluster["HealthCheck"] = new JsonObject
        {
            ["Active"] = new JsonObject { ["Enabled"] = true, ["Interval"] = "00:00:00.250", ["Timeout"] = "00:00:01", ["Path"] = "/health" },
        };
        cluster["Metadata"] = new JsonObject { ["ConsecutiveFailuresHealthPolicy.Threshold"] = "1" };
        canary.HealthStatus = 503;
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);
        using var clients = new CanaryClients(edge);
        await Eventually.TrueAsync(async () => await HealthAsync(edge, "canary") == "Unhealthy", TimeSpan.FromSeconds(5), "the canary to be probed unhealthy");

        var origins = await clients.SendManyAsync(400);
        // A client whose ticket says canary is served by stable meanwhile.
        var forcedOut = await clients.SendAsync("/", r => r.Headers.Add("Cookie", "edge-canary-main=0"));

        Assert.All(origins, o => Assert.Equal("stable", o));
        Assert.Equal("stable", forcedOut);
        Assert.All(canary.Paths, p => Assert.Equal("/health", p));

        canary.HealthStatus = 200;
        await Eventually.TrueAsync(async () => await clients.SendAsync("/", r => r.Headers.Add("Cookie", "edge-canary-main=0")) == "canary",
            TimeSpan.FromSeconds(5), "the canary client to return to the canary once it is healthy");
    }

    [Fact]
    public async Task Sticky_50RequestsPerClient_AllOnTheSameSide()
    {
        await using var stable = await OriginServer.StartAsync("stable");
        await using var canary = await OriginServer.StartAsync("canary");
        using var file = new EdgeConfigFile(CanaryClients.Config(stable, canary, "50", "50", new JsonObject()));
        await using var edge = await EdgeProcess.StartAsync(file.Path);
        using var clients = new CanaryClients(edge);

        var sides = new List<string>();
        for (var client = 0; client < 10; client++)
        {
            var jar = new CookieContainer();
            var seen = new List<string>();
            for (var i = 0; i < 50; i++)
            {
                seen.Add(await clients.SendAsync(jar, $"/c{client}/{i}"));
            }

            Assert.Single(seen.Distinct());
            sides.Add(seen[0]);
        }

        // Both sides had clients, so stickiness was not just everyone on one side.
        Assert.Contains("stable", sides);
        Assert.Contains("canary", sides);
    }

    [Fact]
    public async Task Sticky_RampTenToFiftyByReload_NoCanaryClientEverMovesBackToStable()
    {
        await using var stable = await OriginServer.StartAsync("stable");
        await using var canary = await OriginServer.StartAsync("canary");
        var config = CanaryClients.Config(stable, canary, "90", "10", new JsonObject());
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);
        using var clients = new CanaryClients(edge);
        var jars = Enumerable.Range(0, 300).Select(_ => new CookieContainer()).ToList();

        var before = new List<string>();
        foreach (var jar in jars)
        {
            before.Add(await clients.SendAsync(jar));
        }

        CanaryClients.SetWeight(config, "stable", "50");
        CanaryClients.SetWeight(config, "canary", "50");
        file.Write(config);
        await Eventually.TrueAsync(async () => await CanaryPercentAsync(edge) == 50, TimeSpan.FromSeconds(5), "the reload to 50/50");

        var after = new List<string>();
        for (var i = 0; i < jars.Count; i++)
        {
            var side = await clients.SendAsync(jars[i]);
            for (var again = 0; again < 3; again++)
            {
                Assert.Equal(side, await clients.SendAsync(jars[i]));
            }

            after.Add(side);
        }

        var canaryBefore = before.Count(s => s == "canary");
        var moved = Enumerable.Range(0, jars.Count).Count(i => before[i] == "stable" && after[i] == "canary");
        output.WriteLine($"10 %: {canaryBefore} of 300 clients on canary; 50 %: {after.Count(s => s == "canary")}; {moved} moved stable -> canary, none back");
        Assert.InRange(canaryBefore, 28, 32);
        Assert.DoesNotContain(Enumerable.Range(0, jars.Count), i => before[i] == "canary" && after[i] == "stable");
        // 40 of the stable 90 % move: about 120 of 270 clients.
        Assert.InRange(moved, 85, 155);
    }

    [Fact]
    public async Task Forced_HeaderOrCookie_OverridesWeightsAndTickets()
    {
        await using var stable = await OriginServer.StartAsync("stable");
        await using var canary = await OriginServer.StartAsync("canary");
        using var file = new EdgeConfigFile(CanaryClients.Config(stable, canary, "100", "0", new JsonObject()));
        await using var edge = await EdgeProcess.StartAsync(file.Path);
        using var clients = new CanaryClients(edge);

        for (var i = 0; i < 20; i++)
        {
            Assert.Equal("stable", await clients.SendAsync());
            Assert.Equal("canary", await clients.SendAsync("/", r => r.Headers.Add("X-Canary", "always")));
            Assert.Equal("canary", await clients.SendAsync("/", r => r.Headers.Add("Cookie", "edge-canary-main=9999; X-Canary=always")));
            Assert.Equal("stable", await clients.SendAsync("/", r => r.Headers.Add("X-Canary", "never")));
        }
    }

    [Fact]
    public async Task Validate_BadWeightAndCanary_ExitOneWithEveryError()
    {
        await using var stable = await OriginServer.StartAsync("stable");
        await using var canary = await OriginServer.StartAsync("canary");
        var config = CanaryClients.Config(stable, canary, "-5", "10", new JsonObject
        {
            ["Destination"] = "canery",
            ["Steps"] = new JsonArray(10, 5),
            ["MaxErrorRatio"] = 2,
        });
        using var file = new EdgeConfigFile(config);

        var (exitCode, text) = await EdgeProcess.RunAsync(["validate", "--config", file.Path]);

        Assert.Equal(1, exitCode);
        Assert.Contains("Cluster 'main' destination 'stable' has Metadata.Weight '-5'", text, StringComparison.Ordinal);
        Assert.Contains("Edge:Canary:main:Destination is 'canery'", text, StringComparison.Ordinal);
        Assert.Contains("Did you mean 'canary'?", text, StringComparison.Ordinal);
        Assert.Contains("Edge:Canary:main:Steps is [10, 5]; steps must be strictly increasing", text, StringComparison.Ordinal);
        Assert.Contains("Edge:Canary:main:MaxErrorRatio is 2;", text, StringComparison.Ordinal);
    }

    internal static async Task<double?> CanaryPercentAsync(EdgeProcess edge)
    {
        using var document = JsonDocument.Parse(await edge.Admin.GetStringAsync("/admin/canary"));
        var rollouts = document.RootElement.GetProperty("rollouts");
        return rollouts.GetArrayLength() == 0 ? null : rollouts[0].GetProperty("canaryPercent").GetDouble();
    }

    private static async Task<string?> HealthAsync(EdgeProcess edge, string destinationId)
    {
        using var document = JsonDocument.Parse(await edge.Admin.GetStringAsync("/admin/clusters"));
        return document.RootElement.GetProperty("clusters").EnumerateArray()
            .SelectMany(c => c.GetProperty("destinations").EnumerateArray())
            .Where(d => d.GetProperty("id").GetString() == destinationId)
            .Select(d => d.GetProperty("health").GetProperty("active").GetString())
            .FirstOrDefault();
    }
}
