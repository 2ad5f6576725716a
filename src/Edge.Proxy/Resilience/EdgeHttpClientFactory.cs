using System.Globalization;
using Edge.Config.Model;
using Edge.Proxy.Dns;
using Yarp.ReverseProxy.Forwarder;

namespace Edge.Proxy.Resilience;

/// <summary>
/// YARP's client factory plus Edge's connect timeout and pooled-connection lifetime, which ride in
/// the cluster's metadata so a reload that changes them builds a new client, and Edge's resolver,
/// which follows DNS changes of host names (<see cref="HostResolver"/>).
/// </summary>
internal sealed class EdgeHttpClientFactory(ILogger<ForwarderHttpClientFactory> logger, HostResolver resolver) : ForwarderHttpClientFactory(logger)
{
    protected override void ConfigureHandler(ForwarderHttpClientContext context, SocketsHttpHandler handler)
    {
        base.ConfigureHandler(context, handler);
        if (Setting(context.NewMetadata, ProxyDefaults.ConnectTimeoutKey) is { } timeout)
        {
            handler.ConnectTimeout = timeout;
        }

        // A connection to an address DNS no longer gives would otherwise live as long as it is busy.
        if (Setting(context.NewMetadata, ProxyDefaults.PooledConnectionLifetimeKey) is { } lifetime)
        {
            handler.PooledConnectionLifetime = lifetime;
        }

        handler.ConnectCallback = resolver.ConnectAsync;
    }

    protected override bool CanReuseOldClient(ForwarderHttpClientContext context)
        => base.CanReuseOldClient(context)
           && Setting(context.OldMetadata, ProxyDefaults.ConnectTimeoutKey) == Setting(context.NewMetadata, ProxyDefaults.ConnectTimeoutKey)
           && Setting(context.OldMetadata, ProxyDefaults.PooledConnectionLifetimeKey) == Setting(context.NewMetadata, ProxyDefaults.PooledConnectionLifetimeKey);

    private static TimeSpan? Setting(IReadOnlyDictionary<string, string>? metadata, string key)
        => metadata?.TryGetValue(key, out var value) == true
           && TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out var timeout)
            ? timeout
            : null;
}
