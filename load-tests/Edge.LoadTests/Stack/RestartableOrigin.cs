using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Edge.LoadTests.Stack;

/// <summary>
/// An origin on a fixed loopback port that can be killed (listener closed, connections aborted,
/// as a crashed process) and started again on the same port, as a restarted process. Every answer
/// carries <c>X-Origin</c>. <c>/health</c> answers 200; <c>/blob</c> a fixed body of
/// <see cref="BlobSize"/> bytes; <c>POST /echo</c> the request body back; <c>/stream</c>
/// <see cref="StreamSize"/> bytes in chunks over about 200 ms (for drains); anything else the
/// origin's name.
/// </summary>
internal sealed class RestartableOrigin : IAsyncDisposable
{
    public const int BlobSize = 16 * 1024;
    public const int StreamSize = 32 * 1024;
    private const int StreamChunks = 8;
    private static readonly TimeSpan StreamPause = TimeSpan.FromMilliseconds(25);

    private readonly Lock _lock = new();
    private WebApplication? _app;
    private int _requests;

    private RestartableOrigin(string name, int port)
    {
        Name = name;
        Port = port;
        Url = new Uri($"http://127.0.0.1:{port}/");
    }

    public string Name { get; }

    public int Port { get; }

    public Uri Url { get; }

    public int Requests => Volatile.Read(ref _requests);

    public bool IsUp
    {
        get
        {
            lock (_lock)
            {
                return _app is not null;
            }
        }
    }

    /// <summary>The bytes <c>/blob</c> answers and the first <see cref="StreamSize"/> of which <c>/stream</c> answers: a pattern a client can check.</summary>
    public static byte[] Pattern(int length)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
        {
            bytes[i] = (byte)((i * 31) + (i >> 8));
        }

        return bytes;
    }

    public static readonly byte[] BlobHash = SHA256.HashData(Pattern(BlobSize));

    public static readonly byte[] StreamHash = SHA256.HashData(Pattern(StreamSize));

    /// <summary>Starts on a free loopback port, which it keeps across restarts.</summary>
    public static async Task<RestartableOrigin> StartAsync(string name)
    {
        var origin = new RestartableOrigin(name, FreePort());
        await origin.StartAsync().ConfigureAwait(false);
        return origin;
    }

    /// <summary>A loopback port nothing listens on now (the OS's choice for port 0, released).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Starts listening again on the same port.</summary>
    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, Port));
        var app = builder.Build();
        var blob = Pattern(BlobSize);
        var stream = Pattern(StreamSize);
        app.Use(async (context, next) =>
        {
            Interlocked.Increment(ref _requests);
            context.Response.Headers["X-Origin"] = Name;
            await next(context).ConfigureAwait(false);
        });
        app.MapGet("/health", () => Results.Text(Name));
        app.MapGet("/blob", () => Results.Bytes(blob, "application/octet-stream"));
        app.MapPost("/echo", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted).ConfigureAwait(false);
            return Results.Bytes(body.ToArray(), "application/octet-stream");
        });
        app.MapGet("/stream", async (HttpContext context) =>
        {
            context.Response.ContentType = "application/octet-stream";
            context.Response.ContentLength = StreamSize;
            var chunk = StreamSize / StreamChunks;
            for (var i = 0; i < StreamChunks; i++)
            {
                await context.Response.Body.WriteAsync(stream.AsMemory(i * chunk, chunk), context.RequestAborted).ConfigureAwait(false);
                await context.Response.Body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
                await Task.Delay(StreamPause, context.RequestAborted).ConfigureAwait(false);
            }
        });
        app.MapFallback(() => Results.Text(Name));
        await app.StartAsync().ConfigureAwait(false);
        lock (_lock)
        {
            _app = app;
        }
    }

    /// <summary>Stops at once, aborting requests in flight and refusing new connections, as a crashed process would.</summary>
    public async Task KillAsync()
    {
        WebApplication? app;
        lock (_lock)
        {
            app = _app;
            _app = null;
        }

        if (app is null)
        {
            return;
        }

        using var now = new CancellationTokenSource();
        await now.CancelAsync().ConfigureAwait(false);
        await app.StopAsync(now.Token).ConfigureAwait(false);
        await app.DisposeAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        WebApplication? app;
        lock (_lock)
        {
            app = _app;
            _app = null;
        }

        if (app is not null)
        {
            await app.StopAsync().ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
        }
    }
}
