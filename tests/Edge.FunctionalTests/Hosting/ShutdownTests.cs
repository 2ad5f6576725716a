using System.Net;
using Edge.Testing;

namespace Edge.FunctionalTests.Hosting;

public sealed class ShutdownTests
{
    [Fact]
    public async Task Sigterm_DuringInflightRequest_RequestFinishesReadinessTurns503AndExitCodeIs0()
    {
        await using var a = await OriginServer.StartAsync("a");
        var config = EdgeConfigFile.Config(a);
        config["Edge"]!["Shutdown"]!["DrainDelay"] = "00:00:01";
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);

        var inflight = edge.Public.GetAsync("/slow/2000");
        await Eventually.TrueAsync(() => a.InFlight == 1, TimeSpan.FromSeconds(5), "the slow request to reach the origin");
        edge.Signal(EdgeProcess.SIGTERM);

        await Eventually.TrueAsync(async () => (await edge.Admin.GetAsync("/readyz")).StatusCode == HttpStatusCode.ServiceUnavailable,
            TimeSpan.FromMilliseconds(500), "readiness to turn 503");
        using (var duringDrain = await edge.Public.GetAsync("/during-drain"))
        {
            Assert.Equal(HttpStatusCode.OK, duringDrain.StatusCode);
        }

        using var response = await inflight;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("a", await response.Content.ReadAsStringAsync());
        Assert.Equal(0, await edge.WaitForExitAsync(TimeSpan.FromSeconds(15)));
        await edge.WaitForLogAsync("draining");
    }

    /// <summary>
    /// During the drain delay a kept-alive connection gets its answer with <c>Connection: close</c>
    /// and is then closed by the edge, so no client sends on it while Kestrel shuts it.
    /// </summary>
    [Fact]
    public async Task Sigterm_DuringDrainDelay_KeptAliveConnectionAnsweredWithConnectionClose_ThenClosed()
    {
        await using var a = await OriginServer.StartAsync("a");
        var config = EdgeConfigFile.Config(a);
        config["Edge"]!["Shutdown"]!["DrainDelay"] = "00:00:05";
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);
        var opened = 0;
        using var client = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            ConnectCallback = async (context, cancellationToken) =>
            {
                Interlocked.Increment(ref opened);
                var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
            },
        })
        { BaseAddress = edge.PublicUrl };

        using (var before = await client.GetAsync("/before"))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
            Assert.False(before.Headers.ConnectionClose ?? false);
        }

        edge.Signal(EdgeProcess.SIGTERM);
        await Eventually.TrueAsync(async () => (await edge.Admin.GetAsync("/readyz")).StatusCode == HttpStatusCode.ServiceUnavailable,
            TimeSpan.FromSeconds(2), "readiness to turn 503");
        using (var first = await client.GetAsync("/draining-1"))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            Assert.True(first.Headers.ConnectionClose, "the first answer while draining says Connection: close");
        }

        using (var second = await client.GetAsync("/draining-2"))
        {
            Assert.Equal(HttpStatusCode.OK, second.StatusCode);
            Assert.True(second.Headers.ConnectionClose);
        }

        // The kept-alive connection served /before and /draining-1; /draining-2 needed a new one.
        Assert.Equal(2, opened);
        Assert.Equal(0, await edge.WaitForExitAsync(TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public async Task Sigterm_AfterDrainDelay_StopsAccepting()
    {
        await using var a = await OriginServer.StartAsync("a");
        var config = EdgeConfigFile.Config(a);
        config["Edge"]!["Shutdown"]!["DrainDelay"] = "00:00:00.300";
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);
        var publicUrl = edge.PublicUrl;

        edge.Signal(EdgeProcess.SIGTERM);

        Assert.Equal(0, await edge.WaitForExitAsync(TimeSpan.FromSeconds(10)));
        using var fresh = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        await Assert.ThrowsAsync<HttpRequestException>(() => fresh.GetAsync(publicUrl));
    }
}
