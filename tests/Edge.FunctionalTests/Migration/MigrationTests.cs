using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Edge.Testing;
using Xunit.Abstractions;

namespace Edge.FunctionalTests.Migration;

public sealed class MigrationTests(ITestOutputHelper output)
{
    private const string Name = "to-new";
    // As the JSON log renders them: string properties in (escaped) quotes.
    private const string Drained = $"Migration \\\"{Name}\\\" drained";

    [Fact]
    public async Task PhaseOffProxyOff_EightClientsForTenSeconds_FailsNothingAndTrafficFollowsThePhase()
    {
        await using var old = await OriginServer.StartAsync("old");
        await using var target = await OriginServer.StartAsync("new");
        var config = Config(old, target, "Off");
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);

        var clock = Stopwatch.StartNew();
        var served = new ConcurrentQueue<(TimeSpan Start, TimeSpan End, string Origin)>();
        var failures = new ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();
        var clients = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var start = clock.Elapsed;
                try
                {
                    using var response = await edge.Public.GetAsync("/load");
                    var body = await response.Content.ReadAsStringAsync();
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        served.Enqueue((start, clock.Elapsed, body));
                    }
                    else
                    {
                        failures.Enqueue($"status {(int)response.StatusCode}: {body}");
                    }
                }
                catch (HttpRequestException ex)
                {
                    failures.Enqueue(ex.Message);
                }
            }
        })).ToArray();

        // 3 s Off, Proxy until 6.5 s, then Off until 10 s: load runs all along.
        await Task.Delay(TimeSpan.FromSeconds(3));
        var proxyWritten = clock.Elapsed;
        file.Write(WithPhase(config, "Proxy"));
        await Eventually.TrueAsync(() => served.Any(r => r.Origin == "new"), TimeSpan.FromSeconds(5), "the Proxy phase to take effect");
        var proxySeen = served.Where(r => r.Origin == "new").Min(r => r.End);
        await Task.Delay(TimeSpan.FromSeconds(6.5) - clock.Elapsed);
        var offWritten = clock.Elapsed;
        file.Write(WithPhase(config, "Off"));
        await Eventually.TrueAsync(() => served.Any(r => r.Origin == "old" && r.Start > offWritten), TimeSpan.FromSeconds(5), "the Off phase to take effect");
        var offSeen = served.Where(r => r.Origin == "old" && r.Start > offWritten).Min(r => r.End);
        await Task.Delay(TimeSpan.FromSeconds(10) - clock.Elapsed);
        await stop.CancelAsync();
        await Task.WhenAll(clients);

        var beforeProxy = served.Where(r => r.End < proxyWritten).ToList();
        var duringProxy = served.Where(r => r.Start > proxySeen && r.End < offWritten).ToList();
        var afterOff = served.Where(r => r.Start > offSeen).ToList();
        output.WriteLine($"{served.Count} requests in {clock.Elapsed.TotalSeconds:0.0} s by 8 clients, {failures.Count} failed; " +
            $"Off: {beforeProxy.Count}, Proxy: {duringProxy.Count}, Off again: {afterOff.Count}; " +
            $"Proxy took effect {(proxySeen - proxyWritten).TotalMilliseconds:0} ms after the write, Off {(offSeen - offWritten).TotalMilliseconds:0} ms after its write");

        Assert.Empty(failures);
        Assert.True(beforeProxy.Count > 50 && duringProxy.Count > 50 && afterOff.Count > 50, "Every phase saw traffic.");
        Assert.All(beforeProxy, r => Assert.Equal("old", r.Origin));
        Assert.All(duringProxy, r => Assert.Equal("new", r.Origin));
        Assert.All(afterOff, r => Assert.Equal("old", r.Origin));
        // Off waits for nothing but the file poll (200 ms) and the reload.
        Assert.True(offSeen - offWritten < TimeSpan.FromSeconds(2), $"Off took {(offSeen - offWritten).TotalMilliseconds:0} ms.");

        // The origins saw exactly what the clients were served, and the edge counted the Proxy share as residual.
        var toNew = served.Count(r => r.Origin == "new");
        Assert.Equal(served.Count - toNew, old.Requests);
        Assert.Equal(toNew, target.Paths.Count(p => p == "/load"));
        var scrape = await PrometheusScrape.FetchAsync(edge.Admin);
        Assert.Equal(toNew, scrape.Value("edge_migration_residual_requests_total", ("route", "all")));
    }

    [Fact]
    public async Task EnteringProxy_TargetFailsItsProbe_HeldAndReported_OffIsImmediate()
    {
        await using var old = await OriginServer.StartAsync("old");
        await using var target = await OriginServer.StartAsync("new");
        target.HealthStatus = 503;
        var config = Config(old, target, "Off");
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);

        file.Write(WithPhase(config, "Proxy"));
        await Eventually.TrueAsync(async () => (await MigrationAsync(edge)).GetProperty("held").GetString()?.Contains("answered 503", StringComparison.Ordinal) == true,
            TimeSpan.FromSeconds(5), "the migration to report that it is held");
        var held = await MigrationAsync(edge);
        Assert.Equal("Off", held.GetProperty("phase").GetString());
        Assert.Equal("Proxy", held.GetProperty("requestedPhase").GetString());
        Assert.Contains("/health", held.GetProperty("held").GetString(), StringComparison.Ordinal);
        await edge.WaitForLogAsync("Proxy asked for but held");
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal("old", await edge.Public.GetStringAsync("/while-held"));
        }

        Assert.Equal(0, target.Paths.Count(p => p == "/while-held"));
        Assert.Equal(1, edge.Count($"Migration \\\"{Name}\\\": Proxy asked for but held"));

        target.HealthStatus = 200;
        await Eventually.TrueAsync(async () => await edge.Public.GetStringAsync("/after-recovery") == "new", TimeSpan.FromSeconds(5), "Proxy to be entered once the target passes");
        var entered = await MigrationAsync(edge);
        Assert.Equal("Proxy", entered.GetProperty("phase").GetString());
        Assert.Equal(JsonValueKind.Null, entered.GetProperty("held").ValueKind);

        // Back to Off while the target fails: no probe stands in the way.
        target.HealthStatus = 503;
        var offWritten = Stopwatch.StartNew();
        file.Write(WithPhase(config, "Off"));
        await Eventually.TrueAsync(async () => await edge.Public.GetStringAsync("/back") == "old", TimeSpan.FromSeconds(5), "Off to take effect");
        output.WriteLine($"Off took effect {offWritten.ElapsedMilliseconds} ms after the write (file poll 200 ms)");
        Assert.True(offWritten.Elapsed < TimeSpan.FromSeconds(2), $"Off took {offWritten.ElapsedMilliseconds} ms.");
        Assert.Equal("Off", (await MigrationAsync(edge)).GetProperty("phase").GetString());
    }

    [Fact]
    public async Task Proxy_ByDefault_TargetGetsTheOriginalHostAndForwardedHeaders_TargetHostWhenAsked()
    {
        await using var old = await OriginServer.StartAsync("old");
        await using var target = await OriginServer.StartAsync("new");
        var config = Config(old, target, "Proxy");
        config["ReverseProxy"]!["Routes"]!["all"]!["Transforms"] = new JsonArray(new JsonObject { ["PathPrefix"] = "/old-origin-layout" });
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);
        IReadOnlyDictionary<string, string>? original = null;
        await Eventually.TrueAsync(async () => (original = await SendAsync(edge, target, "www.example.test", "/page?q=1")) is not null, TimeSpan.FromSeconds(5), "Proxy to be entered");
        Assert.Equal("Proxy", (await MigrationAsync(edge)).GetProperty("phase").GetString());
        Assert.Equal("www.example.test", original!["Host"]);
        Assert.Equal("www.example.test", original["X-Forwarded-Host"]);
        Assert.Equal("http", original["X-Forwarded-Proto"]);
        Assert.Equal("127.0.0.1", original["X-Forwarded-For"]);
        // The route's transforms were for the old origins: the new site gets the request as the client sent it.
        Assert.Equal("/page?q=1", target.Paths.Last());

        var targetHost = config.DeepClone().AsObject();
        targetHost["Edge"]!["Migrations"]![Name]!["HostHeader"] = "Target";
        file.Write(targetHost);
        IReadOnlyDictionary<string, string>? own = null;
        await Eventually.TrueAsync(async () => (own = await SendAsync(edge, target, "www.example.test", "/again"))?["Host"] == target.Url.Authority,
            TimeSpan.FromSeconds(5), "the target's own Host to be sent");
        Assert.Equal("www.example.test", own!["X-Forwarded-Host"]);
    }

    [Fact]
    public async Task Proxy_HttpsTarget_SniIsTheHostSent_ByIpOrByName()
    {
        await using var old = await OriginServer.StartAsync("old");
        using var certificate = TestCertificate.Create("www.example.test", "new.example.test");
        await using var target = await OriginServer.StartAsync("new", certificate: certificate);
        var config = Config(old, target, "Proxy");
        using var file = new EdgeConfigFile(config);
        var hosts = Path.Combine(file.Directory, "hosts");
        await File.WriteAllTextAsync(hosts, "127.0.0.1 new.example.test\n");
        var migration = config["Edge"]!["Migrations"]![Name]!;
        migration["HttpClient"] = new JsonObject { ["DangerousAcceptAnyServerCertificate"] = true };
        migration["HealthCheck"]!["Host"] = "www.example.test";
        config["Edge"]!["Dns"] = new JsonObject { ["HostsFile"] = hosts };
        file.Write(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);
        await Eventually.TrueAsync(async () => (await MigrationAsync(edge)).GetProperty("phase").GetString() == "Proxy", TimeSpan.FromSeconds(5), "Proxy to be entered");
        Assert.Equal("www.example.test", Assert.Single(target.ServerNames));

        // Target by IP, original Host: SNI is the client's host name, as the new site will see it after the DNS flip.
        IReadOnlyDictionary<string, string>? byIp = null;
        await Eventually.TrueAsync(async () => (byIp = await SendAsync(edge, target, "www.example.test", "/tls")) is not null, TimeSpan.FromSeconds(5), "requests to reach the target");
        Assert.Equal("www.example.test", byIp!["Host"]);
        Assert.Equal(["www.example.test", "www.example.test"], target.ServerNames);

        // Target by its own name, with its own Host: SNI is that name.
        var byName = config.DeepClone().AsObject();
        byName["Edge"]!["Migrations"]![Name]!["Target"] = $"https://new.example.test:{target.Url.Port}/";
        byName["Edge"]!["Migrations"]![Name]!["HostHeader"] = "Target";
        byName["Edge"]!["Migrations"]![Name]!["HealthCheck"]!.AsObject().Remove("Host");
        file.Write(byName);
        await Eventually.TrueAsync(async () => (await SendAsync(edge, target, "www.example.test", "/tls-by-name"))?["Host"] == $"new.example.test:{target.Url.Port}",
            TimeSpan.FromSeconds(5), "the target to be reached by its own name");
        Assert.Equal("new.example.test", target.ServerNames.Last());
    }

    [Fact]
    public async Task Residual_CountedPerRoute_DrainedAfterTheQuietPeriod_LoggedOnce()
    {
        await using var old = await OriginServer.StartAsync("old");
        await using var target = await OriginServer.StartAsync("new");
        var config = Config(old, target, "Proxy");
        config["ReverseProxy"]!["Routes"]!["api"] = new JsonObject { ["ClusterId"] = "main", ["Match"] = new JsonObject { ["Path"] = "/api/{**rest}" } };
        config["Edge"]!["Migrations"]![Name]!["Routes"] = new JsonArray("all", "api");
        config["Edge"]!["Migrations"]![Name]!["QuietPeriod"] = "00:00:02";
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);
        await Eventually.TrueAsync(async () => (await MigrationAsync(edge)).GetProperty("phase").GetString() == "Proxy", TimeSpan.FromSeconds(5), "Proxy to be entered");
        await Eventually.TrueAsync(async () => await edge.Public.GetStringAsync("/first") == "new", TimeSpan.FromSeconds(5), "requests to reach the target");

        for (var i = 0; i < 6; i++)
        {
            Assert.Equal("new", await edge.Public.GetStringAsync("/page"));
        }

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal("new", await edge.Public.GetStringAsync("/api/x"));
        }

        var lastSent = DateTimeOffset.UtcNow;
        var busy = await MigrationAsync(edge);
        Assert.Equal(10, busy.GetProperty("residualRequests").GetProperty("lastMinute").GetInt64());
        Assert.Equal(10, busy.GetProperty("residualRequests").GetProperty("lastHour").GetInt64());
        Assert.False(busy.GetProperty("drained").GetBoolean());
        var lastRequestAt = busy.GetProperty("lastRequestAt").GetDateTimeOffset();
        Assert.InRange(lastRequestAt, lastSent.AddSeconds(-5), lastSent.AddSeconds(1));
        var scrape = await PrometheusScrape.FetchAsync(edge.Admin);
        Assert.Equal(7, scrape.Value("edge_migration_residual_requests_total", ("route", "all")));
        Assert.Equal(3, scrape.Value("edge_migration_residual_requests_total", ("route", "api")));

        var quiet = await Eventually.TrueAsync(async () => (await MigrationAsync(edge)).GetProperty("drained").GetBoolean(), TimeSpan.FromSeconds(6), "the migration to drain");
        output.WriteLine($"drained {quiet.TotalMilliseconds:0} ms after the last check (quiet period 2 s)");
        await Eventually.TrueAsync(() => edge.Logged(Drained), TimeSpan.FromSeconds(2), "the drain to be logged");
        var drained = await MigrationAsync(edge);
        Assert.Equal(10, drained.GetProperty("residualRequests").GetProperty("lastHour").GetInt64());
        Assert.Equal(lastRequestAt, drained.GetProperty("lastRequestAt").GetDateTimeOffset());

        // A straggler: no longer drained, and the next drain is logged again, once.
        Assert.Equal("new", await edge.Public.GetStringAsync("/straggler"));
        Assert.False((await MigrationAsync(edge)).GetProperty("drained").GetBoolean());
        await Eventually.TrueAsync(() => edge.Count(Drained) == 2, TimeSpan.FromSeconds(6), "the second drain to be logged");
        Assert.Equal(1, edge.Count($"Migration \\\"{Name}\\\": a request arrived on route \\\"all\\\" after the drain was logged"));
        Assert.Equal(11, (await MigrationAsync(edge)).GetProperty("residualRequests").GetProperty("total").GetInt64());
    }

    /// <summary>One catch-all route 'all' to cluster 'main' (the old site), and migration 'to-new' of that route to the target.</summary>
    private static JsonObject Config(OriginServer old, OriginServer target, string phase)
    {
        var config = EdgeConfigFile.Config(old);
        config["Edge"]!["Migrations"] = new JsonObject
        {
            [Name] = new JsonObject
            {
                ["Routes"] = new JsonArray("all"),
                ["Target"] = target.Url.ToString(),
                ["Phase"] = phase,
                ["HealthCheck"] = new JsonObject { ["Path"] = "/health", ["Interval"] = "00:00:00.200", ["Timeout"] = "00:00:01" },
            },
        };
        return config;
    }

    private static JsonObject WithPhase(JsonObject config, string phase)
    {
        var copy = config.DeepClone().AsObject();
        copy["Edge"]!["Migrations"]![Name]!["Phase"] = phase;
        return copy;
    }

    private static async Task<JsonElement> MigrationAsync(EdgeProcess edge)
    {
        using var document = JsonDocument.Parse(await edge.Admin.GetStringAsync("/admin/migrations"));
        return document.RootElement.GetProperty("migrations").EnumerateArray().Single(m => m.GetProperty("name").GetString() == Name).Clone();
    }

    /// <summary>
    /// Sends a request with this Host through the edge: the headers the target received for it, or
    /// null when another origin answered.
    /// </summary>
    private static async Task<IReadOnlyDictionary<string, string>?> SendAsync(EdgeProcess edge, OriginServer target, string host, string path)
    {
        var id = Guid.NewGuid().ToString("N");
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Host = host;
        request.Headers.Add("X-Test-Id", id);
        using var response = await edge.Public.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync() == target.Name
            ? target.Headers.Single(h => h.TryGetValue("X-Test-Id", out var seen) && seen == id)
            : null;
    }
}
