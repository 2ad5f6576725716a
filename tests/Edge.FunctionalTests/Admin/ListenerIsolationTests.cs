using System.Net;
using System.Text.Json;
using Edge.FunctionalTests.Routing;
using Edge.Testing;

namespace Edge.FunctionalTests.Admin;

public sealed class ListenerIsolationTests(ListenerIsolationTests.AppOnlyEdge appOnly) : IClassFixture<ListenerIsolationTests.AppOnlyEdge>
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
        { "GET", "/admin/clusters" },
        { "POST", "/admin/canary/all/pause" },
        { "POST", "/admin/canary/all/resume" },
        { "POST", "/admin/canary/all/promote" },
        { "GET", "/%2Fadmin/config" },
        { "GET", "/%2fhealthz" },
        { "GET", "/%68ealthz" },
        { "GET", "/%72eadyz" },
        { "GET", "/admin%2fclusters" },
        { "GET", "/ADMIN/CLUSTERS" },
        { "GET", "/ReadyZ" },
        { "GET", "/healthz/" },
        { "GET", "/healthz." },
        { "GET", "/metrics." },
        { "GET", "/admin./config" },
        { "GET", "/admin/config." },
        { "GET", "/admin/config.." },
        { "GET", "/./admin/config" },
        { "GET", "/app/../admin/config" },
        { "GET", "/app/%2e%2e/healthz" },
        { "GET", "/admin//config" },
        { "GET", "///healthz" },
        { "GET", "//metrics" },
        { "GET", "/healthz?probe=1" },
        { "GET", "/healthz;x" },
        { "GET", "/healthz%00" },
        { "GET", "/healthz%20" },
        { "GET", "/admin\\config" },
        { "GET", "http://127.0.0.1:9901/healthz" },
        { "GET", "http://localhost/admin/config" },
        { "HEAD", "/healthz" },
        { "OPTIONS", "/admin/config" },
    };

    /// <summary>
    /// Every admin endpoint, in spellings a router could fold onto it (case, percent-encoding, dot
    /// segments, doubled slashes, trailing dots, absolute-form targets), with the Host of the public
    /// listener, of the admin listener, of a default admin port, localhost, a trailing-dot name and
    /// none at all: never the admin answer, only 404 (problem+json) or 400, and no request proxied.
    /// </summary>
    [Theory]
    [MemberData(nameof(AdminRequests))]
    public async Task AdminPath_OnPublicListener_Returns404NotTheAdminAnswer(string method, string path)
    {
        var edge = appOnly.Process;
        var a = appOnly.Origin;

        foreach (var host in new[] { edge.PublicUrl.Authority, edge.AdminUrl.Authority, "localhost", "127.0.0.1:9901", "localhost.", "[::1]:9901", "" })
        {
            var (status, response) = await RawHttp.SendAsync(edge.PublicUrl, method, path, host);

            Assert.True(status == 404 || status == 400, $"{method} {path} with Host {host} answered {status}.");
            Assert.DoesNotContain("\"version\"", response, StringComparison.Ordinal);
            Assert.DoesNotContain("\"status\": \"", response, StringComparison.Ordinal);
            Assert.DoesNotContain("\"status\":\"", response, StringComparison.Ordinal);
            Assert.DoesNotContain("# TYPE", response, StringComparison.Ordinal);
            Assert.DoesNotContain("\"clusters\"", response, StringComparison.Ordinal);
            Assert.DoesNotContain("\"migrations\"", response, StringComparison.Ordinal);
            Assert.DoesNotContain("\"rollouts\"", response, StringComparison.Ordinal);
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

    /// <summary>One edge for the admin-path table: its only route is <c>/app/{**rest}</c>, so nothing else may reach the origin.</summary>
    public sealed class AppOnlyEdge : IAsyncLifetime, IDisposable
    {
        private EdgeConfigFile? _file;

        public OriginServer Origin { get; private set; } = null!;

        public EdgeProcess Process { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Origin = await OriginServer.StartAsync("a");
            var config = EdgeConfigFile.Config(Origin);
            config["ReverseProxy"]!["Routes"]!["all"]!["Match"]!["Path"] = "/app/{**rest}";
            _file = new EdgeConfigFile(config);
            Process = await EdgeProcess.StartAsync(_file.Path);
        }

        public async Task DisposeAsync()
        {
            await Process.DisposeAsync();
            await Origin.DisposeAsync();
        }

        public void Dispose() => _file?.Dispose();
    }
}
