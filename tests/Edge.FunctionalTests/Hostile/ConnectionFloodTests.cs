using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Edge.Testing;
using Xunit.Abstractions;

namespace Edge.FunctionalTests.Hostile;

/// <summary>More TCP connections than <c>Edge:Limits:MaxConcurrentConnections</c>, held open and silent.</summary>
[Collection(nameof(HostileTiming))]
public sealed class ConnectionFloodTests(ITestOutputHelper output)
{
    private const int Limit = 100;
    private const int Flood = 1000;
    private const long MiB = 1024 * 1024;

    /// <summary>
    /// 1000 connections against a limit of 100: at most 100 stay open, every other one is closed by
    /// the edge within 10 s (it closes them before reading a byte), the edge grows by under 100 MB,
    /// the admin listener answers /healthz within 2 s meanwhile, a new public connection is refused
    /// while the flood holds the slots, and the public listener serves again once the flood ends.
    /// </summary>
    [Fact]
    public async Task ConnectionFlood_1000AgainstALimitOf100_ExcessClosed_AdminStillAnswers_ServesAfterwards()
    {
        await using var origin = await OriginServer.StartAsync("a");
        var config = EdgeConfigFile.Config(origin);
        config["Edge"]!["Limits"] = new JsonObject { ["MaxConcurrentConnections"] = Limit };
        config["Edge"]!["Logging"] = new JsonObject { ["RequestLogs"] = false };
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);
        Assert.Equal(200, (await RawHttp.SendAsync(edge.PublicUrl, "GET", "/warm", "edge")).Status);
        var rss = ProcessMemory.ResidentBytes(edge.ProcessId);
        var cpu = ProcessMemory.CpuTime(edge.ProcessId);

        using var holding = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var clients = new List<TcpClient>();
        var closings = new List<Task<TimeSpan?>>();
        var clock = Stopwatch.StartNew();
        try
        {
            for (var opened = 0; opened < Flood; opened += 50)
            {
                var batch = Enumerable.Range(0, 50).Select(_ => new TcpClient()).ToList();
                clients.AddRange(batch);
                closings.AddRange(await Task.WhenAll(batch.Select(c => ConnectAsync(c, edge.PublicUrl, holding.Token))));
            }

            var connected = clock.Elapsed;
            await Eventually.TrueAsync(() => closings.Count(t => t.IsCompleted) >= Flood - Limit, TimeSpan.FromSeconds(10), $"{Flood - Limit} connections to be closed by the edge");
            var peakRss = ProcessMemory.ResidentBytes(edge.ProcessId);

            var health = Stopwatch.StartNew();
            using var admin = await edge.Admin.GetAsync("/healthz");
            var healthTook = health.Elapsed;
            var (refusedAnswer, refusedClosed) = await RawHttp.ExchangeAsync(edge.PublicUrl, Get("/during"), TimeSpan.FromSeconds(10));
            var refusedStatus = RawHttp.Status(refusedAnswer);
            var held = closings.Count(t => !t.IsCompleted);
            var slowestClose = closings.Where(t => t.IsCompleted).Max(t => t.Result ?? TimeSpan.Zero);
            var cpuSpent = ProcessMemory.CpuTime(edge.ProcessId) - cpu;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{Flood} connections opened in {connected.TotalSeconds:0.00} s against a limit of {Limit}: {held} held open, {Flood - held} closed by the edge (the slowest {slowestClose.TotalMilliseconds:0} ms after connecting); "
                + $"RSS {rss / MiB} -> {peakRss / MiB} MB, CPU {cpuSpent.TotalSeconds:0.00} s; admin /healthz {(int)admin.StatusCode} in {healthTook.TotalMilliseconds:0} ms; a new public request meanwhile: {(refusedStatus == 0 ? "closed without an answer" : refusedStatus.ToString(CultureInfo.InvariantCulture))}, origin requests {origin.Requests}"));

            Assert.True(held <= Limit, $"{held} connections were held open; the limit is {Limit}.");
            Assert.Equal(HttpStatusCode.OK, admin.StatusCode);
            Assert.True(healthTook < TimeSpan.FromSeconds(2), $"/healthz took {healthTook.TotalMilliseconds:0} ms during the flood.");
            Assert.True(refusedClosed, "A new public connection was left open during the flood.");
            Assert.Equal(string.Empty, refusedAnswer);
            Assert.True(peakRss - rss < 100 * MiB, $"The edge grew by {(peakRss - rss) / MiB} MB.");
            Assert.Equal(1, origin.Requests);
        }
        finally
        {
            await holding.CancelAsync();
            clients.ForEach(c => c.Dispose());
        }

        // The held slots free up as the edge notices the closes.
        await Eventually.TrueAsync(async () => RawHttp.Status((await RawHttp.ExchangeAsync(edge.PublicUrl, Get("/after"), TimeSpan.FromSeconds(5))).Response) == 200,
            TimeSpan.FromSeconds(10), "the public listener to serve again after the flood");
        Assert.Equal(2, origin.Requests);
    }

    private static byte[] Get(string path) => System.Text.Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: edge\r\nConnection: close\r\n\r\n");

    /// <summary>Connects and starts watching for the edge's close; a connection the edge resets while it is still being set up counts as closed at once.</summary>
    private static async Task<Task<TimeSpan?>> ConnectAsync(TcpClient client, Uri edge, CancellationToken holding)
    {
        try
        {
            await client.ConnectAsync(edge.Host, edge.Port, holding);
        }
        catch (SocketException)
        {
            return Task.FromResult<TimeSpan?>(TimeSpan.Zero);
        }

        return ClosedByTheEdgeAsync(client, holding);
    }

    /// <summary>Completes with the time to the close when the edge closes (or resets) the connection; null when the test stops holding it.</summary>
    private static async Task<TimeSpan?> ClosedByTheEdgeAsync(TcpClient client, CancellationToken holding)
    {
        var since = Stopwatch.StartNew();
        var buffer = new byte[64];
        try
        {
            while (await client.GetStream().ReadAsync(buffer, holding) > 0)
            {
                // The edge sends nothing to a silent connection; any bytes are read and ignored.
            }

            return since.Elapsed;
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            return since.Elapsed;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }
}
