using System.Text;
using Edge.Config.Sources;
using Edge.Config.Tests.TestSupport;

namespace Edge.Config.Tests;

public class EdgeConfigLoaderTests
{
    [Fact]
    public async Task LoadAsync_EmbeddedDefaultConfig_IsValid()
    {
        var result = await TestConfig.CreateLoader().LoadAsync(ConfigSource.Embedded, TestConfig.NoEnvironment);

        var snapshot = TestConfig.AssertValid(result);
        Assert.Equal("embedded default config", snapshot.Source);
        Assert.Equal(["backend", "frontend"], snapshot.Routes.Select(r => r.RouteId).Order(StringComparer.Ordinal));
        Assert.Equal(["api", "web"], snapshot.Clusters.Select(c => c.ClusterId).Order(StringComparer.Ordinal));
        Assert.Equal(2, snapshot.Clusters.Single(c => c.ClusterId == "api").Destinations!.Count);
        Assert.Equal(4, snapshot.Routes.Single(r => r.RouteId == "backend").Transforms!.Count);
        Assert.Equal("http://0.0.0.0:8080", snapshot.Edge.Listeners.Public);
        Assert.Equal("http://127.0.0.1:9901", snapshot.Edge.Listeners.Admin);
    }

    [Fact]
    public async Task LoadAsync_MinimalConfig_IsValidWithEdgeDefaults()
    {
        var result = await TestConfig.LoadAsync("""
            {
              "ReverseProxy": {
                "Routes": { "all": { "ClusterId": "app", "Match": { "Path": "/{**catchall}" } } },
                "Clusters": { "app": { "Destinations": { "a": { "Address": "http://127.0.0.1:5000/" } } } }
              }
            }
            """);

        var snapshot = TestConfig.AssertValid(result);
        var route = Assert.Single(snapshot.Routes);
        Assert.Equal("all", route.RouteId);
        Assert.Equal("app", route.ClusterId);
        Assert.Equal("/{**catchall}", route.Match.Path);
        var cluster = Assert.Single(snapshot.Clusters);
        Assert.Equal("app", cluster.ClusterId);
        Assert.Equal("http://127.0.0.1:5000/", cluster.Destinations!["a"].Address);
        Assert.Equal("http://0.0.0.0:8080", snapshot.Edge.Listeners.Public);
    }

    [Fact]
    public async Task LoadAsync_CommentsAndTrailingCommas_Accepted()
    {
        var result = await TestConfig.LoadAsync("""
            // Edge config with comments
            {
              "$schema": "https://example.com/edge.schema.json",
              "ReverseProxy": {
                /* routes */
                "Routes": { "all": { "ClusterId": "app", "Match": { "Path": "/{**catchall}", }, }, },
                "Clusters": { "app": { "Destinations": { "a": { "Address": "http://127.0.0.1:5000/", }, }, }, }, // trailing
              },
            }
            """);

        var snapshot = TestConfig.AssertValid(result);
        Assert.Equal("http://127.0.0.1:5000/", snapshot.Clusters.Single().Destinations!["a"].Address);
    }

    [Fact]
    public async Task LoadAsync_Snapshot_RecordsSourceNameAndLoadTime()
    {
        var now = new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero);
        var loader = TestConfig.CreateLoader(new FixedTimeProvider(now));

        var result = await loader.LoadAsync(Encoding.UTF8.GetBytes(TestConfig.Base), "/etc/edge/edge.json", TestConfig.NoEnvironment);

        var snapshot = TestConfig.AssertValid(result);
        Assert.Equal("/etc/edge/edge.json", snapshot.Source);
        Assert.Equal(now, snapshot.LoadedAt);
        Assert.Matches("^[0-9a-f]{16}$", snapshot.Version);
    }

    [Fact]
    public async Task LoadAsync_FileSource_ReadsTheFile()
    {
        using var directory = new TempDirectory();
        var path = directory.File("edge.json");
        await File.WriteAllTextAsync(path, TestConfig.Base);

        var result = await TestConfig.CreateLoader().LoadAsync(ConfigSource.File(path), TestConfig.NoEnvironment);

        var snapshot = TestConfig.AssertValid(result);
        Assert.Equal(path, snapshot.Source);
        Assert.Equal(2, snapshot.Routes.Count);
    }

    [Fact]
    public async Task LoadAsync_MissingFile_RejectsNamingThePath()
    {
        using var directory = new TempDirectory();
        var path = directory.File("missing.json");

        var result = await TestConfig.CreateLoader().LoadAsync(ConfigSource.File(path), TestConfig.NoEnvironment);

        TestConfig.AssertError(result, $"'{path}'", "does not exist", "EDGE_CONFIG");
    }

    [Theory]
    [InlineData("""{ "ReverseProxyy": { "Routes": { "x": { "ClusterId": "api" } } } }""",
        "unknown key 'ReverseProxyy", "Did you mean 'ReverseProxy'?", "Known keys here: ReverseProxy, Edge.")]
    [InlineData("""{ "Egde": { "Logging": { "Level": "Debug" } } }""",
        "unknown key 'Egde", "Did you mean 'Edge'?")]
    [InlineData("""{ "Logging": { "LogLevel": { "Default": "Debug" } } }""",
        "unknown key 'Logging'", "Known keys here: ReverseProxy, Edge.")]
    [InlineData("""{ "ReverseProxy": { "Routess": { "x": { "ClusterId": "api" } } } }""",
        "ReverseProxy: unknown key 'ReverseProxy:Routess'", "Did you mean 'Routes'?", "Known keys here: Routes, Clusters.")]
    [InlineData("""{ "ReverseProxy": { "Routes": { "x": { "ClusterId": "api", "Match": { "Path": "/x" } } }, "Clusterz": { "x": { "LoadBalancingPolicy": "RoundRobin" } } } }""",
        "unknown key 'ReverseProxy:Clusterz'", "Did you mean 'Clusters'?")]
    // An unknown key holding an empty object is still seen.
    [InlineData("""{ "Egde": {} }""",
        "unknown key 'Egde'", "Did you mean 'Edge'?")]
    [InlineData("""{ "ReverseProxy": { "Routess": {} } }""",
        "unknown key 'ReverseProxy:Routess'", "Did you mean 'Routes'?")]
    [InlineData("""{ "ReverseProxy": { "Clusterz": [] } }""",
        "unknown key 'ReverseProxy:Clusterz'", "Did you mean 'Clusters'?")]
    [InlineData("""{ "Edge": { "Listners": {} } }""",
        "Edge: unknown key 'Listners'", "Did you mean 'Listeners'?")]
    public async Task Rejects_UnknownSections(string fragment, params string[] expected)
    {
        var result = await TestConfig.LoadWithAsync(fragment);

        TestConfig.AssertError(result, expected);
    }

    [Theory]
    [InlineData("""{ "ReverseProxyy": { "Routes": { "x": { "ClusterId": "a" } }, "Clusters": {} } }""")]
    [InlineData("""{ "ReverseProxyy": { "Routes": { "x": { "ClusterId": "a", "Match": { "Path": "/x", "Hosts": ["a.com", "b.com"] } } }, "Clusters": { "a": { "Destinations": { "a-1": { "Address": "http://10.0.0.9/" } } } } } }""")]
    public async Task LoadAsync_MisspeltTopLevelKey_ReportsItOnce(string fragment)
    {
        var result = await TestConfig.LoadWithAsync(fragment);

        TestConfig.AssertError(result, "unknown key 'ReverseProxyy'.", "Did you mean 'ReverseProxy'?");
        var error = Assert.Single(result.Errors);
        Assert.Equal("ReverseProxyy", error.Path);
    }

    [Fact]
    public async Task LoadAsync_ClusterWithEmptyDestinations_RejectsAsNoDestinations()
    {
        var result = await TestConfig.LoadAsync("""
            {
              "ReverseProxy": {
                "Routes": { "all": { "ClusterId": "api", "Match": { "Path": "/{**catchall}" } } },
                "Clusters": { "api": { "Destinations": {} } }
              }
            }
            """);

        TestConfig.AssertError(result, "Cluster 'api'", "has no destinations");
        Assert.DoesNotContain(result.Errors, e => e.Message.Contains("does not exist", StringComparison.Ordinal));
    }

    [Fact]
    public async Task LoadAsync_SchemaKey_Accepted()
    {
        var result = await TestConfig.LoadWithAsync("""{ "$schema": "./edge.schema.json" }""");

        TestConfig.AssertValid(result);
    }

    [Fact]
    public async Task LoadAsync_TopLevelKeysInAnyCase_Accepted()
    {
        var result = await TestConfig.LoadAsync("""
            {
              "reverseproxy": {
                "routes": { "all": { "clusterid": "app", "match": { "path": "/{**catchall}" } } },
                "CLUSTERS": { "app": { "destinations": { "a": { "address": "http://127.0.0.1:5000/" } } } }
              },
              "EDGE": { "logging": { "level": "Debug" } }
            }
            """);

        var snapshot = TestConfig.AssertValid(result);
        Assert.Equal("app", Assert.Single(snapshot.Routes).ClusterId);
        Assert.Equal("Debug", snapshot.Edge.Logging.Level);
    }
}
