namespace Edge.Proxy.Migration;

/// <summary>
/// Counts requests served through a migration in Proxy phase (<c>edge_migration_residual_requests_total</c>
/// and the migration's residual traffic). First in the proxy pipeline, so a request the edge then
/// refuses (rate limit, load shedding) still counts: it reached the old edge. With no migration in
/// Proxy phase it costs one read.
/// </summary>
internal sealed class MigrationMiddleware(RequestDelegate next, MigrationRegistry registry)
{
    public Task InvokeAsync(HttpContext context)
    {
        var entered = registry.ByCluster;
        if (entered.Count != 0)
        {
            var proxy = context.GetReverseProxyFeature();
            if (proxy.Cluster?.Config.ClusterId is { } cluster && entered.TryGetValue(cluster, out var migration))
            {
                registry.Record(migration, proxy.Route.Config.RouteId);
            }
        }

        return next(context);
    }
}
