using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Edge.Proxy.Resilience;

/// <summary>
/// Holds back a 502/503 from the origin when the request may be retried: the body is not
/// copied and nothing reaches the client, so the retry loop can send the request elsewhere.
/// </summary>
internal sealed class RetryResponseTransform : ITransformProvider
{
    public void ValidateRoute(TransformRouteValidationContext context)
    {
    }

    public void ValidateCluster(TransformClusterValidationContext context)
    {
    }

    public void Apply(TransformBuilderContext context) => context.AddResponseTransform(static transform =>
    {
        if (transform.HttpContext.Features.Get<RetryState>() is { MayRetry: true } state
            && transform.ProxyResponse?.StatusCode is System.Net.HttpStatusCode.BadGateway or System.Net.HttpStatusCode.ServiceUnavailable)
        {
            transform.SuppressResponseBody = true;
            state.RetryRequested = true;
            state.HeldStatus = (int)transform.ProxyResponse.StatusCode;
        }

        return ValueTask.CompletedTask;
    });
}
