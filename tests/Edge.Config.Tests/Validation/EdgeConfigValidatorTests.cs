using Edge.Config.Model;
using Edge.Config.Tests.TestSupport;
using Edge.Config.Validation;
using Yarp.ReverseProxy.Configuration;

namespace Edge.Config.Tests.Validation;

public class EdgeConfigValidatorTests
{
    /// <summary>YARP's own validation runs too, and its messages name the route or cluster.</summary>
    [Theory]
    [InlineData("""{ "ReverseProxy": { "Routes": { "api": { "Match": { "Path": null, "Methods": ["GET"] } } } } }""",
        "Route 'api'", "requires Hosts or Path")]
    [InlineData("""{ "ReverseProxy": { "Routes": { "api": { "Match": null } } } }""",
        "Route 'api'", "did not set any match criteria")]
    [InlineData("""{ "ReverseProxy": { "Routes": { "api": { "Match": { "Path": "/{**" } } } } }""",
        "'/{**'", "route 'api'")]
    [InlineData("""{ "ReverseProxy": { "Routes": { "api": { "Match": { "Hosts": [""] } } } } }""",
        "Empty host name", "route 'api'")]
    [InlineData("""{ "ReverseProxy": { "Routes": { "api": { "AuthorizationPolicy": "admins-only" } } } }""",
        "'admins-only'", "route 'api'")]
    [InlineData("""{ "ReverseProxy": { "Routes": { "api": { "Transforms": [ { "PathRemovePrefx": "/api" } ] } } } }""",
        "Route 'api'", "PathRemovePrefx")]
    [InlineData("""{ "ReverseProxy": { "Clusters": { "api": { "LoadBalancingPolicy": "Fastest" } } } }""",
        "'Fastest'", "cluster 'api'")]
    [InlineData("""{ "ReverseProxy": { "Clusters": { "api": { "SessionAffinity": { "Enabled": true } } } } }""",
        "Affinity key name", "cluster 'api'")]
    [InlineData("""{ "ReverseProxy": { "Clusters": { "api": { "HttpRequest": { "Version": "4" } } } } }""",
        "Cluster 'api'", "'4.0'")]
    [InlineData("""{ "ReverseProxy": { "Clusters": { "api": { "HealthCheck": { "Active": { "Enabled": true, "Policy": "Telepathy" } } } } } }""",
        "'Telepathy'", "cluster 'api'")]
    public async Task Rejects_WhatYarpRejects(string fragment, params string[] expected)
    {
        var result = await TestConfig.LoadWithAsync(fragment);

        TestConfig.AssertError(result, expected);
    }

    [Fact]
    public async Task Load_SeveralIndependentProblems_ReportsEveryOneAtOnce()
    {
        var result = await TestConfig.LoadWithAsync("""
            {
              "ReverseProxy": {
                "Routes": {
                  "api": { "ClusterId": "apii" },
                  "web": { "Match": { "Path": null, "Methods": ["GET"] } }
                },
                "Clusters": {
                  "api": {
                    "LoadBalancingPolcy": "RoundRobin",
                    "HttpRequest": { "ActivityTimeout": "5 seconds" },
                    "Destinations": { "api-1": { "Address": "not a url" } }
                  },
                  "web": { "LoadBalancingPolicy": "Fastest" }
                }
              },
              "Edge": {
                "Listeners": { "Public": "https://0.0.0.0:443" },
                "Shutdown": { "DrainDelay": "soon" },
                "Logging": { "Format": "xml", "Level": "Informatoin" }
              }
            }
            """);

        Assert.Null(result.Snapshot);
        string[] expectedPaths =
        [
            "ReverseProxy:Routes:api:ClusterId",
            "ReverseProxy:Routes:web",
            "ReverseProxy:Clusters:api:LoadBalancingPolcy",
            "ReverseProxy:Clusters:api:HttpRequest:ActivityTimeout",
            "ReverseProxy:Clusters:api:Destinations:api-1:Address",
            "ReverseProxy:Clusters:web",
            "Edge:Listeners:Public",
            "Edge:Shutdown:DrainDelay",
            "Edge:Logging:Format",
            "Edge:Logging:Level",
        ];
        var actualPaths = result.Errors.Select(e => e.Path).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expectedPaths.Order(StringComparer.Ordinal), actualPaths);
    }

    [Fact]
    public async Task ValidateAsync_WithoutYarpValidator_RunsEdgeRulesOnly()
    {
        var routes = new List<RouteConfig>
        {
            new() { RouteId = "api", ClusterId = "missing", Match = new RouteMatch() },
        };
        var clusters = new List<ClusterConfig>
        {
            new() { ClusterId = "api", LoadBalancingPolicy = "Fastest", Destinations = new Dictionary<string, DestinationConfig> { ["a"] = new() { Address = "http://10.0.0.1/" } } },
        };
        var errors = new List<ConfigError>();

        await EdgeConfigValidator.ValidateAsync(routes, clusters, new EdgeOptions(), yarpValidator: null, errors);

        var error = Assert.Single(errors);
        Assert.Contains("'missing'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateAsync_ValidConfig_AddsNoErrors()
    {
        var routes = new List<RouteConfig>
        {
            new() { RouteId = "api", ClusterId = "api", Match = new RouteMatch { Path = "/{**catchall}" } },
        };
        var clusters = new List<ClusterConfig>
        {
            new() { ClusterId = "api", Destinations = new Dictionary<string, DestinationConfig> { ["a"] = new() { Address = "http://10.0.0.1/" } } },
        };
        var errors = new List<ConfigError>();

        await EdgeConfigValidator.ValidateAsync(routes, clusters, new EdgeOptions(), TestConfig.Validator, errors);

        Assert.Empty(errors);
    }
}
