using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Edge.Config.LoadBalancing;

/// <summary>
/// <c>LoadBalancingPolicy: "Weighted"</c>: picks among the destinations YARP hands it (already
/// without unhealthy ones and open circuits) in proportion to their <c>Metadata.Weight</c>. In a
/// cluster with an <c>Edge:Canary</c> entry, a client is first put on a side: forced by the force
/// header or cookie, else by its ticket (sticky header or cookie) against the canary's share, else,
/// for a new client, in proportion to that share, with a ticket from that side's range written in
/// a cookie. Registered here so validation knows the name.
/// </summary>
internal sealed class WeightedLoadBalancingPolicy : ILoadBalancingPolicy
{
    private readonly WeightedClusters _clusters;
    private readonly Random _random;

    // Only between a config reaching YARP and its table being built: every weight is the default.
    private readonly WeightedCluster _unknown = WeightedCluster.From(new ClusterConfig { ClusterId = string.Empty }, null, null, null);

    public WeightedLoadBalancingPolicy(WeightedClusters clusters)
        : this(clusters, Random.Shared)
    {
    }

    internal WeightedLoadBalancingPolicy(WeightedClusters clusters, Random random)
    {
        _clusters = clusters;
        _random = random;
    }

    public string Name => WeightedClusters.PolicyName;

    public DestinationState? PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> availableDestinations)
    {
        if (availableDestinations.Count == 0)
        {
            return null;
        }

        var table = _clusters.Find(cluster.ClusterId) ?? _unknown;
        return table.Canary is { } canary
            ? PickWithCanary(context, table, canary, availableDestinations)
            : table.PickByWeight(availableDestinations, skipCanary: false);
    }

    private DestinationState? PickWithCanary(HttpContext context, WeightedCluster table, CanarySettings canary, IReadOnlyList<DestinationState> available)
    {
        DestinationState? canaryDestination = null;
        for (var i = 0; i < available.Count; i++)
        {
            if (table.IsCanary(available[i]))
            {
                canaryDestination = available[i];
                break;
            }
        }

        var stableAvailable = available.Count > (canaryDestination is null ? 0 : 1);
        var toCanary = Side(context, table, canary, canaryDestination is not null, stableAvailable);

        // A side with nothing available sends its clients to the other side rather than failing them.
        return toCanary && canaryDestination is not null || !stableAvailable
            ? canaryDestination
            : table.PickByWeight(available, skipCanary: true);
    }

    /// <summary>True for the canary side.</summary>
    private bool Side(HttpContext context, WeightedCluster table, CanarySettings canary, bool canaryAvailable, bool stableAvailable)
    {
        var headers = context.Request.Headers;
        if (ClientTicket.Force(headers[canary.ForceHeader].ToString()) is { } forcedByHeader)
        {
            return forcedByHeader;
        }

        var share = canary.Share.BasisPoints;
        if (canary.StickyHeader is { } stickyHeader && headers[stickyHeader] is { Count: > 0 } identity && !string.IsNullOrEmpty(identity[0]))
        {
            return ClientTicket.FromHeader(identity[0]!) < share;
        }

        ClientTicket.ReadCookies(headers.Cookie, canary.ForceCookie, canary.StickyCookie, out var forcedByCookie, out var ticket);
        if (forcedByCookie is { } forced)
        {
            return forced;
        }

        if (ticket < 0 && context.Features.Get<NewTicket>() is { } given)
        {
            // A retry of this request: it keeps the ticket its first attempt was given.
            ticket = given.Ticket;
        }

        if (ticket >= 0)
        {
            return ticket < share;
        }

        // A new client: a side in proportion to the share among what is available now, then a
        // ticket from that side's range, so the client stays there while the share holds.
        var effective = !canaryAvailable ? 0 : stableAvailable ? share : ClientTicket.Range;
        var toCanary = table.Sides.Next(ClientTicket.Range) < effective;
        var (low, high) = toCanary ? (0, share) : (share, ClientTicket.Range);
        if (low < high)
        {
            var issued = new NewTicket(canary.StickyCookie, _random.Next(low, high));
            context.Features.Set(issued);
            context.Response.OnStarting(NewTicket.WriteCookie, context);
        }

        return toCanary;
    }

    /// <summary>The ticket given to a client that had none; written as a cookie when the response starts (after any retry cleared the headers).</summary>
    private sealed class NewTicket(string cookie, int ticket)
    {
        public static readonly Func<object, Task> WriteCookie = state =>
        {
            var context = (HttpContext)state;
            if (context.Features.Get<NewTicket>() is { } issued)
            {
                context.Response.Headers.Append(HeaderNames.SetCookie, new SetCookieHeaderValue(issued._cookie, issued.Ticket.ToString(CultureInfo.InvariantCulture))
                {
                    Path = "/",
                    HttpOnly = true,
                    SameSite = Microsoft.Net.Http.Headers.SameSiteMode.Lax,
                    Secure = context.Request.IsHttps,
                }.ToString());
            }

            return Task.CompletedTask;
        };

        private readonly string _cookie = cookie;

        public int Ticket { get; } = ticket;
    }
}
