using Edge.Proxy.Errors;
using Edge.Proxy.Observability;
using Polly;
using Polly.CircuitBreaker;
using Yarp.ReverseProxy.Forwarder;

namespace Edge.Proxy.Resilience;

/// <summary>Runs the forwarding of one attempt through the chosen destination's circuit breaker.</summary>
internal sealed class CircuitBreakerMiddleware(RequestDelegate next, ResilienceRegistry registry)
{
    // Not async where it need not be: with breakers off, a request pays for no state machine here.
    public Task InvokeAsync(HttpContext context)
    {
        var proxy = context.GetReverseProxyFeature();
        var cluster = registry.Find(proxy.Cluster.Config.ClusterId);
        return cluster is not { BreakersEnabled: true } || proxy.AvailableDestinations.Count == 0
            || cluster.Breaker(proxy.AvailableDestinations[0].DestinationId) is not { } breaker
            ? next(context)
            : ThroughBreakerAsync(context, cluster, breaker);
    }

    private async Task ThroughBreakerAsync(HttpContext context, ClusterResilience cluster, DestinationBreaker breaker)
    {
        // No token: the forwarding inside watches the request itself, and Polly need not link to it.
        var resilienceContext = ResilienceContextPool.Shared.Get(CancellationToken.None);
        try
        {
            var outcome = await breaker.Pipeline.ExecuteOutcomeAsync(
                static async (_, state) =>
                {
                    await state.Next(state.Context).ConfigureAwait(false);
                    return Outcome.FromResult(Classify(state.Context));
                },
                resilienceContext,
                (Next: next, Context: context)).ConfigureAwait(false);

            if (outcome.Exception is BrokenCircuitException)
            {
                if (context.Features.Get<RetryState>() is { } retry)
                {
                    retry.CircuitRejected = true;
                }
                else
                {
                    // No retry loop to send it elsewhere: the trial slot is taken, so refuse now.
                    EdgeMetrics.Reject(context, EdgeMetrics.Reason.CircuitOpen);
                    await Problem.WriteAsync(context, 503, "Circuit open",
                        $"The destination chosen in cluster '{cluster.ClusterId}' is being probed after a failure.", Problem.RetryAfter).ConfigureAwait(false);
                }
            }
            else
            {
                outcome.ThrowIfException();
            }
        }
        finally
        {
            ResilienceContextPool.Shared.Return(resilienceContext);
        }
    }

    /// <summary>The attempt's outcome for the breaker: the status, or <see cref="DestinationBreaker.Abandoned"/> when the client left.</summary>
    private static int Classify(HttpContext context)
    {
        var error = context.Features.Get<IForwarderErrorFeature>()?.Error;
        if (error is ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled or ForwarderError.ResponseBodyCanceled
            || context.RequestAborted.IsCancellationRequested && error is not ForwarderError.RequestTimedOut)
        {
            return DestinationBreaker.Abandoned;
        }

        return context.Features.Get<RetryState>() is { RetryRequested: true } held ? held.HeldStatus : context.Response.StatusCode;
    }
}
