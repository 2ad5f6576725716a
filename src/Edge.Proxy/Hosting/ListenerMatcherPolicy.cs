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
/// </summary>
internal sealed class ListenerMatcherPolicy : MatcherPolicy, IEndpointSelectorPolicy
{
    public override int Order => int.MinValue;

    public bool AppliesToEndpoints(IReadOnlyList<Endpoint> endpoints) => true;

    public Task ApplyAsync(HttpContext httpContext, CandidateSet candidates)
    {
        var onAdmin = Listener.Of(httpContext) == ListenerKind.Admin;
        for (var i = 0; i < candidates.Count; i++)
        {
            var isAdmin = candidates[i].Endpoint.Metadata.GetMetadata<AdminEndpointMetadata>() is not null;
            if (isAdmin != onAdmin)
            {
                candidates.SetValidity(i, false);
            }
        }

        return Task.CompletedTask;
    }
}
