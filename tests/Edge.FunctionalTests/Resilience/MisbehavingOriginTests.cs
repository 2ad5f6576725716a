using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Edge.Testing;

namespace Edge.FunctionalTests.Resilience;

/// <summary>
/// Each way an origin can misbehave, in a cluster with a healthy origin: the bad one gets the
/// failure it deserves within its timeout, and the healthy one keeps serving meanwhile.
/// </summary>
public sealed class MisbehavingOriginTests
{
    private static readonly TimeSpan RouteTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(1);

    [Theory]
    [InlineData(Misbehaviour.RefusesConnections, 502)]
    [InlineData(Misbehaviour.NeverAnswers, 504)]
    [InlineData(Misbehaviour.GarbageStatusLine, 502)]
    [InlineData(Misbehaviour.UnresolvableHost, 502)]
    public async Task Origin_Fails_EdgeAnswersProblemInTime_AndHealthyOriginKeepsServing(Misbehaviour mode, int status)
    {
        var results = await RunAsync(mode);

        foreach (var bad in results.Where(r => r.Origin != "good"))
        {
            Assert.True(bad.Status == status, $"{mode}: expected {status}, got {bad.Status} ({bad.Error}).");
            Assert.Equal("application/problem+json", bad.ContentType);
            Assert.True(bad.Elapsed <= RouteTimeout + Slack, $"{mode}: took {bad.Elapsed.TotalMilliseconds:0} ms.");
        }
    }

    [Theory]
    [InlineData(Misbehaviour.HeadersThenStalls)]
    [InlineData(Misbehaviour.TricklesBody)]
    [InlineData(Misbehaviour.ConflictingFraming)]
    [InlineData(Misbehaviour.ResetsMidBody)]
    public async Task Origin_BreaksOffOrStalls_ClientSeesFailureNeverACleanEnd(Misbehaviour mode)
    {
        var results = await RunAsync(mode);

        foreach (var bad in results.Where(r => r.Origin != "good"))
        {
            var failedCleanly = bad.Status is 502 or 504 && bad.ContentType == "application/problem+json";
            Assert.True(failedCleanly || bad.Error is not null,
                $"{mode}: expected 502/504 or a broken body, got {bad.Status} with a complete body of {bad.Bytes} bytes.");
            Assert.True(bad.Elapsed <= RouteTimeout + Slack, $"{mode}: took {bad.Elapsed.TotalMilliseconds:0} ms.");
        }
    }

    [Fact]
    public async Task HugeBody_IsStreamed_EdgeMemoryGrowsLessThan64MB()
    {
        await using var good = await OriginServer.StartAsync("good");
        await using var huge = MisbehavingOrigin.Start(Misbehaviour.HugeBody);
        var config = Quiet(EdgeConfigFile.Config(("huge", huge.Url), ("good", good.Url)));
        config["Edge"]!["Resilience"]!["RequestTimeout"] = "00:01:00";
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);
        Assert.Equal(HttpStatusCode.OK, (await edge.Public.GetAsync("/warm-up")).StatusCode);
        var before = ProcessMemory.ResidentBytes(edge.ProcessId);

        // Round robin: of two requests, one streams the huge body and the other is served by 'good' meanwhile.
        using var first = await edge.Public.GetAsync("/a", HttpCompletionOption.ResponseHeadersRead);
        using var second = await edge.Public.GetAsync("/b", HttpCompletionOption.ResponseHeadersRead);
        var (stream, other) = first.Content.Headers.ContentLength == MisbehavingOrigin.HugeBodyBytes ? (first, second) : (second, first);
        Assert.Equal(MisbehavingOrigin.HugeBodyBytes, stream.Content.Headers.ContentLength);

        long peak = before;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, ProcessMemory.ResidentBytes(edge.ProcessId));
                await Task.Delay(50);
            }
        });

        Assert.Equal("good", await other.Content.ReadAsStringAsync());
        using var body = await stream.Content.ReadAsStreamAsync();
        var buffer = new byte[256 * 1024];
        long total = 0;
        int read;
        while ((read = await body.ReadAsync(buffer)) > 0)
        {
            total += read;
            if (total > 100L * 1024 * 1024 && total - read <= 100L * 1024 * 1024)
            {
                // Halfway-ish, the healthy destination still answers at once.
                using var meanwhile = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = edge.PublicUrl };
                var check = await meanwhile.GetAsync("/meanwhile");
                Assert.True(check.StatusCode == HttpStatusCode.OK, "A request during the huge stream failed.");
            }
        }

        await sampling.CancelAsync();
        await sampler;
        Assert.Equal(MisbehavingOrigin.HugeBodyBytes, total);
        var growth = peak - before;
        Assert.True(growth < 64L * 1024 * 1024, $"The edge's memory grew by {growth / (1024 * 1024)} MB while streaming 500 MB.");
    }

    /// <summary>Retries and breakers off, so what the client sees is what the bad origin did.</summary>
    internal static JsonObject Quiet(JsonObject config)
    {
        config["Edge"]!["Resilience"] = new JsonObject
        {
            ["RequestTimeout"] = "00:00:02",
            ["CircuitBreaker"] = new JsonObject { ["Enabled"] = false },
            ["Retry"] = new JsonObject { ["Enabled"] = false },
        };
        return config;
    }

    private static async Task<List<Result>> RunAsync(Misbehaviour mode)
    {
        await using var good = await OriginServer.StartAsync("good");
        await using var bad = MisbehavingOrigin.Start(mode);
        using var file = new EdgeConfigFile(Quiet(EdgeConfigFile.Config(("bad", bad.Url), ("good", good.Url))));
        await using var edge = await EdgeProcess.StartAsync(file.Path);

        // Warm up the edge (one request to each destination) so first-request costs do not count.
        await Task.WhenAll(SendAsync(edge.Public, "/warm-1"), SendAsync(edge.Public, "/warm-2"));

        // Round robin sends two of the four concurrent requests to each destination.
        var results = (await Task.WhenAll(Enumerable.Range(0, 4).Select(i => SendAsync(edge.Public, $"/r{i}")))).ToList();

        var served = results.Where(r => r.Origin == "good").ToList();
        Assert.Equal(2, served.Count);
        Assert.All(served, r => Assert.Equal(200, r.Status));
        Assert.All(served, r => Assert.True(r.Elapsed < TimeSpan.FromSeconds(1), $"The healthy origin took {r.Elapsed.TotalMilliseconds:0} ms."));
        Assert.Equal(2, results.Count(r => r.Origin != "good"));
        return results;
    }

    private static async Task<Result> SendAsync(HttpClient client, string path)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            using var response = await client.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
            var origin = response.Headers.TryGetValues("X-Origin", out var values) ? values.First() : null;
            var contentType = response.Content.Headers.ContentType?.MediaType;
            try
            {
                var body = await response.Content.ReadAsByteArrayAsync();
                return new Result((int)response.StatusCode, origin, contentType, body.Length, null, clock.Elapsed);
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException)
            {
                return new Result((int)response.StatusCode, origin, contentType, -1, ex.Message, clock.Elapsed);
            }
        }
        catch (HttpRequestException ex)
        {
            return new Result(0, null, null, -1, ex.Message, clock.Elapsed);
        }
    }

    private sealed record Result(int Status, string? Origin, string? ContentType, long Bytes, string? Error, TimeSpan Elapsed);
}
