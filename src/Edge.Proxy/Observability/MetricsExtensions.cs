using Edge.Config.LoadBalancing;
using Edge.Config.Model;
using Edge.Config.Reload;
using Edge.Proxy.Canary;
using Edge.Proxy.Resilience;
using Yarp.ReverseProxy;

namespace Edge.Proxy.Observability;

/// <summary>Registers and switches on the edge's metrics; <c>GET /metrics</c> itself is an admin endpoint.</summary>
/// <summary>The collector when metrics are on (Edge:Metrics:Enabled, read at startup), or null.</summary>
internal sealed record MetricsSwitch(MetricsCollector? Collector);

internal static class MetricsExtensions
{
    public static IServiceCollection AddEdgeMetrics(this IServiceCollection services, MetricsOptions options)
        => services
            .AddSingleton(_ => new MetricsCollector(MetricsCollector.Meters(options.OutboundHttp), options.OutboundHttpGauges ? null : MetricsCollector.PerRequestGauges))
            .AddSingleton(sp => new MetricsSwitch(options.Enabled ? sp.GetRequiredService<MetricsCollector>() : null));

    /// <summary>
    /// Starts aggregating (so requests are counted from the first one on), plugs the live proxy
    /// state into the observed gauges, counts reloads, and puts the request counter first in the app.
    /// </summary>
    public static WebApplication UseEdgeMetrics(this WebApplication app)
    {
        // Off: nothing listens to the instruments, so recording is a no-op, and /metrics says it is off.
        _ = app.Services.GetService<MetricsSwitch>()
            ?? throw new InvalidOperationException("Edge metrics are not registered: call services.AddEdgeMetrics() before app.UseEdgeMetrics().");

        var state = app.Services.GetRequiredService<IProxyStateLookup>();
        var resilience = app.Services.GetRequiredService<ResilienceRegistry>();
        var health = EdgeMetrics.DestinationHealthy.Observe(() => DestinationHealthGauge.Measure(state, resilience));
        app.Lifetime.ApplicationStopped.Register(health.Dispose);
        var weighted = app.Services.GetRequiredService<WeightedClusters>();
        var weights = EdgeMetrics.CanaryWeight.Observe(() => CanaryWeightGauge.Measure(weighted));
        app.Lifetime.ApplicationStopped.Register(weights.Dispose);

        app.Services.GetRequiredService<ConfigReloader>().Reloaded += status => EdgeMetrics.ConfigReloaded(status.Result);
        // Both series exist from the start, so increase() sees the first rejected reload.
        EdgeMetrics.ConfigReloads.Add(0, new KeyValuePair<string, object?>("result", ReloadStatus.Applied));
        EdgeMetrics.ConfigReloads.Add(0, new KeyValuePair<string, object?>("result", ReloadStatus.Rejected));

        app.UseMiddleware<RequestMetricsMiddleware>();
        return app;
    }
}
