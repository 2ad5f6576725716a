using Edge.Config.Sources;

namespace Edge.Config.Tests.Sources;

public class EnvironmentSourceTests
{
    [Fact]
    public void Overrides_SectionVariables_MapDoubleUnderscoreToColon()
    {
        var environment = new Dictionary<string, string>
        {
            ["ReverseProxy__Clusters__api__Destinations__v1__Address"] = "http://api-v1:8080",
            ["EDGE__LISTENERS__PUBLIC"] = "http://0.0.0.0:80",
        };

        var overrides = EnvironmentSource.Overrides(environment).OrderBy(o => o.Key, StringComparer.Ordinal).ToList();

        Assert.Equal(
            [
                ("EDGE:LISTENERS:PUBLIC", "http://0.0.0.0:80", "EDGE__LISTENERS__PUBLIC"),
                ("ReverseProxy:Clusters:api:Destinations:v1:Address", "http://api-v1:8080", "ReverseProxy__Clusters__api__Destinations__v1__Address"),
            ],
            overrides);
    }

    [Theory]
    [InlineData("PATH")]
    [InlineData("HOME")]
    [InlineData("EDGE_CONFIG")]
    [InlineData("Edge")]
    [InlineData("EdgeSomething__Listeners")]
    [InlineData("ASPNETCORE_URLS")]
    [InlineData("Logging__LogLevel__Default")]
    [InlineData("ReverseProxy_Routes")]
    public void Overrides_UnrelatedVariable_Ignored(string variable)
    {
        var environment = new Dictionary<string, string> { [variable] = "value" };

        Assert.Empty(EnvironmentSource.Overrides(environment));
    }

    [Fact]
    public void Current_ReadsProcessEnvironment()
    {
        var current = EnvironmentSource.Current();

        Assert.Equal(Environment.GetEnvironmentVariables().Count, current.Count);
        foreach (System.Collections.DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            Assert.Equal(entry.Value as string ?? string.Empty, current[(string)entry.Key]);
        }
    }
}
