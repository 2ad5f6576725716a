using System.Security.Authentication;
using Edge.Config.Model;
using Edge.Config.Sources;
using Edge.Config.Tests.TestSupport;
using Edge.Config.Validation;
using Microsoft.Extensions.Configuration;

namespace Edge.Config.Tests.Model;

public class ConfigReaderTests
{
    [Theory]
    // Unknown keys, with a did-you-mean where one is close.
    [InlineData("""{ "ReverseProxy": { "Clusters": { "api": { "LoadBalancingPolcy": "RoundRobin" } } } }""",
        "Cluster 'api'", "unknown key 'LoadBalancingPolcy'", "Did you mean 'LoadBalancingPolicy'?", "Known keys here:")]
    [InlineData("""{ "ReverseProxy": { "Routes": { "api": { "Match": { "Path": null, "Pth": "/api/{**rest}" } } } } }""",
        "Route 'api'", "unknown key 'Match:Pth'", "Did you mean 'Path'?")]
    [InlineData("""{ "ReverseProxy": { "Clusters": { "api": { "Destinations": { "api-1": { "Adress": "http://10.0.0.9/" } } } } } }""",
        "Cluster 'api'", "unknown key 'Destinations:api-1:Adress'", "Did you mean 'Address'?")]
    [InlineData("""{ "ReverseProxy": { "Clusters": { "api": { "SessionAffinity": { "Cookie": { "SameSit": "Lax" } } } } } }""",
        "Cluster 'api'", "unknown key 'SessionAffinity:Cookie:SameSit'", "Did you mean 'SameSite'?")]
    [InlineData("""{ "Edge": { "Listeners": { "Pubic": "http://0.0.0.0:80" } } }""",
        "Edge", "unknown key 'Listeners:Pubic'", "Did you mean 'Public'?", "Known keys here: Public, Admin.")]
    [InlineData("""{ "Edge": { "Loging": { "Level": "Debug" } } }""",
        "Edge", "unknown key 'Loging'", "Did you mean 'Logging'?")]
    [InlineData("""{ "ReverseProxy": { "Routes": { "api": { "Colour": "blue" } } } }""",
        "Route 'api'", "unknown key 'Colour'", "Known keys here:")]
    // Values that do not convert to the property's type.
    [InlineData("""{ "ReverseProxy": { "Clusters": { "api": { "HttpRequest": { "ActivityTimeout": "5 seconds" } } } } }""",
        "Cluster 'api'", "'HttpRequest:ActivityTimeout'", "'5 seconds'", "hh:mm:ss")]
    [InlineData("""{ "ReverseProxy": { "Routes": { "api": { "Timeout": "30s" } } } }""",
        "Route 'api'", "'Timeout'", "'30s'", "TimeSpan")]
    [InlineData("""{ "ReverseProxy": { "Clusters": { "api": { "HttpRequest": { "VersionPolicy": "Sometimes" } } } } }""",
        "Cluster 'api'", "'HttpRequest:VersionPolicy'", "'Sometimes'", "RequestVersionOrLower")]
    [InlineData("""{ "ReverseProxy": { "Clusters": { "api": { "HttpRequest": { "VersionPolicy": "1" } } } } }""",
        "Cluster 'api'", "'HttpRequest:VersionPolicy'", "'1'", "one of:")]
    [InlineData("""{ "ReverseProxy": { "Clusters": { "api": { "HttpRequest": { "VersionPolicy": "RequestVersionOrLower, RequestVersionExact" } } } } }""",
        "Cluster 'api'", "'HttpRequest:VersionPolicy'", "'RequestVersionOrLower, RequestVersionExact'")]
    [InlineData("""{ "ReverseProxy": { "Clusters": { "api": { "HttpClient": { "SslProtocols": ["Tls12", "Tls99"] } } } } }""",
        "Cluster 'api'", "'HttpClient:SslProtocols'", "Tls99", "Tls13")]
    [InlineData("""{ "ReverseProxy": { "Clusters": { "api": { "SessionAffinity": { "Enabled": "yes", "AffinityKeyName": "a" } } } } }""",
        "Cluster 'api'", "'SessionAffinity:Enabled'", "'yes'", "true or false")]
    [InlineData("""{ "ReverseProxy": { "Clusters": { "api": { "HttpClient": { "DangerousAcceptAnyServerCertificate": 1 } } } } }""",
        "Cluster 'api'", "'HttpClient:DangerousAcceptAnyServerCertificate'", "'1'", "boolean")]
    [InlineData("""{ "ReverseProxy": { "Routes": { "api": { "Order": "first" } } } }""",
        "Route 'api'", "'Order'", "'first'", "whole number")]
    [InlineData("""{ "ReverseProxy": { "Clusters": { "api": { "HttpClient": { "MaxConnectionsPerServer": 10.5 } } } } }""",
        "Cluster 'api'", "'HttpClient:MaxConnectionsPerServer'", "'10.5'", "whole number")]
    [InlineData("""{ "ReverseProxy": { "Routes": { "api": { "MaxRequestBodySize": "1MB" } } } }""",
        "Route 'api'", "'MaxRequestBodySize'", "'1MB'", "whole number")]
    [InlineData("""{ "ReverseProxy": { "Clusters": { "api": { "HttpRequest": { "Version": "two" } } } } }""",
        "Cluster 'api'", "'HttpRequest:Version'", "'two'", "HTTP version")]
    [InlineData("""{ "ReverseProxy": { "Clusters": { "api": { "HttpClient": { "WebProxy": { "Address": "not a url" } } } } } }""",
        "Cluster 'api'", "'HttpClient:WebProxy:Address'", "'not a url'", "absolute URL")]
    // Shapes: a list, object or single value where another is expected.
    [InlineData("""{ "ReverseProxy": { "Routes": { "api": { "Match": { "Hosts": "api.example.com" } } } } }""",
        "Route 'api'", "'Match:Hosts'", "'api.example.com'", "a list")]
    [InlineData("""{ "ReverseProxy": { "Routes": { "api": { "Match": "/api" } } } }""",
        "Route 'api'", "'Match'", "'/api'", "not a single value")]
    [InlineData("""{ "ReverseProxy": { "Routes": { "api": { "ClusterId": { "Id": "api" } } } } }""",
        "Route 'api'", "'ClusterId'", "holds an object or list")]
    [InlineData("""{ "ReverseProxy": { "Routes": { "api": { "Transforms": { "PathRemovePrefix": "/api" } } } } }""",
        "Route 'api'", "'Transforms:PathRemovePrefix'", "'Transforms' is a list", "JSON array")]
    [InlineData("""{ "Edge": { "Listeners": "http://0.0.0.0:80" } }""",
        "Edge", "'Listeners'", "'http://0.0.0.0:80'", "Public, Admin")]
    public async Task Rejects_UnknownKeysAndBadValues(string fragment, params string[] expected)
    {
        var result = await TestConfig.LoadWithAsync(fragment);

        TestConfig.AssertError(result, expected);
    }

    [Theory]
    [InlineData("null")]
    [InlineData("{}")]
    public async Task Rejects_NullOrEmptyDestinationEntry(string entry)
    {
        // Written out whole: TestConfig.With treats null as "remove the key".
        var result = await TestConfig.LoadAsync($$"""
            {
              "ReverseProxy": {
                "Routes": { "all": { "ClusterId": "app", "Match": { "Path": "/{**catchall}" } } },
                "Clusters": { "app": { "Destinations": { "a": { "Address": "http://10.0.0.1:8080/" }, "b": {{entry}} } } }
              }
            }
            """);

        TestConfig.AssertError(result, "Cluster 'app'", "'Destinations:b'", "is empty or null");
        var error = Assert.Single(result.Errors);
        Assert.Equal("ReverseProxy:Clusters:app:Destinations:b", error.Path);
    }

    [Fact]
    public async Task Read_UnknownKeyFarFromAll_ListsKnownKeysWithoutSuggestion()
    {
        var result = await TestConfig.LoadWithAsync("""{ "ReverseProxy": { "Routes": { "api": { "Colour": "blue" } } } }""");

        var error = Assert.Single(result.Errors);
        Assert.Equal("ReverseProxy:Routes:api:Colour", error.Path);
        Assert.DoesNotContain("Did you mean", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_SslProtocolsAsArrayOfNames_CombinesFlags()
    {
        var result = await TestConfig.LoadWithAsync("""{ "ReverseProxy": { "Clusters": { "api": { "HttpClient": { "SslProtocols": ["Tls12", "Tls13"] } } } } }""");

        var cluster = TestConfig.AssertValid(result).Clusters.Single(c => c.ClusterId == "api");
        Assert.Equal(SslProtocols.Tls12 | SslProtocols.Tls13, cluster.HttpClient?.SslProtocols);
    }

    [Fact]
    public async Task Read_SslProtocolsAsCommaSeparatedString_CombinesFlags()
    {
        var result = await TestConfig.LoadWithAsync("""{ "ReverseProxy": { "Clusters": { "api": { "HttpClient": { "SslProtocols": "tls12, Tls13" } } } } }""");

        var cluster = TestConfig.AssertValid(result).Clusters.Single(c => c.ClusterId == "api");
        Assert.Equal(SslProtocols.Tls12 | SslProtocols.Tls13, cluster.HttpClient?.SslProtocols);
    }

    [Theory]
    [InlineData("2", 2, 0)]
    [InlineData("1.1", 1, 1)]
    [InlineData("1.0", 1, 0)]
    [InlineData("3", 3, 0)]
    public async Task Read_HttpVersion_ParsesShortAndDottedForms(string written, int major, int minor)
    {
        var result = await TestConfig.LoadWithAsync($$"""{ "ReverseProxy": { "Clusters": { "api": { "HttpRequest": { "Version": "{{written}}" } } } } }""");

        var cluster = TestConfig.AssertValid(result).Clusters.Single(c => c.ClusterId == "api");
        Assert.Equal(new Version(major, minor), cluster.HttpRequest?.Version);
    }

    [Fact]
    public async Task Read_ScalarsWrittenAsJsonOrStrings_Convert()
    {
        var result = await TestConfig.LoadWithAsync("""
            {
              "ReverseProxy": {
                "Routes": { "api": { "Order": "7", "MaxRequestBodySize": 1048576, "Timeout": "00:00:30" } },
                "Clusters": {
                  "api": {
                    "HttpClient": { "MaxConnectionsPerServer": "20", "DangerousAcceptAnyServerCertificate": "True", "WebProxy": { "Address": "http://proxy.internal:3128/" } },
                    "HttpRequest": { "ActivityTimeout": "1.00:00:00", "VersionPolicy": "requestversionorhigher", "AllowResponseBuffering": false }
                  }
                }
              }
            }
            """);

        var snapshot = TestConfig.AssertValid(result);
        var route = snapshot.Routes.Single(r => r.RouteId == "api");
        Assert.Equal(7, route.Order);
        Assert.Equal(1048576, route.MaxRequestBodySize);
        Assert.Equal(TimeSpan.FromSeconds(30), route.Timeout);
        var cluster = snapshot.Clusters.Single(c => c.ClusterId == "api");
        Assert.Equal(20, cluster.HttpClient?.MaxConnectionsPerServer);
        Assert.True(cluster.HttpClient?.DangerousAcceptAnyServerCertificate);
        Assert.Equal(new Uri("http://proxy.internal:3128/"), cluster.HttpClient?.WebProxy?.Address);
        Assert.Equal(TimeSpan.FromDays(1), cluster.HttpRequest?.ActivityTimeout);
        Assert.Equal(System.Net.Http.HttpVersionPolicy.RequestVersionOrHigher, cluster.HttpRequest?.VersionPolicy);
        Assert.False(cluster.HttpRequest?.AllowResponseBuffering);
    }

    [Fact]
    public async Task Read_ListsAndDictionaries_KeepOrderAndEntries()
    {
        var hosts = Enumerable.Range(0, 12).Select(i => $"h{i}.example.com").ToList();
        var hostsJson = string.Join(", ", hosts.Select(h => $"\"{h}\""));
        var result = await TestConfig.LoadWithAsync($$"""
            {
              "ReverseProxy": {
                "Routes": {
                  "api": {
                    "Match": { "Hosts": [{{hostsJson}}], "Headers": [ { "Name": "X-Canary", "Values": ["1", "yes"], "Mode": "ExactHeader" } ] },
                    "Metadata": { "MaxRequestBodySize": "1024", "Team": "payments" },
                    "Transforms": [ { "PathRemovePrefix": "/api" }, { "RequestHeader": "X-Edge", "Set": "1" } ]
                  }
                }
              }
            }
            """);

        var route = TestConfig.AssertValid(result).Routes.Single(r => r.RouteId == "api");
        Assert.Equal(hosts, route.Match.Hosts);
        var header = Assert.Single(route.Match.Headers!);
        Assert.Equal("X-Canary", header.Name);
        Assert.Equal(["1", "yes"], header.Values);
        Assert.Equal("1024", route.Metadata!["MaxRequestBodySize"]);
        Assert.Equal("payments", route.Metadata["team"]);
        Assert.Equal(2, route.Transforms!.Count);
        Assert.Equal("/api", route.Transforms[0]["PathRemovePrefix"]);
        Assert.Equal("X-Edge", route.Transforms[1]["RequestHeader"]);
        Assert.Equal("1", route.Transforms[1]["Set"]);
    }

    [Fact]
    public async Task Read_IdsComeFromKeys_NotFromProperties()
    {
        var result = await TestConfig.LoadWithAsync("""{ "ReverseProxy": { "Routes": { "api": { "RouteId": "other" } } } }""");

        TestConfig.AssertError(result, "Route 'api'", "unknown key 'RouteId'");
    }

    [Fact]
    public void Read_BadValue_AppendsWhereTheValueCameFrom()
    {
        var errors = new List<ConfigError>();
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Edge:Shutdown:Timeout"] = "later" })
            .Build();
        var reader = new ConfigReader(errors, path => path == "Edge:Shutdown:Timeout" ? " (set by X)" : string.Empty);

        var options = reader.Read<EdgeOptions>(configuration.GetSection("Edge"), "Edge");

        Assert.Equal(TimeSpan.FromSeconds(30), options.Shutdown.Timeout);
        var error = Assert.Single(errors);
        Assert.Equal("Edge:Shutdown:Timeout", error.Path);
        Assert.StartsWith("Edge: 'Shutdown:Timeout' is 'later'", error.Message, StringComparison.Ordinal);
        Assert.EndsWith(" (set by X)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_EmptySection_ReturnsDefaults()
    {
        var errors = new List<ConfigError>();
        var configuration = new ConfigurationBuilder().Build();
        var reader = new ConfigReader(errors, _ => string.Empty);

        var options = reader.Read<EdgeOptions>(configuration.GetSection("Edge"), "Edge");

        Assert.Empty(errors);
        Assert.Equal(ListenerOptions.DefaultPublic, options.Listeners.Public);
        Assert.Equal("json", options.Logging.Format);
    }

    [Fact]
    public void Read_EmptyJsonList_IsAnEmptyListNotAMissingKey()
    {
        var errors = new List<ConfigError>();
        var data = JsonFlattener.Flatten("""{ "Edge": { "Canary": { "a": { "Destination": "x", "Steps": [] }, "b": { "Destination": "y" } } } }"""u8.ToArray(), "test.json", errors);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(data).Build();
        var reader = new ConfigReader(errors, _ => string.Empty);

        var options = reader.Read<EdgeOptions>(configuration.GetSection("Edge"), "Edge");

        Assert.Empty(errors);
        Assert.NotNull(options.Canary["a"].Steps);
        Assert.Empty(options.Canary["a"].Steps!);
        Assert.Null(options.Canary["b"].Steps);
    }
}
