using System.Net;
using System.Text.Json;
using Edge.Testing;

namespace Edge.FunctionalTests.Routing;

public sealed class ProxyingTests
{
    [Fact]
    public async Task RoundRobin_TwoOrigins_SpreadsRequestsOverBoth()
    {
        await using var a = await OriginServer.StartAsync("a");
        await using var b = await OriginServer.StartAsync("b");
        using var file = new EdgeConfigFile(EdgeConfigFile.Config(a, b));
        await using var edge = await EdgeProcess.StartAsync(file.Path);

        var served = new Dictionary<string, int>();
        for (var i = 0; i < 40; i++)
        {
            using var response = await edge.Public.GetAsync($"/item/{i}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var origin = await response.Content.ReadAsStringAsync();
            served[origin] = served.GetValueOrDefault(origin) + 1;
        }

        Assert.Equal(20, served["a"]);
        Assert.Equal(20, served["b"]);
        Assert.Contains("/item/39", b.Paths.Concat(a.Paths));
    }

    [Fact]
    public async Task EnvironmentVariable_OverridesDestinationAddress()
    {
        await using var a = await OriginServer.StartAsync("a");
        await using var b = await OriginServer.StartAsync("b");
        using var file = new EdgeConfigFile(EdgeConfigFile.Config(a));
        var environment = new Dictionary<string, string>
        {
            ["ReverseProxy__Clusters__main__Destinations__a__Address"] = b.Url.ToString(),
        };
        await using var edge = await EdgeProcess.StartAsync(file.Path, environment);

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal("b", await edge.Public.GetStringAsync("/"));
        }

        Assert.Equal(0, a.Requests);
    }

    [Fact]
    public async Task NoRoute_Returns404ProblemWithTraceId()
    {
        await using var a = await OriginServer.StartAsync("a");
        var config = EdgeConfigFile.Config(a);
        config["ReverseProxy"]!["Routes"]!["all"]!["Match"]!["Path"] = "/app/{**rest}";
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);

        using var response = await edge.Public.GetAsync("/elsewhere");

        await AssertProblemAsync(response, HttpStatusCode.NotFound);
        Assert.Equal(0, a.Requests);
    }

    [Fact]
    public async Task DestinationRefusesConnections_Returns502Problem()
    {
        await using var a = await OriginServer.StartAsync("a");
        var deadUrl = a.Url;
        await a.DisposeAsync();
        await using var b = await OriginServer.StartAsync("b");
        var config = EdgeConfigFile.Config(b);
        config["ReverseProxy"]!["Clusters"]!["main"]!["Destinations"]!["b"]!["Address"] = deadUrl.ToString();
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);

        using var response = await edge.Public.GetAsync("/");

        await AssertProblemAsync(response, HttpStatusCode.BadGateway);
    }

    [Fact]
    public async Task NoHealthyDestination_Returns503ProblemWithRetryAfter()
    {
        await using var a = await OriginServer.StartAsync("a");
        a.HealthStatus = 503;
        var config = EdgeConfigFile.Config(a);
        config["ReverseProxy"]!["Clusters"]!["main"]!["HealthCheck"] = new System.Text.Json.Nodes.JsonObject
        {
            ["Active"] = new System.Text.Json.Nodes.JsonObject { ["Enabled"] = true, ["Interval"] = "00:00:00.200", ["Timeout"] = "00:00:01", ["Path"] = "/health" },
            // YARP's default (HealthyOrPanic) would still send to an unhealthy destination when it is the only one.
            ["AvailableDestinationsPolicy"] = "HealthyAndUnknown",
        };
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);

        await Eventually.TrueAsync(async () => (await edge.Public.GetAsync("/")).StatusCode == HttpStatusCode.ServiceUnavailable,
            TimeSpan.FromSeconds(5), "the failing health probe to take the only destination out");
        using var response = await edge.Public.GetAsync("/");

        await AssertProblemAsync(response, HttpStatusCode.ServiceUnavailable);
        Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero, "503 carries Retry-After.");
    }

    [Fact]
    public async Task OriginTooSlow_Returns504Problem()
    {
        await using var a = await OriginServer.StartAsync("a");
        var config = EdgeConfigFile.Config(a);
        config["ReverseProxy"]!["Clusters"]!["main"]!["HttpRequest"] = new System.Text.Json.Nodes.JsonObject { ["ActivityTimeout"] = "00:00:00.300" };
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);

        var started = TimeProvider.System.GetTimestamp();
        using var response = await edge.Public.GetAsync("/slow/5000");

        await AssertProblemAsync(response, HttpStatusCode.GatewayTimeout);
        Assert.True(TimeProvider.System.GetElapsedTime(started) < TimeSpan.FromSeconds(3), "The timeout cut the request early.");
    }

    internal static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = document.RootElement.Clone();
        Assert.Equal((int)status, root.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(root.GetProperty("title").GetString()));
        Assert.False(string.IsNullOrEmpty(root.GetProperty("detail").GetString()));
        Assert.False(string.IsNullOrEmpty(root.GetProperty("type").GetString()));
        Assert.Matches("^[0-9a-f]{32}$|^[0-9A-Z:]+$", root.GetProperty("traceId").GetString());
        return root;
    }
}
