using Edge.Config.Model;
using Edge.Config.Tests.TestSupport;
using Yarp.ReverseProxy.Configuration;

namespace Edge.Config.Tests.Model;

public class ProxyDefaultsTests
{
    [Fact]
    public async Task Load_RouteWithoutTimeout_GetsTheDefaultRequestTimeout()
    {
        var snapshot = TestConfig.AssertValid(await TestConfig.LoadWithAsync("{}"));

        Assert.All(snapshot.Routes, r => Assert.Equal(TimeSpan.FromSeconds(30), r.Timeout));
        Assert.All(snapshot.Routes, r => Assert.Null(r.TimeoutPolicy));
    }

    [Fact]
    public async Task Load_RequestTimeoutSet_RoutesWithoutTheirOwnGetIt()
    {
        var snapshot = TestConfig.AssertValid(await TestConfig.LoadWithAsync("""
            {
              "ReverseProxy": { "Routes": { "web": { "Timeout": "00:00:03" } } },
              "Edge": { "Resilience": { "RequestTimeout": "00:00:12" } }
            }
            """));

        Assert.Equal(TimeSpan.FromSeconds(12), Route(snapshot, "api").Timeout);
        Assert.Equal(TimeSpan.FromSeconds(3), Route(snapshot, "web").Timeout);
    }

    [Fact]
    public async Task Load_RouteWithTimeoutPolicy_GetsNoTimeout()
    {
        var snapshot = TestConfig.AssertValid(await TestConfig.LoadWithAsync("""
            { "ReverseProxy": { "Routes": { "web": { "TimeoutPolicy": "Disable" } } } }
            """));

        var web = Route(snapshot, "web");
        Assert.Null(web.Timeout);
        Assert.Equal("Disable", web.TimeoutPolicy);
        Assert.Equal(TimeSpan.FromSeconds(30), Route(snapshot, "api").Timeout);
    }

    [Fact]
    public void Apply_RouteWithTimeoutPolicy_Unchanged()
    {
        var route = new RouteConfig { RouteId = "r", ClusterId = "c", TimeoutPolicy = "slow", Match = new RouteMatch { Path = "/" } };

        Assert.Same(route, ProxyDefaults.Apply(route, new EdgeOptions()));
    }

    [Fact]
    public void Apply_RouteWithEmptyTimeoutPolicy_GetsTheDefault()
    {
        var route = new RouteConfig { RouteId = "r", ClusterId = "c", TimeoutPolicy = "", Match = new RouteMatch { Path = "/" } };
        var edge = new EdgeOptions { Resilience = new ResilienceOptions { RequestTimeout = TimeSpan.FromSeconds(7) } };

        Assert.Equal(TimeSpan.FromSeconds(7), ProxyDefaults.Apply(route, edge).Timeout);
    }

    [Fact]
    public async Task Load_ActiveHealthCheckEnabled_GetsIntervalTimeoutAndPolicy()
    {
        var snapshot = TestConfig.AssertValid(await TestConfig.LoadWithAsync("""
            { "ReverseProxy": { "Clusters": { "api": { "HealthCheck": { "Active": { "Enabled": true, "Path": "/healthz" } } } } } }
            """));

        var active = Cluster(snapshot, "api").HealthCheck?.Active;
        Assert.NotNull(active);
        Assert.Equal(ProxyDefaults.ActiveInterval, active.Interval);
        Assert.Equal(TimeSpan.FromSeconds(5), active.Interval);
        Assert.Equal(ProxyDefaults.ActiveTimeout, active.Timeout);
        Assert.Equal(TimeSpan.FromSeconds(2), active.Timeout);
        Assert.Equal("ConsecutiveFailures", active.Policy);
        Assert.Equal("/healthz", active.Path);
    }

    [Fact]
    public async Task Load_ActiveHealthCheckWithOwnValues_KeepsThem()
    {
        var snapshot = TestConfig.AssertValid(await TestConfig.LoadWithAsync("""
            { "ReverseProxy": { "Clusters": { "api": { "HealthCheck": { "Active": {
                "Enabled": true, "Interval": "00:00:30", "Timeout": "00:00:04", "Policy": "ConsecutiveFailures" } } } } } }
            """));

        var active = Cluster(snapshot, "api").HealthCheck?.Active;
        Assert.NotNull(active);
        Assert.Equal(TimeSpan.FromSeconds(30), active.Interval);
        Assert.Equal(TimeSpan.FromSeconds(4), active.Timeout);
    }

    [Theory]
    [InlineData("""{ "Enabled": false }""")]
    [InlineData("""{ "Path": "/healthz" }""")]
    public async Task Load_ActiveHealthCheckNotEnabled_NoDefaultsWritten(string active)
    {
        var snapshot = TestConfig.AssertValid(await TestConfig.LoadWithAsync($$"""
            { "ReverseProxy": { "Clusters": { "api": { "HealthCheck": { "Active": {{active}} } } } } }
            """));

        var written = Cluster(snapshot, "api").HealthCheck?.Active;
        Assert.NotNull(written);
        Assert.Null(written.Interval);
        Assert.Null(written.Timeout);
        Assert.Null(written.Policy);
    }

    [Fact]
    public async Task Load_PassiveHealthCheckEnabled_GetsPolicyAndReactivationPeriod()
    {
        var snapshot = TestConfig.AssertValid(await TestConfig.LoadWithAsync("""
            { "ReverseProxy": { "Clusters": { "api": { "HealthCheck": { "Passive": { "Enabled": true } } } } } }
            """));

        var passive = Cluster(snapshot, "api").HealthCheck?.Passive;
        Assert.NotNull(passive);
        Assert.Equal("TransportFailureRate", passive.Policy);
        Assert.Equal(ProxyDefaults.PassiveReactivation, passive.ReactivationPeriod);
        Assert.Equal(TimeSpan.FromSeconds(30), passive.ReactivationPeriod);
    }

    [Fact]
    public async Task Load_PassiveHealthCheckNotEnabled_NoDefaultsWritten()
    {
        var snapshot = TestConfig.AssertValid(await TestConfig.LoadWithAsync("""
            { "ReverseProxy": { "Clusters": { "api": { "HealthCheck": { "Passive": { "Enabled": false } } } } } }
            """));

        var passive = Cluster(snapshot, "api").HealthCheck?.Passive;
        Assert.NotNull(passive);
        Assert.Null(passive.Policy);
        Assert.Null(passive.ReactivationPeriod);
    }

    [Fact]
    public async Task Load_NoHealthCheck_NoActiveOrPassiveWritten()
    {
        var snapshot = TestConfig.AssertValid(await TestConfig.LoadWithAsync("{}"));

        var health = Cluster(snapshot, "api").HealthCheck;
        Assert.NotNull(health);
        Assert.Null(health.Active);
        Assert.Null(health.Passive);
    }

    [Fact]
    public async Task Load_AvailableDestinationsPolicyUnset_HealthyAndUnknown()
    {
        var snapshot = TestConfig.AssertValid(await TestConfig.LoadWithAsync("""
            { "ReverseProxy": { "Clusters": { "web": { "HealthCheck": { "Passive": { "Enabled": true } } } } } }
            """));

        Assert.All(snapshot.Clusters, c => Assert.Equal("HealthyAndUnknown", c.HealthCheck?.AvailableDestinationsPolicy));
    }

    [Fact]
    public async Task Load_AvailableDestinationsPolicySet_KeepsIt()
    {
        var snapshot = TestConfig.AssertValid(await TestConfig.LoadWithAsync("""
            { "ReverseProxy": { "Clusters": { "api": { "HealthCheck": { "AvailableDestinationsPolicy": "HealthyOrPanic" } } } } }
            """));

        Assert.Equal("HealthyOrPanic", Cluster(snapshot, "api").HealthCheck?.AvailableDestinationsPolicy);
        Assert.Equal("HealthyAndUnknown", Cluster(snapshot, "web").HealthCheck?.AvailableDestinationsPolicy);
    }

    [Fact]
    public async Task Load_ConnectTimeout_WrittenIntoEveryClustersMetadata()
    {
        var snapshot = TestConfig.AssertValid(await TestConfig.LoadWithAsync("""
            {
              "ReverseProxy": { "Clusters": { "web": { "Metadata": { "Team": "frontend" } } } },
              "Edge": { "Resilience": { "ConnectTimeout": "00:00:03", "Clusters": { "api": { "ConnectTimeout": "00:00:01.500" } } } }
            }
            """));

        var api = Cluster(snapshot, "api").Metadata;
        var web = Cluster(snapshot, "web").Metadata;
        Assert.NotNull(api);
        Assert.NotNull(web);
        Assert.Equal("00:00:01.5000000", api[ProxyDefaults.ConnectTimeoutKey]);
        Assert.Equal("00:00:03", web[ProxyDefaults.ConnectTimeoutKey]);
        Assert.Equal("frontend", web["Team"]);
        Assert.Equal("Edge.ConnectTimeout", ProxyDefaults.ConnectTimeoutKey);
    }

    [Fact]
    public async Task Load_NoConnectTimeout_MetadataCarriesTheDefault()
    {
        var snapshot = TestConfig.AssertValid(await TestConfig.LoadWithAsync("{}"));

        Assert.All(snapshot.Clusters, c => Assert.Equal("00:00:05", c.Metadata?[ProxyDefaults.ConnectTimeoutKey]));
    }

    [Fact]
    public async Task Load_ConnectTimeoutMetadataSetInTheFile_EdgeValueWins()
    {
        var snapshot = TestConfig.AssertValid(await TestConfig.LoadWithAsync("""
            { "ReverseProxy": { "Clusters": { "api": { "Metadata": { "edge.connecttimeout": "00:01:00" } } } } }
            """));

        var metadata = Cluster(snapshot, "api").Metadata;
        Assert.NotNull(metadata);
        Assert.Equal("00:00:05", Assert.Single(metadata, m => string.Equals(m.Key, ProxyDefaults.ConnectTimeoutKey, StringComparison.OrdinalIgnoreCase)).Value);
    }

    [Fact]
    public async Task Load_PooledConnectionLifetime_WrittenIntoEveryClustersMetadata()
    {
        var defaults = TestConfig.AssertValid(await TestConfig.LoadWithAsync("{}"));
        var set = TestConfig.AssertValid(await TestConfig.LoadWithAsync("""{ "Edge": { "Dns": { "PooledConnectionLifetime": "00:05:00" } } }"""));

        Assert.All(defaults.Clusters, c => Assert.Equal("00:00:30", c.Metadata?[ProxyDefaults.PooledConnectionLifetimeKey]));
        Assert.All(set.Clusters, c => Assert.Equal("00:05:00", c.Metadata?[ProxyDefaults.PooledConnectionLifetimeKey]));
        Assert.Equal("Edge.PooledConnectionLifetime", ProxyDefaults.PooledConnectionLifetimeKey);
    }

    [Fact]
    public void Apply_AlreadyApplied_SameResult()
    {
        var edge = new EdgeOptions();
        var cluster = new ClusterConfig
        {
            ClusterId = "api",
            HealthCheck = new HealthCheckConfig { Active = new ActiveHealthCheckConfig { Enabled = true }, Passive = new PassiveHealthCheckConfig { Enabled = true } },
        };

        var once = ProxyDefaults.Apply(cluster, edge);
        var twice = ProxyDefaults.Apply(once, edge);

        Assert.Equal(once.HealthCheck, twice.HealthCheck);
        Assert.Equal(once.Metadata, twice.Metadata);
    }

    private static RouteConfig Route(EdgeConfigSnapshot snapshot, string id) => snapshot.Routes.Single(r => r.RouteId == id);

    private static ClusterConfig Cluster(EdgeConfigSnapshot snapshot, string id) => snapshot.Clusters.Single(c => c.ClusterId == id);
}
