using System.Net;
using System.Text.Json.Nodes;
using Edge.FunctionalTests.Routing;
using Edge.Testing;

namespace Edge.FunctionalTests.Hygiene;

public sealed class HeaderHygieneTests
{
    [Fact]
    public async Task XForwardedHeaders_FromUntrustedPeer_AreReplacedNotAppended()
    {
        await using var origin = await OriginServer.StartAsync("a");
        using var file = new EdgeConfigFile(EdgeConfigFile.Config(origin));
        await using var edge = await EdgeProcess.StartAsync(file.Path);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/spoof");
        request.Headers.Add("X-Forwarded-For", "6.6.6.6");
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-Host", "evil.example");
        request.Headers.Add("X-Forwarded-Prefix", "/evil");
        request.Headers.Add("Forwarded", "for=6.6.6.6;proto=https;host=evil.example");

        using var response = await edge.Public.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = Assert.Single(origin.Headers);
        Assert.Equal("127.0.0.1", seen["X-Forwarded-For"]);
        Assert.Equal("http", seen["X-Forwarded-Proto"]);
        Assert.Equal(edge.PublicUrl.Authority, seen["X-Forwarded-Host"]);
        Assert.False(seen.ContainsKey("X-Forwarded-Prefix"), $"X-Forwarded-Prefix reached the origin: {seen.GetValueOrDefault("X-Forwarded-Prefix")}");
        Assert.False(seen.ContainsKey("Forwarded"), $"Forwarded reached the origin: {seen.GetValueOrDefault("Forwarded")}");
    }

    [Fact]
    public async Task HopByHopHeaders_AreStrippedBothWays()
    {
        await using var origin = RawOrigin.Start(
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close, X-Origin-Hop\r\nX-Origin-Hop: secret\r\nKeep-Alive: timeout=5\r\n"
            + "Proxy-Connection: keep-alive\r\nTrailer: X-Checksum\r\nUpgrade: h2c\r\nServer: nginx/1.22.1\r\nX-End-To-End: kept\r\n\r\nok");
        using var file = new EdgeConfigFile(EdgeConfigFile.Config(("raw", origin.Url)));
        await using var edge = await EdgeProcess.StartAsync(file.Path);

        var response = await RawHttp.SendRawAsync(edge.PublicUrl,
            $"GET /hop HTTP/1.1\r\nHost: {edge.PublicUrl.Authority}\r\nConnection: keep-alive, X-Client-Hop, close\r\nX-Client-Hop: secret\r\n"
            + "Keep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\nTE: gzip\r\nTrailer: X-Checksum\r\nUpgrade: h2c\r\nX-End-To-End: kept\r\n\r\n");

        var sent = Assert.Single(origin.Requests);
        foreach (var hop in new[] { "X-Client-Hop", "Keep-Alive", "Proxy-Connection", "TE", "Trailer", "Upgrade" })
        {
            Assert.DoesNotMatch($"(?im)^{hop}:", sent);
        }

        Assert.DoesNotMatch("(?im)^Connection:.*(X-Client-Hop|keep-alive)", sent);
        Assert.Matches("(?im)^X-End-To-End: kept\r$", sent);

        Assert.StartsWith("HTTP/1.1 200", response, StringComparison.Ordinal);
        var head = response[..response.IndexOf("\r\n\r\n", StringComparison.Ordinal)];
        foreach (var hop in new[] { "X-Origin-Hop", "Keep-Alive", "Proxy-Connection", "Trailer", "Upgrade", "Server" })
        {
            Assert.DoesNotMatch($"(?im)^{hop}:", head);
        }

        Assert.Matches("(?im)^X-End-To-End: kept\r?$", head);
    }

    [Fact]
    public async Task UnderscoreHeader_RejectedByDefault_With400ProblemAndNothingForwarded()
    {
        await using var origin = await OriginServer.StartAsync("a");
        using var file = new EdgeConfigFile(EdgeConfigFile.Config(origin));
        await using var edge = await EdgeProcess.StartAsync(file.Path);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/under");
        request.Headers.TryAddWithoutValidation("X_Forwarded_For", "6.6.6.6");

        using var response = await edge.Public.SendAsync(request);

        var problem = await ProxyingTests.AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("X_Forwarded_For", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, origin.Requests);
        using var plain = await edge.Public.GetAsync("/plain");
        Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
    }

    [Fact]
    public async Task UnderscoreHeader_WhenRejectionIsOff_ReachesTheOrigin()
    {
        await using var origin = await OriginServer.StartAsync("a");
        var config = EdgeConfigFile.Config(origin);
        config["Edge"]!["Security"] = new JsonObject { ["RejectUnderscoreHeaders"] = false };
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/under");
        request.Headers.TryAddWithoutValidation("X_Custom_Thing", "1");

        using var response = await edge.Public.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("1", Assert.Single(origin.Headers)["X_Custom_Thing"]);
    }

    [Fact]
    public async Task ServerHeader_NeitherTheEdgeNorTheOriginsIsSent()
    {
        await using var origin = await OriginServer.StartAsync("a");
        var config = EdgeConfigFile.Config(origin);
        config["ReverseProxy"]!["Routes"]!["all"]!["Match"]!["Path"] = "/app/{**rest}";
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);

        using var direct = new HttpClient();
        using var fromOrigin = await direct.GetAsync(new Uri(origin.Url, "/app/x"));
        Assert.NotEmpty(fromOrigin.Headers.Server);

        using var proxied = await edge.Public.GetAsync("/app/x");
        using var edgeMade = await edge.Public.GetAsync("/nowhere");

        Assert.Equal(HttpStatusCode.OK, proxied.StatusCode);
        Assert.Empty(proxied.Headers.Server);
        Assert.Equal(HttpStatusCode.NotFound, edgeMade.StatusCode);
        Assert.Empty(edgeMade.Headers.Server);
    }

    [Fact]
    public async Task Host_ByDefault_OriginReceivesItsOwnAuthority_AndOriginalHostSendsTheClients()
    {
        await using var origin = await OriginServer.StartAsync("a");
        var config = EdgeConfigFile.Config(origin);
        config["ReverseProxy"]!["Routes"]!["client-host"] = new JsonObject
        {
            ["ClusterId"] = "main",
            ["Match"] = new JsonObject { ["Path"] = "/client/{**rest}" },
            ["Transforms"] = new JsonArray(new JsonObject { ["RequestHeaderOriginalHost"] = "true" }),
        };
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);

        var (status, _) = await RawHttp.SendAsync(edge.PublicUrl, "GET", "/site", "www.example.com");
        var (clientStatus, _) = await RawHttp.SendAsync(edge.PublicUrl, "GET", "/client/x", "www.example.com");

        Assert.Equal(200, status);
        Assert.Equal(200, clientStatus);
        var seen = origin.Headers.ToArray();
        // YARP's default: the destination's own authority, with the client's in X-Forwarded-Host.
        Assert.Equal(origin.Url.Authority, seen[0]["Host"]);
        Assert.Equal("www.example.com", seen[0]["X-Forwarded-Host"]);
        Assert.Equal("www.example.com", seen[1]["Host"]);
    }
}
