using Edge.Config.Model;
using Edge.Config.Tests.TestSupport;
using Yarp.ReverseProxy.Configuration;

namespace Edge.Config.Tests.Model;

public class MigrationProxyTests
{
    private const string Config = """
        {
          "ReverseProxy": {
            "Routes": {
              "api": { "Match": { "Hosts": ["*.example.com", "www.example.com"] }, "Transforms": [ { "PathRemovePrefix": "/api" } ], "RateLimiterPolicy": "Disable" }
            }
          },
          "Edge": { "Migrations": { "to-new": { "Routes": ["api"], "Target": "https://new.example.net:8443/site", "Phase": "Proxy" } } }
        }
        """;

    [Fact]
    public async Task Routes_Entered_RouteForwardsToTheTargetClusterWithTheOriginalHost_OthersUntouched()
    {
        var snapshot = TestConfig.AssertValid(await TestConfig.LoadWithAsync(Config));

        var routes = MigrationProxy.Routes(snapshot.Routes, snapshot.Edge.Migrations, ["to-new"]);

        var api = Assert.Single(routes, r => r.RouteId == "api");
        var before = Assert.Single(snapshot.Routes, r => r.RouteId == "api");
        Assert.Equal("migration:to-new", api.ClusterId);
        // The old origins' transforms go; Host is the client's; YARP's default X-Forwarded-* apply.
        var transform = Assert.Single(api.Transforms!);
        Assert.Equal("true", transform["RequestHeaderOriginalHost"]);
        Assert.Equal(before.Match, api.Match);
        Assert.Equal(before.Timeout, api.Timeout);
        Assert.Equal("Disable", api.Metadata![ProxyDefaults.RateLimiterPolicyKey]);
        Assert.Same(snapshot.Routes.Single(r => r.RouteId == "web"), routes.Single(r => r.RouteId == "web"));
    }

    [Fact]
    public async Task Routes_TargetHostHeader_NoTransformSoYarpSendsTheTargetsHost()
    {
        var snapshot = TestConfig.AssertValid(await TestConfig.LoadWithAsync(TestConfig.Merge(Config, """
            { "Edge": { "Migrations": { "to-new": { "HostHeader": "Target" } } } }
            """)));

        var api = MigrationProxy.Routes(snapshot.Routes, snapshot.Edge.Migrations, ["to-new"]).Single(r => r.RouteId == "api");

        Assert.Equal("migration:to-new", api.ClusterId);
        Assert.Empty(api.Transforms!);
    }

    [Fact]
    public async Task Routes_NothingEntered_TheSnapshotsOwnList()
    {
        var snapshot = TestConfig.AssertValid(await TestConfig.LoadWithAsync(Config));

        Assert.Same(snapshot.Routes, MigrationProxy.Routes(snapshot.Routes, snapshot.Edge.Migrations, []));
    }

    [Theory]
    [InlineData("Original", null, "www.example.com")]
    [InlineData("Target", null, "new.example.net:8443")]
    [InlineData("Original", "probe.example.com", "probe.example.com")]
    public async Task ProbeHost_IsTheHostRequestsWillCarry(string hostHeader, string? configured, string expected)
    {
        var health = configured is null ? string.Empty : $$""", "HealthCheck": { "Host": "{{configured}}" }""";
        var snapshot = TestConfig.AssertValid(await TestConfig.LoadWithAsync(TestConfig.Merge(Config, $$"""
            { "Edge": { "Migrations": { "to-new": { "HostHeader": "{{hostHeader}}"{{health}} } } } }
            """)));
        var migration = snapshot.Edge.Migrations["to-new"];

        Assert.Equal(expected, MigrationProxy.ProbeHost(migration, snapshot.Routes, MigrationProxy.TargetUri(migration)!));
    }

    [Fact]
    public void ProbeHost_RoutesWithoutLiteralHosts_TheTargetsOwn()
    {
        var migration = new MigrationOptions { Routes = ["web"], Target = "http://10.0.0.9:8080/" };
        var routes = new[] { new RouteConfig { RouteId = "web", ClusterId = "web", Match = new RouteMatch { Path = "/{**all}" } } };

        Assert.Equal("10.0.0.9:8080", MigrationProxy.ProbeHost(migration, routes, MigrationProxy.TargetUri(migration)!));
    }

    [Theory]
    [InlineData("https://new.example.net/", "/healthz", "https://new.example.net/healthz")]
    [InlineData("https://new.example.net:8443/site/", "/healthz", "https://new.example.net:8443/site/healthz")]
    [InlineData("http://10.0.0.9:8080", "/", "http://10.0.0.9:8080/")]
    public void ProbeUri_AppendsThePathToTheTargets(string target, string path, string expected)
        => Assert.Equal(new Uri(expected), MigrationProxy.ProbeUri(new Uri(target), path));

    [Fact]
    public async Task Provider_EnteredMigration_YarpSeesTheForwardingRoute_NothingNewSignalsNothing()
    {
        var snapshot = TestConfig.AssertValid(await TestConfig.LoadWithAsync(Config));
        var provider = new EdgeProxyConfigProvider(snapshot);
        var first = provider.GetConfig();

        provider.Update(snapshot, ["to-new"]);

        Assert.True(first.ChangeToken.HasChanged);
        var entered = provider.GetConfig();
        Assert.Equal("migration:to-new", entered.Routes.Single(r => r.RouteId == "api").ClusterId);
        Assert.NotEqual(first.RevisionId, entered.RevisionId);
        Assert.Same(snapshot.Clusters, entered.Clusters);

        provider.Update(snapshot, ["to-new"]);
        Assert.Same(entered, provider.GetConfig());
        Assert.False(entered.ChangeToken.HasChanged);

        provider.Update(snapshot);

        Assert.True(entered.ChangeToken.HasChanged);
        Assert.Equal("api", provider.GetConfig().Routes.Single(r => r.RouteId == "api").ClusterId);
    }
}
