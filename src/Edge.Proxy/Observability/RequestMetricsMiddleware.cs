using Edge.Proxy.Hosting;
using Yarp.ReverseProxy.Model;

namespace Edge.Proxy.Observability;

/// <summary>
/// Counts and times every request on the public listener: <c>edge_requests_total</c>,
/// <c>edge_request_duration_seconds</c> and <c>edge_inflight_requests</c>. It runs first in the
/// app, so answers the edge makes itself (no route, rate limited, shed, circuit open, timed out)
/// count like proxied ones. Labels are the matched route's and cluster's config ids and the
/// destination YARP forwarded to, each empty when there was none (no route matched, or the edge
/// answered before choosing a destination); never anything taken from the request.
/// Admin listener requests are not counted. It also writes the request's log line and its
/// <c>traceresponse</c> header.
/// </summary>
internal sealed class RequestMetricsMiddleware(RequestDelegate next, TimeProvider timeProvider, RequestLog log)
{
    public Task InvokeAsync(HttpContext context)
        => Listener.Of(context) == ListenerKind.Admin ? next(context) : RecordAsync(context);

    private async Task RecordAsync(HttpContext context)
    {
        var started = timeProvider.GetTimestamp();
        EdgeMetrics.RequestStarted();
        context.Response.OnStarting(Tracing.WriteTraceResponse, context);
        var threw = false;
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch
        {
            threw = true;
            throw;
        }
        finally
        {
            // An exception before the response started becomes Kestrel's 500.
            var status = threw && !context.Response.HasStarted ? StatusCodes.Status500InternalServerError : context.Response.StatusCode;
            string route = string.Empty, cluster = string.Empty, destination = string.Empty;
            if (context.Features.Get<IReverseProxyFeature>() is { } proxy)
            {
                route = proxy.Route.Config.RouteId;
                cluster = proxy.Cluster.Config.ClusterId;
                destination = proxy.ProxiedDestination?.DestinationId ?? string.Empty;
            }
            else if (context.GetEndpoint()?.Metadata.GetMetadata<RouteModel>() is { } matched)
            {
                // Matched, but answered before the proxy pipeline ran.
                route = matched.Config.RouteId;
                cluster = matched.Cluster?.ClusterId ?? string.Empty;
            }

            var seconds = timeProvider.GetElapsedTime(started).TotalSeconds;
            EdgeMetrics.RequestFinished(route, cluster, destination, status, seconds);
            log.Write(context, route, cluster, destination, status, seconds);
        }
    }
}
