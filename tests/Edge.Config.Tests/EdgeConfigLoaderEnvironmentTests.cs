using Edge.Config.Tests.TestSupport;

namespace Edge.Config.Tests;

public class EdgeConfigLoaderEnvironmentTests
{
    [Fact]
    public async Task LoadAsync_EnvironmentSetsDestinationAddress_OverridesFile()
    {
        var environment = new Dictionary<string, string>
        {
            ["ReverseProxy__Clusters__api__Destinations__api-1__Address"] = "http://api-v1:8080/",
        };

        var result = await TestConfig.LoadAsync(TestConfig.Base, environment);

        var snapshot = TestConfig.AssertValid(result);
        Assert.Equal("http://api-v1:8080/", snapshot.Clusters.Single(c => c.ClusterId == "api").Destinations!["api-1"].Address);
        Assert.Equal("http://10.0.0.2:8080/", snapshot.Clusters.Single(c => c.ClusterId == "web").Destinations!["web-1"].Address);
    }

    [Fact]
    public async Task LoadAsync_EnvironmentKeyInOtherCase_OverridesFile()
    {
        var environment = new Dictionary<string, string>
        {
            ["REVERSEPROXY__CLUSTERS__API__DESTINATIONS__API-1__ADDRESS"] = "http://api-v2:8080/",
            ["EDGE__LISTENERS__PUBLIC"] = "http://0.0.0.0:80",
        };

        var result = await TestConfig.LoadAsync(TestConfig.Base, environment);

        var snapshot = TestConfig.AssertValid(result);
        Assert.Equal("http://api-v2:8080/", snapshot.Clusters.Single(c => c.ClusterId == "api").Destinations!["api-1"].Address);
        Assert.Equal("http://0.0.0.0:80", snapshot.Edge.Listeners.Public);
    }

    [Fact]
    public async Task LoadAsync_EnvironmentAddsDestination_MergesWithFile()
    {
        var environment = new Dictionary<string, string>
        {
            ["ReverseProxy__Clusters__api__Destinations__api-2__Address"] = "http://10.0.0.3:8080/",
        };

        var result = await TestConfig.LoadAsync(TestConfig.Base, environment);

        var destinations = TestConfig.AssertValid(result).Clusters.Single(c => c.ClusterId == "api").Destinations!;
        Assert.Equal(["api-1", "api-2"], destinations.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task LoadAsync_EnvironmentSetsUnknownEdgeKey_RejectsNamingTheVariable()
    {
        var environment = new Dictionary<string, string> { ["Edge__Listeners__Pubic"] = "http://0.0.0.0:80" };

        var result = await TestConfig.LoadAsync(TestConfig.Base, environment);

        TestConfig.AssertError(result, "unknown key 'Listeners:Pubic'", "Did you mean 'Public'?", "environment variable Edge__Listeners__Pubic");
    }

    [Theory]
    [InlineData("Edge__Listners__Public", "Edge: unknown key 'Listners'", "Did you mean 'Listeners'?", "environment variable Edge__Listners__Public")]
    [InlineData("ReverseProxy__Foo__Bar", "ReverseProxy: unknown key 'ReverseProxy:Foo'", "Known keys here: Routes, Clusters.", "environment variable ReverseProxy__Foo__Bar")]
    public async Task LoadAsync_EnvironmentSetsKeyUnderUnknownSection_RejectsNamingTheVariable(string variable, params string[] expected)
    {
        var environment = new Dictionary<string, string> { [variable] = "http://0.0.0.0:80" };

        var result = await TestConfig.LoadAsync(TestConfig.Base, environment);

        TestConfig.AssertError(result, expected);
    }

    [Fact]
    public async Task LoadAsync_SeveralVariablesUnderUnknownSection_NamesEveryOne()
    {
        var environment = new Dictionary<string, string>
        {
            ["Edge__Listners__Public"] = "http://0.0.0.0:80",
            ["Edge__Listners__Admin"] = "http://127.0.0.1:9902",
        };

        var result = await TestConfig.LoadAsync(TestConfig.Base, environment);

        TestConfig.AssertError(result, "unknown key 'Listners'", "environment variable Edge__Listners__Admin, Edge__Listners__Public");
    }

    [Fact]
    public async Task LoadAsync_EnvironmentSetsBadValue_RejectsNamingTheVariable()
    {
        var environment = new Dictionary<string, string> { ["Edge__Shutdown__DrainDelay"] = "soon" };

        var result = await TestConfig.LoadAsync(TestConfig.Base, environment);

        TestConfig.AssertError(result, "'Shutdown:DrainDelay'", "'soon'", "environment variable Edge__Shutdown__DrainDelay");
    }

    [Fact]
    public async Task LoadAsync_EnvironmentBreaksClusterReference_Rejects()
    {
        var environment = new Dictionary<string, string> { ["ReverseProxy__Routes__api__ClusterId"] = "apii" };

        var result = await TestConfig.LoadAsync(TestConfig.Base, environment);

        TestConfig.AssertError(result, "Route 'api'", "'apii'", "Did you mean 'api'?");
    }

    [Fact]
    public async Task LoadAsync_UnrelatedVariables_Ignored()
    {
        var environment = new Dictionary<string, string>
        {
            ["PATH"] = "/usr/bin:/bin",
            ["HOME"] = "/root",
            ["EDGE_CONFIG"] = "/etc/edge/edge.json",
            ["ASPNETCORE_URLS"] = "http://+:5000",
            ["Logging__LogLevel__Default"] = "Debug",
        };

        var withEnvironment = TestConfig.AssertValid(await TestConfig.LoadAsync(TestConfig.Base, environment));
        var without = TestConfig.AssertValid(await TestConfig.LoadAsync(TestConfig.Base));

        Assert.Equal(without.Version, withEnvironment.Version);
        Assert.Equal(without.Edge.Listeners.Public, withEnvironment.Edge.Listeners.Public);
    }
}
