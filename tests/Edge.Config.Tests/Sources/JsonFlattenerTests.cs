using System.Text;
using Edge.Config.Sources;
using Edge.Config.Tests.TestSupport;
using Edge.Config.Validation;

namespace Edge.Config.Tests.Sources;

public class JsonFlattenerTests
{
    private static (Dictionary<string, string?> Data, List<ConfigError> Errors) Flatten(string json)
    {
        var errors = new List<ConfigError>();
        var data = JsonFlattener.Flatten(Encoding.UTF8.GetBytes(json), "edge.json", errors);
        return (data, errors);
    }

    [Fact]
    public void Flatten_NestedObjectsAndArrays_ProducesColonKeys()
    {
        var (data, errors) = Flatten("""
            { "A": { "B": "text", "N": 42, "F": 1.5, "T": true, "Z": null, "L": [ "x", { "C": "y" } ] } }
            """);

        Assert.Empty(errors);
        Assert.Equal("text", data["A:B"]);
        Assert.Equal("42", data["A:N"]);
        Assert.Equal("1.5", data["A:F"]);
        Assert.Equal("true", data["A:T"]);
        Assert.True(data.ContainsKey("A:Z"));
        Assert.Null(data["A:Z"]);
        Assert.Equal("x", data["A:L:0"]);
        Assert.Equal("y", data["a:l:1:c"]);
        Assert.Equal(7, data.Count);
    }

    [Fact]
    public void Flatten_EmptyObjectsAndArrays_KeptAsKeysWithNullValues()
    {
        var (data, errors) = Flatten("""{ "a": {}, "b": [], "c": { "d": {} } }""");

        Assert.Empty(errors);
        Assert.Equal(["a", "b", "c:d"], data.Keys.Order(StringComparer.Ordinal));
        Assert.All(data.Values, Assert.Null);
    }

    [Fact]
    public void Flatten_EmptyRoot_HasNoKeys()
    {
        var (data, errors) = Flatten("{}");

        Assert.Empty(errors);
        Assert.Empty(data);
    }

    [Fact]
    public void Flatten_CommentsAndTrailingCommas_Accepted()
    {
        var (data, errors) = Flatten("""
            // line comment
            {
              /* block comment */
              "A": { "B": "1", }, // trailing comma above
              "L": [ 1, 2, ],
            }
            """);

        Assert.Empty(errors);
        Assert.Equal("1", data["A:B"]);
        Assert.Equal("2", data["L:1"]);
    }

    [Fact]
    public void Flatten_DuplicateKeys_ReportsEveryOneAndKeepsFirst()
    {
        var (data, errors) = Flatten("""
            {
              "Routes": { "api": { "Path": "/first" }, "api": { "Path": "/second" } },
              "Clusters": { "web": {}, "WEB": {} }
            }
            """);

        Assert.Equal(2, errors.Count);
        Assert.Equal("Routes:api", errors[0].Path);
        Assert.Contains("'Routes:api' is defined more than once", errors[0].Message, StringComparison.Ordinal);
        Assert.Equal("Clusters:WEB", errors[1].Path);
        Assert.Contains("case-insensitive", errors[1].Message, StringComparison.Ordinal);
        Assert.Equal("/first", data["Routes:api:Path"]);
    }

    [Theory]
    [InlineData("{\n  \"A\": {\n    \"B\": ]\n  }\n}", "line 3")]
    [InlineData("{\n  \"A\": \"x\"\n  \"B\": \"y\"\n}", "line 3")]
    [InlineData("{ \"A\": \"unterminated }", "line 1")]
    [InlineData("", "line 1")]
    public void Flatten_InvalidJson_ReportsLine(string json, string line)
    {
        var (data, errors) = Flatten(json);

        Assert.Empty(data);
        var error = Assert.Single(errors);
        Assert.Equal("edge.json", error.Path);
        Assert.Contains("edge.json is not valid JSON at " + line + ",", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[ { \"A\": 1 } ]", "Array")]
    [InlineData("\"text\"", "String")]
    [InlineData("42", "Number")]
    public void Flatten_TopLevelNotAnObject_Rejects(string json, string kind)
    {
        var (data, errors) = Flatten(json);

        Assert.Empty(data);
        var error = Assert.Single(errors);
        Assert.Contains("must hold a JSON object", error.Message, StringComparison.Ordinal);
        Assert.Contains(kind, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Load_SameRouteKeyTwice_RejectsNamingTheRoute()
    {
        var result = await TestConfig.LoadAsync("""
            {
              "ReverseProxy": {
                "Routes": {
                  "api": { "ClusterId": "api", "Match": { "Path": "/api/{**rest}" } },
                  "api": { "ClusterId": "api", "Match": { "Path": "/v2/{**rest}" } }
                },
                "Clusters": { "api": { "Destinations": { "a": { "Address": "http://10.0.0.1/" } } } }
              }
            }
            """);

        TestConfig.AssertError(result, "test.json", "'ReverseProxy:Routes:api'", "defined more than once");
    }

    [Fact]
    public async Task Load_InvalidJson_RejectsWithLineNumber()
    {
        var result = await TestConfig.LoadAsync("{\n  \"ReverseProxy\": {\n    \"Routes\": { \"api\": { ] }\n  }\n}\n");

        TestConfig.AssertError(result, "test.json is not valid JSON at line 3, column");
        Assert.Single(result.Errors);
    }
}
