using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Edge.Testing;
using Xunit.Abstractions;

namespace Edge.FunctionalTests.Hostile;

/// <summary>Clients that upload or read a body at a few bytes per second, holding an origin connection hostage.</summary>
/// <remarks>Its bounds are seconds on Kestrel's 1 s heartbeat: run in parallel with the header and smuggling tables on 2 cores, the upload was cut only after 8.4 s (bound 6 s).</remarks>
[Collection(nameof(HostileTiming))]
public sealed class SlowTransferTests(ITestOutputHelper output)
{
    /// <summary>
    /// MinRequestBodyDataRate 240 bytes/s (the default) with a 2 s grace; the client declares
    /// 100 000 bytes and sends 4 bytes/s. The edge must cut it within grace + 4 s, the origin must
    /// see its request body end short, and the next request is served with nothing left in flight.
    /// </summary>
    [Fact]
    public async Task SlowUpload_4BytesPerSecond_IsCutByMinRequestBodyDataRate_AndTheOriginRequestIsAborted()
    {
        await using var origin = FramingOrigin.Start();
        using var file = new EdgeConfigFile(Config(origin, new JsonObject { ["MinRequestBodyDataRateGracePeriod"] = "00:00:02" }));
        await using var edge = await EdgeProcess.StartAsync(file.Path);

        using var client = new TcpClient();
        await client.ConnectAsync(edge.PublicUrl.Host, edge.PublicUrl.Port);
        var stream = client.GetStream();
        var clock = Stopwatch.StartNew();
        await stream.WriteAsync("POST /upload HTTP/1.1\r\nHost: edge\r\nContent-Length: 100000\r\n\r\n"u8.ToArray());
        var reading = ReadUntilClosedAsync(stream, TimeSpan.FromSeconds(15));
        var sent = 0;
        try
        {
            while (!reading.IsCompleted && clock.Elapsed < TimeSpan.FromSeconds(15))
            {
                await stream.WriteAsync("x"u8.ToArray());
                sent++;
                await Task.WhenAny(reading, Task.Delay(250));
            }
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            // The edge closed the connection under the write.
        }

        var answer = await reading;
        var cutAfter = clock.Elapsed;
        await Eventually.TrueAsync(() => !origin.Requests.IsEmpty, TimeSpan.FromSeconds(5), "the origin to see the request end");
        var seen = Assert.Single(origin.Requests);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"slow upload: {sent} bytes sent, cut after {cutAfter.TotalSeconds:0.0} s with '{FirstLine(answer)}'; the origin got {seen.Body.Length} of 100000 body bytes, complete: {seen.Complete}"));

        Assert.True(answer.Length == 0 || answer.StartsWith("HTTP/1.1 408", StringComparison.Ordinal) || answer.StartsWith("HTTP/1.1 400", StringComparison.Ordinal), answer);
        Assert.True(cutAfter < TimeSpan.FromSeconds(6), $"The slow upload ran {cutAfter.TotalSeconds:0.0} s.");
        Assert.False(seen.Complete);
        Assert.True(seen.Body.Length < 100, $"The origin got {seen.Body.Length} bytes.");
        await AssertServesAndNothingInFlightAsync(edge, origin);
    }

    /// <summary>
    /// MinResponseDataRate 1 MB/s with a 2 s grace; the origin sends 64 MB and the client (a 4 KB
    /// receive buffer) reads 100 bytes/s. Within 12 s the edge must abandon the origin's response (the
    /// origin sees its write fail and the connection close) and end the client's stream short, with
    /// nothing left in flight.
    /// Kestrel gives the response's writes max(grace, bytes / rate), accumulated, and counts bytes
    /// the kernel took as written: on Linux the edge's send buffer autotunes up to 4 MB
    /// (tcp_wmem), about 3 MB of it filled here before the reader's window closed, so only a rate
    /// of this order cuts a stalled reader within seconds (see docs/reliability.md).
    /// </summary>
    [Fact]
    public async Task SlowReader_100BytesPerSecond_IsCutByMinResponseDataRate_AndTheOriginResponseIsAbandoned()
    {
        await using var origin = FramingOrigin.Start();
        using var file = new EdgeConfigFile(Config(origin, new JsonObject { ["MinResponseDataRate"] = 1048576, ["MinResponseDataRateGracePeriod"] = "00:00:02" }));
        await using var edge = await EdgeProcess.StartAsync(file.Path);

        using var client = new TcpClient { ReceiveBufferSize = 4096 };
        await client.ConnectAsync(edge.PublicUrl.Host, edge.PublicUrl.Port);
        var stream = client.GetStream();
        var clock = Stopwatch.StartNew();
        await stream.WriteAsync("GET /bytes/67108864 HTTP/1.1\r\nHost: edge\r\n\r\n"u8.ToArray());
        var received = 0L;
        var buffer = new byte[100];
        while (origin.ResponsesCut == 0 && clock.Elapsed < TimeSpan.FromSeconds(15))
        {
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            received += await stream.ReadAsync(buffer, wait.Token);
            await Task.Delay(1000);
        }

        var cutAfter = clock.Elapsed;
        var slowlyRead = received;

        // The edge has closed its side; what its kernel still holds drains fast, then the stream ends short.
        var drain = new byte[64 * 1024];
        var ended = false;
        using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            try
            {
                for (var read = 1; read > 0; received += read)
                {
                    read = await stream.ReadAsync(drain, deadline.Token);
                }

                ended = true;
            }
            catch (Exception e) when (e is IOException or SocketException)
            {
                ended = true;
            }
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"slow reader: read {slowlyRead} bytes at 100 bytes/s; the edge abandoned the origin's response after {cutAfter.TotalSeconds:0.0} s; the client then drained {received - slowlyRead} bytes the kernel still held (of 67108864) and saw the end: {ended}; origin connections open: {origin.OpenConnections}"));

        Assert.Equal(1, origin.ResponsesCut);
        Assert.True(cutAfter < TimeSpan.FromSeconds(12), $"The origin's response was abandoned only after {cutAfter.TotalSeconds:0.0} s.");
        Assert.True(ended, "The client's connection did not end.");
        Assert.True(received < 67108864, "The whole body arrived.");
        await Eventually.TrueAsync(() => origin.OpenConnections == 0, TimeSpan.FromSeconds(5), "the edge's connection to the origin to close");
        await AssertServesAndNothingInFlightAsync(edge, origin);
    }

    private static JsonObject Config(FramingOrigin origin, JsonObject limits)
    {
        var config = EdgeConfigFile.Config(("raw", origin.Url));
        config["Edge"]!["Limits"] = limits;
        return config;
    }

    private static async Task AssertServesAndNothingInFlightAsync(EdgeProcess edge, FramingOrigin origin)
    {
        using (var next = await edge.Public.GetAsync("/after"))
        {
            Assert.Equal(HttpStatusCode.OK, next.StatusCode);
            Assert.Equal("ok", await next.Content.ReadAsStringAsync());
        }

        Assert.Contains(origin.Requests, r => r.Line == "GET /after HTTP/1.1");
        await Eventually.TrueAsync(async () => (await PrometheusScrape.FetchAsync(edge.Admin)).Value("edge_inflight_requests") == 0,
            TimeSpan.FromSeconds(5), "edge_inflight_requests to return to 0");
    }

    private static string FirstLine(string text) => text.Split("\r\n")[0];

    private static async Task<string> ReadUntilClosedAsync(NetworkStream stream, TimeSpan deadline)
    {
        using var cts = new CancellationTokenSource(deadline);
        var text = new StringBuilder();
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                var read = await stream.ReadAsync(buffer, cts.Token);
                if (read == 0)
                {
                    return text.ToString();
                }

                text.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            return text.ToString();
        }
    }
}
