using System.Text.Json.Serialization;
using Edge.Config.Reload;
using Edge.Proxy.Canary;
using Edge.Proxy.Hosting;
using Edge.Proxy.Migration;
using Edge.Proxy.Observability;
using Edge.Proxy.Resilience;
using Yarp.ReverseProxy;

namespace Edge.Proxy.Admin;

/// <summary>The admin API: health, readiness, metrics and config. Served only on the admin listener.</summary>
public static class AdminEndpoints
{
    public static IEndpointRouteBuilder MapAdminEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var admin = endpoints.MapGroup(string.Empty).WithMetadata(AdminEndpointMetadata.Instance);

        admin.MapGet("/healthz", () => Results.Json(new StatusBody("ok"), AdminJsonContext.Default.StatusBody));

        admin.MapGet("/readyz", (Readiness readiness) => readiness.Draining
            ? Results.Json(new StatusBody("draining"), AdminJsonContext.Default.StatusBody, statusCode: StatusCodes.Status503ServiceUnavailable)
            : Results.Json(new StatusBody("ready"), AdminJsonContext.Default.StatusBody));

        admin.MapGet("/metrics", (HttpContext context, MetricsSwitch metrics) => metrics.Collector is { } collector
            ? Results.Text(PrometheusText.Write(collector.Collect()), PrometheusText.ContentType)
            : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Metrics are off", detail: "Edge:Metrics:Enabled is false; set it to true and restart to serve /metrics."));

        admin.MapGet("/admin/config", (ConfigReloader reloader) => Results.Json(ConfigBody.From(reloader), AdminJsonContext.Default.ConfigBody));

        admin.MapPost("/admin/config/reload", async (ConfigReloader reloader, CancellationToken cancellationToken) =>
        {
            var status = await reloader.ReloadAsync("admin", cancellationToken: cancellationToken).ConfigureAwait(false);
            // 422 lets a script (curl -f) see a refused config; the body says why.
            var code = status.Result == ReloadStatus.Rejected ? StatusCodes.Status422UnprocessableEntity : StatusCodes.Status200OK;
            return Results.Json(ConfigBody.From(reloader), AdminJsonContext.Default.ConfigBody, statusCode: code);
        });

        admin.MapGet("/admin/clusters", (IProxyStateLookup state, ResilienceRegistry resilience)
            => Results.Json(ClustersEndpoint.Describe(state, resilience), AdminJsonContext.Default.ClustersBody));

        admin.MapGet("/admin/canary", (CanaryRollouts rollouts) => Results.Json(CanaryEndpoint.Describe(rollouts), AdminJsonContext.Default.CanaryBody));
        foreach (var action in CanaryEndpoint.Actions)
        {
            admin.MapPost($"/admin/canary/{{cluster}}/{action}", (string cluster, CanaryRollouts rollouts) => CanaryEndpoint.Act(rollouts, cluster, action));
        }
        admin.MapGet("/admin/migrations", (MigrationRegistry migrations, TimeProvider timeProvider)
            => Results.Json(MigrationsEndpoint.Describe(migrations, timeProvider), AdminJsonContext.Default.MigrationsBody));

        return endpoints;
    }
}

public sealed record StatusBody(string Status);

public sealed record ReloadBody(DateTimeOffset At, string Trigger, string Result, bool Changed, IReadOnlyList<string> Errors);

public sealed record ConfigBody(string Version, string Source, DateTimeOffset LoadedAt, int Routes, int Clusters, ReloadBody? LastReload)
{
    public static ConfigBody From(ConfigReloader reloader)
    {
        var current = reloader.Current;
        var last = reloader.LastReload;
        return new ConfigBody(
            current.Version,
            current.Source,
            current.LoadedAt,
            current.Routes.Count,
            current.Clusters.Count,
            last is null ? null : new ReloadBody(last.At, last.Trigger, last.Result, last.Changed, last.Errors));
    }
}

[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web, WriteIndented = true)]
[JsonSerializable(typeof(StatusBody))]
[JsonSerializable(typeof(ConfigBody))]
[JsonSerializable(typeof(ClustersBody))]
[JsonSerializable(typeof(CanaryBody))]
[JsonSerializable(typeof(RolloutBody))]
[JsonSerializable(typeof(MigrationsBody))]
internal sealed partial class AdminJsonContext : JsonSerializerContext;
