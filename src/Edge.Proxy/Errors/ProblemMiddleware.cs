using Edge.Proxy.Observability;
using Microsoft.AspNetCore.Http.Timeouts;
using Yarp.ReverseProxy.Forwarder;

namespace Edge.Proxy.Errors;

/// <summary>Turns a request that matched no route into a 404 problem instead of an empty body.</summary>
internal sealed class NoRouteMiddleware(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context)
    {
        await next(context).ConfigureAwait(false);
        if (context.Response.StatusCode == StatusCodes.Status404NotFound && !context.Response.HasStarted && context.GetEndpoint() is null)
        {
            await Problem.WriteAsync(context, 404, "No route", $"No route matches {context.Request.Method} {context.Request.Path}.").ConfigureAwait(false);
        }
    }
}

/// <summary>
/// Gives YARP's bodiless failures (502, 503, 504) a problem body. Runs inside the proxy
/// pipeline, so it costs one feature lookup per proxied request and nothing when all is well.
/// </summary>
internal sealed class ProxyErrorMiddleware(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context)
    {
        await next(context).ConfigureAwait(false);
        var error = context.Features.Get<IForwarderErrorFeature>();
        if (error is null || context.Response.HasStarted)
        {
            return;
        }

        var cluster = context.GetReverseProxyFeature().Cluster?.Config.ClusterId ?? "(none)";
        // The route's timeout cancels the request the way a leaving client would; YARP cannot tell them apart.
        var timedOut = error.Error == ForwarderError.RequestTimedOut
            || context.Features.Get<IHttpRequestTimeoutFeature>()?.RequestTimeoutToken.IsCancellationRequested == true;
        if (timedOut)
        {
            await Problem.WriteAsync(context, 504, "Origin timed out",
                $"The origin in cluster '{cluster}' did not answer within the route's timeout.").ConfigureAwait(false);
            return;
        }

        if (BodyTooLarge(error.Exception))
        {
            // A body without a declared length (chunked) passed the admission check and was cut by
            // Kestrel at the limit while being forwarded; the origin saw an aborted request.
            EdgeMetrics.Reject(context, EdgeMetrics.Reason.BodyTooLarge);
            await Problem.WriteAsync(context, 413, "Request body too large",
                "The request body grew past the route's limit (Edge:Limits:MaxRequestBodySize or the route's Metadata.MaxRequestBodySize).").ConfigureAwait(false);
            return;
        }

        switch (context.Response.StatusCode)
        {
            case StatusCodes.Status503ServiceUnavailable:
                EdgeMetrics.Reject(context, EdgeMetrics.Reason.NoHealthyDestination);
                await Problem.WriteAsync(context, 503, "No healthy destination",
                    $"Cluster '{cluster}' has no destination available to take the request.", Problem.RetryAfter).ConfigureAwait(false);
                break;
            case StatusCodes.Status504GatewayTimeout:
                await Problem.WriteAsync(context, 504, "Origin timed out",
                    $"The origin in cluster '{cluster}' did not answer in time ({error.Error}).").ConfigureAwait(false);
                break;
            case >= 500:
                await Problem.WriteAsync(context, 502, "Origin failed",
                    $"The origin in cluster '{cluster}' failed to answer ({error.Error}).").ConfigureAwait(false);
                break;
        }
    }

    private static bool BodyTooLarge(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge })
            {
                return true;
            }
        }

        return false;
    }
}
