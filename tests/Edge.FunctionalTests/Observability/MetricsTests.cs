using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Edge.FunctionalTests.Deploy;
using Edge.Testing;

namespace Edge.FunctionalTests.Observability;

/// <summary>
/// The real edge in front of real origins gets a known mix of traffic: 200s, no-route 404s, 503s
/// from a full bulkhead (an edge rejection), 502s from a dead origin and 504s from a route timeout.
/// Its <c>/metrics</c> must count exactly that, per route and code, and pass <c>promtool check metrics</c>.
/// </summary>
public sealed class MetricsTests(MixedTraffic traffic) : IClassFixture<MixedTraffic>
{
    [Fact]
    public void Metrics_ContentTypeIsPrometheusTextFormat004()
    {
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", traffic.Scrape.ContentType);
    }

    [Fact]
    public async Task Metrics_MixedTraffic_PromtoolCheckMetricsAccepts()
    {
        var (exitCode, output) = await traffic.Scrape.PromtoolCheckAsync();

        Assert.True(exitCode == 0, $"promtool check metrics exited {exitCode}:\n{output}");
    }

    [Fact]
    public void RequestsTotal_MixedTraffic_EqualsRequestsSentPerRouteClusterDestinationAndCode()
    {
        var counted = traffic.Scrape.Series("edge_requests_total").ToDictionary(
            s => (s.Labels["route"], s.Labels["cluster"], s.Labels["destination"], s.Labels["code"]),
            s => (int)s.Value);

        Assert.Equal("counter", traffic.Scrape.TypeOf("edge_requests_total"));
        // Exactly these series: the scrapes on the admin listener are not counted.
        Assert.Equal(MixedTraffic.Expected.OrderBy(e => e.Key), counted.OrderBy(c => c.Key));
    }

    [Fact]
    public void RequestDuration_MixedTraffic_BucketsCumulative_InfAndCountEqualRequestsPerRoute()
    {
        var scrape = traffic.Scrape;
        Assert.Equal("histogram", scrape.TypeOf("edge_request_duration_seconds"));
        var perRoute = MixedTraffic.Expected.GroupBy(e => (Route: e.Key.Route, Cluster: e.Key.Cluster), e => e.Value);
        foreach (var route in perRoute)
        {
            (string, string)[] labels = [("route", route.Key.Route), ("cluster", route.Key.Cluster)];
            var buckets = scrape.Series("edge_request_duration_seconds_bucket")
                .Where(s => s.Labels["route"] == route.Key.Route && s.Labels["cluster"] == route.Key.Cluster)
                .Select(s => (Le: s.Labels["le"] == "+Inf" ? double.PositiveInfinity : double.Parse(s.Labels["le"], CultureInfo.InvariantCulture), s.Value))
                .ToList();

            Assert.True(buckets.Count > 2, $"route '{route.Key.Route}' has {buckets.Count} buckets.");
            Assert.Equal(buckets.OrderBy(b => b.Le), buckets);
            for (var i = 1; i < buckets.Count; i++)
            {
                Assert.True(buckets[i].Value >= buckets[i - 1].Value, $"route '{route.Key.Route}': bucket le={buckets[i].Le} holds {buckets[i].Value}, less than le={buckets[i - 1].Le}.");
            }

            Assert.Equal(double.PositiveInfinity, buckets[^1].Le);
            Assert.Equal(route.Sum(), buckets[^1].Value);
            Assert.Equal(route.Sum(), scrape.Value("edge_request_duration_seconds_count", labels));
            Assert.True(scrape.Value("edge_request_duration_seconds_sum", labels) > 0);
        }

        // The route timeout is 300 ms: no 504 can have taken less than 250 ms.
        Assert.Equal(0, scrape.Value("edge_request_duration_seconds_bucket", ("route", "hung"), ("cluster", "hung"), ("le", "0.25")));
        Assert.Equal(2, scrape.Value("edge_request_duration_seconds_bucket", ("route", "hung"), ("cluster", "hung"), ("le", "+Inf")));
    }

    [Fact]
    public void InflightAndRejections_AfterTheTraffic_ZeroInFlightAndTheBulkheadRefusalsCounted()
    {
        Assert.Equal(0, traffic.Scrape.Value("edge_inflight_requests"));
        Assert.Equal("gauge", traffic.Scrape.TypeOf("edge_inflight_requests"));
        var rejection = Assert.Single(traffic.Scrape.Series("edge_rejections_total"));
        Assert.Equal(new Dictionary<string, string> { ["reason"] = "concurrency", ["policy"] = "cluster:capped" }, rejection.Labels);
        Assert.Equal(2, rejection.Value);
    }

    [Fact]
    public void Metrics_EveryFamily_OneHelpAndOneTypeLine_AndEverySampleBelongsToADeclaredFamily()
    {
        var comments = traffic.Scrape.Comments;
        Assert.All(comments.GroupBy(c => (c.Kind, c.Family)), g => Assert.True(g.Count() == 1, $"{g.Count()} '# {g.Key.Kind} {g.Key.Family}' lines."));
        var types = comments.Where(c => c.Kind == "TYPE").ToDictionary(c => c.Family, c => c.Text);
        Assert.Equal(types.Keys.Order(), comments.Where(c => c.Kind == "HELP").Select(c => c.Family).Order());
        foreach (var sample in traffic.Scrape.Samples)
        {
            var family = types.ContainsKey(sample.Name) ? sample.Name
                : new[] { "_bucket", "_sum", "_count" }.Where(sample.Name.EndsWith).Select(s => sample.Name[..^s.Length]).FirstOrDefault(types.ContainsKey);
            Assert.True(family is not null, $"Sample {sample.Name} has no # TYPE.");
            Assert.True(family == sample.Name || types[family] == "histogram", $"Sample {sample.Name} in {types[family]} family {family}.");
        }
    }

    [Theory]
    [InlineData("dotnet_gc_heap_total_allocated_bytes_total", "counter")]
    [InlineData("dotnet_process_cpu_time_seconds_total", "counter")]
    [InlineData("dotnet_process_memory_working_set_bytes", "gauge")]
    [InlineData("dotnet_thread_pool_thread_count_value", "gauge")]
    [InlineData("dotnet_thread_pool_queue_length", "gauge")]
    [InlineData("kestrel_active_connections", "gauge")]
    [InlineData("kestrel_queued_connections", "gauge")]
    [InlineData("http_client_request_duration_seconds", "histogram")]
    public void Metrics_RuntimeKestrelAndOutboundHttp_ExportedWithPrometheusNames(string family, string type)
    {
        Assert.Equal(type, traffic.Scrape.TypeOf(family));
        Assert.Contains(traffic.Scrape.Samples, s => s.Name == family || s.Name == family + "_count");
    }

    [Theory]
    [InlineData("http_client_open_connections")]
    [InlineData("http_client_active_requests")]
    public void Metrics_OutboundGaugesMovedOnEveryRequest_NotExportedByDefault(string family)
    {
        // Edge:Metrics:OutboundHttpGauges is off by default: .NET updates these two to three times per request.
        Assert.DoesNotContain(traffic.Scrape.Samples, s => s.Name == family);
        Assert.Null(traffic.Scrape.TypeOf(family));
    }

    [Fact]
    public void GrafanaDashboard_EveryMetricItReads_IsExportedByTheEdge()
    {
        var families = traffic.Scrape.Comments.Where(c => c.Kind == "TYPE").Select(c => c.Family).ToHashSet();

        foreach (var name in MonitoringFilesTests.MetricNames(MonitoringFilesTests.Dashboard()))
        {
            var family = name.EndsWith("_bucket", StringComparison.Ordinal) ? name[..^"_bucket".Length] : name;
            Assert.True(families.Contains(family), $"The dashboard reads {name}, which /metrics does not have.");
        }
    }

    [Fact]
    public async Task DestinationHealthy_ActiveProbeFails_ZeroUntilTheOriginRecovers()
    {
        await using var a = await OriginServer.StartAsync("a");
        await using var b = await OriginServer.StartAsync("b");
        var config = EdgeConfigFile.Config(a, b);
        var cluster = config["ReverseProxy"]!["Clusters"]!["main"]!;
        cluster["HealthCheck"] = new JsonObject
        {
            ["Active"] = new JsonObject { ["Enabled"] = true, ["Interval"] = "00:00:00.300", ["Timeout"] = "00:00:01", ["Path"] = "/health" },
        };
        cluster["Metadata"] = new JsonObject { ["ConsecutiveFailuresHealthPolicy.Threshold"] = "1" };
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);

        async Task<double?> HealthyAsync(string destination)
            => (await PrometheusScrape.FetchAsync(edge.Admin)).Value("edge_destination_healthy", ("cluster", "main"), ("destination", destination));

        Assert.Equal(1, await HealthyAsync("a"));
        Assert.Equal(1, await HealthyAsync("b"));

        a.HealthStatus = 503;
        await Eventually.TrueAsync(async () => await HealthyAsync("a") == 0, TimeSpan.FromSeconds(5), "a to be reported unhealthy");
        Assert.Equal(1, await HealthyAsync("b"));

        a.HealthStatus = 200;
        await Eventually.TrueAsync(async () => await HealthyAsync("a") == 1, TimeSpan.FromSeconds(5), "a to be reported healthy again");
    }

    [Fact]
    public async Task ConfigReloads_RejectedThenApplied_CountedByResult()
    {
        await using var a = await OriginServer.StartAsync("a");
        var config = EdgeConfigFile.Config(a);
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);

        async Task<(double? Applied, double? Rejected)> ReloadsAsync()
        {
            var scrape = await PrometheusScrape.FetchAsync(edge.Admin);
            return (scrape.Value("edge_config_reloads_total", ("result", "applied")), scrape.Value("edge_config_reloads_total", ("result", "rejected")));
        }

        Assert.Equal((0, 0), await ReloadsAsync());

        file.WriteText("{ \"ReverseProxy\": ");
        await Eventually.TrueAsync(async () => await ReloadsAsync() == (0, 1), TimeSpan.FromSeconds(5), "the broken file to be rejected once");

        config["Edge"]!["Logging"] = new JsonObject { ["Level"] = "Debug" };
        file.Write(config);
        await Eventually.TrueAsync(async () => await ReloadsAsync() == (1, 1), TimeSpan.FromSeconds(5), "the fixed file to be applied once");

        using var reload = await edge.Admin.PostAsync("/admin/config/reload", null);
        Assert.Equal(HttpStatusCode.OK, reload.StatusCode);
        Assert.Equal((2, 1), await ReloadsAsync());
    }
}

/// <summary>Runs the mixed traffic once for all of <see cref="MetricsTests"/>' assertions on it.</summary>
public sealed class MixedTraffic : IAsyncLifetime, IDisposable
{
    /// <summary>What was sent: (route, cluster, destination, code) to requests. Empty labels: no route, or no destination chosen.</summary>
    public static readonly Dictionary<(string Route, string Cluster, string Destination, string Code), int> Expected = new()
    {
        [("ok", "good", "a", "200")] = 5,
        [("capped", "capped", "c", "200")] = 1,
        [("capped", "capped", "", "503")] = 2,
        [("dead", "dead", "dead1", "502")] = 3,
        [("hung", "hung", "hung1", "504")] = 2,
        [("", "", "", "404")] = 4,
    };

    private readonly List<IAsyncDisposable> _owned = [];
    private EdgeConfigFile? _file;

    public PrometheusScrape Scrape { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var a = await OriginServer.StartAsync("a");
        _owned.Add(a);
        var c = await OriginServer.StartAsync("c");
        _owned.Add(c);
        var dead = MisbehavingOrigin.Start(Misbehaviour.RefusesConnections);
        _owned.Add(dead);
        var hung = MisbehavingOrigin.Start(Misbehaviour.NeverAnswers);
        _owned.Add(hung);

        // Weighted, so edge_canary_weight has a series too.
        var good = Cluster(("a", a.Url));
        good["LoadBalancingPolicy"] = "Weighted";
        var config = EdgeConfigFile.Config(a);
        config["ReverseProxy"] = new JsonObject
        {
            ["Routes"] = new JsonObject
            {
                ["ok"] = Route("good", "/ok/{**rest}"),
                ["capped"] = Route("capped", "/capped/{**rest}", transform: "/capped"),
                ["dead"] = Route("dead", "/dead/{**rest}"),
                ["hung"] = Route("hung", "/hung/{**rest}", timeout: "00:00:00.300"),
            },
            ["Clusters"] = new JsonObject
            {
                ["good"] = good,
                ["capped"] = Cluster(("c", c.Url)),
                ["dead"] = Cluster(("dead1", dead.Url)),
                ["hung"] = Cluster(("hung1", hung.Url)),
            },
        };
        config["Edge"]!["Resilience"] = new JsonObject
        {
            ["Clusters"] = new JsonObject { ["capped"] = new JsonObject { ["MaxConcurrentRequests"] = 1 } },
        };
        _file = new EdgeConfigFile(config);
        var edge = await EdgeProcess.StartAsync(_file.Path);
        _owned.Add(edge);

        for (var i = 0; i < 5; i++)
        {
            await SendAsync(edge, $"/ok/{i}", HttpStatusCode.OK);
        }

        var held = edge.Public.GetAsync("/capped/slow/1500");
        await Eventually.TrueAsync(() => c.InFlight == 1, TimeSpan.FromSeconds(5), "a slow request to fill the capped cluster");
        for (var i = 0; i < 2; i++)
        {
            await SendAsync(edge, $"/capped/{i}", HttpStatusCode.ServiceUnavailable);
        }

        using (var response = await held)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        for (var i = 0; i < 3; i++)
        {
            await SendAsync(edge, $"/dead/{i}", HttpStatusCode.BadGateway);
        }

        for (var i = 0; i < 2; i++)
        {
            await SendAsync(edge, $"/hung/{i}", HttpStatusCode.GatewayTimeout);
        }

        for (var i = 0; i < 4; i++)
        {
            await SendAsync(edge, $"/nowhere/{i}", HttpStatusCode.NotFound);
        }

        // A client has its answer a moment before the edge's middleware finishes counting it.
        var expectedTotal = Expected.Values.Sum();
        await Eventually.TrueAsync(async () =>
        {
            Scrape = await PrometheusScrape.FetchAsync(edge.Admin);
            return Scrape.Series("edge_requests_total").Sum(s => s.Value) >= expectedTotal && Scrape.Value("edge_inflight_requests") == 0;
        }, TimeSpan.FromSeconds(5), $"{expectedTotal} requests to be counted and none in flight");
    }

    public async Task DisposeAsync()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync();
        }
    }

    public void Dispose() => _file?.Dispose();

    private static async Task SendAsync(EdgeProcess edge, string path, HttpStatusCode expected)
    {
        using var response = await edge.Public.GetAsync(path);
        Assert.True(response.StatusCode == expected, $"GET {path} answered {(int)response.StatusCode}, expected {(int)expected}.");
    }

    private static JsonObject Route(string cluster, string path, string? transform = null, string? timeout = null)
    {
        var route = new JsonObject { ["ClusterId"] = cluster, ["Match"] = new JsonObject { ["Path"] = path } };
        if (transform is not null)
        {
            route["Transforms"] = new JsonArray(new JsonObject { ["PathRemovePrefix"] = transform });
        }

        if (timeout is not null)
        {
            route["Timeout"] = timeout;
        }

        return route;
    }

    private static JsonObject Cluster(params (string Id, Uri Address)[] destinations)
    {
        var list = new JsonObject();
        foreach (var (id, address) in destinations)
        {
            list[id] = new JsonObject { ["Address"] = address.ToString() };
        }

        return new JsonObject { ["Destinations"] = list };
    }
}
