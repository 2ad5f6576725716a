using System.Net;
using Edge.Config.Model;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace Edge.Proxy.Admission;

/// <summary>
/// Decides who the client is. With no known proxies configured (the default) the TCP peer is the
/// client and nothing is read from the request; YARP's default transforms then replace any
/// <c>X-Forwarded-*</c> the client sent. With known proxies, ASP.NET Core's forwarded-headers
/// middleware takes the client address and scheme from <c>X-Forwarded-For</c>/<c>-Proto</c>, but only
/// when the peer is one of them, walking the chain from the right and stopping at the first
/// address that is not a known proxy. The middleware is rebuilt when a reload changes the lists.
/// </summary>
internal sealed class TrustedProxies
{
    private readonly RequestDelegate _next;
    private readonly ILoggerFactory _loggerFactory;
    private volatile RequestDelegate? _forwarded;
    private TrustedProxyOptions? _applied;

    public TrustedProxies(RequestDelegate next, ILoggerFactory loggerFactory)
    {
        _next = next;
        _loggerFactory = loggerFactory;
    }

    public Task InvokeAsync(HttpContext context) => (_forwarded ?? _next)(context);

    public void Update(TrustedProxyOptions options)
    {
        if (_applied is { } applied && applied.KnownProxies.SequenceEqual(options.KnownProxies) && applied.KnownNetworks.SequenceEqual(options.KnownNetworks))
        {
            return;
        }

        _applied = options;
        if (options.KnownProxies.Count == 0 && options.KnownNetworks.Count == 0)
        {
            _forwarded = null;
            return;
        }

        var forwarded = new ForwardedHeadersOptions
        {
            ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto,
            // The whole chain, as long as each hop is a known proxy.
            ForwardLimit = null,
        };
        // The defaults trust loopback; the edge trusts only what the config names.
        forwarded.KnownProxies.Clear();
        forwarded.KnownIPNetworks.Clear();
        foreach (var proxy in options.KnownProxies)
        {
            forwarded.KnownProxies.Add(IPAddress.Parse(proxy));
        }

        foreach (var network in options.KnownNetworks)
        {
            forwarded.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
        }

        _forwarded = new ForwardedHeadersMiddleware(_next, _loggerFactory, Options.Create(forwarded)).Invoke;
    }
}
