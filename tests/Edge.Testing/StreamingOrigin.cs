using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Edge.Testing;

/// <summary>
/// A real Kestrel origin for long-lived exchanges: <c>/ws</c> echoes WebSocket messages,
/// <c>/sse</c> is a server-sent event stream whose events the test sends (each stamped with the
/// moment it was written), and <c>/poll/{ms}</c> and <c>/hold/{ms}</c> are long polls answered after the delay. With
/// <c>http2Only</c> it speaks HTTP/2 without TLS (prior knowledge), so WebSockets reach it as
/// extended CONNECT (RFC 8441).
/// </summary>
public sealed class StreamingOrigin : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Channel<(string Data, TaskCompletionSource<long> Written)> _events = Channel.CreateUnbounded<(string, TaskCompletionSource<long>)>();
    private readonly ConcurrentDictionary<HttpContext, byte> _live = new();
    private readonly TaskCompletionSource _subscribed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _disposed;

    private StreamingOrigin(WebApplication app) => _app = app;

    public Uri Url { get; private set; } = null!;

    /// <summary>The HTTP protocol ("HTTP/1.1", "HTTP/2") of each WebSocket request, in arrival order.</summary>
    public ConcurrentQueue<string> WebSocketProtocols { get; } = new();

    /// <summary>Completes once an event stream has sent its headers and waits for events.</summary>
    public Task Subscribed => _subscribed.Task;

    public static async Task<StreamingOrigin> StartAsync(bool http2Only = false)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = http2Only ? HttpProtocols.Http2 : HttpProtocols.Http1));
        var app = builder.Build();
        var origin = new StreamingOrigin(app);
        app.UseWebSockets();
        app.Use(async (context, next) =>
        {
            origin._live.TryAdd(context, 0);
            try
            {
                await next(context);
            }
            finally
            {
                origin._live.TryRemove(context, out _);
            }
        });
        app.Map("/ws", origin.EchoAsync);
        app.MapGet("/sse", origin.EventStreamAsync);
        app.MapGet("/poll/{ms:int}", PollAsync);
        app.MapGet("/hold/{ms:int}", PollAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        origin.Url = new Uri(address.Replace("localhost", "127.0.0.1", StringComparison.Ordinal) + "/");
        return origin;
    }

    /// <summary>Has the event stream write <c>data: DATA</c>; returns the timestamp (<see cref="Stopwatch.GetTimestamp"/>) taken just before the write.</summary>
    public async Task<long> SendEventAsync(string data)
    {
        var written = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        await _events.Writer.WriteAsync((data, written));
        return await written.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>Dies as a crashed process would: every open connection is cut, nothing more is accepted.</summary>
    public async Task KillAsync()
    {
        foreach (var context in _live.Keys)
        {
            context.Abort();
        }

        using var now = new CancellationTokenSource();
        await now.CancelAsync();
        await _app.StopAsync(now.Token);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _events.Writer.TryComplete();
        foreach (var context in _live.Keys)
        {
            context.Abort();
        }

        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static async Task<IResult> PollAsync(int ms, CancellationToken aborted)
    {
        await Task.Delay(ms, aborted);
        return Results.Text("polled");
    }

    private async Task EchoAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        WebSocketProtocols.Enqueue(context.Request.Protocol);
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var buffer = new byte[4096];
        while (true)
        {
            var received = await socket.ReceiveAsync(buffer, context.RequestAborted);
            if (received.MessageType == WebSocketMessageType.Close)
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", context.RequestAborted);
                return;
            }

            await socket.SendAsync(buffer.AsMemory(0, received.Count), received.MessageType, received.EndOfMessage, context.RequestAborted);
        }
    }

    private async Task EventStreamAsync(HttpContext context)
    {
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        await context.Response.Body.FlushAsync(context.RequestAborted);
        _subscribed.TrySetResult();
        await foreach (var (data, written) in _events.Reader.ReadAllAsync(context.RequestAborted))
        {
            var stamp = Stopwatch.GetTimestamp();
            await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes($"data: {data}\n\n"), context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            written.TrySetResult(stamp);
        }
    }
}
