using Edge.Config.Reload;

namespace Edge.Proxy.Hosting;

/// <summary>
/// Shutdown as load balancers need it: on SIGTERM readiness turns 503 at once, the edge keeps
/// serving for <c>Edge:Shutdown:DrainDelay</c> so they notice, then Kestrel stops accepting and
/// in-flight requests get <c>Edge:Shutdown:Timeout</c> to finish.
/// </summary>
internal sealed partial class DrainOnShutdown(
    Readiness readiness,
    ConfigReloader reloader,
    IHostApplicationLifetime lifetime,
    TimeProvider timeProvider,
    ILogger<DrainOnShutdown> logger) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStopping.Register(readiness.StartDraining);
        return Task.CompletedTask;
    }

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        readiness.StartDraining();
        var shutdown = reloader.Current.Edge.Shutdown;
        Log.Draining(logger, shutdown.DrainDelay.TotalSeconds, shutdown.Timeout.TotalSeconds);
        try
        {
            await Task.Delay(shutdown.DrainDelay, timeProvider, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The host's own timeout ran out first; stop now.
        }

        Log.StopAccepting(logger);
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static partial class Log
    {
        [LoggerMessage(20, LogLevel.Information, "Shutdown requested: readiness is 503, draining for {DrainSeconds} s, then in-flight requests get {TimeoutSeconds} s")]
        public static partial void Draining(ILogger logger, double drainSeconds, double timeoutSeconds);

        [LoggerMessage(21, LogLevel.Information, "Drain delay over: no longer accepting connections")]
        public static partial void StopAccepting(ILogger logger);
    }
}
