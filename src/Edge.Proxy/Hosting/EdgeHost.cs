using Edge.Config;
using Edge.Config.Model;
using Edge.Config.Reload;
using Edge.Config.Sources;
using Edge.Proxy.Admin;
using Edge.Proxy.Admission;
using Edge.Proxy.Canary;
using Edge.Proxy.Dns;
using Edge.Proxy.Errors;
using Edge.Proxy.Hygiene;
using Edge.Proxy.Migration;
using Edge.Proxy.Observability;
using Edge.Proxy.Resilience;
using Edge.Proxy.Security;
using Edge.Proxy.Streaming;
using Edge.Proxy.Tls;
using Microsoft.AspNetCore.Routing.Matching;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace Edge.Proxy.Hosting;

/// <summary>Builds the edge: two listeners, the admin API, the proxy pipeline and config reload.</summary>
public static partial class EdgeHost
{
    public static WebApplication Build(EdgeConfigSnapshot initial, ConfigSource source, EdgeLogging logging, Func<IReadOnlyDictionary<string, string>> environment)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [],
            ContentRootPath = AppContext.BaseDirectory,
        });

        // Edge reads its own config; nothing from appsettings files or ASPNETCORE_* variables.
        builder.Configuration.Sources.Clear();
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Trace);
        Serilog.SerilogLoggingBuilderExtensions.AddSerilog(builder.Logging, logging.Logger, dispose: false);

        var services = builder.Services;
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(logging);
        services.AddSingleton<Readiness>();
        services.AddSingleton(new EdgeProxyConfigProvider(initial));
        services.AddSingleton<IProxyConfigProvider>(sp => sp.GetRequiredService<EdgeProxyConfigProvider>());
        services.AddSingleton(sp => new ConfigReloader(
            initial,
            source,
            new EdgeConfigLoader(sp.GetRequiredService<IConfigValidator>(), sp.GetRequiredService<TimeProvider>()),
            environment,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<ConfigReloader>>()));
        services.AddHostedService<ConfigFileWatcher>();
        services.AddHostedService<DrainOnShutdown>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<MatcherPolicy, ListenerMatcherPolicy>());
        services.Configure<HostOptions>(o => o.ShutdownTimeout = ShutdownBudget(initial.Edge.Shutdown));
        services.AddSingleton<ResilienceRegistry>();
        services.AddSingleton<AdmissionRegistry>();
        services.AddSingleton<CanaryRollouts>();
        var kestrelLimits = new KestrelLimits(initial.Edge.Limits);
        services.AddSingleton(kestrelLimits);
        services.AddSingleton<HostResolver>();
        services.AddHostedService<DnsRefreshService>();
        services.AddSingleton<MigrationRegistry>();
        services.AddSingleton<IForwarderHttpClientFactory, EdgeHttpClientFactory>();
        services.AddEdgeProxyServices().AddTransforms<RetryResponseTransform>().AddTransforms<StreamingTransform>().AddTransforms<HopByHopTransform>();
        services.AddEdgeMetrics(initial.Edge.Metrics);
        services.AddSingleton<RequestLog>();
        builder.AddEdgeTls(initial.Edge);

        var bound = new List<(ListenerKind Kind, ListenOptions Options, string Scheme)>();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrelLimits.Apply(kestrel);
            Bind(kestrel, ListenerKind.Public, initial.Edge.Listeners.Public, bound, kestrelLimits.LimitConnections);
            Bind(kestrel, ListenerKind.Admin, initial.Edge.Listeners.Admin, bound, null);
        });

        var app = builder.Build();
        var tracing = Tracing.Start(initial.Edge.Tracing);
        app.Lifetime.ApplicationStopped.Register(tracing.Dispose);
        app.UseEdgeMetrics();
        app.UseMiddleware<CloseWhileDraining>();
        var reloader = app.Services.GetRequiredService<ConfigReloader>();
        app.UseEdgeTls(reloader);
        app.Use(next =>
        {
            var trusted = new TrustedProxies(next, app.Services.GetRequiredService<ILoggerFactory>());
            trusted.Update(reloader.Current.Edge.ForwardedHeaders);
            reloader.Applied += (_, snapshot) => trusted.Update(snapshot.Edge.ForwardedHeaders);
            return trusted.InvokeAsync;
        });
        app.Use(next =>
        {
            var paths = ActivatorUtilities.CreateInstance<PathSafety>(app.Services, next);
            paths.Update(reloader.Current.Edge.Security);
            reloader.Applied += (_, snapshot) => paths.Update(snapshot.Edge.Security);
            return paths.InvokeAsync;
        });
        app.Use(next =>
        {
            var names = new HeaderNamesMiddleware(next);
            names.Update(reloader.Current.Edge.Security);
            reloader.Applied += (_, snapshot) => names.Update(snapshot.Edge.Security);
            return names.InvokeAsync;
        });
        app.UseMiddleware<NoRouteMiddleware>();
        app.UseRouting();
        app.UseRequestTimeouts();
        app.MapAdminEndpoints();
        app.MapReverseProxy(proxy =>
        {
            proxy.UseMiddleware<MigrationMiddleware>();
            proxy.UseMiddleware<ProxyErrorMiddleware>();
            proxy.UseMiddleware<AdmissionMiddleware>();
            proxy.UseMiddleware<ResilienceMiddleware>();
            proxy.UseSessionAffinity();
            proxy.UseLoadBalancing();
            proxy.UseMiddleware<CircuitBreakerMiddleware>();
            proxy.UseMiddleware<CanaryRecorderMiddleware>();
            proxy.UsePassiveHealthChecks();
            proxy.UseMiddleware<WebSocketIdleMiddleware>();
        });

        WireReload(app);
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Edge.Hosting");
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            foreach (var (kind, options, scheme) in bound)
            {
                Log.Listening(logger, kind.ToString().ToLowerInvariant(), $"{scheme}://{options.IPEndPoint?.ToString() ?? "localhost"}");
            }

            Log.Started(logger, initial.Version, initial.Source, initial.Routes.Count, initial.Clusters.Count);
        });

        return app;
    }

    private static void WireReload(WebApplication app)
    {
        var reloader = app.Services.GetRequiredService<ConfigReloader>();
        var logging = app.Services.GetRequiredService<EdgeLogging>();
        var hostOptions = app.Services.GetRequiredService<IOptions<HostOptions>>().Value;
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Edge.Hosting");
        var resilience = app.Services.GetRequiredService<ResilienceRegistry>();
        var admission = app.Services.GetRequiredService<AdmissionRegistry>();
        var canary = app.Services.GetRequiredService<CanaryRollouts>();
        var kestrelLimits = app.Services.GetRequiredService<KestrelLimits>();
        var resolver = app.Services.GetRequiredService<HostResolver>();
        var migrations = app.Services.GetRequiredService<MigrationRegistry>();
        var startup = reloader.Current.Edge;
        var requestLog = app.Services.GetRequiredService<RequestLog>();
        resilience.Update(reloader.Current);
        admission.Update(reloader.Current);
        requestLog.Apply(reloader.Current.Edge.Logging);
        canary.Update(reloader.Current);
        resolver.Update(reloader.Current);
        // Migrations start probing once the host has started: by then YARP has loaded the config and
        // listens for changes, so a migration entering Proxy during YARP's own startup cannot be missed.
        app.Lifetime.ApplicationStarted.Register(() => migrations.Apply(reloader.Current));

        reloader.Applied += (_, next) =>
        {
            resilience.Update(next);
            admission.Update(next);
            // Before YARP sees the config, so a new Weighted cluster's table is there for its first request.
            canary.Update(next);
            kestrelLimits.Update(next.Edge.Limits);
            resolver.Update(next);
            // Hands YARP the new routes and clusters, with those of migrations in Proxy phase forwarding to their targets.
            migrations.Apply(next);
            logging.Apply(next.Edge.Logging);
            requestLog.Apply(next.Edge.Logging);
            if (!TracingEquals(next.Edge.Tracing, startup.Tracing))
            {
                Log.RestartNeeded(logger, "Edge:Tracing");
            }

            // The host reads its shutdown budget when it stops, so a reload can still change it.
            hostOptions.ShutdownTimeout = ShutdownBudget(next.Edge.Shutdown);
            if (next.Edge.Listeners.Public != startup.Listeners.Public || next.Edge.Listeners.Admin != startup.Listeners.Admin)
            {
                Log.RestartNeeded(logger, "Edge:Listeners");
            }

            var (was, now) = (startup.Limits, next.Edge.Limits);
            if (was.MaxRequestHeadersTotalSize != now.MaxRequestHeadersTotalSize || was.MaxRequestHeaderCount != now.MaxRequestHeaderCount
                || was.MaxRequestLineSize != now.MaxRequestLineSize || was.RequestHeadersTimeout != now.RequestHeadersTimeout || was.KeepAliveTimeout != now.KeepAliveTimeout
                || !was.MinRequestBodyDataRate.Equals(now.MinRequestBodyDataRate) || was.MinRequestBodyDataRateGracePeriod != now.MinRequestBodyDataRateGracePeriod
                || !was.MinResponseDataRate.Equals(now.MinResponseDataRate) || was.MinResponseDataRateGracePeriod != now.MinResponseDataRateGracePeriod
                || was.Http2.MaxStreamsPerConnection != now.Http2.MaxStreamsPerConnection || was.Http2.MaxRequestHeaderFieldSize != now.Http2.MaxRequestHeaderFieldSize)
            {
                Log.RestartNeeded(logger, "Edge:Limits (header, request-line, header and keep-alive timeouts, data-rate and HTTP/2 limits)");
            }

            if (!string.Equals(next.Edge.Logging.Format, logging.Format, StringComparison.OrdinalIgnoreCase))
            {
                Log.RestartNeeded(logger, "Edge:Logging:Format");
            }
        };
    }

    private static bool TracingEquals(TracingOptions a, TracingOptions b)
        => a.OtlpEndpoint == b.OtlpEndpoint && a.OtlpProtocol == b.OtlpProtocol && a.SamplingRatio.Equals(b.SamplingRatio) && a.ServiceName == b.ServiceName;

    private static TimeSpan ShutdownBudget(ShutdownOptions shutdown) => shutdown.DrainDelay + shutdown.Timeout;

    private static void Bind(KestrelServerOptions kestrel, ListenerKind kind, string urls, List<(ListenerKind, ListenOptions, string)> bound, Action<ListenOptions>? limit)
    {
        foreach (var url in ListenerUrl.ParseList(urls).Urls)
        {
            void Configure(ListenOptions options)
            {
                limit?.Invoke(options);
                Listener.Tag(options, kind);
                EdgeTls.ConfigureListener(options, url);
                bound.Add((kind, options, url.Scheme));
            }

            if (url.Address is { } address)
            {
                kestrel.Listen(address, url.Port, Configure);
            }
            else if (url.IsLocalhost && url.Port != 0)
            {
                kestrel.ListenLocalhost(url.Port, Configure);
            }
            else if (url.IsLocalhost)
            {
                kestrel.Listen(System.Net.IPAddress.Loopback, 0, Configure);
            }
            else
            {
                kestrel.ListenAnyIP(url.Port, Configure);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Listening on {Listener} {Url}")]
        public static partial void Listening(ILogger logger, string listener, string url);

        [LoggerMessage(2, LogLevel.Information, "Edge started: config version {Version} from {Source}, {Routes} routes, {Clusters} clusters")]
        public static partial void Started(ILogger logger, string version, string source, int routes, int clusters);

        [LoggerMessage(3, LogLevel.Warning, "{Setting} changed in the config; it takes effect only after a restart")]
        public static partial void RestartNeeded(ILogger logger, string setting);
    }
}
