using Edge.Config.Tests.TestSupport;

namespace Edge.Config.Tests.Validation;

public class ClusterRulesTests
{
    [Theory]
    [InlineData("""{ "ReverseProxy": { "Clusters": { "api": { "Destinations": { "api-1": { "Address": "not a url" } } } } } }""",
        "Cluster 'api'", "destination 'api-1'", "Address 'not a url'", "http or https")]
    [InlineData("""{ "ReverseProxy": { "Clusters": { "api": { "Destinations": { "api-1": { "Address": "ftp://x" } } } } } }""",
        "Cluster 'api'", "destination 'api-1'", "Address 'ftp://x'")]
    [InlineData("""{ "ReverseProxy": { "Clusters": { "api": { "Destinations": { "api-1": { "Address": "/var/run/api.sock" } } } } } }""",
        "Cluster 'api'", "destination 'api-1'", "Address '/var/run/api.sock'")]
    [InlineData("""{ "ReverseProxy": { "Clusters": { "api": { "Destinations": { "api-1": { "Address": null, "Health": "http://10.0.0.1:8081/" } } } } } }""",
        "Cluster 'api'", "destination 'api-1'", "Address ''")]
    [InlineData("""{ "ReverseProxy": { "Clusters": { "api": { "Destinations": { "api-1": { "Health": "localhost/health" } } } } } }""",
        "Cluster 'api'", "destination 'api-1'", "Health 'localhost/health'")]
    [InlineData("""{ "ReverseProxy": { "Clusters": { "api": { "LoadBalancingPolicy": "RoundRobin", "Destinations": null } } } }""",
        "Cluster 'api'", "has no destinations")]
    // Leaves "Destinations": {} in the file.
    [InlineData("""{ "ReverseProxy": { "Clusters": { "api": { "LoadBalancingPolicy": "RoundRobin", "Destinations": { "api-1": null } } } } }""",
        "Cluster 'api'", "has no destinations")]
    [InlineData("""{ "ReverseProxy": { "Clusters": { "api": { "SessionAffinity": { "Enabled": true, "Policy": "HashCookie", "AffinityKeyName": "a" } } } } }""",
        "Cluster 'api'", "'HashCookie'", "System.IO.Hashing", "'ArrCookie'")]
    // The message quotes the policy as written.
    [InlineData("""{ "ReverseProxy": { "Clusters": { "api": { "SessionAffinity": { "Enabled": true, "Policy": "hashcookie", "AffinityKeyName": "a" } } } } }""",
        "Cluster 'api'", "'hashcookie'", "System.IO.Hashing")]
    public async Task Rejects_BadClusters(string fragment, params string[] expected)
    {
        var result = await TestConfig.LoadWithAsync(fragment);

        TestConfig.AssertError(result, expected);
    }

    [Theory]
    [InlineData("""{ "ReverseProxy": { "Clusters": { "api": { "Destinations": { "api-1": { "Address": "https://api.internal:8443/base/" } } } } } }""")]
    [InlineData("""{ "ReverseProxy": { "Clusters": { "api": { "Destinations": { "api-1": { "Address": "http://[::1]:8080", "Health": "http://[::1]:8081/" } } } } } }""")]
    [InlineData("""{ "ReverseProxy": { "Clusters": { "api": { "Destinations": { "api-2": { "Address": "http://10.0.0.3:8080/" } } } } } }""")]
    [InlineData("""{ "ReverseProxy": { "Clusters": { "api": { "SessionAffinity": { "Enabled": true, "Policy": "Cookie", "AffinityKeyName": "a" } } } } }""")]
    [InlineData("""{ "ReverseProxy": { "Clusters": { "api": { "SessionAffinity": { "Enabled": true, "Policy": "CustomHeader", "AffinityKeyName": "X-Affinity" } } } } }""")]
    [InlineData("""{ "ReverseProxy": { "Clusters": { "api": { "LoadBalancingPolicy": "LeastRequests" } } } }""")]
    public async Task Accepts_GoodClusters(string fragment)
    {
        var result = await TestConfig.LoadWithAsync(fragment);

        TestConfig.AssertValid(result);
    }

    [Fact]
    public async Task Load_AffinityEnabledWithoutPolicy_DefaultsToArrCookie()
    {
        var result = await TestConfig.LoadWithAsync("""{ "ReverseProxy": { "Clusters": { "api": { "SessionAffinity": { "Enabled": true, "AffinityKeyName": "edge-affinity" } } } } }""");

        var snapshot = TestConfig.AssertValid(result);
        var affinity = snapshot.Clusters.Single(c => c.ClusterId == "api").SessionAffinity;
        Assert.NotNull(affinity);
        Assert.Equal("ArrCookie", affinity.Policy);
        Assert.Equal("edge-affinity", affinity.AffinityKeyName);
    }

    [Fact]
    public async Task Load_AffinityWithPolicy_KeepsPolicy()
    {
        var result = await TestConfig.LoadWithAsync("""{ "ReverseProxy": { "Clusters": { "api": { "SessionAffinity": { "Enabled": true, "Policy": "Cookie", "AffinityKeyName": "a" } } } } }""");

        var snapshot = TestConfig.AssertValid(result);
        Assert.Equal("Cookie", snapshot.Clusters.Single(c => c.ClusterId == "api").SessionAffinity?.Policy);
    }

    [Fact]
    public async Task Load_AffinityDisabled_LeavesPolicyUnset()
    {
        var result = await TestConfig.LoadWithAsync("""{ "ReverseProxy": { "Clusters": { "api": { "SessionAffinity": { "Enabled": false } } } } }""");

        var snapshot = TestConfig.AssertValid(result);
        Assert.Null(snapshot.Clusters.Single(c => c.ClusterId == "api").SessionAffinity?.Policy);
    }

    [Fact]
    public async Task Validate_SeveralBadDestinations_ReportsEachOne()
    {
        var result = await TestConfig.LoadWithAsync("""{ "ReverseProxy": { "Clusters": { "api": { "Destinations": { "api-1": { "Address": "not a url" }, "api-2": { "Address": "ftp://x" } } } } } }""");

        Assert.Contains(result.Errors, e => e.Path == "ReverseProxy:Clusters:api:Destinations:api-1:Address");
        Assert.Contains(result.Errors, e => e.Path == "ReverseProxy:Clusters:api:Destinations:api-2:Address");
    }
}
