using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Edge.Proxy.Hygiene;

/// <summary>
/// Completes YARP's hop-by-hop stripping, both ways. YARP already drops Connection, Keep-Alive,
/// Proxy-Connection, TE, Transfer-Encoding and Upgrade (but sets Upgrade itself when it forwards an
/// upgrade); this also drops <c>Trailer</c> and every header the sender named in its
/// <c>Connection</c> header (RFC 9110 §7.6.1), except the <c>Host</c> and <c>X-Forwarded-*</c> the
/// edge itself sets. It also drops the origin's <c>Server</c> header: the edge sends none, so no
/// product or version leaks from either hop. A request or response without a Connection header
/// pays two header lookups and two removals.
/// </summary>
internal sealed class HopByHopTransform : ITransformProvider
{
    public void ValidateRoute(TransformRouteValidationContext context)
    {
    }

    public void ValidateCluster(TransformClusterValidationContext context)
    {
    }

    public void Apply(TransformBuilderContext context)
    {
        context.AddRequestTransform(static transform =>
        {
            var proxyRequest = transform.ProxyRequest;
            proxyRequest.Headers.Remove(HeaderNames.Trailer);
            var connection = transform.HttpContext.Request.Headers.Connection;
            for (var i = 0; i < connection.Count; i++)
            {
                if (Nominated(connection[i]) is not { } names)
                {
                    continue;
                }

                foreach (var name in names)
                {
                    if (!proxyRequest.Headers.Remove(name))
                    {
                        proxyRequest.Content?.Headers.Remove(name);
                    }
                }
            }

            return ValueTask.CompletedTask;
        });

        context.AddResponseTransform(static transform =>
        {
            var headers = transform.HttpContext.Response.Headers;
            headers.Remove(HeaderNames.Server);
            headers.Remove(HeaderNames.Trailer);
            if (transform.ProxyResponse?.Headers.NonValidated.TryGetValues(HeaderNames.Connection, out var connection) == true)
            {
                foreach (var value in connection)
                {
                    if (Nominated(value) is not { } names)
                    {
                        continue;
                    }

                    foreach (var name in names)
                    {
                        headers.Remove(name);
                    }
                }
            }

            return ValueTask.CompletedTask;
        });
    }

    /// <summary>
    /// The header names a Connection value nominates, without its own options and the headers the
    /// edge sets; null when there are none (the common <c>keep-alive</c>), so that case allocates nothing.
    /// </summary>
    internal static List<string>? Nominated(string? value)
    {
        List<string>? names = null;
        if (string.IsNullOrEmpty(value))
        {
            return names;
        }

        var span = value.AsSpan();
        foreach (var range in span.Split(','))
        {
            var token = span[range].Trim();
            if (token.IsEmpty || IsOption(token) || IsEdgeOwned(token))
            {
                continue;
            }

            (names ??= []).Add(token.ToString());
        }

        return names;
    }

    private static bool IsOption(ReadOnlySpan<char> token)
        => token.Equals("keep-alive", StringComparison.OrdinalIgnoreCase)
            || token.Equals("close", StringComparison.OrdinalIgnoreCase)
            || token.Equals("upgrade", StringComparison.OrdinalIgnoreCase);

    private static bool IsEdgeOwned(ReadOnlySpan<char> token)
        => token.Equals(HeaderNames.Host, StringComparison.OrdinalIgnoreCase)
            || token.StartsWith("X-Forwarded-", StringComparison.OrdinalIgnoreCase);
}
