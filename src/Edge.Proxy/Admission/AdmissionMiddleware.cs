using System.Threading.RateLimiting;
using Edge.Proxy.Errors;
using Edge.Proxy.Observability;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Timeouts;

namespace Edge.Proxy.Admission;

/// <summary>
/// Refuses excess work before it reaches an origin, cheapest check first: a declared body over
/// the route's limit (413), the route's rate-limit policy (429), the edge-wide concurrency limit
/// (503). Runs first in the proxy pipeline, so the admin listener and unmatched requests are
/// never counted, and a route with no policy pays one dictionary miss.
/// </summary>
/// <remarks>
/// Why not ASP.NET Core's rate-limiting middleware: it copies its policy map when it is built and
/// YARP 2.1 checks route policy names against that startup-time map, so policies defined in a
/// reloadable file cannot live there. The limiters themselves are System.Threading.RateLimiting's;
/// this middleware only picks the route's policy from the current config and answers for it.
/// </remarks>
internal sealed class AdmissionMiddleware(RequestDelegate next, AdmissionRegistry registry, KestrelLimits kestrel)
{
    private const string Edge = "edge";

    /// <summary>The largest refused body the edge reads and drops so the client reliably gets its 413.</summary>
    private const long DrainLimit = 1024 * 1024;

    public Task InvokeAsync(HttpContext context)
    {
        var state = registry.Current;
        var routeId = context.GetReverseProxyFeature().Route.Config.RouteId;

        var bodyLimit = state.BodyLimitFor(routeId);
        if (context.Request.ContentLength is { } length && length > bodyLimit)
        {
            return TooLarge(context, routeId, bodyLimit);
        }

        if (bodyLimit != kestrel.MaxRequestBodySize
            && context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
        {
            // Kestrel enforces the startup limit by itself; a route's own (or a reloaded) limit is set per request.
            bodySize.MaxRequestBodySize = bodyLimit;
        }

        if (state.ByRoute.Count != 0 && state.ByRoute.TryGetValue(routeId, out var policy))
        {
            return RateLimitedAsync(context, policy, state);
        }

        return state.Shedder is null ? next(context) : ShedAsync(context, state);
    }

    private async Task RateLimitedAsync(HttpContext context, RateLimitPolicy policy, AdmissionState state)
    {
        RateLimitLease lease;
        try
        {
            lease = policy.Queues
                ? await policy.AcquireAsync(context, context.RequestAborted).ConfigureAwait(false)
                : policy.AttemptAcquire(context);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            await QueueWaitEndedAsync(context, EdgeMetrics.Reason.RateLimit, policy.Name, 429).ConfigureAwait(false);
            return;
        }

        using (lease)
        {
            if (!lease.IsAcquired)
            {
                var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : policy.FallbackRetryAfter;
                EdgeMetrics.Reject(context, EdgeMetrics.Reason.RateLimit, policy.Name);
                await Problem.WriteAsync(context, 429, "Rate limited",
                    $"Rate-limit policy '{policy.Name}' allows no more requests for this client now; retry after {RateLimitPolicy.Seconds(retryAfter)} s.",
                    retryAfter,
                    ("RateLimit-Policy", policy.PolicyHeader),
                    ("RateLimit", policy.ExhaustedHeader(retryAfter))).ConfigureAwait(false);
                return;
            }

            // A window or bucket permit is spent once granted; only a concurrency permit is held until the response ends.
            await (state.Shedder is null ? next(context) : ShedAsync(context, state)).ConfigureAwait(false);
        }
    }

    private async Task ShedAsync(HttpContext context, AdmissionState state)
    {
        var shedder = state.Shedder!;
        var lease = shedder.AttemptAcquire();
        if (!lease.IsAcquired && state.ShedderLimits is { MaxQueuedRequests: > 0 })
        {
            lease.Dispose();
            try
            {
                lease = await shedder.AcquireAsync(1, context.RequestAborted).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                await QueueWaitEndedAsync(context, EdgeMetrics.Reason.Concurrency, Edge, 503).ConfigureAwait(false);
                return;
            }
        }

        using (lease)
        {
            if (!lease.IsAcquired)
            {
                EdgeMetrics.Reject(context, EdgeMetrics.Reason.Concurrency, Edge);
                await Problem.WriteAsync(context, 503, "Edge at capacity",
                    "The edge is serving as many requests as it is allowed to (Edge:Limits:MaxConcurrentRequests); retry shortly.", Problem.RetryAfter).ConfigureAwait(false);
                return;
            }

            await next(context).ConfigureAwait(false);
        }
    }

    /// <summary>A queued request's wait ended by the route's timeout gets an answer; a client that left gets none.</summary>
    private static Task QueueWaitEndedAsync(HttpContext context, string reason, string policy, int status)
    {
        if (context.Features.Get<IHttpRequestTimeoutFeature>()?.RequestTimeoutToken.IsCancellationRequested != true || context.Response.HasStarted)
        {
            return Task.CompletedTask;
        }

        EdgeMetrics.Reject(context, reason, policy);
        return Problem.WriteAsync(context, status, status == 429 ? "Rate limited" : "Edge at capacity",
            $"The request waited in the queue of '{policy}' for as long as its route allows and got no slot.", Problem.RetryAfter);
    }

    private static Task TooLarge(HttpContext context, string routeId, long limit)
    {
        EdgeMetrics.Reject(context, EdgeMetrics.Reason.BodyTooLarge);
        // The body is never forwarded. Closing a socket with unread bytes makes the kernel send a
        // reset, which can destroy the 413 before the client reads it; so a body of modest size
        // is let through Kestrel's limit to be read and dropped after the answer, and a larger
        // one ends the connection.
        var length = context.Request.ContentLength!.Value;
        var detail = $"The request body of {length} bytes is over route '{routeId}''s limit of {limit} bytes.";
        if (length <= DrainLimit && context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
        {
            bodySize.MaxRequestBodySize = length;
            return Problem.WriteAsync(context, 413, "Request body too large", detail);
        }

        return Problem.WriteAsync(context, 413, "Request body too large", detail, null, ("Connection", "close"));
    }
}
