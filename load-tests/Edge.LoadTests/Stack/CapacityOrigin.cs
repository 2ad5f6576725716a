using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Edge.LoadTests.Stack;

/// <summary>
/// An origin of fixed capacity on a loopback port: <c>/work</c> takes <paramref name="work"/>
/// with at most <paramref name="concurrency"/> at a time (the rest wait their turn, as on a real
/// saturated server); <c>/fast</c> answers at once. It records the most requests it held at once.
/// </summary>
internal sealed class CapacityOrigin : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _inFlight;
    private int _maxInFlight;

    private CapacityOrigin(WebApplication app) => _app = app;

    public Uri Url { get; private set; } = null!;

    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    public static async Task<CapacityOrigin> StartAsync(int concurrency, TimeSpan work)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var origin = new CapacityOrigin(app);
        var slots = new SemaphoreSlim(concurrency);
        app.MapGet("/work", async () =>
        {
            origin.Enter();
            await slots.WaitAsync().ConfigureAwait(false);
            try
            {
                await Task.Delay(work).ConfigureAwait(false);
                return Results.Text("done\n");
            }
            finally
            {
                Interlocked.Decrement(ref origin._inFlight);
                slots.Release();
            }
        });
        app.MapGet("/fast", () => Results.Text("fast\n"));
        app.MapGet("/quota", () => Results.Text("quota\n"));
        await app.StartAsync().ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        origin.Url = new Uri(address + "/");
        return origin;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private void Enter()
    {
        var now = Interlocked.Increment(ref _inFlight);
        int seen;
        while (now > (seen = Volatile.Read(ref _maxInFlight)) && Interlocked.CompareExchange(ref _maxInFlight, now, seen) != seen)
        {
        }
    }
}
