using System.Net;
using Microsoft.AspNetCore.Http.Timeouts;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Edge.Proxy.Streaming;

/// <summary>
/// Lifts the route's request timeout from requests that became open-ended streams once the origin
/// answered: an accepted upgrade (101, or 2xx to an extended CONNECT: WebSockets) and a server-sent
/// event stream (<c>text/event-stream</c>). Until the origin answers, the timeout holds (a hung
/// origin still gets its 504); afterwards the stream lives as long as bytes keep flowing, bounded
/// by the idle timeout (the cluster's <c>HttpRequest:ActivityTimeout</c>, or
/// <c>Edge:WebSockets:IdleTimeout</c> for WebSockets). Long polls and other responses keep the
/// timeout. It reads the status and one header per response.
/// </summary>
internal sealed class StreamingTransform : ITransformProvider
{
    public void ValidateRoute(TransformRouteValidationContext context)
    {
    }

    public void ValidateCluster(TransformClusterValidationContext context)
    {
    }

    public void Apply(TransformBuilderContext context) => context.AddResponseTransform(static transform =>
    {
        if (transform.ProxyResponse is { } response && IsStream(transform.HttpContext, response))
        {
            transform.HttpContext.Features.Get<IHttpRequestTimeoutFeature>()?.DisableTimeout();
        }

        return ValueTask.CompletedTask;
    });

    internal static bool IsStream(HttpContext context, HttpResponseMessage response)
        => response.StatusCode == HttpStatusCode.SwitchingProtocols
            || (response.IsSuccessStatusCode && response.RequestMessage?.Method == HttpMethod.Connect)
            || IsEventStream(context.Response.Headers.ContentType);

    private static bool IsEventStream(Microsoft.Extensions.Primitives.StringValues contentType)
        => contentType.Count == 1 && contentType[0] is { } value && value.StartsWith("text/event-stream", StringComparison.OrdinalIgnoreCase);
}
