namespace Edge.Proxy.Dns;

/// <summary>Looks the origins' host names up again every <c>Edge:Dns:RefreshPeriod</c> (read anew each round, so a reload changes it).</summary>
internal sealed class DnsRefreshService(HostResolver resolver, TimeProvider timeProvider) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (true)
            {
                await Task.Delay(resolver.RefreshPeriod, timeProvider, stoppingToken).ConfigureAwait(false);
                await resolver.RefreshAsync(stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }
}
