using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Edge.Testing;
using Xunit.Abstractions;

namespace Edge.FunctionalTests.Streaming;

public sealed class StreamingResponseTests(ITestOutputHelper output)
{
    private static readonly TimeSpan MaxEventLatency = TimeSpan.FromMilliseconds(100);

    [Fact]
    public async Task ServerSentEvents_EachEventReachesClientWithin100ms_StreamOutlivesRequestTimeout()
    {
        await using var origin = await StreamingOrigin.StartAsync();
        var config = WebSocketTests.Config(origin);
        config["Edge"]!["Resilience"] = new JsonObject { ["RequestTimeout"] = "00:00:01" };
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);

        // One answered request first: a new edge's first response pays for compiling the proxy's
        // response path (over 100 ms on a busy machine), which is not what the bound is about.
        using (var warm = await edge.Public.GetAsync("/hold/0"))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        var responding = edge.Public.GetAsync("/sse", HttpCompletionOption.ResponseHeadersRead);
        await origin.Subscribed.WaitAsync(TimeSpan.FromSeconds(10));
        var firstSent = await origin.SendEventAsync("one");
        using var response = await responding.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());

        var first = await ReadEventAsync(reader, "one", firstSent);

        // The second event comes after the route's 1 s request timeout, on the same stream.
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        var secondSent = await origin.SendEventAsync("two");
        var second = await ReadEventAsync(reader, "two", secondSent);

        output.WriteLine($"SSE latency origin write -> client read: first {first.TotalMilliseconds:0.0} ms, second {second.TotalMilliseconds:0.0} ms");
        Assert.True(first < MaxEventLatency, $"The first event took {first.TotalMilliseconds:0.0} ms to reach the client.");
        Assert.True(second < MaxEventLatency, $"The second event took {second.TotalMilliseconds:0.0} ms to reach the client.");
    }

    [Fact]
    public async Task LongPoll_AnsweredAfterTheEdgeWideRequestTimeout_PassesOnARouteWithItsOwnTimeout()
    {
        await using var origin = await StreamingOrigin.StartAsync();
        var config = WebSocketTests.Config(origin);
        config["ReverseProxy"]!["Routes"]!["poll"] = new JsonObject
        {
            ["ClusterId"] = "main",
            ["Match"] = new JsonObject { ["Path"] = "/poll/{**rest}" },
            ["Timeout"] = "00:00:10",
        };
        config["Edge"]!["Resilience"] = new JsonObject { ["RequestTimeout"] = "00:00:01" };
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);

        var started = Stopwatch.GetTimestamp();
        using var polled = await edge.Public.GetAsync("/poll/3000");
        var took = Stopwatch.GetElapsedTime(started);

        Assert.Equal(HttpStatusCode.OK, polled.StatusCode);
        Assert.Equal("polled", await polled.Content.ReadAsStringAsync());
        Assert.True(took >= TimeSpan.FromSeconds(3), $"Answered after {took.TotalMilliseconds:0} ms, before the origin did.");

        // The same wait on a route under the 1 s default is cut with a 504: the poll passed because of its route's timeout.
        using var cut = await edge.Public.GetAsync("/hold/3000");
        Assert.Equal(HttpStatusCode.GatewayTimeout, cut.StatusCode);
    }

    private static async Task<TimeSpan> ReadEventAsync(StreamReader reader, string data, long sentAt)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            var line = await reader.ReadLineAsync(cts.Token) ?? throw new InvalidOperationException($"The stream ended before event '{data}'.");
            if (line == $"data: {data}")
            {
                return Stopwatch.GetElapsedTime(sentAt);
            }
        }
    }
}
