using System.Net;
using System.Text.Json.Nodes;
using Edge.Testing;

namespace Edge.FunctionalTests.Canary;

/// <summary>
/// Configs with a Weighted cluster 'main' of a stable and a canary origin, and clients that each
/// keep their own cookie jar (one shared connection pool; the jar is applied per request).
/// </summary>
internal sealed class CanaryClients : IDisposable
{
    private readonly HttpClient _http;
    private readonly Uri _base;

    public CanaryClients(EdgeProcess edge)
    {
        _base = edge.PublicUrl;
        _http = new HttpClient(new SocketsHttpHandler { UseProxy = false, UseCookies = false, MaxConnectionsPerServer = 16 })
        {
            BaseAddress = edge.PublicUrl,
            Timeout = TimeSpan.FromSeconds(30),
        };
    }

    /// <summary>
    /// The config: cluster 'main' Weighted over 'stable' and 'canary' with the given weights (null:
    /// no Weight), and <c>Edge:Canary:main</c> naming the canary when <paramref name="canary"/> is given.
    /// </summary>
    public static JsonObject Config(OriginServer stable, OriginServer canary, string? stableWeight, string? canaryWeight, JsonObject? canaryOptions = null)
    {
        var config = EdgeConfigFile.Config(stable, canary);
        var cluster = config["ReverseProxy"]!["Clusters"]!["main"]!;
        cluster["LoadBalancingPolicy"] = "Weighted";
        SetWeight(config, stable.Name, stableWeight);
        SetWeight(config, canary.Name, canaryWeight);
        // Breakers and retries stay out of the way of what these tests measure.
        config["Edge"]!["Resilience"] = new JsonObject
        {
            ["CircuitBreaker"] = new JsonObject { ["Enabled"] = false },
            ["Retry"] = new JsonObject { ["Enabled"] = false },
        };
        if (canaryOptions is not null)
        {
            canaryOptions["Destination"] ??= canary.Name;
            config["Edge"]!["Canary"] = new JsonObject { ["main"] = canaryOptions };
        }

        return config;
    }

    public static void SetWeight(JsonObject config, string destination, string? weight)
    {
        var node = config["ReverseProxy"]!["Clusters"]!["main"]!["Destinations"]![destination]!;
        node["Metadata"] = weight is null ? null : new JsonObject { ["Weight"] = weight };
    }

    /// <summary>One request from a client with no cookies at all; the origin that answered.</summary>
    public async Task<string> SendAsync(string path = "/", Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        configure?.Invoke(request);
        using var response = await _http.SendAsync(request);
        return string.Join(",", response.Headers.TryGetValues("X-Origin", out var origin) ? origin : [$"{(int)response.StatusCode}"]);
    }

    /// <summary>One request from the client owning <paramref name="jar"/>: its cookies sent, what the edge sets kept.</summary>
    public async Task<string> SendAsync(CookieContainer jar, string path = "/")
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        var uri = new Uri(_base, path);
        var cookies = jar.GetCookieHeader(uri);
        if (cookies.Length > 0)
        {
            request.Headers.Add("Cookie", cookies);
        }

        using var response = await _http.SendAsync(request);
        if (response.Headers.TryGetValues("Set-Cookie", out var setCookies))
        {
            foreach (var setCookie in setCookies)
            {
                jar.SetCookies(uri, setCookie);
            }
        }

        return response.Headers.TryGetValues("X-Origin", out var origin) ? origin.Single() : $"{(int)response.StatusCode}";
    }

    /// <summary>Sends <paramref name="count"/> requests from distinct clients, <paramref name="parallel"/> at a time; the origin of each.</summary>
    public async Task<List<string>> SendManyAsync(int count, int parallel = 8)
    {
        var results = new string[count];
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, parallel).Select(async _ =>
        {
            for (var i = Interlocked.Increment(ref next); i < count; i = Interlocked.Increment(ref next))
            {
                results[i] = await SendAsync($"/client/{i}");
            }
        }));
        return [.. results];
    }

    public void Dispose() => _http.Dispose();
}
