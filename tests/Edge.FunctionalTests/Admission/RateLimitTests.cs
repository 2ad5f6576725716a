using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Edge.Testing;

namespace Edge.FunctionalTests.Admission;

/// <summary>Rate-limit policies against the real edge and a real origin on loopback.</summary>
public sealed class RateLimitTests
{
    private static JsonObject WithPolicy(OriginServer origin, JsonObject policy, string name = "limited")
    {
        var config = EdgeConfigFile.Config(origin);
        config["ReverseProxy"]!["Routes"]!["all"]!["RateLimiterPolicy"] = name;
        config["Edge"]!["RateLimiting"] = new JsonObject { ["Policies"] = new JsonObject { [name] = policy } };
        return config;
    }

    private static async Task<HttpResponseMessage> GetAsync(EdgeProcess edge, string path, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return await edge.Public.SendAsync(request);
    }

    private static async Task<List<HttpStatusCode>> StatusesAsync(EdgeProcess edge, int count, params (string Name, string Value)[] headers)
    {
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < count; i++)
        {
            using var response = await GetAsync(edge, $"/r{i}", headers);
            statuses.Add(response.StatusCode);
        }

        return statuses;
    }

    [Fact]
    public async Task FixedWindow_10Per10sPerClientIp_Admits10Of15_RefusesTheRestWith429_OriginSeesExactly10()
    {
        await using var origin = await OriginServer.StartAsync("a");
        var config = WithPolicy(origin, new JsonObject { ["Kind"] = "FixedWindow", ["PermitLimit"] = 10, ["Window"] = "00:00:10", ["PartitionBy"] = "ClientIp" });
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);

        var responses = new List<HttpResponseMessage>();
        for (var i = 0; i < 15; i++)
        {
            responses.Add(await GetAsync(edge, $"/r{i}"));
        }

        Assert.Equal(10, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        var refused = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.Equal(5, refused.Count);
        Assert.All(responses.Take(10), r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        foreach (var response in refused)
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var retryAfter = response.Headers.RetryAfter?.Delta;
            Assert.NotNull(retryAfter);
            Assert.InRange(retryAfter.Value.TotalSeconds, 1, 10);
            Assert.Equal("\"limited\";q=10;w=10", string.Join(",", response.Headers.GetValues("RateLimit-Policy")));
            Assert.Matches("^\"limited\";r=0;t=([1-9]|10)$", string.Join(",", response.Headers.GetValues("RateLimit")));
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal(429, body.RootElement.GetProperty("status").GetInt32());
            Assert.False(string.IsNullOrEmpty(body.RootElement.GetProperty("traceId").GetString()));
        }

        Assert.Equal(10, origin.Requests);
        responses.ForEach(r => r.Dispose());
    }

    [Fact]
    public async Task RouteWithoutPolicy_IsNotLimited_WhileItsNeighbourIs()
    {
        await using var origin = await OriginServer.StartAsync("a");
        var config = WithPolicy(origin, new JsonObject { ["Kind"] = "FixedWindow", ["PermitLimit"] = 2, ["Window"] = "00:01:00" });
        config["ReverseProxy"]!["Routes"]!["open"] = new JsonObject { ["ClusterId"] = "main", ["Match"] = new JsonObject { ["Path"] = "/open/{**rest}" } };
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], await StatusesAsync(edge, 3));
        for (var i = 0; i < 20; i++)
        {
            using var response = await GetAsync(edge, $"/open/{i}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Fact]
    public async Task ApiKeys_HaveSeparateBudgets_AndRequestsWithoutKeyShareOneAnonymousBudget()
    {
        await using var origin = await OriginServer.StartAsync("a");
        var config = WithPolicy(origin, new JsonObject
        {
            ["Kind"] = "FixedWindow",
            ["PermitLimit"] = 3,
            ["Window"] = "00:01:00",
            ["PartitionBy"] = "Header:X-Api-Key",
            ["AnonymousPermitLimit"] = 1,
        });
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);

        var three = new[] { HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests };
        Assert.Equal(three, await StatusesAsync(edge, 4, ("X-Api-Key", "key-one")));
        Assert.Equal(three, await StatusesAsync(edge, 4, ("X-Api-Key", "key-two")));
        // No key: one shared partition with its own, smaller limit; not an unlimited one.
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], await StatusesAsync(edge, 3));
        Assert.Equal(7, origin.Requests);
    }

    [Fact]
    public async Task ForgedForwardedFor_FromUnknownPeer_SharesThePeersBudget_AndIsReplacedTowardsTheOrigin()
    {
        await using var origin = await OriginServer.StartAsync("a");
        var config = WithPolicy(origin, new JsonObject { ["Kind"] = "FixedWindow", ["PermitLimit"] = 2, ["Window"] = "00:01:00" });
        // A known proxy that is not this client: the loopback peer stays untrusted.
        config["Edge"]!["ForwardedHeaders"] = new JsonObject { ["KnownProxies"] = new JsonArray("10.9.9.9") };
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);

        using (var first = await GetAsync(edge, "/1", ("X-Forwarded-For", "198.51.100.1")))
        using (var second = await GetAsync(edge, "/2", ("X-Forwarded-For", "198.51.100.2")))
        using (var third = await GetAsync(edge, "/3", ("X-Forwarded-For", "198.51.100.3")))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            Assert.Equal(HttpStatusCode.OK, second.StatusCode);
            Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        }

        Assert.All(origin.Headers, headers => Assert.Equal("127.0.0.1", headers["X-Forwarded-For"]));
    }

    [Fact]
    public async Task ForwardedFor_FromKnownProxy_IsHonoured_EachForwardedClientHasItsOwnBudget()
    {
        await using var origin = await OriginServer.StartAsync("a");
        var config = WithPolicy(origin, new JsonObject { ["Kind"] = "FixedWindow", ["PermitLimit"] = 2, ["Window"] = "00:01:00" });
        config["Edge"]!["ForwardedHeaders"] = new JsonObject { ["KnownNetworks"] = new JsonArray("127.0.0.0/8") };
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], await StatusesAsync(edge, 3, ("X-Forwarded-For", "198.51.100.1")));
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], await StatusesAsync(edge, 3, ("X-Forwarded-For", "198.51.100.2")));
        // A client cannot pick its own partition by prepending addresses: the chain is read from the right.
        Assert.Equal([HttpStatusCode.TooManyRequests], await StatusesAsync(edge, 1, ("X-Forwarded-For", "203.0.113.9, 198.51.100.1")));
        Assert.Equal(["198.51.100.1", "198.51.100.1", "198.51.100.2", "198.51.100.2"], origin.Headers.Select(h => h["X-Forwarded-For"]));
    }

    [Fact]
    public async Task HotReload_RaisesTheLimit_TheNextWindowAdmitsTheNewNumber()
    {
        await using var origin = await OriginServer.StartAsync("a");
        var config = WithPolicy(origin, new JsonObject { ["Kind"] = "FixedWindow", ["PermitLimit"] = 2, ["Window"] = "00:01:00" });
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], await StatusesAsync(edge, 3));

        config["Edge"]!["RateLimiting"]!["Policies"]!["limited"]!["PermitLimit"] = 5;
        file.Write(config);
        await Eventually.TrueAsync(async () => (await ReloadsAsync(edge)) >= 1, TimeSpan.FromSeconds(10), "the edited file to be applied");

        Assert.Equal(
            [HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests],
            await StatusesAsync(edge, 6));
        Assert.Equal(7, origin.Requests);
    }

    [Fact]
    public async Task Reload_ThatLeavesAPolicyAlone_KeepsItsBudget()
    {
        await using var origin = await OriginServer.StartAsync("a");
        var config = WithPolicy(origin, new JsonObject { ["Kind"] = "FixedWindow", ["PermitLimit"] = 2, ["Window"] = "00:01:00" });
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK], await StatusesAsync(edge, 2));

        config["Edge"]!["Logging"] = new JsonObject { ["Level"] = "Debug" };
        file.Write(config);
        await Eventually.TrueAsync(async () => (await ReloadsAsync(edge)) >= 1, TimeSpan.FromSeconds(10), "the edited file to be applied");

        // An unrelated edit must not hand every client a fresh window.
        Assert.Equal([HttpStatusCode.TooManyRequests], await StatusesAsync(edge, 1));
    }

    [Fact]
    public async Task Reload_RemovingAPolicyARouteStillUses_IsRejected_AndTheLimitStays()
    {
        await using var origin = await OriginServer.StartAsync("a");
        var config = WithPolicy(origin, new JsonObject { ["Kind"] = "FixedWindow", ["PermitLimit"] = 1, ["Window"] = "00:01:00" });
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);

        config["Edge"]!["RateLimiting"] = new JsonObject { ["Policies"] = new JsonObject() };
        file.Write(config);
        using var reload = await edge.Admin.PostAsync("/admin/config/reload", null);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, reload.StatusCode);
        var errors = await reload.Content.ReadAsStringAsync();
        Assert.Contains("RateLimiterPolicy", errors, StringComparison.Ordinal);
        Assert.Contains("which is not defined under Edge:RateLimiting:Policies", errors, StringComparison.Ordinal);
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.TooManyRequests], await StatusesAsync(edge, 2));
    }

    [Fact]
    public async Task DefaultPolicy_LimitsEveryRoute_ExceptOneThatDisablesIt()
    {
        await using var origin = await OriginServer.StartAsync("a");
        var config = EdgeConfigFile.Config(origin);
        config["ReverseProxy"]!["Routes"]!["free"] = new JsonObject
        {
            ["ClusterId"] = "main",
            ["RateLimiterPolicy"] = "Disable",
            ["Match"] = new JsonObject { ["Path"] = "/free/{**rest}" },
        };
        config["Edge"]!["RateLimiting"] = new JsonObject
        {
            ["DefaultPolicy"] = "everyone",
            ["Policies"] = new JsonObject { ["everyone"] = new JsonObject { ["Kind"] = "FixedWindow", ["PermitLimit"] = 1, ["Window"] = "00:01:00" } },
        };
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.TooManyRequests], await StatusesAsync(edge, 2));
        for (var i = 0; i < 5; i++)
        {
            using var response = await GetAsync(edge, $"/free/{i}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    private static async Task<int> ReloadsAsync(EdgeProcess edge)
    {
        using var doc = JsonDocument.Parse(await edge.Admin.GetStringAsync("/admin/config"));
        return doc.RootElement.TryGetProperty("lastReload", out var last) && last.ValueKind == JsonValueKind.Object
            && last.GetProperty("result").GetString() == "applied" ? 1 : 0;
    }
}
