using Edge.Proxy.Resilience;
using Yarp.ReverseProxy.Forwarder;

namespace Edge.Proxy.Canary;

/// <summary>
/// Feeds each progressive rollout's recorder: every attempt forwarded to a destination of its
/// cluster, with its status and duration. It sits after load balancing and the circuit breaker,
/// so it sees each attempt of a retried request (a canary failure that a retry hid still counts
/// against the canary) and only attempts that were sent. A cluster without a rollout pays one
/// check of an empty dictionary.
/// </summary>
internal sealed class CanaryRecorderMiddleware(RequestDelegate next, CanaryRollouts rollouts, TimeProvider timeProvider)
{
    public Task InvokeAsync(HttpContext context)
    {
        var proxy = context.GetReverseProxyFeature();
        if (rollouts.Recording(proxy.Cluster.Config.ClusterId) is not { State: RolloutState.Running } rollout || proxy.AvailableDestinations.Count == 0)
        {
            return next(context);
        }

        return RecordAsync(context, rollout, proxy.AvailableDestinations[0].DestinationId);
    }

    private async Task RecordAsync(HttpContext context, CanaryRollout rollout, string destinationId)
    {
        var started = timeProvider.GetTimestamp();
        await next(context).ConfigureAwait(false);

        // A client that left says nothing about the destination.
        var error = context.Features.Get<IForwarderErrorFeature>()?.Error;
        if (error is ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled or ForwarderError.ResponseBodyCanceled
            || context.RequestAborted.IsCancellationRequested && error is not ForwarderError.RequestTimedOut)
        {
            return;
        }

        var status = context.Features.Get<RetryState>() is { RetryRequested: true } held ? held.HeldStatus : context.Response.StatusCode;
        rollout.Record(destinationId, status, timeProvider.GetElapsedTime(started));
    }
}
