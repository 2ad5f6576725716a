using System.Runtime.CompilerServices;
using Edge.Config.Reload;
using Microsoft.AspNetCore.Http.Features;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Edge.Proxy.Streaming;

/// <summary>
/// Gives upgraded requests (WebSockets over HTTP/1.1 Upgrade or HTTP/2 extended CONNECT) the idle
/// timeout <c>Edge:WebSockets:IdleTimeout</c> on clusters that do not set their own
/// <c>HttpRequest:ActivityTimeout</c>. YARP closes a tunnel after ActivityTimeout without a byte in
/// either direction, and reads it from the cluster model of the request's proxy feature, so such a
/// request is forwarded through a feature whose cluster is a copy carrying the idle timeout; other
/// requests keep the cluster's own. Last in the proxy pipeline, and the original feature is put back
/// afterwards, so only the forwarder sees the copy. Unset, it costs one read per request.
/// </summary>
internal sealed class WebSocketIdleMiddleware(RequestDelegate next, ConfigReloader reloader)
{
    // Keyed by YARP's own model, which a reload replaces, so copies of old models go with them.
    private readonly ConditionalWeakTable<ClusterModel, ClusterModel> _copies = new();

    public Task InvokeAsync(HttpContext context)
        => reloader.Current.Edge.WebSockets.IdleTimeout is { } idle && IsUpgrade(context)
            ? ForwardAsync(context, idle)
            : next(context);

    private async Task ForwardAsync(HttpContext context, TimeSpan idle)
    {
        var proxy = context.GetReverseProxyFeature();
        var cluster = WithIdleTimeout(proxy.Cluster, idle);
        if (ReferenceEquals(cluster, proxy.Cluster))
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        context.Features.Set<IReverseProxyFeature>(new WithCluster(proxy, cluster));
        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            context.Features.Set(proxy);
        }
    }

    internal static bool IsUpgrade(HttpContext context)
        => context.Features.Get<IHttpUpgradeFeature>()?.IsUpgradableRequest == true
            || context.Features.Get<IHttpExtendedConnectFeature>()?.IsExtendedConnect == true;

    private ClusterModel WithIdleTimeout(ClusterModel cluster, TimeSpan idle)
    {
        // A cluster's own ActivityTimeout wins (YARP's schema stays authoritative); a copy already carries one.
        if (cluster.Config.HttpRequest?.ActivityTimeout is not null)
        {
            return cluster;
        }

        if (_copies.TryGetValue(cluster, out var copy) && copy.Config.HttpRequest?.ActivityTimeout == idle)
        {
            return copy;
        }

        var request = (cluster.Config.HttpRequest ?? ForwarderRequestConfig.Empty) with { ActivityTimeout = idle };
        copy = new ClusterModel(cluster.Config with { HttpRequest = request }, cluster.HttpClient);
        _copies.AddOrUpdate(cluster, copy);
        return copy;
    }

    /// <summary>The request's proxy feature with another cluster model; everything else is the original's.</summary>
    private sealed class WithCluster(IReverseProxyFeature original, ClusterModel cluster) : IReverseProxyFeature
    {
        public RouteModel Route => original.Route;

        public ClusterModel Cluster => cluster;

        public IReadOnlyList<DestinationState> AllDestinations => original.AllDestinations;

        public IReadOnlyList<DestinationState> AvailableDestinations
        {
            get => original.AvailableDestinations;
            set => original.AvailableDestinations = value;
        }

        public DestinationState? ProxiedDestination
        {
            get => original.ProxiedDestination;
            set => original.ProxiedDestination = value;
        }
    }
}
