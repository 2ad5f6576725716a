using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Edge.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Edge.FunctionalTests.Observability;

/// <summary>Request logs, trace propagation and span export, against the real edge.</summary>
public sealed class RequestLogTests(ITestOutputHelper output)
{
    private static List<JsonElement> RequestLines(EdgeProcess edge)
        => edge.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => l.Contains("\"Edge.Requests\"", StringComparison.Ordinal))
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("Properties").Clone())
            .ToList();

    private static string TraceIdOf(string traceparent) => traceparent.Split('-')[1];

    [Fact]
    public async Task ProxiedRequest_OneJsonLine_WithItsFields_TheTraceIdTheOriginSaw_AndNoSecrets()
    {
        await using var origin = await OriginServer.StartAsync("a");
        using var file = new EdgeConfigFile(EdgeConfigFile.Config(origin));
        await using var edge = await EdgeProcess.StartAsync(file.Path);

        using var request = new HttpRequestMessage(HttpMethod.Post, "/orders/42?page=2&token=query-secret-1")
        {
            Content = new StringContent("{\"n\":1}"),
        };
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer header-secret-2");
        request.Headers.TryAddWithoutValidation("Cookie", "session=cookie-secret-3");
        request.Headers.TryAddWithoutValidation("X-Api-Key", "key-secret-4");
        using var response = await edge.Public.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        await Eventually.TrueAsync(() => RequestLines(edge).Count == 1, TimeSpan.FromSeconds(5), "the request's log line");
        var line = Assert.Single(RequestLines(edge));
        Assert.Equal("POST", line.GetProperty("Method").GetString());
        Assert.Equal("/orders/42", line.GetProperty("Path").GetString());
        Assert.Equal(200, line.GetProperty("Status").GetInt32());
        Assert.Equal("all", line.GetProperty("Route").GetString());
        Assert.Equal("main", line.GetProperty("Cluster").GetString());
        Assert.Equal("a", line.GetProperty("Destination").GetString());
        Assert.Equal(7, line.GetProperty("BytesIn").GetInt64());
        Assert.Equal(1, line.GetProperty("BytesOut").GetInt64());
        Assert.Equal("127.0.0.1", line.GetProperty("ClientIp").GetString());
        Assert.True(line.GetProperty("DurationMs").GetDouble() > 0);
        // Nothing from the host's per-request logging scope: that scope is not opened below Debug.
        Assert.False(line.TryGetProperty("RequestId", out _), "the line carries the host's request scope");

        var traceparent = Assert.Single(origin.Headers).GetValueOrDefault("traceparent");
        Assert.NotNull(traceparent);
        Assert.Equal(TraceIdOf(traceparent), line.GetProperty("TraceId").GetString());
        Assert.Equal(TraceIdOf(traceparent), TraceIdOf(response.Headers.GetValues("traceresponse").Single()));

        foreach (var secret in new[] { "query-secret-1", "header-secret-2", "cookie-secret-3", "key-secret-4" })
        {
            Assert.DoesNotContain(secret, edge.Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task QueryString_WhenIncluded_HasSecretValuesReplaced_AndConfiguredHeadersLogged()
    {
        await using var origin = await OriginServer.StartAsync("a");
        var config = EdgeConfigFile.Config(origin);
        config["Edge"]!["Logging"] = new JsonObject { ["IncludeQueryString"] = true, ["RequestHeaders"] = new JsonArray("User-Agent") };
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/search?q=shoes&access_token=query-secret-5");
        request.Headers.TryAddWithoutValidation("User-Agent", "edge-test/1.0");
        (await edge.Public.SendAsync(request)).Dispose();

        await Eventually.TrueAsync(() => RequestLines(edge).Count == 1, TimeSpan.FromSeconds(5), "the request's log line");
        var line = RequestLines(edge)[0];
        Assert.Equal("/search?q=shoes&access_token=REDACTED", line.GetProperty("Path").GetString());
        Assert.Equal("edge-test/1.0", line.GetProperty("Header_User_Agent").GetString());
        Assert.DoesNotContain("query-secret-5", edge.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClientTraceparent_IsContinued_TowardsTheOrigin_WithItsTracestate()
    {
        await using var origin = await OriginServer.StartAsync("a");
        using var file = new EdgeConfigFile(EdgeConfigFile.Config(origin));
        await using var edge = await EdgeProcess.StartAsync(file.Path);
        const string traceId = "0af7651916cd43dd8448eb211c80319c";

        using var request = new HttpRequestMessage(HttpMethod.Get, "/traced");
        request.Headers.TryAddWithoutValidation("traceparent", $"00-{traceId}-b7ad6b7169203331-01");
        request.Headers.TryAddWithoutValidation("tracestate", "vendor=abc");
        using var response = await edge.Public.SendAsync(request);

        var received = Assert.Single(origin.Headers);
        var parts = received["traceparent"].Split('-');
        Assert.Equal(traceId, parts[1]);
        Assert.NotEqual("b7ad6b7169203331", parts[2]); // the edge's own span is the origin's parent
        Assert.Equal("01", parts[3]); // the client's sampling decision is kept
        Assert.Equal("vendor=abc", received["tracestate"]);
        Assert.Equal(traceId, TraceIdOf(response.Headers.GetValues("traceresponse").Single()));
    }

    [Fact]
    public async Task EdgeMadeAnswer_ProblemTraceId_MatchesTraceresponse_AndTheLogLineNamesTheRejection()
    {
        await using var origin = await OriginServer.StartAsync("a");
        var config = EdgeConfigFile.Config(origin);
        config["ReverseProxy"]!["Routes"]!["all"]!["RateLimiterPolicy"] = "one";
        config["ReverseProxy"]!["Routes"]!["open"] = new JsonObject { ["ClusterId"] = "main", ["Match"] = new JsonObject { ["Path"] = "/open/{**rest}" } };
        config["Edge"]!["RateLimiting"] = new JsonObject
        {
            ["Policies"] = new JsonObject { ["one"] = new JsonObject { ["Kind"] = "FixedWindow", ["PermitLimit"] = 1, ["Window"] = "00:01:00" } },
        };
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);

        (await edge.Public.GetAsync("/first")).Dispose();
        using var refused = await edge.Public.GetAsync("/second");
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        using var body = JsonDocument.Parse(await refused.Content.ReadAsStringAsync());
        var traceId = body.RootElement.GetProperty("traceId").GetString();
        Assert.Equal(traceId, TraceIdOf(refused.Headers.GetValues("traceresponse").Single()));
        // The next request on the same kept-alive connection was not refused, and its line says nothing of it.
        using var next = await edge.Public.GetAsync("/open/third");
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);

        await Eventually.TrueAsync(() => RequestLines(edge).Count == 3, TimeSpan.FromSeconds(5), "three log lines");
        var line = RequestLines(edge).Single(l => l.GetProperty("Status").GetInt32() == 429);
        Assert.Equal("rate_limit", line.GetProperty("Rejection").GetString());
        Assert.Equal(traceId, line.GetProperty("TraceId").GetString());
        Assert.All(RequestLines(edge).Where(l => l.GetProperty("Status").GetInt32() == 200), l => Assert.False(l.TryGetProperty("Rejection", out _)));
        Assert.Equal("open", RequestLines(edge).Single(l => l.GetProperty("Path").GetString() == "/open/third").GetProperty("Route").GetString());
    }

    [Fact]
    public async Task RequestLines_AtWarning_AreAllWritten_TheRepeatedErrorFilterLeavesThemAlone()
    {
        await using var origin = await OriginServer.StartAsync("a");
        var config = EdgeConfigFile.Config(origin);
        // The filter would pass 2 lines with one template per minute; request lines all share one.
        config["Edge"]!["Logging"] = new JsonObject { ["RequestLogLevel"] = "Warning", ["ErrorLogBurst"] = 2, ["ErrorLogWindow"] = "00:01:00" };
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);

        for (var i = 0; i < 20; i++)
        {
            (await edge.Public.GetAsync($"/w-{i}")).Dispose();
        }

        await Eventually.TrueAsync(() => RequestLines(edge).Count == 20, TimeSpan.FromSeconds(5), "all 20 request lines");
        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"/w-{i}"), RequestLines(edge).Select(l => l.GetProperty("Path").GetString()));
        Assert.DoesNotContain("\"Suppressed\"", edge.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RequestLogs_SwitchedOffAndSampledByReload_WithoutRestart()
    {
        await using var origin = await OriginServer.StartAsync("a");
        var config = EdgeConfigFile.Config(origin);
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);
        (await edge.Public.GetAsync("/one")).Dispose();
        await Eventually.TrueAsync(() => RequestLines(edge).Count == 1, TimeSpan.FromSeconds(5), "the first line");

        config["Edge"]!["Logging"] = new JsonObject { ["RequestLogs"] = false };
        file.Write(config);
        using (await edge.Admin.PostAsync("/admin/config/reload", null))
        {
        }

        for (var i = 0; i < 10; i++)
        {
            (await edge.Public.GetAsync($"/off-{i}")).Dispose();
        }

        config["Edge"]!["Logging"] = new JsonObject { ["RequestLogSampling"] = 0 };
        file.Write(config);
        using (await edge.Admin.PostAsync("/admin/config/reload", null))
        {
        }

        for (var i = 0; i < 10; i++)
        {
            (await edge.Public.GetAsync($"/sampled-{i}")).Dispose();
        }

        // Sampling never drops failures.
        origin.Status = 500;
        (await edge.Public.GetAsync("/failed")).Dispose();
        await Eventually.TrueAsync(() => RequestLines(edge).Count == 2, TimeSpan.FromSeconds(5), "the failure's line");
        Assert.Equal(["/one", "/failed"], RequestLines(edge).Select(l => l.GetProperty("Path").GetString()));
    }

    [Fact]
    public async Task DeadOriginUnderLoad_For10s_WritesABoundedNumberOfWarningsAndErrors()
    {
        await using var alive = await OriginServer.StartAsync("alive");
        var config = EdgeConfigFile.Config(("dead", new Uri("http://127.0.0.1:1/")));
        // No breaker and no retries: every request meets the dead origin and YARP reports every failure.
        config["Edge"]!["Resilience"] = new JsonObject
        {
            ["Retry"] = new JsonObject { ["Enabled"] = false },
            ["CircuitBreaker"] = new JsonObject { ["Enabled"] = false },
        };
        config["Edge"]!["Logging"] = new JsonObject { ["ErrorLogWindow"] = "00:00:02", ["ErrorLogBurst"] = 5 };
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);

        var sent = 0;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            while (!stop.IsCancellationRequested)
            {
                (await edge.Public.GetAsync("/x")).Dispose();
                Interlocked.Increment(ref sent);
            }
        }));

        var problems = edge.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => e.GetProperty("Level").GetString() is "Warning" or "Error" or "Fatal")
            .ToList();
        output.WriteLine($"{sent} requests to a dead origin in 10 s; {problems.Count} warning/error lines:");
        foreach (var group in problems.GroupBy(p => p.GetProperty("MessageTemplate").GetString()))
        {
            output.WriteLine($"  {group.Count()} x {group.Key}");
        }

        Assert.True(sent > 200, $"Only {sent} requests were sent.");
        // Each distinct message passes at most 5 times per 2 s window: 6 windows at most in 10 s and the drain.
        Assert.All(problems.GroupBy(p => (p.GetProperty("MessageTemplate").GetString(), SourceOf(p))), g => Assert.True(g.Count() <= 30, $"{g.Count()} x {g.Key}"));
        Assert.True(problems.Count <= 60, $"{problems.Count} warning/error lines for {sent} failing requests.");
        // What was held back is reported, not lost.
        var suppressed = problems.Sum(p => p.GetProperty("Properties").TryGetProperty("Suppressed", out var n) ? n.GetInt32() : 0);
        output.WriteLine($"suppressed and reported: {suppressed}");
        Assert.True(suppressed > sent / 2, $"Only {suppressed} suppressed lines were reported for {sent} failures.");
    }

    [Fact]
    public async Task MetricsOff_MetricsEndpointSaysSo_AndProxyingGoesOn()
    {
        await using var origin = await OriginServer.StartAsync("a");
        var config = EdgeConfigFile.Config(origin);
        config["Edge"]!["Metrics"] = new JsonObject { ["Enabled"] = false };
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);

        Assert.Equal("a", await edge.Public.GetStringAsync("/"));
        using var metrics = await edge.Admin.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.NotFound, metrics.StatusCode);
        Assert.Contains("Edge:Metrics:Enabled is false", await metrics.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OutboundHttpMetricsOff_NoHttpClientFamilies_TheEdgesOwnSeriesRemain()
    {
        await using var origin = await OriginServer.StartAsync("a");
        var config = EdgeConfigFile.Config(origin);
        config["Edge"]!["Metrics"] = new JsonObject { ["OutboundHttp"] = false };
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);

        Assert.Equal("a", await edge.Public.GetStringAsync("/"));
        // The request is counted as its pipeline ends, which can be just after the client has the body.
        await Eventually.TrueAsync(async () => (await PrometheusScrape.FetchAsync(edge.Admin)).Series("edge_requests_total").Sum(s => s.Value) == 1,
            TimeSpan.FromSeconds(5), "the request to be counted");
        var scrape = await PrometheusScrape.FetchAsync(edge.Admin);
        Assert.DoesNotContain(scrape.Samples, s => s.Name.StartsWith("http_client_", StringComparison.Ordinal));
        Assert.Equal(1, scrape.Series("edge_requests_total").Sum(s => s.Value));
        Assert.Equal("gauge", scrape.TypeOf("kestrel_active_connections"));
    }

    [Fact]
    public async Task OutboundHttpGaugesOn_OpenConnectionsAndActiveRequestsExported_ByOrigin()
    {
        await using var origin = await OriginServer.StartAsync("a");
        var config = EdgeConfigFile.Config(origin);
        config["Edge"]!["Metrics"] = new JsonObject { ["OutboundHttpGauges"] = true };
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);

        Assert.Equal("a", await edge.Public.GetStringAsync("/"));
        await Eventually.TrueAsync(async () => (await PrometheusScrape.FetchAsync(edge.Admin)).Series("http_client_open_connections").Any(),
            TimeSpan.FromSeconds(5), "the pooled connection to the origin to be exported");
        var scrape = await PrometheusScrape.FetchAsync(edge.Admin);
        Assert.Equal("gauge", scrape.TypeOf("http_client_open_connections"));
        Assert.Equal("gauge", scrape.TypeOf("http_client_active_requests"));
        // One connection to the origin, idle again once the request is done.
        var port = origin.Url.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(1, scrape.Series("http_client_open_connections").Where(s => s.Labels.GetValueOrDefault("server_port") == port).Sum(s => s.Value));
    }

    private static string? SourceOf(JsonElement line)
        => line.GetProperty("Properties").TryGetProperty("SourceContext", out var source) ? source.GetString() : null;

    [Fact]
    public async Task OtlpEndpoint_SpansAreExported_WithTheRequestsTraceId()
    {
        await using var collector = await OtlpCollector.StartAsync();
        await using var origin = await OriginServer.StartAsync("a");
        var config = EdgeConfigFile.Config(origin);
        config["Edge"]!["Tracing"] = new JsonObject { ["OtlpEndpoint"] = collector.Url.ToString(), ["OtlpProtocol"] = "http/protobuf" };
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);

        using var response = await edge.Public.GetAsync("/exported");
        var traceId = TraceIdOf(response.Headers.GetValues("traceresponse").Single());
        var traceBytes = Convert.FromHexString(traceId);

        await Eventually.TrueAsync(() => collector.Bodies.Any(b => b.AsSpan().IndexOf(traceBytes) >= 0), TimeSpan.FromSeconds(15),
            "an OTLP export carrying the request's trace id");
        Assert.All(collector.Paths, p => Assert.Equal("/v1/traces", p));
    }

    /// <summary>A stand-in OTLP/HTTP collector: records every export body it receives.</summary>
    private sealed class OtlpCollector : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private OtlpCollector(WebApplication app) => _app = app;

        public Uri Url { get; private set; } = null!;

        public ConcurrentBag<byte[]> Bodies { get; } = [];

        public ConcurrentBag<string> Paths { get; } = [];

        public static async Task<OtlpCollector> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
            var app = builder.Build();
            var collector = new OtlpCollector(app);
            app.Run(async context =>
            {
                using var buffer = new MemoryStream();
                await context.Request.Body.CopyToAsync(buffer);
                collector.Paths.Add(context.Request.Path.Value ?? string.Empty);
                collector.Bodies.Add(buffer.ToArray());
                context.Response.ContentType = "application/x-protobuf";
            });
            await app.StartAsync();
            collector.Url = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
            return collector;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
