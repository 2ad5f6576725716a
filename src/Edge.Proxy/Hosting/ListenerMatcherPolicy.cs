using Microsoft.AspNetCore.Routing.Matching;

namespace Edge.Proxy.Hosting;

/// <summary>Marks an endpoint as belonging to the admin listener.</summary>
public sealed class AdminEndpointMetadata
{
    public static readonly AdminEndpointMetadata Instance = new();
}

/// <summary>
/// Keeps the two listeners apart inside routing: on a public connection admin endpoints do not
/// exist (so a catch-all route still proxies <c>/healthz</c>), and on an admin connection proxied
/// routes do not exist. Decided by the connection's listener, never by the Host header.
/// Routing's own 405 endpoint (a path whose endpoints take other methods: <c>HEAD /healthz</c>)
/// has no metadata to tell whose it is, so on a public connection it goes too: 405 with
/// <c>Allow: GET</c> would tell the internet which admin paths exist; the request gets the
/// edge's 404 instead.
/// </summary>
internal sealed class ListenerMatcherPolicy : MatcherPolicy, IEndpointSelectorPolicy
{
    /// <summary>The display name of the endpoint ASP.NET Core routing builds to answer 405 (HttpMethodMatcherPolicy).</summary>
    private const string MethodRejection = "405 HTTP Method Not Supported";

    public override int Order => int.MinValue;

    public bool AppliesToEndpoints(IReadOnlyList<Endpoint> endpoints) => true;

    public Task ApplyAsync(HttpContext httpContext, CandidateSet candidates)
    {
        var onAdmin = Listener.Of(httpContext) == ListenerKind.Admin;
        for (var i = 0; i < candidates.Count; i++)
        {
            var endpoint = candidates[i].Endpoint;
            var isAdmin = endpoint.Metadata.GetMetadata<AdminEndpointMetadata>() is not null;
            if (isAdmin != onAdmin || (!onAdmin && endpoint.DisplayName == MethodRejection))
            {
                candidates.SetValidity(i, false);
            }
        }

        return Task.CompletedTask;
    }
}
