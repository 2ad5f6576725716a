using System.Globalization;
using Edge.Config.Model;
using Yarp.ReverseProxy.Forwarder;

namespace Edge.Proxy.Resilience;

/// <summary>YARP's client factory plus Edge's connect timeout, which rides in the cluster's metadata so a reload that changes it builds a new client.</summary>
internal sealed class EdgeHttpClientFactory(ILogger<ForwarderHttpClientFactory> logger) : ForwarderHttpClientFactory(logger)
{
    protected override void ConfigureHandler(ForwarderHttpClientContext context, SocketsHttpHandler handler)
    {
        base.ConfigureHandler(context, handler);
        if (ConnectTimeout(context.NewMetadata) is { } timeout)
        {
            handler.ConnectTimeout = timeout;
        }
    }

    protected override bool CanReuseOldClient(ForwarderHttpClientContext context)
        => base.CanReuseOldClient(context) && ConnectTimeout(context.OldMetadata) == ConnectTimeout(context.NewMetadata);

    private static TimeSpan? ConnectTimeout(IReadOnlyDictionary<string, string>? metadata)
        => metadata?.TryGetValue(ProxyDefaults.ConnectTimeoutKey, out var value) == true
           && TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out var timeout)
            ? timeout
            : null;
}
