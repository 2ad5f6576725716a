using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Edge.Testing;
using Xunit.Abstractions;

namespace Edge.FunctionalTests.Resilience;

public sealed class ResilienceTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ActiveHealth_OriginTurns503_LeavesWithinIntervalTimesThreshold_AndReturnsAfterRecovery()
    {
        await using var a = await OriginServer.StartAsync("a");
        await using var b = await OriginServer.StartAsync("b");
        var config = EdgeConfigFile.Config(a, b);
        var cluster = config["ReverseProxy"]!["Clusters"]!["main"]!;
        cluster["HealthCheck"] = new JsonObject
        {
            ["Active"] = new JsonObject { ["Enabled"] = true, ["Interval"] = "00:00:00.500", ["Timeout"] = "00:00:01", ["Path"] = "/health" },
        };
        cluster["Metadata"] = new JsonObject { ["ConsecutiveFailuresHealthPolicy.Threshold"] = "2" };
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);
        await Eventually.TrueAsync(async () => await DestinationAsync(edge, "main", "a") is { } d && d.GetProperty("health").GetProperty("active").GetString() == "Healthy",
            TimeSpan.FromSeconds(5), "a to be probed healthy");

        a.HealthStatus = 503;
        var left = await Eventually.TrueAsync(async () => (await DestinationAsync(edge, "main", "a"))!.Value.GetProperty("health").GetProperty("active").GetString() == "Unhealthy",
            TimeSpan.FromSeconds(5), "a to be taken out");
        var before = a.Paths.Count;
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal("b", await edge.Public.GetStringAsync($"/after-{i}"));
        }

        Assert.True(left <= TimeSpan.FromSeconds(0.5 * 2 + 1), $"Taking a out took {left.TotalMilliseconds:0} ms.");
        Assert.All(a.Paths.Skip(before), p => Assert.Equal("/health", p));

        a.HealthStatus = 200;
        await Eventually.TrueAsync(async () => await edge.Public.GetStringAsync("/back") == "a", TimeSpan.FromSeconds(3), "a to come back after recovering");
    }

    [Fact]
    public async Task Failover_GetsUnderLoad_OriginKilledAt3s_ZeroFailedRequests()
    {
        var (sent, failures, _) = await FailoverAsync(HttpMethod.Get);

        output.WriteLine($"GET failover: {sent} requests, {failures.Count} failed: {string.Join("; ", failures.Take(5))}");
        Assert.True(sent > 500, $"Only {sent} requests were sent.");
        Assert.Empty(failures);
    }

    [Fact]
    public async Task Failover_PostsUnderLoad_OriginKilledAt3s_FailuresOnlyForRequestsInFlightAtTheKill()
    {
        var (sent, failures, killedAt) = await FailoverAsync(HttpMethod.Post);

        output.WriteLine($"POST failover: {sent} requests, {failures.Count} failed: {string.Join("; ", failures)}");
        Assert.True(sent > 500, $"Only {sent} requests were sent.");
        // In flight at the kill: at most one per client, each one started no later than the kill
        // (which takes some milliseconds to abort the origin's connections) and failed just after it,
        // as a 502 from the edge, never a 4xx blaming the client.
        Assert.True(failures.Count <= 8, $"{failures.Count} POSTs failed; at most 8 (one per client) can be in flight.");
        Assert.All(failures, f => Assert.InRange(f.At, killedAt - TimeSpan.FromMilliseconds(100), killedAt + TimeSpan.FromSeconds(1)));
        Assert.All(failures, f => Assert.True(f.Started <= killedAt + KillTakes, $"A POST that started {(f.Started - killedAt).TotalMilliseconds:0} ms after the kill failed: {f.What}"));
        Assert.All(failures, f => Assert.StartsWith("502 ", f.What, StringComparison.Ordinal));
    }

    [Fact]
    public async Task CircuitBreaker_Opens_HalfOpens_AndCloses()
    {
        await using var a = await OriginServer.StartAsync("a");
        await using var b = await OriginServer.StartAsync("b");
        var config = EdgeConfigFile.Config(a, b);
        config["Edge"]!["Resilience"] = new JsonObject
        {
            ["Retry"] = new JsonObject { ["Enabled"] = false },
            ["CircuitBreaker"] = new JsonObject { ["FailureRatio"] = 0.5, ["SamplingDuration"] = "00:00:05", ["MinimumThroughput"] = 4, ["BreakDuration"] = "00:00:01" },
        };
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);
        a.Status = 500;

        await Eventually.TrueAsync(async () =>
        {
            await edge.Public.GetAsync("/drive");
            return await CircuitAsync(edge, "a") == "Open";
        }, TimeSpan.FromSeconds(5), "a's circuit to open");
        var sentToA = a.Requests;
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal("b", await edge.Public.GetStringAsync($"/while-open-{i}"));
        }

        Assert.Equal(sentToA, a.Requests);

        a.Status = 200;
        await Eventually.TrueAsync(async () =>
        {
            await edge.Public.GetAsync("/trial");
            return await CircuitAsync(edge, "a") == "Closed";
        }, TimeSpan.FromSeconds(4), "the break to end and a successful trial to close the circuit");
        await Eventually.TrueAsync(async () => await edge.Public.GetStringAsync("/again") == "a", TimeSpan.FromSeconds(2), "a to serve again");

        // Each state change is logged once (only destination a ever fails here).
        Assert.Equal(1, await edge.WaitForCountAsync("\"RenderedMessage\":\"Circuit opened for destination", 1));
        Assert.Equal(1, await edge.WaitForCountAsync("\"RenderedMessage\":\"Circuit half-open for destination", 1));
        Assert.Equal(1, await edge.WaitForCountAsync("\"RenderedMessage\":\"Circuit closed for destination", 1));
    }

    [Theory]
    [InlineData("GET", false, true)]
    [InlineData("HEAD", false, true)]
    [InlineData("PUT", false, false)]
    [InlineData("PUT", true, true)]
    [InlineData("DELETE", true, true)]
    [InlineData("POST", true, false)]
    public async Task Retry_Origin503_RetriedOnAnotherDestinationOnlyWhenSafe(string method, bool routeOptsIn, bool retried)
    {
        await using var a = await OriginServer.StartAsync("a");
        await using var b = await OriginServer.StartAsync("b");
        a.Status = 503;
        var config = EdgeConfigFile.Config(a, b);
        if (routeOptsIn)
        {
            config["ReverseProxy"]!["Routes"]!["all"]!["Metadata"] = new JsonObject { ["RetryIdempotentWrites"] = "true" };
        }

        config["Edge"]!["Resilience"] = new JsonObject
        {
            ["CircuitBreaker"] = new JsonObject { ["Enabled"] = false },
            ["Retry"] = new JsonObject { ["MaxAttempts"] = 3, ["BudgetBurst"] = 100 },
        };
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 20; i++)
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), $"/r{i}");
            using var response = await edge.Public.SendAsync(request);
            statuses.Add(response.StatusCode);
        }

        // Round robin sends about half the first attempts to a; a retry never goes back to a.
        Assert.InRange(a.Requests, 8, 12);
        Assert.Equal(a.Paths.Count, a.Paths.Distinct().Count());
        if (retried)
        {
            Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
            Assert.Equal(20, b.Requests);
        }
        else
        {
            Assert.Equal(a.Requests, statuses.Count(s => s == HttpStatusCode.ServiceUnavailable));
            Assert.Equal(20 - a.Requests, b.Requests);
        }
    }

    [Fact]
    public async Task RouteTimeout_SetOnTheRoute_OverridesTheDefault()
    {
        await using var hung = MisbehavingOrigin.Start(Misbehaviour.NeverAnswers);
        var config = EdgeConfigFile.Config(("hung", hung.Url));
        config["ReverseProxy"]!["Routes"]!["all"]!["Timeout"] = "00:00:00.500";
        config["Edge"]!["Resilience"] = new JsonObject { ["RequestTimeout"] = "00:00:20" };
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);

        var clock = Stopwatch.StartNew();
        using var response = await edge.Public.GetAsync("/");

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.4), TimeSpan.FromSeconds(1.5));
    }

    [Fact]
    public async Task RetryBudget_EveryOriginFailing_AttemptsStayWithinBudget()
    {
        const int requests = 100;
        const int maxAttempts = 3;
        const double budget = 0.2;
        var origins = new[] { await OriginServer.StartAsync("a"), await OriginServer.StartAsync("b"), await OriginServer.StartAsync("c") };
        try
        {
            foreach (var origin in origins)
            {
                origin.Status = 503;
            }

            var config = EdgeConfigFile.Config(origins);
            config["Edge"]!["Resilience"] = new JsonObject
            {
                ["CircuitBreaker"] = new JsonObject { ["Enabled"] = false },
                ["Retry"] = new JsonObject { ["MaxAttempts"] = maxAttempts, ["BudgetPercent"] = budget * 100, ["BudgetBurst"] = maxAttempts },
            };
            using var file = new EdgeConfigFile(config);
            await using var edge = await EdgeProcess.StartAsync(file.Path);

            for (var i = 0; i < requests; i++)
            {
                using var response = await edge.Public.GetAsync($"/r{i}");
                Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            }

            var attempts = origins.Sum(o => o.Requests);
            output.WriteLine($"{requests} requests made {attempts} origin-side attempts");
            Assert.True(attempts > requests, "No request was retried at all.");
            Assert.True(attempts <= requests * (1 + budget) + maxAttempts, $"{attempts} origin-side attempts for {requests} requests.");
        }
        finally
        {
            foreach (var origin in origins)
            {
                await origin.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Bulkhead_SlowClusterAtCap_Answers503AtOnce_WhileOtherClusterKeepsFullSpeed()
    {
        await using var slow = await OriginServer.StartAsync("slow");
        await using var fast = await OriginServer.StartAsync("fast");
        var config = EdgeConfigFile.Config(fast);
        var proxy = config["ReverseProxy"]!;
        proxy["Routes"]!["slow"] = new JsonObject { ["ClusterId"] = "slow", ["Match"] = new JsonObject { ["Path"] = "/slow/{**rest}" } };
        proxy["Clusters"]!["slow"] = new JsonObject { ["Destinations"] = new JsonObject { ["s"] = new JsonObject { ["Address"] = slow.Url.ToString() } } };
        config["Edge"]!["Resilience"] = new JsonObject { ["Clusters"] = new JsonObject { ["slow"] = new JsonObject { ["MaxConcurrentRequests"] = 2 } } };
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);
        Assert.Equal("fast", await edge.Public.GetStringAsync("/warm-up"));

        var held = new[] { edge.Public.GetAsync("/slow/3000"), edge.Public.GetAsync("/slow/3000") };
        await Eventually.TrueAsync(() => slow.InFlight == 2, TimeSpan.FromSeconds(5), "two slow requests to occupy the slow cluster");

        // The first refusal opens a client connection and runs the refusal path for the first
        // time (JIT); the one timed is the next, which is what every later excess request costs.
        using (var first = await edge.Public.GetAsync("/slow/3000"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, first.StatusCode);
        }

        var clock = Stopwatch.StartNew();
        using var refused = await edge.Public.GetAsync("/slow/3000");
        var refusedIn = clock.Elapsed;
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.NotNull(refused.Headers.RetryAfter);
        Assert.True(refusedIn < TimeSpan.FromMilliseconds(200), $"The refusal took {refusedIn.TotalMilliseconds:0} ms.");

        var latencies = new List<TimeSpan>();
        for (var i = 0; i < 50; i++)
        {
            var one = Stopwatch.StartNew();
            Assert.Equal("fast", await edge.Public.GetStringAsync($"/fast-{i}"));
            latencies.Add(one.Elapsed);
        }

        Assert.Equal(2, slow.InFlight);
        latencies.Sort();
        Assert.True(latencies[^3] < TimeSpan.FromMilliseconds(100), $"The fast cluster slowed down: p95 {latencies[^3].TotalMilliseconds:0} ms.");
        foreach (var request in held)
        {
            Assert.Equal(HttpStatusCode.OK, (await request).StatusCode);
        }
    }

    [Fact]
    public async Task NoHealthyDestination_FailsFastInUnder5Ms()
    {
        await using var a = await OriginServer.StartAsync("a");
        a.HealthStatus = 503;
        var config = EdgeConfigFile.Config(a);
        config["ReverseProxy"]!["Clusters"]!["main"]!["HealthCheck"] = new JsonObject
        {
            ["Active"] = new JsonObject { ["Enabled"] = true, ["Interval"] = "00:00:00.200", ["Path"] = "/health" },
        };
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);
        await Eventually.TrueAsync(async () => (await edge.Public.GetAsync("/")).StatusCode == HttpStatusCode.ServiceUnavailable,
            TimeSpan.FromSeconds(5), "the only destination to be taken out");

        var times = new List<double>();
        for (var i = 0; i < 50; i++)
        {
            var clock = Stopwatch.StartNew();
            using var response = await edge.Public.GetAsync($"/r{i}");
            times.Add(clock.Elapsed.TotalMilliseconds);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.NotNull(response.Headers.RetryAfter);
        }

        times.Sort();
        output.WriteLine($"fail-fast 503: median {times[25]:0.00} ms, p90 {times[45]:0.00} ms (client round trip)");
        Assert.True(times[25] < 5, $"Median time to a 503 was {times[25]:0.00} ms.");
    }

    [Fact]
    public async Task ConnectTimeout_OriginNeverAcceptsConnection_CutAtConnectTimeout()
    {
        await using var good = await OriginServer.StartAsync("good");
        await using var hung = MisbehavingOrigin.Start(Misbehaviour.ConnectionHangs);
        var config = EdgeConfigFile.Config(("hung", hung.Url));
        config["Edge"]!["Resilience"] = new JsonObject
        {
            ["RequestTimeout"] = "00:00:10",
            ["ConnectTimeout"] = "00:00:01",
            ["Retry"] = new JsonObject { ["Enabled"] = false },
        };
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);

        var clock = Stopwatch.StartNew();
        using var response = await edge.Public.GetAsync("/");

        Assert.True(response.StatusCode is HttpStatusCode.BadGateway or HttpStatusCode.GatewayTimeout, $"Got {(int)response.StatusCode}.");
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.8), TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task AdminClusters_ShowsDestinationsHealthCircuitAndWeight()
    {
        await using var a = await OriginServer.StartAsync("a");
        var config = EdgeConfigFile.Config(a);
        config["ReverseProxy"]!["Clusters"]!["main"]!["Destinations"]!["a"]!["Metadata"] = new JsonObject { ["Weight"] = "10" };
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);

        var destination = (await DestinationAsync(edge, "main", "a"))!.Value;

        Assert.Equal(a.Url.ToString(), destination.GetProperty("address").GetString());
        Assert.Equal("Unknown", destination.GetProperty("health").GetProperty("active").GetString());
        Assert.Equal("Unknown", destination.GetProperty("health").GetProperty("passive").GetString());
        Assert.Equal("Closed", destination.GetProperty("circuit").GetString());
        Assert.Equal(10, destination.GetProperty("weight").GetInt32());
        Assert.Equal(0, destination.GetProperty("inFlight").GetInt32());
        Assert.Equal("a", await edge.Public.GetStringAsync("/admin/clusters"));
    }

    /// <summary>How long killing an origin may take to reach all its connections.</summary>
    private static readonly TimeSpan KillTakes = TimeSpan.FromMilliseconds(100);

    private static async Task<(int Sent, List<Failure> Failures, TimeSpan KilledAt)> FailoverAsync(HttpMethod method)
    {
        var origins = new[] { await OriginServer.StartAsync("a"), await OriginServer.StartAsync("b"), await OriginServer.StartAsync("c") };
        try
        {
            using var file = new EdgeConfigFile(EdgeConfigFile.Config(origins));
            await using var edge = await EdgeProcess.StartAsync(file.Path);
            var failures = new ConcurrentQueue<Failure>();
            var sent = 0;
            var clock = Stopwatch.StartNew();
            var clients = Enumerable.Range(0, 8).Select(client => Task.Run(async () =>
            {
                while (clock.Elapsed < TimeSpan.FromSeconds(10))
                {
                    using var request = new HttpRequestMessage(method, $"/c{client}");
                    if (method == HttpMethod.Post)
                    {
                        request.Content = new StringContent("{\"order\":1}", System.Text.Encoding.UTF8, "application/json");
                    }

                    var started = clock.Elapsed;
                    try
                    {
                        using var response = await edge.Public.SendAsync(request);
                        if (response.StatusCode != HttpStatusCode.OK)
                        {
                            failures.Enqueue(new Failure(started, clock.Elapsed, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}"));
                        }
                    }
                    catch (HttpRequestException ex)
                    {
                        failures.Enqueue(new Failure(started, clock.Elapsed, ex.Message));
                    }

                    Interlocked.Increment(ref sent);
                }
            })).ToArray();

            await Eventually.TrueAsync(() => clock.Elapsed >= TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(5), "3 s of load");
            var killedAt = clock.Elapsed;
            await origins[2].KillAsync();
            await Task.WhenAll(clients);
            return (sent, failures.ToList(), killedAt);
        }
        finally
        {
            foreach (var origin in origins)
            {
                await origin.DisposeAsync();
            }
        }
    }

    private sealed record Failure(TimeSpan Started, TimeSpan At, string What)
    {
        public override string ToString() => $"{What} (started {Started.TotalSeconds:0.000} s, failed {At.TotalSeconds:0.000} s)";
    }

    private static async Task<JsonElement?> DestinationAsync(EdgeProcess edge, string clusterId, string destinationId)
    {
        using var document = JsonDocument.Parse(await edge.Admin.GetStringAsync("/admin/clusters"));
        foreach (var cluster in document.RootElement.GetProperty("clusters").EnumerateArray())
        {
            if (cluster.GetProperty("id").GetString() != clusterId)
            {
                continue;
            }

            foreach (var destination in cluster.GetProperty("destinations").EnumerateArray())
            {
                if (destination.GetProperty("id").GetString() == destinationId)
                {
                    return destination.Clone();
                }
            }
        }

        return null;
    }

    private static async Task<string?> CircuitAsync(EdgeProcess edge, string destinationId)
        => (await DestinationAsync(edge, "main", destinationId))?.GetProperty("circuit").GetString();
}
