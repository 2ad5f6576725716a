using System.Net;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Edge.Proxy.Tests.TestSupport;

/// <summary>Requests as the edge's middleware sees them after YARP matched a route: a client address, headers and the route.</summary>
internal static class ProxyContexts
{
    public static DefaultHttpContext Request(string? clientIp = "10.0.0.1", string routeId = "api", params (string Name, string Value)[] headers)
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = clientIp is null ? null : IPAddress.Parse(clientIp);
        foreach (var (name, value) in headers)
        {
            context.Request.Headers.Append(name, value);
        }

        context.Features.Set<IReverseProxyFeature>(new RouteFeature(routeId));
        return context;
    }

    private sealed class RouteFeature(string routeId) : IReverseProxyFeature
    {
        public RouteModel Route { get; } = new(new RouteConfig { RouteId = routeId, ClusterId = "api" }, cluster: null, HttpTransformer.Empty);

        public ClusterModel Cluster { get; set; } = null!;

        public IReadOnlyList<DestinationState> AllDestinations { get; } = [];

        public IReadOnlyList<DestinationState> AvailableDestinations { get; set; } = [];

        public DestinationState? ProxiedDestination { get; set; }
    }
}
