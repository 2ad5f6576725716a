using System.Net.Sockets;
using Edge.Proxy.Errors;
using Edge.Proxy.Observability;
using Microsoft.AspNetCore.Http.Features;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Edge.Proxy.Resilience;

/// <summary>
/// The per-cluster bulkhead, the circuit filter and the retry loop around load balancing and
/// forwarding. Every retry goes to a destination not tried yet, at most MaxAttempts in all, and
/// only while nothing has been sent to the client. Two kinds:
/// <list type="bullet">
/// <item>The request reached an origin (a 502/503 answer, or the connection broke before an
/// answer): retried only when that is safe (GET/HEAD/OPTIONS, or PUT/DELETE on a route that opts
/// in; no body) and only within the cluster's retry budget.</item>
/// <item>The request never left the edge (connect failure, unresolvable host, a circuit refusing
/// the destination): retried whatever its method, and outside the budget, since it adds no load
/// to any origin that is failing.</item>
/// </list>
/// </summary>
internal sealed partial class ResilienceMiddleware(RequestDelegate next, ResilienceRegistry registry, ILogger<ResilienceMiddleware> logger)
{
    /// <summary>Route metadata key that lets PUT and DELETE be retried.</summary>
    public const string RetryIdempotentWritesKey = "RetryIdempotentWrites";

    // Not async where it need not be: with retries off and no bulkhead, a cluster pays for the
    // circuit filter and nothing else here.
    public Task InvokeAsync(HttpContext context)
    {
        var proxy = context.GetReverseProxyFeature();
        var cluster = registry.Find(proxy.Cluster.Config.ClusterId);
        if (cluster is null)
        {
            return next(context);
        }

        var bulkhead = cluster.Bulkhead;
        if (bulkhead is null)
        {
            return ForwardAsync(context, proxy, cluster);
        }

        if (!bulkhead.TryEnter())
        {
            EdgeMetrics.Reject(context, EdgeMetrics.Reason.Concurrency, "cluster:" + cluster.ClusterId);
            return Problem.WriteAsync(context, 503, "Cluster at capacity",
                $"Cluster '{cluster.ClusterId}' already has {bulkhead.Limit} requests in flight (its MaxConcurrentRequests).", Problem.RetryAfter);
        }

        return ForwardInBulkheadAsync(context, proxy, cluster, bulkhead);
    }

    private async Task ForwardInBulkheadAsync(HttpContext context, IReverseProxyFeature proxy, ClusterResilience cluster, Bulkhead bulkhead)
    {
        try
        {
            await ForwardAsync(context, proxy, cluster).ConfigureAwait(false);
        }
        finally
        {
            bulkhead.Exit();
        }
    }

    private Task ForwardAsync(HttpContext context, IReverseProxyFeature proxy, ClusterResilience cluster)
    {
        var all = proxy.AvailableDestinations;
        var candidates = cluster.WithoutOpenCircuits(all);
        if (candidates.Count == 0 && all.Count > 0)
        {
            EdgeMetrics.Reject(context, EdgeMetrics.Reason.CircuitOpen);
            return Problem.WriteAsync(context, 503, "Circuit open",
                $"Every destination of cluster '{cluster.ClusterId}' has an open circuit.", Problem.RetryAfter);
        }

        proxy.AvailableDestinations = candidates;
        if (cluster.Budget is not { } budget)
        {
            // No retries: one attempt; the breaker answers for itself if it refuses the destination.
            return next(context);
        }

        budget.OnRequest();
        return RetryLoopAsync(context, proxy, cluster, budget, candidates);
    }

    private async Task RetryLoopAsync(HttpContext context, IReverseProxyFeature proxy, ClusterResilience cluster, RetryBudget budget, IReadOnlyList<DestinationState> candidates)
    {
        var maxAttempts = cluster.Settings.Retry.MaxAttempts;
        var safe = IsSafeToRepeat(context, proxy);
        BodyReadTracker? body = null;
        if (context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true)
        {
            body = new BodyReadTracker(context.Request.Body);
            context.Request.Body = body;
        }

        var state = new RetryState();
        context.Features.Set(state);
        for (var attempt = 1; ; attempt++)
        {
            proxy.AvailableDestinations = candidates;
            proxy.ProxiedDestination = null;
            state.ResetAttempt();
            var another = attempt < maxAttempts && candidates.Count > 1;
            state.MayRetry = another && safe && budget.HasToken;
            await next(context).ConfigureAwait(false);

            // Load balancing narrowed the list to the destination it chose, which the forwarder may never have reached.
            var failed = proxy.ProxiedDestination ?? (proxy.AvailableDestinations.Count == 1 ? proxy.AvailableDestinations[0] : null);
            var retry = !context.Response.HasStarted && failed is not null && another && Failure(context, state) switch
            {
                AttemptFailure.NeverSent => body is null || !body.Started,
                AttemptFailure.ReachedOrigin => state.MayRetry && budget.TryWithdraw(),
                _ => false,
            };
            if (!retry || failed is null)
            {
                await FinishAsync(context, cluster, state).ConfigureAwait(false);
                return;
            }

            Log.Retrying(logger, cluster.ClusterId, failed.DestinationId, attempt + 1, Reason(context, state));
            candidates = Without(candidates, failed);
            context.Response.Clear();
            context.Features.Set<IForwarderErrorFeature>(null);
        }
    }

    /// <summary>Gives a response the last attempt left without a body (a held-back origin error, a refused circuit).</summary>
    private static Task FinishAsync(HttpContext context, ClusterResilience cluster, RetryState state)
    {
        if (context.Response.HasStarted)
        {
            return Task.CompletedTask;
        }

        if (state.RetryRequested)
        {
            return Problem.WriteAsync(context, state.HeldStatus, "Origin failed",
                $"The origin in cluster '{cluster.ClusterId}' answered {state.HeldStatus} and the request could not be retried elsewhere (retry budget spent).",
                state.HeldStatus == 503 ? Problem.RetryAfter : null);
        }

        if (state.CircuitRejected)
        {
            EdgeMetrics.Reject(context, EdgeMetrics.Reason.CircuitOpen);
            return Problem.WriteAsync(context, 503, "Circuit open",
                $"The destination chosen in cluster '{cluster.ClusterId}' is being probed after a failure and no other could take the request.", Problem.RetryAfter);
        }

        return Task.CompletedTask;
    }

    private static bool IsSafeToRepeat(HttpContext context, IReverseProxyFeature proxy)
    {
        var request = context.Request;
        if (context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true)
        {
            return false;
        }

        var method = request.Method;
        if (HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method))
        {
            return true;
        }

        return (HttpMethods.IsPut(method) || HttpMethods.IsDelete(method))
            && proxy.Route.Config.Metadata?.TryGetValue(RetryIdempotentWritesKey, out var optIn) == true
            && bool.TryParse(optIn, out var yes) && yes;
    }

    /// <summary>How an attempt failed, as far as retrying is concerned.</summary>
    private static AttemptFailure Failure(HttpContext context, RetryState state)
    {
        if (state.CircuitRejected)
        {
            return AttemptFailure.NeverSent;
        }

        if (state.RetryRequested)
        {
            return AttemptFailure.ReachedOrigin;
        }

        if (context.Features.Get<IForwarderErrorFeature>() is not { Error: ForwarderError.Request } error)
        {
            return AttemptFailure.None;
        }

        for (var ex = error.Exception; ex is not null; ex = ex.InnerException)
        {
            if (ex is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.ProxyTunnelError }
                || ex is SocketException)
            {
                return AttemptFailure.NeverSent;
            }
        }

        // The request went out and the connection broke before an answer: the origin may have acted on it.
        return context.RequestAborted.IsCancellationRequested ? AttemptFailure.None : AttemptFailure.ReachedOrigin;
    }

    private static string Reason(HttpContext context, RetryState state)
        => state.RetryRequested ? $"origin answered {state.HeldStatus}"
            : state.CircuitRejected ? "circuit refused the destination"
            : $"transport failure ({context.Features.Get<IForwarderErrorFeature>()?.Exception?.Message})";

    private static List<DestinationState> Without(IReadOnlyList<DestinationState> destinations, DestinationState failed)
    {
        var kept = new List<DestinationState>(destinations.Count);
        foreach (var destination in destinations)
        {
            if (!ReferenceEquals(destination, failed))
            {
                kept.Add(destination);
            }
        }

        return kept;
    }

    private enum AttemptFailure
    {
        None,
        NeverSent,
        ReachedOrigin,
    }

    private static partial class Log
    {
        [LoggerMessage(310, LogLevel.Debug, "Retrying in cluster {Cluster} after destination {Destination} failed: attempt {Attempt}, {Reason}")]
        public static partial void Retrying(ILogger logger, string cluster, string destination, int attempt, string reason);
    }
}
