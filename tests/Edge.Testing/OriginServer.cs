using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Edge.Testing;

/// <summary>
/// A real Kestrel origin on a loopback port. Every answer names the origin (body and
/// <c>X-Origin</c> header), so a test can tell which destination served a request.
/// <c>/slow/{ms}</c> answers after a delay; <c>/health</c> answers with <see cref="HealthStatus"/>.
/// It listens on 127.0.0.1 by default; another loopback address (127.0.0.2...) lets two origins
/// share a port, so a host name can move between them. With a certificate it speaks https.
/// </summary>
public sealed class OriginServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _requests;

    private OriginServer(string name, WebApplication app)
    {
        Name = name;
        _app = app;
    }

    public string Name { get; }

    public Uri Url { get; private set; } = null!;

    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Paths as the origin received them (after the edge's transforms).</summary>
    public ConcurrentQueue<string> Paths { get; } = new();

    /// <summary>Request targets exactly as they arrived on the wire, before Kestrel decoded them.</summary>
    public ConcurrentQueue<string> RawTargets { get; } = new();

    /// <summary>When set and it returns true, it has answered the request (status and headers); the origin adds nothing.</summary>
    public Func<HttpContext, bool>? Handle { get; set; }

    /// <summary>Each request's headers as the origin received them, in arrival order.</summary>
    public ConcurrentQueue<IReadOnlyDictionary<string, string>> Headers { get; } = new();

    /// <summary>The HTTP version of each request as the origin received it ("HTTP/1.1", "HTTP/2"), in arrival order.</summary>
    public ConcurrentQueue<string> Protocols { get; } = new();

    /// <summary>TLS server names (SNI) clients asked for, in order; empty when a client sent none (https only).</summary>
    public ConcurrentQueue<string> ServerNames { get; } = new();

    /// <summary>Requests that reached the origin and have not been answered yet.</summary>
    public int InFlight => _inFlight;

    public int HealthStatus { get; set; } = 200;

    /// <summary>The status every other answer carries; 200 unless a test makes the origin fail.</summary>
    public int Status { get; set; } = 200;

    /// <summary>When above 0, every FailEvery-th of those answers is a 500 instead (5: 20 % errors).</summary>
    public int FailEvery { get; set; }

    private int _answers;

    private int _inFlight;
    private int _disposed;

    /// <param name="protocols">What the listener speaks; Kestrel's default (HTTP/1.1, and HTTP/2 too over TLS) when unset. <c>Http2</c> without a certificate is h2c.</param>
    public static async Task<OriginServer> StartAsync(string name, IPEndPoint? endpoint = null, X509Certificate2? certificate = null, HttpProtocols? protocols = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        OriginServer? started = null;
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(k => k.Listen(endpoint ?? new IPEndPoint(IPAddress.Loopback, 0), listen =>
        {
            if (protocols is { } speaks)
            {
                listen.Protocols = speaks;
            }

            if (certificate is not null)
            {
                listen.UseHttps(new HttpsConnectionAdapterOptions
                {
                    ServerCertificateSelector = (_, serverName) =>
                    {
                        started?.ServerNames.Enqueue(serverName ?? string.Empty);
                        return certificate;
                    },
                });
            }
        }));
        var app = builder.Build();
        var origin = started = new OriginServer(name, app);
        app.Use(async (context, next) =>
        {
            Interlocked.Increment(ref origin._requests);
            Interlocked.Increment(ref origin._inFlight);
            origin.Paths.Enqueue(context.Request.Path.Value + context.Request.QueryString);
            origin.RawTargets.Enqueue(context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()!.RawTarget);
            origin.Protocols.Enqueue(context.Request.Protocol);
            origin.Headers.Enqueue(context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase));
            context.Response.Headers["X-Origin"] = name;
            try
            {
                if (origin.Handle?.Invoke(context) == true)
                {
                    return;
                }

                await next(context);
            }
            finally
            {
                Interlocked.Decrement(ref origin._inFlight);
            }
        });
        app.MapGet("/slow/{ms:int}", async (int ms) =>
        {
            await Task.Delay(ms);
            return Results.Text(name);
        });
        app.MapGet("/health", () => Results.Text(name, statusCode: origin.HealthStatus));
        app.MapFallback(() =>
        {
            var failEvery = origin.FailEvery;
            var fail = failEvery > 0 && Interlocked.Increment(ref origin._answers) % failEvery == 0;
            return Results.Text(name, statusCode: fail ? 500 : origin.Status);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        origin.Url = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("localhost", "127.0.0.1", StringComparison.Ordinal) + "/");
        return origin;
    }

    /// <summary>Stops at once, aborting requests in flight and refusing new connections, as a crashed process would.</summary>
    public async Task KillAsync()
    {
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

        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
