using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Edge.Testing;
using Xunit.Abstractions;

namespace Edge.FunctionalTests.Admission;

/// <summary>Edge-wide limits: load shedding, body, header and connection limits, on the real edge.</summary>
public sealed class LimitsTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ConcurrencyShedding_Limit4_Origin1s_12Simultaneous_Gives4x200And8x503EachUnder100ms()
    {
        await using var origin = await OriginServer.StartAsync("a");
        var config = EdgeConfigFile.Config(origin);
        config["Edge"]!["Limits"] = new JsonObject { ["MaxConcurrentRequests"] = 4 };
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);
        // Twelve pooled connections first, so the measurement is the edge's answer, not connection setup.
        await Task.WhenAll(Enumerable.Range(0, 12).Select(async _ => (await edge.Public.GetAsync("/warm")).Dispose()));
        var before = origin.Requests;

        var results = await Task.WhenAll(Enumerable.Range(0, 12).Select(async _ =>
        {
            var clock = Stopwatch.StartNew();
            using var response = await edge.Public.GetAsync("/slow/1000");
            return (response.StatusCode, Elapsed: clock.Elapsed, RetryAfter: response.Headers.RetryAfter?.Delta, Type: response.Content.Headers.ContentType?.MediaType);
        }));

        var shed = results.Where(r => r.StatusCode == HttpStatusCode.ServiceUnavailable).ToList();
        output.WriteLine($"shed answers in ms: {string.Join(", ", shed.Select(r => r.Elapsed.TotalMilliseconds.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)))}");
        Assert.Equal(4, results.Count(r => r.StatusCode == HttpStatusCode.OK));
        Assert.Equal(8, shed.Count);
        Assert.All(shed, r =>
        {
            Assert.True(r.Elapsed < TimeSpan.FromMilliseconds(100), $"A shed request took {r.Elapsed.TotalMilliseconds:0} ms.");
            Assert.NotNull(r.RetryAfter);
            Assert.Equal("application/problem+json", r.Type);
        });
        Assert.Equal(4, origin.Requests - before);
    }

    [Fact]
    public async Task ConcurrencyShedding_WithAQueue_QueuedRequestsWaitForASlot()
    {
        await using var origin = await OriginServer.StartAsync("a");
        var config = EdgeConfigFile.Config(origin);
        config["Edge"]!["Limits"] = new JsonObject { ["MaxConcurrentRequests"] = 2, ["MaxQueuedRequests"] = 2 };
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);
        await Task.WhenAll(Enumerable.Range(0, 6).Select(async _ => (await edge.Public.GetAsync("/warm")).Dispose()));

        // Long enough that on a busy machine the first cannot finish before the second arrives.
        var held = Enumerable.Range(0, 2).Select(_ => edge.Public.GetAsync("/slow/3000")).ToList();
        await Eventually.TrueAsync(() => origin.InFlight == 2, TimeSpan.FromSeconds(10), "two requests to hold both slots");
        var queued = Enumerable.Range(0, 2).Select(_ => edge.Public.GetAsync("/slow/10")).ToList();
        await Task.Delay(100); // let both reach the queue before the next one arrives
        using (var refused = await edge.Public.GetAsync("/slow/10"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        }

        foreach (var request in held.Concat(queued))
        {
            using var response = await request;
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Fact]
    public async Task AdminListener_AnswersWhileThePublicOneIsAtCapacity()
    {
        await using var origin = await OriginServer.StartAsync("a");
        var config = EdgeConfigFile.Config(origin);
        config["Edge"]!["Limits"] = new JsonObject { ["MaxConcurrentRequests"] = 1 };
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);

        var held = edge.Public.GetAsync("/slow/1500");
        await Eventually.TrueAsync(() => origin.InFlight == 1, TimeSpan.FromSeconds(5), "the slow request to take the only slot");
        using (var refused = await edge.Public.GetAsync("/other"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        }

        for (var i = 0; i < 5; i++)
        {
            using var ready = await edge.Admin.GetAsync("/readyz");
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }

        using var done = await held;
        Assert.Equal(HttpStatusCode.OK, done.StatusCode);
    }

    [Fact]
    public async Task BodyOverTheEdgeLimit_Gets413_AndTheOriginReceivesNothing()
    {
        await using var origin = await OriginServer.StartAsync("a");
        var config = EdgeConfigFile.Config(origin);
        config["Edge"]!["Limits"] = new JsonObject { ["MaxRequestBodySize"] = 1024 };
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);

        using var tooLarge = await edge.Public.PostAsync("/upload", new ByteArrayContent(new byte[4096]));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        Assert.Equal("application/problem+json", tooLarge.Content.Headers.ContentType?.MediaType);
        Assert.Equal(0, origin.Requests);

        using var fits = await edge.Public.PostAsync("/upload", new ByteArrayContent(new byte[1024]));
        Assert.Equal(HttpStatusCode.OK, fits.StatusCode);
        Assert.Equal(1, origin.Requests);
    }

    [Fact]
    public async Task RoutesOwnBodyLimit_OverridesTheEdgeLimit_BothWays()
    {
        await using var origin = await OriginServer.StartAsync("a");
        var config = EdgeConfigFile.Config(origin);
        var routes = config["ReverseProxy"]!["Routes"]!;
        routes["small"] = new JsonObject { ["ClusterId"] = "main", ["Match"] = new JsonObject { ["Path"] = "/small/{**rest}" }, ["Metadata"] = new JsonObject { ["MaxRequestBodySize"] = "10" } };
        routes["large"] = new JsonObject { ["ClusterId"] = "main", ["Match"] = new JsonObject { ["Path"] = "/large/{**rest}" }, ["Metadata"] = new JsonObject { ["MaxRequestBodySize"] = "100000" } };
        config["Edge"]!["Limits"] = new JsonObject { ["MaxRequestBodySize"] = 1000 };
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);

        using (var response = await edge.Public.PostAsync("/small/x", new ByteArrayContent(new byte[11])))
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        }

        using (var response = await edge.Public.PostAsync("/large/x", new ByteArrayContent(new byte[50_000])))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using (var response = await edge.Public.PostAsync("/other", new ByteArrayContent(new byte[1001])))
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        }

        Assert.Equal(["/large/x"], origin.Paths);
    }

    [Fact]
    public async Task ChunkedBodyGrowingPastTheLimit_Gets413()
    {
        await using var origin = await OriginServer.StartAsync("a");
        var config = EdgeConfigFile.Config(origin);
        config["Edge"]!["Limits"] = new JsonObject { ["MaxRequestBodySize"] = 1000 };
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);

        var chunk = new string('x', 600);
        var request = $"POST /upload HTTP/1.1\r\nHost: edge\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            + $"{chunk.Length:x}\r\n{chunk}\r\n{chunk.Length:x}\r\n{chunk}\r\n0\r\n\r\n";
        var response = await RawHttp.SendRawAsync(edge.PublicUrl, request);
        Assert.StartsWith("HTTP/1.1 413", response, StringComparison.Ordinal);
        Assert.Contains("application/problem+json", response, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HugeHeader_Gets431_LongRequestLine_Gets414_AndTheOriginReceivesNothing()
    {
        await using var origin = await OriginServer.StartAsync("a");
        using var file = new EdgeConfigFile(EdgeConfigFile.Config(origin));
        await using var edge = await EdgeProcess.StartAsync(file.Path);

        var bigHeader = $"GET / HTTP/1.1\r\nHost: edge\r\nX-Big: {new string('a', 64 * 1024)}\r\nConnection: close\r\n\r\n";
        Assert.StartsWith("HTTP/1.1 431", await RawHttp.SendRawAsync(edge.PublicUrl, bigHeader), StringComparison.Ordinal);

        var manyHeaders = new StringBuilder("GET / HTTP/1.1\r\nHost: edge\r\n");
        for (var i = 0; i < 200; i++)
        {
            manyHeaders.Append(System.Globalization.CultureInfo.InvariantCulture, $"X-H{i}: v\r\n");
        }

        Assert.StartsWith("HTTP/1.1 431", await RawHttp.SendRawAsync(edge.PublicUrl, manyHeaders.Append("Connection: close\r\n\r\n").ToString()), StringComparison.Ordinal);

        var (status, _) = await RawHttp.SendAsync(edge.PublicUrl, "GET", "/" + new string('a', 16 * 1024), "edge");
        Assert.Equal(414, status);
        Assert.Equal(0, origin.Requests);
    }

    [Fact]
    public async Task ConnectionsOverTheLimit_AreClosed_WhileTheAdminListenerStillAnswers()
    {
        await using var origin = await OriginServer.StartAsync("a");
        var config = EdgeConfigFile.Config(origin);
        config["Edge"]!["Limits"] = new JsonObject { ["MaxConcurrentConnections"] = 3 };
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);

        var open = new List<TcpClient>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                var client = new TcpClient();
                open.Add(client);
                await client.ConnectAsync(edge.PublicUrl.Host, edge.PublicUrl.Port);
                Assert.StartsWith("HTTP/1.1 200", await KeepAliveGetAsync(client), StringComparison.Ordinal);
            }

            using var extra = new TcpClient();
            string refused;
            try
            {
                await extra.ConnectAsync(edge.PublicUrl.Host, edge.PublicUrl.Port);
                refused = await KeepAliveGetAsync(extra);
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
            {
                // Kestrel accepts and at once resets the connection over the limit; the reset can
                // arrive before the client's connect completes, and the connect then reports it.
                refused = string.Empty;
            }

            Assert.Equal(string.Empty, refused);

            using var ready = await edge.Admin.GetAsync("/readyz");
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }
        finally
        {
            open.ForEach(c => c.Dispose());
        }

        // Closed connections free their places.
        await Eventually.TrueAsync(async () =>
        {
            using var client = new TcpClient();
            try
            {
                await client.ConnectAsync(edge.PublicUrl.Host, edge.PublicUrl.Port);
            }
            catch (SocketException)
            {
                return false;
            }

            return (await KeepAliveGetAsync(client)).StartsWith("HTTP/1.1 200", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(5), "a new connection to be accepted once the others closed");
    }

    /// <summary>Sends one keep-alive GET and returns what arrives before the first response ends, or "" if the edge closed the connection.</summary>
    private static async Task<string> KeepAliveGetAsync(TcpClient client)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var stream = client.GetStream();
        try
        {
            await stream.WriteAsync("GET / HTTP/1.1\r\nHost: edge\r\n\r\n"u8.ToArray(), cts.Token);
            var buffer = new byte[4096];
            var text = new StringBuilder();
            while (!text.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                var read = await stream.ReadAsync(buffer, cts.Token);
                if (read == 0)
                {
                    break;
                }

                text.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }

            return text.ToString();
        }
        catch (Exception ex) when (ex is IOException or SocketException)
        {
            return string.Empty;
        }
    }
}
