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
        Assert.True(edge.Logged("draining"), "The drain is logged.");
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
