using Edge.Config.Tests.TestSupport;

namespace Edge.Config.Tests.Validation;

public class RouteRulesTests
{
    [Theory]
    // A near miss names the route, the bad id, suggests the fix and lists the known clusters.
    [InlineData("""{ "ReverseProxy": { "Routes": { "api": { "ClusterId": "apii" } } } }""",
        "Route 'api'", "cluster 'apii'", "does not exist", "Did you mean 'api'?", "Known clusters: 'api', 'web'.")]
    [InlineData("""{ "ReverseProxy": { "Routes": { "api": { "ClusterId": "payments" } } } }""",
        "Route 'api'", "cluster 'payments'", "Known clusters: 'api', 'web'.")]
    [InlineData("""{ "ReverseProxy": { "Routes": { "api": { "ClusterId": null } } } }""",
        "Route 'api'", "has no ClusterId", "Known clusters: 'api', 'web'.")]
    [InlineData("""{ "ReverseProxy": { "Routes": { "api": { "ClusterId": "  " } } } }""",
        "Route 'api'", "has no ClusterId")]
    [InlineData("""{ "ReverseProxy": { "Routes": { "api": { "ClusterId": "api" } }, "Clusters": null } }""",
        "Route 'api'", "cluster 'api'", "Known clusters: none are defined")]
    // Two different route ids with identical Match and Order.
    [InlineData("""{ "ReverseProxy": { "Routes": { "api-copy": { "ClusterId": "web", "Match": { "Path": "/api/{**rest}" } } } } }""",
        "Route 'api-copy'", "route 'api'", "same Path, Hosts, Methods and Order")]
    [InlineData("""{ "ReverseProxy": { "Routes": { "a1": { "ClusterId": "api", "Order": 5, "Match": { "Path": "/x", "Hosts": ["a.com", "b.com"], "Methods": ["GET"] } }, "a2": { "ClusterId": "web", "Order": 5, "Match": { "Path": "/X/", "Hosts": ["B.COM", "a.com"], "Methods": ["get"] } } } } }""",
        "Route 'a2'", "route 'a1'", "different 'Order'")]
    // "/" is the root path, not an absent one: two routes both on "/" still collide, and so do "/api/" and "/api".
    [InlineData("""{ "ReverseProxy": { "Routes": { "root-1": { "ClusterId": "api", "Match": { "Path": "/", "Hosts": ["a.com"] } }, "root-2": { "ClusterId": "web", "Match": { "Path": "/", "Hosts": ["a.com"] } } } } }""",
        "Route 'root-2'", "route 'root-1'", "same Path, Hosts, Methods and Order")]
    [InlineData("""{ "ReverseProxy": { "Routes": { "api-1": { "ClusterId": "api", "Match": { "Path": "/api/" } }, "api-2": { "ClusterId": "web", "Match": { "Path": "/api" } } } } }""",
        "Route 'api-2'", "route 'api-1'", "same Path, Hosts, Methods and Order")]
    // The edge runs no authentication or CORS middleware.
    [InlineData("""{ "ReverseProxy": { "Routes": { "api": { "AuthorizationPolicy": "admins-only" } } } }""",
        "Route 'api'", "AuthorizationPolicy 'admins-only'", "does not authenticate")]
    [InlineData("""{ "ReverseProxy": { "Routes": { "api": { "AuthorizationPolicy": "Default" } } } }""",
        "Route 'api'", "AuthorizationPolicy 'Default'", "'Anonymous'")]
    [InlineData("""{ "ReverseProxy": { "Routes": { "api": { "CorsPolicy": "any-origin" } } } }""",
        "Route 'api'", "CorsPolicy 'any-origin'", "same origin")]
    public async Task Rejects_BadRoutes(string fragment, params string[] expected)
    {
        var result = await TestConfig.LoadWithAsync(fragment);

        TestConfig.AssertError(result, expected);
    }

    [Theory]
    [InlineData("""{ "ReverseProxy": { "Routes": { "api": { "ClusterId": "API" } } } }""")]
    [InlineData("""{ "ReverseProxy": { "Routes": { "api-2": { "ClusterId": "api", "Order": 1, "Match": { "Path": "/api/{**rest}" } } } } }""")]
    [InlineData("""{ "ReverseProxy": { "Routes": { "api-2": { "ClusterId": "api", "Match": { "Path": "/api/{**rest}", "Hosts": ["api.example.com"] } } } } }""")]
    [InlineData("""{ "ReverseProxy": { "Routes": { "api-2": { "ClusterId": "api", "Match": { "Path": "/api/{**rest}", "Methods": ["POST"] } } } } }""")]
    [InlineData("""{ "ReverseProxy": { "Routes": { "api-2": { "ClusterId": "api", "Match": { "Path": "/api/{**rest}", "Headers": [ { "Name": "X-Canary", "Values": ["1"] } ] } } } } }""")]
    [InlineData("""{ "ReverseProxy": { "Routes": { "api-2": { "ClusterId": "api", "Match": { "Path": "/api/{**rest}", "QueryParameters": [ { "Name": "v", "Values": ["2"] } ] } } } } }""")]
    [InlineData("""{ "ReverseProxy": { "Routes": { "hosts-only": { "ClusterId": "api", "Match": { "Hosts": ["api.example.com"] } } } } }""")]
    // A route on "/" matches only the root; one with Hosts and no Path matches every path.
    [InlineData("""{ "ReverseProxy": { "Routes": { "root": { "ClusterId": "api", "Match": { "Path": "/", "Hosts": ["a.com"] } }, "host": { "ClusterId": "web", "Match": { "Hosts": ["a.com"] } } } } }""")]
    [InlineData("""{ "ReverseProxy": { "Routes": { "api": { "AuthorizationPolicy": "Anonymous" } } } }""")]
    [InlineData("""{ "ReverseProxy": { "Routes": { "api": { "AuthorizationPolicy": "anonymous" } } } }""")]
    public async Task Accepts_GoodRoutes(string fragment)
    {
        var result = await TestConfig.LoadWithAsync(fragment);

        TestConfig.AssertValid(result);
    }

    [Fact]
    public async Task Validate_UnknownClusterFarFromAll_ListsKnownWithoutSuggestion()
    {
        var result = await TestConfig.LoadWithAsync("""{ "ReverseProxy": { "Routes": { "api": { "ClusterId": "payments" } } } }""");

        var error = Assert.Single(result.Errors);
        Assert.Equal("ReverseProxy:Routes:api:ClusterId", error.Path);
        Assert.DoesNotContain("Did you mean", error.Message, StringComparison.Ordinal);
    }
}
