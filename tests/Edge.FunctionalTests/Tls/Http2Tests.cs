using System.Net;
using System.Text.Json.Nodes;
using Edge.Testing;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Edge.FunctionalTests.Tls;

public sealed class Http2Tests
{
    [Fact]
    public async Task H2cListener_PriorKnowledgeClient_GetsHttp2()
    {
        await using var origin = await OriginServer.StartAsync("a");
        var config = EdgeConfigFile.Config(origin);
        config["Edge"]!["Listeners"]!["Public"] = "http://127.0.0.1:0;h2c://127.0.0.1:0";
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);
        var h2cUrl = new UriBuilder(edge.PublicUrlOf("h2c")) { Scheme = "http" }.Uri;
        using var priorKnowledge = TlsProbe.Client(h2cUrl, HttpVersion.Version20, HttpVersionPolicy.RequestVersionExact);

        using var overH2c = await priorKnowledge.GetAsync("/h2c");
        using var overH1 = await edge.Public.GetAsync("/h1");

        Assert.Equal(HttpStatusCode.OK, overH2c.StatusCode);
        Assert.Equal(HttpVersion.Version20, overH2c.Version);
        Assert.Equal("a", await overH2c.Content.ReadAsStringAsync());
        Assert.Equal(HttpVersion.Version11, overH1.Version);
        Assert.Equal(["/h2c", "/h1"], origin.Paths);
    }

    [Theory]
    [InlineData("2", "HTTP/2")]
    [InlineData("1.1", "HTTP/1.1")]
    public async Task Cluster_HttpRequestVersion_TalksThatVersionToHttpsOrigin(string version, string expected)
    {
        using var certificate = TestCertificate.Create("localhost");
        await using var origin = await OriginServer.StartAsync("a", certificate: certificate);
        var config = EdgeConfigFile.Config(origin);
        var cluster = config["ReverseProxy"]!["Clusters"]!["main"]!;
        cluster["HttpClient"] = new JsonObject { ["DangerousAcceptAnyServerCertificate"] = true };
        cluster["HttpRequest"] = new JsonObject { ["Version"] = version, ["VersionPolicy"] = "RequestVersionExact" };
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);

        using var response = await edge.Public.GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([expected], origin.Protocols);
    }

    [Fact]
    public async Task Cluster_HttpRequestVersion2Exact_TalksH2cToCleartextOrigin()
    {
        await using var origin = await OriginServer.StartAsync("a", protocols: HttpProtocols.Http2);
        var config = EdgeConfigFile.Config(origin);
        config["ReverseProxy"]!["Clusters"]!["main"]!["HttpRequest"] = new JsonObject { ["Version"] = "2", ["VersionPolicy"] = "RequestVersionExact" };
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);

        using var response = await edge.Public.GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("a", await response.Content.ReadAsStringAsync());
        Assert.Equal(["HTTP/2"], origin.Protocols);
    }
}
