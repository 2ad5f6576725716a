using Microsoft.AspNetCore.Http;

namespace Edge.Proxy.Hosting;

/// <summary>
/// While the edge drains for shutdown, every HTTP/1.x response carries <c>Connection: close</c>,
/// so clients leave their kept-alive connections after an answer they have received. Otherwise
/// Kestrel closes idle kept-alive connections when it stops, and a client that sent a request on
/// one at that moment gets no answer at all; for a POST it cannot know whether to retry.
/// HTTP/2 connections get Kestrel's GOAWAY instead. Costs one volatile read per request.
/// </summary>
internal sealed class CloseWhileDraining(RequestDelegate next, Readiness readiness)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (readiness.Draining && (HttpProtocol.IsHttp11(context.Request.Protocol) || HttpProtocol.IsHttp10(context.Request.Protocol)))
        {
            context.Response.Headers.Connection = "close";
        }

        return next(context);
    }
}
