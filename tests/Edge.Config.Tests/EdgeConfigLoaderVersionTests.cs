using Edge.Config.Tests.TestSupport;

namespace Edge.Config.Tests;

/// <summary>The version is a hash of the effective keys: equal configs give equal versions.</summary>
public class EdgeConfigLoaderVersionTests
{
    private static async Task<string> VersionOf(string json, IReadOnlyDictionary<string, string>? environment = null)
        => TestConfig.AssertValid(await TestConfig.LoadAsync(json, environment)).Version;

    [Fact]
    public async Task Version_SameConfigLoadedTwice_IsEqual()
    {
        Assert.Equal(await VersionOf(TestConfig.Base), await VersionOf(TestConfig.Base));
    }

    [Theory]
    [InlineData("""{ "ReverseProxy": { "Clusters": { "api": { "Destinations": { "api-1": { "Address": "http://10.0.0.9:8080/" } } } } } }""")]
    [InlineData("""{ "ReverseProxy": { "Clusters": { "api": { "Destinations": { "api-2": { "Address": "http://10.0.0.9:8080/" } } } } } }""")]
    [InlineData("""{ "ReverseProxy": { "Routes": { "api": { "Order": 1 } } } }""")]
    [InlineData("""{ "ReverseProxy": { "Routes": { "web": null } } }""")]
    [InlineData("""{ "Edge": { "Logging": { "Level": "Debug" } } }""")]
    [InlineData("""{ "Edge": { "Listeners": { "Public": "http://0.0.0.0:8081" } } }""")]
    public async Task Version_ChangedValue_Differs(string fragment)
    {
        Assert.NotEqual(await VersionOf(TestConfig.Base), await VersionOf(TestConfig.With(fragment)));
    }

    [Fact]
    public async Task Version_KeysReorderedRecasedAndReformatted_IsEqual()
    {
        var reordered = """
            // the same config, written differently
            {
              "edge": { "listeners": { "admin": "http://127.0.0.1:9901", "PUBLIC": "http://0.0.0.0:8080" } },
              "reverseProxy": {
                "clusters": {
                  "web": { "destinations": { "web-1": { "address": "http://10.0.0.2:8080/" } } },
                  "api": { "DESTINATIONS": { "api-1": { "ADDRESS": "http://10.0.0.1:8080/" } } },
                },
                "routes": {
                  "web": { "match": { "path": "/{**catchall}" }, "clusterId": "web" },
                  "api": { "match": { "path": "/api/{**rest}" }, "clusterid": "api" },
                },
              },
            }
            """;

        Assert.Equal(await VersionOf(TestConfig.Base), await VersionOf(reordered));
    }

    [Fact]
    public async Task Version_NumberWrittenAsStringOrNumber_IsEqual()
    {
        var asNumber = TestConfig.With("""{ "ReverseProxy": { "Routes": { "api": { "Order": 3 } } } }""");
        var asString = TestConfig.With("""{ "ReverseProxy": { "Routes": { "api": { "Order": "3" } } } }""");

        Assert.Equal(await VersionOf(asNumber), await VersionOf(asString));
    }

    [Fact]
    public async Task Version_EnvironmentOverrideWithNewValue_Differs()
    {
        var environment = new Dictionary<string, string> { ["Edge__Logging__Level"] = "Debug" };

        Assert.NotEqual(await VersionOf(TestConfig.Base), await VersionOf(TestConfig.Base, environment));
    }

    [Fact]
    public async Task Version_EnvironmentOverrideWithFileValue_IsEqual()
    {
        var environment = new Dictionary<string, string> { ["ReverseProxy__Clusters__api__Destinations__api-1__Address"] = "http://10.0.0.1:8080/" };

        Assert.Equal(await VersionOf(TestConfig.Base), await VersionOf(TestConfig.Base, environment));
    }

    [Fact]
    public async Task Version_SameKeysFromFileOrEnvironment_IsEqual()
    {
        var inFile = TestConfig.With("""{ "Edge": { "Logging": { "Level": "Debug" } } }""");
        var environment = new Dictionary<string, string> { ["Edge__Logging__Level"] = "Debug" };

        Assert.Equal(await VersionOf(inFile), await VersionOf(TestConfig.Base, environment));
    }
}
