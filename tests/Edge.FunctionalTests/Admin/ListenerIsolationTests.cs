using System.Net;
using System.Text.Json;
using Edge.FunctionalTests.Routing;
using Edge.Testing;

namespace Edge.FunctionalTests.Admin;

public sealed class ListenerIsolationTests
{
    public static TheoryData<string, string> AdminRequests => new()
    {
        { "GET", "/healthz" },
        { "GET", "/readyz" },
        { "GET", "/metrics" },
        { "GET", "/admin/config" },
        { "POST", "/admin/config/reload" },
        { "GET", "/admin/canary" },
        { "POST", "/admin/canary/all/abort" },
        { "GET", "/HEALTHZ" },
        { "GET", "/METRICS" },
        { "GET", "/%6Detrics" },
        { "GET", "/Admin/Config" },
        { "GET", "/%61dmin/config" },
        { "GET", "/admin%2Fconfig" },
        { "GET", "//admin/config" },
        { "GET", "/admin/config/" },
        { "GET", "/admin/migrations" },
    };

    [Theory]
    [MemberData(nameof(AdminRequests))]
    public async Task AdminPath_OnPublicListener_Returns404NotTheAdminAnswer(string method, string path)
    {
        await using var a = await OriginServer.StartAsync("a");
        var config = EdgeConfigFile.Config(a);
        config["ReverseProxy"]!["Routes"]!["all"]!["Match"]!["Path"] = "/app/{**rest}";
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);

        foreach (var host in new[] { edge.PublicUrl.Authority, edge.AdminUrl.Authority, "localhost", "127.0.0.1:9901" })
        {
            var (status, response) = await RawHttp.SendAsync(edge.PublicUrl, method, path, host);

            Assert.True(status == 404 || status == 400, $"{method} {path} with Host {host} answered {status}.");
            Assert.DoesNotContain("\"version\"", response, StringComparison.Ordinal);
            Assert.DoesNotContain("\"status\": \"", response, StringComparison.Ordinal);
            Assert.DoesNotContain("# TYPE", response, StringComparison.Ordinal);
            if (status == 404)
            {
                Assert.Contains("application/problem+json", response, StringComparison.Ordinal);
            }
        }

        Assert.Equal(0, a.Requests);
    }

    [Fact]
    public async Task AdminPath_OnPublicListenerWithCatchAllRoute_IsProxiedToTheOrigin()
    {
        await using var a = await OriginServer.StartAsync("a");
        using var file = new EdgeConfigFile(EdgeConfigFile.Config(a));
        await using var edge = await EdgeProcess.StartAsync(file.Path);

        using var response = await edge.Public.GetAsync("/admin/config");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("a", await response.Content.ReadAsStringAsync());
        Assert.Contains("/admin/config", a.Paths);
    }

    [Fact]
    public async Task Metrics_OnPublicListenerWithCatchAllRoute_IsProxiedNeverServedByTheEdge()
    {
        await using var a = await OriginServer.StartAsync("a");
        using var file = new EdgeConfigFile(EdgeConfigFile.Config(a));
        await using var edge = await EdgeProcess.StartAsync(file.Path);

        using var response = await edge.Public.GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("a", await response.Content.ReadAsStringAsync());
        Assert.Contains("/metrics", a.Paths);
        // The request is counted once its response has been sent, so the client can be first.
        await Eventually.TrueAsync(async () => (await edge.Admin.GetStringAsync("/metrics")).Contains("# TYPE edge_requests_total counter", StringComparison.Ordinal),
            TimeSpan.FromSeconds(5), "the proxied request to be counted");
    }

    [Fact]
    public async Task ProxiedRoute_OnAdminListener_Returns404AndNeverReachesTheOrigin()
    {
        await using var a = await OriginServer.StartAsync("a");
        using var file = new EdgeConfigFile(EdgeConfigFile.Config(a));
        await using var edge = await EdgeProcess.StartAsync(file.Path);

        using var response = await edge.Admin.GetAsync("/anything");

        await ProxyingTests.AssertProblemAsync(response, HttpStatusCode.NotFound);
        Assert.Equal(0, a.Requests);
    }

    [Fact]
    public async Task AdminListener_ServesHealthReadinessAndConfig()
    {
        await using var a = await OriginServer.StartAsync("a");
        using var file = new EdgeConfigFile(EdgeConfigFile.Config(a));
        await using var edge = await EdgeProcess.StartAsync(file.Path);

        Assert.Equal(HttpStatusCode.OK, (await edge.Admin.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await edge.Admin.GetAsync("/readyz")).StatusCode);
        using var config = JsonDocument.Parse(await edge.Admin.GetStringAsync("/admin/config"));
        var root = config.RootElement;
        Assert.Matches("^[0-9a-f]{16}$", root.GetProperty("version").GetString());
        Assert.Equal(file.Path, root.GetProperty("source").GetString());
        Assert.True(root.GetProperty("loadedAt").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(-5));
        Assert.Equal(JsonValueKind.Null, root.GetProperty("lastReload").ValueKind);
    }
}
