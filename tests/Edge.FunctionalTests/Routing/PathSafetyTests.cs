using Edge.Testing;

namespace Edge.FunctionalTests.Routing;

/// <summary>
/// A route that exposes only <c>/backend/public/...</c> of the API (as <c>/public/...</c>): no
/// spelling of a path may reach the API outside <c>/public/</c>, or reach it in a form the API
/// could decode into something else. Each case asserts the status and the exact request target
/// the API received.
/// </summary>
public sealed class PathSafetyTests(PathSafetyTests.Edge edge) : IClassFixture<PathSafetyTests.Edge>
{
    public static TheoryData<string, int, string?> Cases => new()
    {
        // target sent by the client, status, what the API receives (null: nothing)
        { "/backend/public/x", 200, "/public/x" },
        { "/backend/public/a%20b", 200, "/public/a%20b" },
        { "/backend/public/caf%C3%A9", 200, "/public/caf%C3%A9" },
        { "/backend/public/item;v=2", 200, "/public/item;v=2" },
        // Dot segments are resolved by the edge before routing: these are frontend paths now.
        { "/backend/public/../admin", 200, null },
        { "/backend/public/%2e%2e/admin", 200, null },
        { "/backend/public/.%2E/admin", 200, null },
        { "/backend/%2e%2e/public/x", 200, null },
        { "/backend/public/./../../admin", 200, null },
        // What an origin could decode or split again is refused.
        { "/backend/public/..%2fadmin", 400, null },
        { "/backend/public/%2Fadmin", 400, null },
        { "/backend/public/x/%2e%2e%2f%2e%2e%2fadmin", 400, null },
        { "/backend/public/..%5cadmin", 400, null },
        { "/backend/public/%5C..%5Cadmin", 400, null },
        { "/backend/public\\..\\admin", 400, null },
        { "/backend/public/%252e%252e/admin", 400, null },
        { "/backend/public/%252fadmin", 400, null },
        { "/backend/public/..;/admin", 400, null },
        { "/backend/public/.;/x", 400, null },
        { "/backend/public/%C0%AE%C0%AE/admin", 400, null },
        { "/backend/public/%00", 400, null },
        { "/backend/public/%0d%0aX-Injected:%201", 400, null },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Path_NeverReachesTheApiOutsideWhatTheRouteExposes(string target, int status, string? apiReceives)
    {
        edge.Api.RawTargets.Clear();

        var (code, response) = await RawHttp.SendAsync(edge.Process.PublicUrl, "GET", target, "edge.test");

        Assert.True(code == status, $"{target}: expected {status}, got {code}: {response}");
        Assert.Equal(apiReceives is null ? [] : [apiReceives], edge.Api.RawTargets);
        if (status == 400 && response.Contains("application/problem+json", StringComparison.Ordinal))
        {
            Assert.Contains("Ambiguous path", response, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task TurnedOff_AnEncodedSlashIsForwardedStillEncoded_NeverAsASeparator()
    {
        await using var web = await OriginServer.StartAsync("web");
        await using var api = await OriginServer.StartAsync("api");
        var config = Edge.Config(web, api);
        config["Edge"]!["Security"] = new System.Text.Json.Nodes.JsonObject { ["RejectAmbiguousPaths"] = false };
        using var file = new EdgeConfigFile(config);
        await using var process = await EdgeProcess.StartAsync(file.Path);

        var (code, _) = await RawHttp.SendAsync(process.PublicUrl, "GET", "/backend/public/a%2fb", "edge.test");

        // YARP escapes the '%' it was handed, so the API sees a literal "%2f", still inside /public/.
        Assert.Equal(200, code);
        Assert.Equal(["/public/a%252fb"], api.RawTargets);
    }

    /// <summary>One edge for the whole table: the API behind <c>/backend/public/</c>, the frontend behind the rest.</summary>
    public sealed class Edge : IAsyncLifetime, IDisposable
    {
        private OriginServer _web = null!;
        private EdgeConfigFile? _file;

        public OriginServer Api { get; private set; } = null!;

        public EdgeProcess Process { get; private set; } = null!;

        public static System.Text.Json.Nodes.JsonObject Config(OriginServer web, OriginServer api)
        {
            var config = EdgeConfigFile.Backend(web, api);
            config["ReverseProxy"]!["Routes"]!["backend"]!["Match"]!["Path"] = "/backend/public/{**rest}";
            return config;
        }

        public async Task InitializeAsync()
        {
            _web = await OriginServer.StartAsync("web");
            Api = await OriginServer.StartAsync("api");
            _file = new EdgeConfigFile(Config(_web, Api));
            Process = await EdgeProcess.StartAsync(_file.Path);
        }

        public async Task DisposeAsync()
        {
            await Process.DisposeAsync();
            await Api.DisposeAsync();
            await _web.DisposeAsync();
        }

        public void Dispose() => _file?.Dispose();
    }
}
