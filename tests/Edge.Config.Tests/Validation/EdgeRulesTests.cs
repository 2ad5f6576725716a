using Edge.Config.Model;
using Edge.Config.Tests.TestSupport;

namespace Edge.Config.Tests.Validation;

public class EdgeRulesTests
{
    [Theory]
    [InlineData("""{ "Edge": { "Listeners": { "Public": "http://0.0.0.0" } } }""",
        "Edge:Listeners:Public", "'http://0.0.0.0'", "no port")]
    [InlineData("""{ "Edge": { "Listeners": { "Public": "https://0.0.0.0:8443" } } }""",
        "Edge:Listeners:Public", "'https://0.0.0.0:8443' needs a certificate", "Edge:Tls:Certificates")]
    [InlineData("""{ "Edge": { "Listeners": { "Public": "http://0.0.0.0:8080/edge" } } }""",
        "Edge:Listeners:Public", "'http://0.0.0.0:8080/edge'", "has a path")]
    [InlineData("""{ "Edge": { "Listeners": { "Public": "http://example.com:8080" } } }""",
        "Edge:Listeners:Public", "'http://example.com:8080'", "host 'example.com'")]
    [InlineData("""{ "Edge": { "Listeners": { "Public": "http://0.0.0.0:70000" } } }""",
        "Edge:Listeners:Public", "'http://0.0.0.0:70000'", "port '70000'")]
    [InlineData("""{ "Edge": { "Listeners": { "Public": "http://0.0.0.0:8080;0.0.0.0:8081" } } }""",
        "Edge:Listeners:Public", "'0.0.0.0:8081'", "not an http URL")]
    [InlineData("""{ "Edge": { "Listeners": { "Admin": "" } } }""",
        "Edge:Listeners:Admin", "no URL is given")]
    [InlineData("""{ "Edge": { "Listeners": { "Admin": "http://[::1]" } } }""",
        "Edge:Listeners:Admin", "'http://[::1]'", "no port")]
    [InlineData("""{ "Edge": { "Listeners": { "Admin": "http://::1:9901" } } }""",
        "Edge:Listeners:Admin", "'http://::1:9901'", "without brackets")]
    // Admin and public on the same port.
    [InlineData("""{ "Edge": { "Listeners": { "Public": "http://0.0.0.0:9901" } } }""",
        "Edge:Listeners", "admin listener 'http://127.0.0.1:9901'", "public listener 'http://0.0.0.0:9901'", "port 9901")]
    [InlineData("""{ "Edge": { "Listeners": { "Public": "http://127.0.0.1:8080", "Admin": "http://127.0.0.1:8080" } } }""",
        "admin listener 'http://127.0.0.1:8080'", "public listener 'http://127.0.0.1:8080'", "port 8080")]
    [InlineData("""{ "Edge": { "Listeners": { "Public": "http://*:9000", "Admin": "http://127.0.0.1:9000" } } }""",
        "admin listener 'http://127.0.0.1:9000'", "public listener 'http://*:9000'", "port 9000")]
    [InlineData("""{ "Edge": { "Listeners": { "Public": "http://10.0.0.5:9000", "Admin": "http://[::]:9000" } } }""",
        "admin listener 'http://[::]:9000'", "public listener 'http://10.0.0.5:9000'", "port 9000")]
    [InlineData("""{ "Edge": { "Listeners": { "Public": "http://10.0.0.5:8080;http://10.0.0.5:9000", "Admin": "http://localhost:9000" } } }""",
        "admin listener 'http://localhost:9000'", "public listener 'http://10.0.0.5:9000'", "port 9000")]
    // Logging.
    [InlineData("""{ "Edge": { "Logging": { "Format": "xml" } } }""",
        "Edge:Logging:Format", "'xml'", "'json'")]
    [InlineData("""{ "Edge": { "Logging": { "Level": "Informatoin" } } }""",
        "Edge:Logging:Level", "'Informatoin'", "Did you mean 'Information'?")]
    [InlineData("""{ "Edge": { "Logging": { "Level": "loud" } } }""",
        "Edge:Logging:Level", "'loud'", "Use one of:")]
    // Shutdown and reload times.
    [InlineData("""{ "Edge": { "Shutdown": { "DrainDelay": "soon" } } }""",
        "Edge", "'Shutdown:DrainDelay'", "'soon'", "hh:mm:ss")]
    [InlineData("""{ "Edge": { "Shutdown": { "DrainDelay": "-00:00:05" } } }""",
        "Edge:Shutdown:DrainDelay", "'-00:00:05'", "zero or positive")]
    [InlineData("""{ "Edge": { "Shutdown": { "Timeout": "-00:00:01" } } }""",
        "Edge:Shutdown:Timeout", "'-00:00:01'", "zero or positive")]
    [InlineData("""{ "Edge": { "Reload": { "PollInterval": "00:00:00.010" } } }""",
        "Edge:Reload:PollInterval", "'00:00:00.01", "at least 00:00:00.050")]
    [InlineData("""{ "Edge": { "Reload": { "PollInterval": "0" } } }""",
        "Edge:Reload:PollInterval", "'00:00:00'", "at least 00:00:00.050")]
    public async Task Rejects_BadEdgeSection(string fragment, params string[] expected)
    {
        var result = await TestConfig.LoadWithAsync(fragment);

        TestConfig.AssertError(result, expected);
    }

    [Theory]
    [InlineData("""{ "Edge": { "Listeners": { "Public": "http://0.0.0.0:8080; http://[::]:8080" } } }""")]
    [InlineData("""{ "Edge": { "Listeners": { "Public": "http://localhost:8080/", "Admin": "http://127.0.0.1:9901/" } } }""")]
    [InlineData("""{ "Edge": { "Listeners": { "Public": "http://0.0.0.0:0", "Admin": "http://127.0.0.1:0" } } }""")]
    [InlineData("""{ "Edge": { "Listeners": { "Public": "http://10.0.0.5:9901", "Admin": "http://127.0.0.1:9901" } } }""")]
    [InlineData("""{ "Edge": { "Listeners": { "Public": "HTTP://*:80", "Admin": "http://[::1]:81" } } }""")]
    [InlineData("""{ "Edge": { "Logging": { "Format": "text", "Level": "Debug" } } }""")]
    [InlineData("""{ "Edge": { "Logging": { "Format": "JSON", "Level": "warning" } } }""")]
    [InlineData("""{ "Edge": { "Logging": { "Level": "Critical" } } }""")]
    [InlineData("""{ "Edge": { "Shutdown": { "DrainDelay": "00:00:00", "Timeout": "00:02:00" } } }""")]
    [InlineData("""{ "Edge": { "Reload": { "PollInterval": "00:00:00.050" } } }""")]
    [InlineData("""{ "Edge": null }""")]
    public async Task Accepts_GoodEdgeSection(string fragment)
    {
        var result = await TestConfig.LoadWithAsync(fragment);

        TestConfig.AssertValid(result);
    }

    [Fact]
    public async Task Load_EdgeSectionOmitted_UsesDocumentedDefaults()
    {
        var result = await TestConfig.LoadWithAsync("""{ "Edge": null }""");

        var edge = TestConfig.AssertValid(result).Edge;
        Assert.Equal("http://0.0.0.0:8080", edge.Listeners.Public);
        Assert.Equal("http://127.0.0.1:9901", edge.Listeners.Admin);
        Assert.Equal(TimeSpan.FromSeconds(5), edge.Shutdown.DrainDelay);
        Assert.Equal(TimeSpan.FromSeconds(30), edge.Shutdown.Timeout);
        Assert.Equal(TimeSpan.FromSeconds(1), edge.Reload.PollInterval);
        Assert.Equal("json", edge.Logging.Format);
        Assert.Equal("Information", edge.Logging.Level);
    }

    [Fact]
    public async Task Load_EdgeValuesSet_ReadIntoOptions()
    {
        var result = await TestConfig.LoadWithAsync("""
            { "Edge": {
                "Listeners": { "Public": "http://0.0.0.0:80", "Admin": "http://127.0.0.1:81" },
                "Shutdown": { "DrainDelay": "00:00:02", "Timeout": "00:01:00" },
                "Reload": { "PollInterval": "00:00:00.250" },
                "Logging": { "Format": "text", "Level": "Warning" } } }
            """);

        var edge = TestConfig.AssertValid(result).Edge;
        Assert.Equal("http://0.0.0.0:80", edge.Listeners.Public);
        Assert.Equal("http://127.0.0.1:81", edge.Listeners.Admin);
        Assert.Equal(TimeSpan.FromSeconds(2), edge.Shutdown.DrainDelay);
        Assert.Equal(TimeSpan.FromMinutes(1), edge.Shutdown.Timeout);
        Assert.Equal(TimeSpan.FromMilliseconds(250), edge.Reload.PollInterval);
        Assert.Equal("text", edge.Logging.Format);
        Assert.Equal("Warning", edge.Logging.Level);
    }

    [Fact]
    public void Defaults_MatchTheProductContract()
    {
        Assert.Equal("http://0.0.0.0:8080", ListenerOptions.DefaultPublic);
        Assert.Equal("http://127.0.0.1:9901", ListenerOptions.DefaultAdmin);
    }
}
