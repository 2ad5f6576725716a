using System.Net;
using Edge.Testing;
using Microsoft.AspNetCore.Http;

namespace Edge.FunctionalTests.Routing;

/// <summary>The same-origin <c>/backend</c> pattern through the real edge: what the API receives and what the browser gets back.</summary>
public sealed class BackendRoutingTests
{
    [Fact]
    public async Task Backend_StripsPrefix_SetsForwardedPrefix_AndEverythingElseGoesToTheFrontend()
    {
        await using var web = await OriginServer.StartAsync("web");
        await using var api = await OriginServer.StartAsync("api");
        using var file = new EdgeConfigFile(EdgeConfigFile.Backend(web, api));
        await using var edge = await EdgeProcess.StartAsync(file.Path);

        Assert.Equal("api", await edge.Public.GetStringAsync("/backend/items/7?view=full"));
        Assert.Equal("web", await edge.Public.GetStringAsync("/about"));
        Assert.Equal("web", await edge.Public.GetStringAsync("/backendish/x"));

        Assert.Equal(["/items/7?view=full"], api.Paths);
        Assert.Equal("/backend", Assert.Single(api.Headers)["X-Forwarded-Prefix"]);
        Assert.Equal(["/about", "/backendish/x"], web.Paths);
    }

    [Fact]
    public async Task Backend_PutsThePrefixBackOnLocationAndSetCookiePaths()
    {
        await using var web = await OriginServer.StartAsync("web");
        await using var api = await OriginServer.StartAsync("api");
        api.Handle = context =>
        {
            // The API answers as if it were at the root: /redirect/{case} redirects, /cookies sets cookies.
            var path = context.Request.Path.Value!;
            if (path.StartsWith("/redirect/", StringComparison.Ordinal))
            {
                context.Response.StatusCode = StatusCodes.Status302Found;
                context.Response.Headers.Location = path["/redirect/".Length..] switch
                {
                    "relative" => "/login?next=%2Fhome",
                    "origin" => $"http://{context.Request.Host}/login",
                    "destination" => $"{api.Url}login#top",
                    "already" => "/backend/login",
                    "elsewhere" => "https://id.example.com/login",
                    _ => "next",
                };
                return true;
            }

            if (path == "/cookies")
            {
                context.Response.Headers.SetCookie = new Microsoft.Extensions.Primitives.StringValues(
                    ["sid=abc; Path=/; HttpOnly", "pref=dark; path=/settings; Secure", "plain=1", "kept=1; Path=/backend/x"]);
                return true;
            }

            return false;
        };
        using var file = new EdgeConfigFile(EdgeConfigFile.Backend(web, api));
        await using var edge = await EdgeProcess.StartAsync(file.Path);
        using var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = edge.PublicUrl };
        var publicHost = $"{edge.PublicUrl.Host}:{edge.PublicUrl.Port}";

        async Task<string> LocationOf(string name)
        {
            using var response = await client.GetAsync($"/backend/redirect/{name}");
            Assert.Equal(HttpStatusCode.Found, response.StatusCode);
            return response.Headers.Location!.OriginalString;
        }

        Assert.Equal("/backend/login?next=%2Fhome", await LocationOf("relative"));
        // The origin built an absolute URL from the Host it was sent (YARP's default: the destination's own).
        Assert.Equal($"http://{publicHost}/backend/login", await LocationOf("origin"));
        // An origin that names itself: the browser is sent to the edge, never to the origin's own address.
        Assert.Equal($"http://{publicHost}/backend/login#top", await LocationOf("destination"));
        Assert.Equal("/backend/login", await LocationOf("already"));
        Assert.Equal("https://id.example.com/login", await LocationOf("elsewhere"));
        Assert.Equal("next", await LocationOf("relative-reference"));

        using var cookies = await client.GetAsync("/backend/cookies");
        Assert.Equal(
            ["sid=abc; Path=/backend; HttpOnly", "pref=dark; Path=/backend/settings; Secure", "plain=1", "kept=1; Path=/backend/x"],
            cookies.Headers.GetValues("Set-Cookie"));
    }

    [Fact]
    public async Task Backend_RewriteCanBeLimitedToLocation()
    {
        await using var web = await OriginServer.StartAsync("web");
        await using var api = await OriginServer.StartAsync("api");
        api.Handle = context =>
        {
            context.Response.StatusCode = StatusCodes.Status303SeeOther;
            context.Response.Headers.Location = "/done";
            context.Response.Headers.SetCookie = "sid=abc; Path=/";
            return true;
        };
        var config = EdgeConfigFile.Backend(web, api);
        config["ReverseProxy"]!["Routes"]!["backend"]!["Transforms"]![3]!["Rewrite"] = "Location";
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);
        using var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = edge.PublicUrl };

        using var response = await client.GetAsync("/backend/submit");

        Assert.Equal("/backend/done", response.Headers.Location!.OriginalString);
        Assert.Equal("sid=abc; Path=/", Assert.Single(response.Headers.GetValues("Set-Cookie")));
    }

    [Fact]
    public async Task Validate_RejectsABadPrefixAndAnUnknownRewrite()
    {
        await using var web = await OriginServer.StartAsync("web");
        await using var api = await OriginServer.StartAsync("api");
        var config = EdgeConfigFile.Backend(web, api);
        config["ReverseProxy"]!["Routes"]!["backend"]!["Transforms"]![3] = new System.Text.Json.Nodes.JsonObject
        {
            ["ResponsePathPrefix"] = "backend/",
            ["Rewrite"] = "Location,Refresh",
        };
        using var file = new EdgeConfigFile(config);

        var (exitCode, output) = await EdgeProcess.RunAsync(["validate", "--config", file.Path]);

        Assert.Equal(1, exitCode);
        Assert.Contains("'backend/': a prefix starts with '/'", output, StringComparison.Ordinal);
        Assert.Contains("Rewrite: Location,Refresh", output, StringComparison.Ordinal);
    }
}
