using Edge.Config.Tests.TestSupport;

namespace Edge.Config.Tests.Validation;

public class CanaryRulesTests
{
    /// <summary>The base config with cluster 'api' weighted 90/10 over 'api-1' and 'api-2'.</summary>
    private static readonly string Weighted = TestConfig.With("""
        {
          "ReverseProxy": { "Clusters": { "api": {
            "LoadBalancingPolicy": "Weighted",
            "Destinations": {
              "api-1": { "Address": "http://10.0.0.1:8080/", "Metadata": { "Weight": "90" } },
              "api-2": { "Address": "http://10.0.0.3:8080/", "Metadata": { "Weight": "10" } }
            }
          } } }
        }
        """);

    [Theory]
    // Weights.
    [InlineData("""{ "ReverseProxy": { "Clusters": { "api": { "Destinations": { "api-2": { "Metadata": { "Weight": "-1" } } } } } } }""",
        "Cluster 'api' destination 'api-2' has Metadata.Weight '-1'", "whole number from 0 to 1000000")]
    [InlineData("""{ "ReverseProxy": { "Clusters": { "api": { "Destinations": { "api-2": { "Metadata": { "Weight": "2.5" } } } } } } }""",
        "Cluster 'api' destination 'api-2' has Metadata.Weight '2.5'", "whole number")]
    [InlineData("""{ "ReverseProxy": { "Clusters": { "api": { "Destinations": { "api-1": { "Metadata": { "Weight": "ten" } } } } } } }""",
        "Cluster 'api' destination 'api-1' has Metadata.Weight 'ten'", "such as \"10\"")]
    [InlineData("""{ "ReverseProxy": { "Clusters": { "api": { "Destinations": { "api-1": { "Metadata": { "Weight": "" } } } } } } }""",
        "Cluster 'api' destination 'api-1' has Metadata.Weight ''", "whole number")]
    [InlineData("""{ "ReverseProxy": { "Clusters": { "api": { "Destinations": { "api-1": { "Metadata": { "Weight": "1000001" } } } } } } }""",
        "Cluster 'api' destination 'api-1' has Metadata.Weight '1000001'", "from 0 to 1000000")]
    [InlineData("""{ "ReverseProxy": { "Clusters": { "api": { "Destinations": { "api-1": { "Metadata": { "Weight": "0" } }, "api-2": { "Metadata": { "Weight": "0" } } } } } } }""",
        "Cluster 'api' uses the Weighted policy, but every destination has Weight 0", "above 0")]
    // The canary entry and its cluster.
    [InlineData("""{ "Edge": { "Canary": { "apj": { "Destination": "api-2" } } } }""",
        "Edge:Canary:apj names cluster 'apj'", "does not exist", "Did you mean 'api'?", "Known clusters: 'api', 'web'.")]
    [InlineData("""{ "Edge": { "Canary": { "web": { "Destination": "web-1" } } } }""",
        "Edge:Canary:web: cluster 'web' has LoadBalancingPolicy '(none: PowerOfTwoChoices)'", "\"LoadBalancingPolicy\": \"Weighted\"")]
    [InlineData("""{ "Edge": { "Canary": { "api": { "Steps": [ 10, 50 ] } } } }""",
        "Edge:Canary:api has no Destination", "Known destinations: 'api-1', 'api-2'.")]
    [InlineData("""{ "Edge": { "Canary": { "api": { "Destination": "api-3" } } } }""",
        "Edge:Canary:api:Destination is 'api-3', which is not a destination of cluster 'api'", "Known destinations: 'api-1', 'api-2'.")]
    [InlineData("""{ "Edge": { "Canary": { "api": { "Destination": "api2" } } } }""",
        "Edge:Canary:api:Destination is 'api2'", "Did you mean 'api-2'?")]
    [InlineData("""{ "ReverseProxy": { "Clusters": { "api": { "Destinations": { "api-2": { "Metadata": null } } } } }, "Edge": { "Canary": { "api": { "Destination": "api-2" } } } }""",
        "Edge:Canary:api: the canary 'api-2' has no Metadata.Weight", "add Steps")]
    // Steps.
    [InlineData("""{ "Edge": { "Canary": { "api": { "Destination": "api-2", "Steps": [] } } } }""",
        "Edge:Canary:api:Steps is empty", "[1, 5, 25, 50, 100]")]
    [InlineData("""{ "Edge": { "Canary": { "api": { "Destination": "api-2", "Steps": [ 5, 5, 25 ] } } } }""",
        "Edge:Canary:api:Steps is [5, 5, 25]", "strictly increasing")]
    [InlineData("""{ "Edge": { "Canary": { "api": { "Destination": "api-2", "Steps": [ 50, 25, 100 ] } } } }""",
        "Edge:Canary:api:Steps is [50, 25, 100]", "strictly increasing")]
    [InlineData("""{ "Edge": { "Canary": { "api": { "Destination": "api-2", "Steps": [ 0, 50 ] } } } }""",
        "Edge:Canary:api:Steps is [0, 50]", "from 1 to 100")]
    [InlineData("""{ "Edge": { "Canary": { "api": { "Destination": "api-2", "Steps": [ 50, 150 ] } } } }""",
        "Edge:Canary:api:Steps is [50, 150]", "from 1 to 100")]
    // Thresholds.
    [InlineData("""{ "Edge": { "Canary": { "api": { "Destination": "api-2", "Steps": [ 50 ], "StepInterval": "00:00:00.050" } } } }""",
        "Edge:Canary:api:StepInterval is '00:00:00.05", "at least 00:00:00.100")]
    [InlineData("""{ "Edge": { "Canary": { "api": { "Destination": "api-2", "Steps": [ 50 ], "MinRequests": 0 } } } }""",
        "Edge:Canary:api:MinRequests is 0;", "at least 1")]
    [InlineData("""{ "Edge": { "Canary": { "api": { "Destination": "api-2", "Steps": [ 50 ], "MaxErrorRatio": 1.5 } } } }""",
        "Edge:Canary:api:MaxErrorRatio is 1.5;", "from 0 to 1")]
    [InlineData("""{ "Edge": { "Canary": { "api": { "Destination": "api-2", "Steps": [ 50 ], "MaxErrorRatio": -0.1 } } } }""",
        "Edge:Canary:api:MaxErrorRatio is -0.1;", "from 0 to 1")]
    [InlineData("""{ "Edge": { "Canary": { "api": { "Destination": "api-2", "Steps": [ 50 ], "MaxP95LatencyRatio": 0.5 } } } }""",
        "Edge:Canary:api:MaxP95LatencyRatio is 0.5;", "at least 1")]
    [InlineData("""{ "Edge": { "Canary": { "api": { "Destination": "api-2", "Steps": [ 50 ], "P95LatencyFloor": "-00:00:01" } } } }""",
        "Edge:Canary:api:P95LatencyFloor is '-00:00:01'", "zero or positive")]
    // Names of the cookies and headers.
    [InlineData("""{ "Edge": { "Canary": { "api": { "Destination": "api-2", "StickyCookie": "my cookie" } } } }""",
        "Edge:Canary:api:StickyCookie is 'my cookie'", "not a valid cookie name")]
    [InlineData("""{ "Edge": { "Canary": { "api": { "Destination": "api-2", "ForceHeader": "X-Canary:" } } } }""",
        "Edge:Canary:api:ForceHeader is 'X-Canary:'", "not a valid header name")]
    [InlineData("""{ "Edge": { "Canary": { "api": { "Destination": "api-2", "StickyHeader": "" } } } }""",
        "Edge:Canary:api:StickyHeader is ''", "not a valid header name")]
    [InlineData("""{ "Edge": { "Canary": { "api": { "Destination": "api-2", "StickyCookie": "X-Canary" } } } }""",
        "Edge:Canary:api: StickyCookie and ForceCookie are both 'X-Canary'")]
    // What the reader refuses before the rules run.
    [InlineData("""{ "Edge": { "Canary": { "api": { "Destination": "api-2", "Stepz": [ 50 ] } } } }""",
        "'Canary:api:Stepz'", "Did you mean 'Steps'?")]
    [InlineData("""{ "Edge": { "Canary": { "api": { "Destination": "api-2", "Steps": [ 2.5 ] } } } }""",
        "'Canary:api:Steps:0'", "'2.5'", "not a whole number")]
    public async Task Rejects_BadCanaries(string fragment, params string[] expected)
    {
        var result = await TestConfig.LoadAsync(TestConfig.Merge(Weighted, fragment));

        TestConfig.AssertError(result, expected);
    }

    [Fact]
    public async Task Rejects_WeightedWithoutTheName_YarpDoesNotKnowIt()
    {
        var result = await TestConfig.LoadWithAsync("""{ "ReverseProxy": { "Clusters": { "api": { "LoadBalancingPolicy": "Weigted" } } } }""");

        TestConfig.AssertError(result, "No matching ILoadBalancingPolicy", "'Weigted'", "cluster 'api'");
    }

    [Theory]
    [InlineData("{}")]
    // Without any Weight every destination weighs the same.
    [InlineData("""{ "ReverseProxy": { "Clusters": { "api": { "Destinations": { "api-1": { "Metadata": null }, "api-2": { "Metadata": null } } } } } }""")]
    [InlineData("""{ "ReverseProxy": { "Clusters": { "api": { "Destinations": { "api-1": { "Metadata": { "Weight": "0" } }, "api-2": { "Metadata": { "Weight": "100" } } } } } } }""")]
    [InlineData("""{ "ReverseProxy": { "Clusters": { "api": { "LoadBalancingPolicy": "weighted" } } } }""")]
    [InlineData("""{ "Edge": { "Canary": { "api": { "Destination": "api-2" } } } }""")]
    [InlineData("""{ "Edge": { "Canary": { "api": { "Destination": "API-2", "Steps": [ 1, 5, 25, 50, 100 ], "StepInterval": "00:00:00.300", "MinRequests": 1, "MaxErrorRatio": 0, "MaxP95LatencyRatio": 1, "P95LatencyFloor": "00:00:00" } } } }""")]
    [InlineData("""{ "Edge": { "Canary": { "api": { "Destination": "api-2", "Steps": [ 50 ], "StickyHeader": "X-User-Id", "StickyCookie": "cohort", "ForceHeader": "X-Force", "ForceCookie": "force" } } } }""")]
    // A rollout's canary may weigh 0 (its rollout is then off), and the stable side needs a weight.
    [InlineData("""{ "ReverseProxy": { "Clusters": { "api": { "Destinations": { "api-2": { "Metadata": { "Weight": "0" } } } } } }, "Edge": { "Canary": { "api": { "Destination": "api-2", "Steps": [ 10 ] } } } }""")]
    public async Task Accepts_GoodCanaries(string fragment)
    {
        var result = await TestConfig.LoadAsync(TestConfig.Merge(Weighted, fragment));

        TestConfig.AssertValid(result);
    }

    [Fact]
    public async Task Rejects_RolloutWhoseStableSideWeighsNothing()
    {
        var result = await TestConfig.LoadAsync(TestConfig.Merge(Weighted, """
            { "ReverseProxy": { "Clusters": { "api": { "Destinations": { "api-1": { "Metadata": { "Weight": "0" } } } } } },
              "Edge": { "Canary": { "api": { "Destination": "api-2", "Steps": [ 10 ] } } } }
            """));

        TestConfig.AssertError(result, "Cluster 'api'", "every destination besides the rollout's canary has Weight 0");
    }
}
