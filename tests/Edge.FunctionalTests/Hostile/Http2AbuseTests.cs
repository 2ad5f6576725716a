using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Edge.Testing;
using Xunit.Abstractions;

namespace Edge.FunctionalTests.Hostile;

/// <summary>
/// HTTP/2 clients that cost the server more than they cost themselves, over the h2c listener with
/// a raw frame client: rapid reset, more streams than allowed, a CONTINUATION flood, one huge header
/// field. Each states what the edge may spend: CPU time and resident memory while it lasts.
/// </summary>
[Collection(nameof(HostileTiming))]
public sealed class Http2AbuseTests(ITestOutputHelper output)
{
    private const long MiB = 1024 * 1024;

    /// <summary>
    /// 5000 streams each opened (GET /slow/5000, a request the origin holds 5 s) and cancelled at
    /// once, in writes of 100 pairs, on one connection. Kestrel may end the connection (GOAWAY) or
    /// take every reset; either way the edge spends under 10 s of CPU and 150 MB of extra memory on
    /// it (measured: see docs/reliability.md), cancels what it had started towards the origin (its
    /// in-flight count is 0 within 4 s, before the origin would have answered), and serves the
    /// next client.
    /// </summary>
    [Fact]
    public async Task RapidReset_5000StreamsOpenedAndCancelled_CostIsBounded_AndOriginCallsAreCancelled()
    {
        const int Streams = 5000;
        await using var origin = await OriginServer.StartAsync("a");
        await using var edge = await StartAsync(origin, maxStreams: 100);
        var h2c = H2c(edge);
        await WarmAsync(h2c);
        var (cpu, rss, before) = (ProcessMemory.CpuTime(edge.ProcessId), ProcessMemory.ResidentBytes(edge.ProcessId), origin.Requests);
        var peakRss = rss;

        await using var wire = await Http2Wire.ConnectAsync(h2c);
        var sent = 0;
        var clock = Stopwatch.StartNew();
        while (sent < Streams && clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            var batch = new MemoryStream();
            for (var i = 0; i < 100; i++, sent++)
            {
                var id = wire.Request(batch, $"/slow/5000?reset={sent}");
                Http2Wire.RstStreamFrame(batch, id, Http2Wire.Cancel);
            }

            if (!await wire.SendAsync(batch.ToArray()))
            {
                break;
            }

            peakRss = Math.Max(peakRss, ProcessMemory.ResidentBytes(edge.ProcessId));
        }

        var attack = clock.Elapsed;
        // A PING answered means the edge has read everything sent before it (or the connection is gone).
        await PingAsync(wire);
        var reachedOrigin = origin.Requests - before;
        await Eventually.TrueAsync(async () => (await PrometheusScrape.FetchAsync(edge.Admin)).Value("edge_inflight_requests") == 0,
            TimeSpan.FromSeconds(4), "the edge's in-flight requests to return to 0 (its origin calls cancelled)");
        var cpuSpent = ProcessMemory.CpuTime(edge.ProcessId) - cpu;
        peakRss = Math.Max(peakRss, ProcessMemory.ResidentBytes(edge.ProcessId));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"rapid reset: {sent} streams opened and reset in {attack.TotalSeconds:0.00} s; GOAWAY {wire.GoAwayError?.ToString(CultureInfo.InvariantCulture) ?? "none"}, closed {wire.Closed.IsCompleted}; {reachedOrigin} reached the origin, {wire.Responses} responses started; edge CPU {cpuSpent.TotalSeconds:0.00} s, RSS {rss / MiB} -> peak {peakRss / MiB} MB"));

        // Kestrel (since the CVE-2023-44487 fix) ends a connection that resets streams faster than its apps complete.
        Assert.True(wire.Closed.IsCompleted, "The edge kept a connection that opened and reset 5000 streams.");
        // Measured: none. A stream reaches the origin only if its reset was read after the proxy
        // started; at most the 100 streams the connection may hold could be that far along.
        Assert.True(reachedOrigin <= 100, $"{reachedOrigin} of {sent} cancelled streams reached the origin.");
        Assert.True(cpuSpent < TimeSpan.FromSeconds(10), $"The edge spent {cpuSpent.TotalSeconds:0.0} s of CPU.");
        Assert.True(peakRss - rss < 150 * MiB, $"The edge grew by {(peakRss - rss) / MiB} MB.");
        await AssertServesAsync(h2c);
    }

    /// <summary>
    /// MaxStreamsPerConnection 10; a client opens 50 streams at once to a request the origin holds
    /// 3 s. The edge advertises 10, never has more than 10 of them at the origin, and refuses the
    /// rest (RST_STREAM REFUSED_STREAM) or ends the connection (GOAWAY).
    /// </summary>
    [Fact]
    public async Task Streams_MoreThanMaxStreamsPerConnection_AreRefused_AndAtMostTheLimitReachTheOrigin()
    {
        await using var origin = await OriginServer.StartAsync("a");
        await using var edge = await StartAsync(origin, maxStreams: 10);
        var h2c = H2c(edge);

        await using var wire = await Http2Wire.ConnectAsync(h2c);
        var batch = new MemoryStream();
        for (var i = 0; i < 50; i++)
        {
            wire.Request(batch, $"/slow/3000?stream={i}");
        }

        Assert.True(await wire.SendAsync(batch.ToArray()));
        var maxAtOrigin = 0;
        var clock = Stopwatch.StartNew();
        while (wire.Responses + wire.Resets < 50 && !wire.Closed.IsCompleted && clock.Elapsed < TimeSpan.FromSeconds(15))
        {
            maxAtOrigin = Math.Max(maxAtOrigin, origin.InFlight);
            await Task.WhenAny(wire.Closed, Task.Delay(20));
        }

        output.WriteLine($"50 streams vs a limit of {wire.MaxConcurrentStreams}: {wire.Responses} answered, {wire.Refused} refused, {wire.Resets} reset; GOAWAY {wire.GoAwayError?.ToString(CultureInfo.InvariantCulture) ?? "none"}; at most {maxAtOrigin} at the origin at once, {origin.Requests} in all; {clock.Elapsed.TotalSeconds:0.0} s");

        Assert.Equal(10, wire.MaxConcurrentStreams);
        Assert.True(maxAtOrigin <= 10, $"{maxAtOrigin} requests were at the origin at once.");
        Assert.True(origin.Requests <= 10, $"{origin.Requests} of the 50 streams reached the origin.");
        Assert.True(wire.Refused >= 40 || wire.GoAwayError is not null, $"Only {wire.Refused} streams were refused and there was no GOAWAY.");
        await AssertServesAsync(h2c);
    }

    /// <summary>
    /// One request whose header block never ends: a HEADERS frame without END_HEADERS and then up
    /// to 64 MB of CONTINUATION frames of 1 KB fields. The edge must end the connection long before
    /// (MaxRequestHeadersTotalSize is 32 KB; the socket buffers let a few MB more be written),
    /// forward nothing, and spend under 5 s of CPU and 100 MB of extra memory.
    /// </summary>
    [Fact]
    public async Task ContinuationFlood_ConnectionIsClosed_NothingForwarded_CostIsBounded()
    {
        const long Flood = 64 * MiB;
        await using var origin = await OriginServer.StartAsync("a");
        await using var edge = await StartAsync(origin, maxStreams: 100);
        var h2c = H2c(edge);
        await WarmAsync(h2c);
        var (cpu, rss, before) = (ProcessMemory.CpuTime(edge.ProcessId), ProcessMemory.ResidentBytes(edge.ProcessId), origin.Requests);
        var peakRss = rss;

        await using var wire = await Http2Wire.ConnectAsync(h2c);
        var id = wire.TakeStreamId();
        var first = new MemoryStream();
        Http2Wire.WriteFrame(first, Http2Wire.Headers, Http2Wire.EndStream, id, wire.HeaderBlock("/flood"));
        Assert.True(await wire.SendAsync(first.ToArray()));
        var fields = Enumerable.Range(0, 16).Select(i => ($"x-flood-{i}", new string('a', 1000))).ToArray();
        var frame = new MemoryStream();
        Http2Wire.WriteFrame(frame, Http2Wire.Continuation, 0, id, Http2Wire.Literals(fields));
        var continuation = frame.ToArray();
        var sent = 0L;
        var clock = Stopwatch.StartNew();
        while (sent < Flood && clock.Elapsed < TimeSpan.FromSeconds(20) && await wire.SendAsync(continuation))
        {
            sent += continuation.Length;
            if (sent % (4 * MiB) < continuation.Length)
            {
                peakRss = Math.Max(peakRss, ProcessMemory.ResidentBytes(edge.ProcessId));
            }
        }

        var closed = await Task.WhenAny(wire.Closed, Task.Delay(TimeSpan.FromSeconds(10))) == wire.Closed;
        var cpuSpent = ProcessMemory.CpuTime(edge.ProcessId) - cpu;
        peakRss = Math.Max(peakRss, ProcessMemory.ResidentBytes(edge.ProcessId));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"CONTINUATION flood: {sent / 1024} KB written in {clock.Elapsed.TotalSeconds:0.00} s before the edge closed: {closed}, GOAWAY {wire.GoAwayError?.ToString(CultureInfo.InvariantCulture) ?? "none"}; origin requests {origin.Requests - before}; edge CPU {cpuSpent.TotalSeconds:0.00} s, RSS {rss / MiB} -> peak {peakRss / MiB} MB"));

        Assert.True(closed, "The edge kept the connection open.");
        Assert.True(sent < Flood, "The edge took all 64 MB of header block.");
        Assert.Equal(before, origin.Requests);
        Assert.True(cpuSpent < TimeSpan.FromSeconds(5), $"The edge spent {cpuSpent.TotalSeconds:0.0} s of CPU.");
        Assert.True(peakRss - rss < 100 * MiB, $"The edge grew by {(peakRss - rss) / MiB} MB.");
        await AssertServesAsync(h2c);
    }

    /// <summary>One 20 KB header field (HEADERS plus a CONTINUATION) against Http2:MaxRequestHeaderFieldSize 16 KB: the connection or the stream ends, nothing reaches the origin.</summary>
    [Fact]
    public async Task HeaderField_LargerThanMaxRequestHeaderFieldSize_IsRefused_NothingForwarded()
    {
        await using var origin = await OriginServer.StartAsync("a");
        await using var edge = await StartAsync(origin, maxStreams: 100);
        var h2c = H2c(edge);

        await using var wire = await Http2Wire.ConnectAsync(h2c);
        var block = wire.HeaderBlock("/big-field", ("x-big", new string('b', 20 * 1024)));
        var id = wire.TakeStreamId();
        var frames = new MemoryStream();
        Http2Wire.WriteFrame(frames, Http2Wire.Headers, Http2Wire.EndStream, id, block.AsSpan(0, 16 * 1024));
        Http2Wire.WriteFrame(frames, Http2Wire.Continuation, Http2Wire.EndHeaders, id, block.AsSpan(16 * 1024));
        await wire.SendAsync(frames.ToArray());

        await Eventually.TrueAsync(() => wire.Closed.IsCompleted || wire.Resets > 0 || wire.Responses > 0, TimeSpan.FromSeconds(5), "the edge to answer, reset the stream or close");
        output.WriteLine($"20 KB header field: closed {wire.Closed.IsCompleted}, GOAWAY {wire.GoAwayError?.ToString(CultureInfo.InvariantCulture) ?? "none"}, resets {wire.Resets}, responses {wire.Responses}");

        Assert.Equal(0, wire.Responses);
        Assert.Equal(0, origin.Requests);
        await AssertServesAsync(h2c);
    }

    private static async Task<EdgeProcess> StartAsync(OriginServer origin, int maxStreams)
    {
        var config = EdgeConfigFile.Config(origin);
        config["Edge"]!["Listeners"]!["Public"] = "http://127.0.0.1:0;h2c://127.0.0.1:0";
        config["Edge"]!["Limits"] = new JsonObject { ["Http2"] = new JsonObject { ["MaxStreamsPerConnection"] = maxStreams } };
        config["Edge"]!["Logging"] = new JsonObject { ["RequestLogs"] = false };
        var file = new EdgeConfigFile(config);
        try
        {
            return await EdgeProcess.StartAsync(file.Path);
        }
        finally
        {
            // The edge has read its config; the folder is not needed any more.
            file.Dispose();
        }
    }

    private static Uri H2c(EdgeProcess edge) => edge.PublicUrlOf("h2c");

    /// <summary>Sends a PING and waits (at most 10 s) for the connection to end or its ACK: frames are handled in order.</summary>
    private static async Task PingAsync(Http2Wire wire)
    {
        var ping = new MemoryStream();
        Http2Wire.WriteFrame(ping, Http2Wire.Ping, 0, 0, new byte[8]);
        var before = wire.PingAcks;
        if (await wire.SendAsync(ping.ToArray()))
        {
            await Eventually.TrueAsync(() => wire.PingAcks > before || wire.Closed.IsCompleted, TimeSpan.FromSeconds(10), "the edge to answer a PING or close");
        }
    }

    private static async Task WarmAsync(Uri h2c)
    {
        using var client = TlsProbe.Client(new UriBuilder(h2c) { Scheme = "http" }.Uri, HttpVersion.Version20, HttpVersionPolicy.RequestVersionExact);
        using var response = await client.GetAsync("/warm");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>A fresh HTTP/2 client is served after the attack.</summary>
    private static Task AssertServesAsync(Uri h2c) => WarmAsync(h2c);
}
