using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Edge.Testing;

namespace Edge.FunctionalTests.Streaming;

public sealed class WebSocketTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task WebSocket_Http11_EchoesAndClosesCleanly()
    {
        await using var origin = await StreamingOrigin.StartAsync();
        using var file = new EdgeConfigFile(Config(origin));
        await using var edge = await EdgeProcess.StartAsync(file.Path);
        using var socket = await ConnectAsync(edge);

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal($"hello {i}", await EchoAsync(socket, $"hello {i}"));
        }

        using var cts = new CancellationTokenSource(Deadline);
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", cts.Token);
        Assert.Equal(WebSocketState.Closed, socket.State);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, socket.CloseStatus);
        Assert.Equal(["HTTP/1.1"], origin.WebSocketProtocols);
    }

    [Fact]
    public async Task WebSocket_OriginSpeaksOnlyHttp2_EchoesOverExtendedConnect()
    {
        await using var origin = await StreamingOrigin.StartAsync(http2Only: true);
        var config = Config(origin);
        config["ReverseProxy"]!["Clusters"]!["main"]!["HttpRequest"] = new JsonObject { ["Version"] = "2", ["VersionPolicy"] = "RequestVersionExact" };
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);
        using var socket = await ConnectAsync(edge);

        Assert.Equal("over h2", await EchoAsync(socket, "over h2"));

        using var cts = new CancellationTokenSource(Deadline);
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", cts.Token);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, socket.CloseStatus);
        Assert.Equal(["HTTP/2"], origin.WebSocketProtocols);
    }

    [Fact]
    public async Task WebSocket_OriginDiesMidSession_ClientConnectionEndsPromptly()
    {
        await using var origin = await StreamingOrigin.StartAsync();
        using var file = new EdgeConfigFile(Config(origin));
        await using var edge = await EdgeProcess.StartAsync(file.Path);
        using var socket = await ConnectAsync(edge);
        Assert.Equal("before", await EchoAsync(socket, "before"));

        var receive = ReceiveEndAsync(socket);
        var started = TimeProvider.System.GetTimestamp();
        await origin.KillAsync();

        // A close frame or a broken connection are both a clean end; a hang is not.
        var ended = await Task.WhenAny(receive, Task.Delay(TimeSpan.FromSeconds(5)));
        Assert.True(ended == receive, "The client's connection did not end within 5 s of the origin dying.");
        Assert.True(TimeProvider.System.GetElapsedTime(started) < TimeSpan.FromSeconds(5));
        Assert.NotEqual(WebSocketState.Open, socket.State);
    }

    [Fact]
    public async Task WebSocket_IdleLongerThanIdleTimeout_IsClosed()
    {
        await using var origin = await StreamingOrigin.StartAsync();
        var config = Config(origin);
        // 2 s: the idle timeout also covers the upgrade itself, and a fresh edge's first upgrade
        // (cold code, a new origin connection) on a busy test machine was seen to take over 1 s.
        config["Edge"]!["WebSockets"] = new JsonObject { ["IdleTimeout"] = "00:00:02" };
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);
        using (var warm = await ConnectAsync(edge))
        {
            // The first upgrade through a fresh edge, so the one measured below is not also its first.
            Assert.Equal("warm", await EchoAsync(warm, "warm"));
        }

        using var socket = await ConnectAsync(edge);
        Assert.Equal("ping", await EchoAsync(socket, "ping"));

        var idleSince = TimeProvider.System.GetTimestamp();
        var receive = ReceiveEndAsync(socket);
        var ended = await Task.WhenAny(receive, Task.Delay(TimeSpan.FromSeconds(10)));
        var idle = TimeProvider.System.GetElapsedTime(idleSince);

        Assert.True(ended == receive, "An idle WebSocket was still open 10 s after its last message (idle timeout 2 s).");
        Assert.True(idle >= TimeSpan.FromMilliseconds(1900), $"Closed after {idle.TotalMilliseconds:0} ms, before the 2 s idle timeout.");
        Assert.NotEqual(WebSocketState.Open, socket.State);
    }

    [Fact]
    public async Task WebSocket_ActiveLongerThanRequestTimeoutAndIdleTimeout_StaysOpen()
    {
        await using var origin = await StreamingOrigin.StartAsync();
        var config = Config(origin);
        config["Edge"]!["Resilience"] = new JsonObject { ["RequestTimeout"] = "00:00:01" };
        // Idle 2 s against a message every 250 ms: a busy test machine can stretch one 250 ms delay
        // past a second, and the socket must not look idle for that.
        config["Edge"]!["WebSockets"] = new JsonObject { ["IdleTimeout"] = "00:00:02" };
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);
        using var socket = await ConnectAsync(edge);

        // 3 s of traffic, a message every 250 ms: three times the request timeout and longer than the idle timeout, never idle for 2 s.
        var started = TimeProvider.System.GetTimestamp();
        for (var i = 0; TimeProvider.System.GetElapsedTime(started) < TimeSpan.FromSeconds(3); i++)
        {
            Assert.Equal($"message {i}", await EchoAsync(socket, $"message {i}"));
            await Task.Delay(250);
        }

        Assert.Equal(WebSocketState.Open, socket.State);
        using var cts = new CancellationTokenSource(Deadline);
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", cts.Token);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, socket.CloseStatus);
    }

    internal static JsonObject Config(StreamingOrigin origin)
        => EdgeConfigFile.Config(("origin", origin.Url));

    private static async Task<ClientWebSocket> ConnectAsync(EdgeProcess edge)
    {
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        var url = new UriBuilder(edge.PublicUrl) { Scheme = "ws", Path = "/ws" }.Uri;
        using var cts = new CancellationTokenSource(Deadline);
        await socket.ConnectAsync(url, cts.Token);
        return socket;
    }

    private static async Task<string> EchoAsync(ClientWebSocket socket, string text)
    {
        using var cts = new CancellationTokenSource(Deadline);
        await socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, cts.Token);
        var buffer = new byte[4096];
        var received = await socket.ReceiveAsync(buffer, cts.Token);
        Assert.Equal(WebSocketMessageType.Text, received.MessageType);
        return Encoding.UTF8.GetString(buffer, 0, received.Count);
    }

    /// <summary>Waits for the connection to end: a close frame, or an exception when it broke.</summary>
    private static async Task ReceiveEndAsync(ClientWebSocket socket)
    {
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                var received = await socket.ReceiveAsync(buffer, CancellationToken.None);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }
            }
        }
        catch (WebSocketException)
        {
            // The connection broke: that is an end too.
        }
    }
}
