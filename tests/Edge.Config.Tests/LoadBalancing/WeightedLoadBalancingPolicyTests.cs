using Edge.Config.LoadBalancing;
using Edge.Config.Tests.TestSupport;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Yarp.ReverseProxy.Model;

namespace Edge.Config.Tests.LoadBalancing;

public sealed class WeightedLoadBalancingPolicyTests
{
    private readonly WeightedClusters _clusters = new();
    private readonly WeightedLoadBalancingPolicy _policy;
    private readonly ClusterState _cluster = new("api");
    private CanaryShare _share = new(0);

    public WeightedLoadBalancingPolicyTests() => _policy = new WeightedLoadBalancingPolicy(_clusters, new Random(42));

    [Fact]
    public async Task PickDestination_Weights90And10_ExactSharesAndNoBursts()
    {
        await ConfigureAsync(("stable", "90"), ("canary", "10"));
        var available = Destinations("stable", "canary");

        var picks = Enumerable.Range(0, 2000).Select(_ => Pick(available)).ToList();

        Assert.InRange(picks.Count(p => p == "canary"), 199, 201);
        // Spread, not bunched: the canary's picks are 5 to 15 apart, and any 100 consecutive picks hold 8 to 12 of them.
        var at = picks.Select((p, i) => (p, i)).Where(x => x.p == "canary").Select(x => x.i).ToList();
        Assert.All(at.Zip(at.Skip(1)), p => Assert.InRange(p.Second - p.First, 5, 15));
        for (var start = 0; start + 100 <= picks.Count; start += 7)
        {
            Assert.InRange(picks.Skip(start).Take(100).Count(p => p == "canary"), 8, 12);
        }
    }

    [Theory]
    [InlineData("0", "100", 0)]
    [InlineData("100", "0", 1000)]
    [InlineData("1", "3", 250)]
    public async Task PickDestination_Weights_ShareIsExact(string aWeight, string bWeight, int expectedA)
    {
        await ConfigureAsync(("a", aWeight), ("b", bWeight));
        var available = Destinations("a", "b");

        var toA = Enumerable.Range(0, 1000).Count(_ => Pick(available) == "a");

        Assert.InRange(toA, expectedA - 1, expectedA + 1);
    }

    [Fact]
    public async Task PickDestination_NoWeights_SplitsEvenly()
    {
        await ConfigureAsync(("a", null), ("b", null), ("c", null));
        var available = Destinations("a", "b", "c");

        var counts = Enumerable.Range(0, 900).Select(_ => Pick(available)).GroupBy(p => p).ToDictionary(g => g.Key, g => g.Count());

        Assert.All(counts.Values, c => Assert.InRange(c, 299, 301));
    }

    [Fact]
    public async Task PickDestination_OneUnavailable_RenormalisesOverTheRest()
    {
        await ConfigureAsync(("a", "50"), ("b", "30"), ("c", "20"));
        var withoutA = Destinations("b", "c");

        var toB = Enumerable.Range(0, 1000).Count(_ => Pick(withoutA) == "b");

        Assert.InRange(toB, 599, 601);
    }

    [Fact]
    public async Task PickDestination_OnlyWeightZeroLeft_TheyShareRatherThanFail()
    {
        await ConfigureAsync(("a", "100"), ("b", "0"), ("c", "0"));
        var withoutA = Destinations("b", "c");

        var toB = Enumerable.Range(0, 100).Count(_ => Pick(withoutA) == "b");

        Assert.InRange(toB, 49, 51);
    }

    [Fact]
    public async Task PickDestination_WeightsReloaded_ApplyToTheVeryNextPick()
    {
        await ConfigureAsync(("a", "100"), ("b", "0"));
        var available = Destinations("a", "b");
        Assert.All(Enumerable.Range(0, 50), _ => Assert.Equal("a", Pick(available)));

        await ConfigureAsync(("a", "0"), ("b", "100"));

        Assert.All(Enumerable.Range(0, 50), _ => Assert.Equal("b", Pick(available)));
    }

    [Fact]
    public void PickDestination_NoneAvailable_Null()
        => Assert.Null(_policy.PickDestination(new DefaultHttpContext(), _cluster, []));

    [Fact]
    public async Task PickDestination_NewClients_SplitByTheShareAndTicketedOnTheirSide()
    {
        await ConfigureCanaryAsync(percent: 10);
        var available = Destinations("stable", "canary");

        var clients = new List<(string Side, int Ticket)>();
        for (var i = 0; i < 2000; i++)
        {
            var context = Context();
            var side = Pick(available, context);
            clients.Add((side, await TicketCookieAsync(context)));
        }

        Assert.InRange(clients.Count(c => c.Side == "canary"), 199, 201);
        Assert.All(clients, c => Assert.Equal(c.Side == "canary", c.Ticket < 1000));
        // Tickets cover their side's range, so a later ramp moves a fair sample of stable clients.
        Assert.InRange(clients.Where(c => c.Side == "stable").Average(c => c.Ticket), 5000, 6000);
    }

    [Fact]
    public async Task PickDestination_SameClient_StaysOnItsSideWhileTheShareHolds()
    {
        await ConfigureCanaryAsync(percent: 50);
        var available = Destinations("stable", "canary");
        var first = Context();
        var side = Pick(available, first);
        var cookie = await SetCookieAsync(first);

        for (var i = 0; i < 50; i++)
        {
            var again = Context(cookie: cookie);
            Assert.Equal(side, Pick(available, again));
            Assert.Null(await SetCookieAsync(again));
        }
    }

    [Fact]
    public async Task PickDestination_ShareRaised_ClientsOnlyMoveFromStableToCanary()
    {
        await ConfigureCanaryAsync(percent: 10);
        var available = Destinations("stable", "canary");
        var tickets = Enumerable.Range(0, ClientTicket.Range).ToList();
        var previous = tickets.ToDictionary(t => t, t => Pick(available, Context(cookie: $"edge-canary-api={t}")));

        foreach (var percent in new[] { 25, 50, 75, 100 })
        {
            _share.BasisPoints = CanaryShare.FromPercent(percent);
            var now = tickets.ToDictionary(t => t, t => Pick(available, Context(cookie: $"edge-canary-api={t}")));

            Assert.DoesNotContain(tickets, t => previous[t] == "canary" && now[t] == "stable");
            Assert.Equal(percent * 100, now.Values.Count(v => v == "canary"));
            previous = now;
        }
    }

    [Theory]
    [InlineData("always", null, "canary")]
    [InlineData("ALWAYS", null, "canary")]
    [InlineData("never", null, "stable")]
    [InlineData(null, "X-Canary=always", "canary")]
    [InlineData(null, "a=1; X-Canary=never; edge-canary-api=5", "stable")]
    // The header wins over the cookie.
    [InlineData("never", "X-Canary=always", "stable")]
    public async Task PickDestination_Forced_OverridesShareAndTicket(string? header, string? cookie, string expected)
    {
        await ConfigureCanaryAsync(percent: 50);
        var available = Destinations("stable", "canary");
        var ticket = expected == "canary" ? 9999 : 0;

        for (var i = 0; i < 20; i++)
        {
            var context = Context(cookie: cookie ?? $"edge-canary-api={ticket}");
            if (header is not null)
            {
                context.Request.Headers["X-Canary"] = header;
            }

            Assert.Equal(expected, Pick(available, context));
        }
    }

    [Fact]
    public async Task PickDestination_ForcedCanaryAtShareZero_StillReachesIt()
    {
        await ConfigureCanaryAsync(percent: 0);
        var context = Context();
        context.Request.Headers["X-Canary"] = "always";

        Assert.Equal("canary", Pick(Destinations("stable", "canary"), context));
    }

    [Fact]
    public async Task PickDestination_CanaryUnavailable_ItsClientsGoToStableAndReturnLater()
    {
        await ConfigureCanaryAsync(percent: 50);
        var canaryClient = Context(cookie: "edge-canary-api=10");
        Assert.Equal("stable", Pick(Destinations("stable", "other"), canaryClient));

        var newClient = Context();
        Assert.Equal("stable", Pick(Destinations("stable", "other"), newClient));
        Assert.True(await TicketCookieAsync(newClient) >= 5000);

        Assert.Equal("canary", Pick(Destinations("stable", "other", "canary"), Context(cookie: "edge-canary-api=10")));
    }

    [Fact]
    public async Task PickDestination_StickyHeader_SameUserSameSide_AndSharesFollowTheShare()
    {
        await ConfigureCanaryAsync(percent: 20, extra: """, "StickyHeader": "X-User-Id" """);
        var available = Destinations("stable", "canary");

        var sides = new Dictionary<string, string>();
        for (var user = 0; user < 5000; user++)
        {
            var context = Context();
            context.Request.Headers["X-User-Id"] = $"user-{user}";
            sides[$"user-{user}"] = Pick(available, context);
            Assert.Null(await SetCookieAsync(context));
        }

        Assert.InRange(sides.Values.Count(s => s == "canary"), 900, 1100);
        foreach (var (user, side) in sides.Take(200))
        {
            var context = Context(cookie: "edge-canary-api=0");
            context.Request.Headers["X-User-Id"] = user;
            Assert.Equal(side, Pick(available, context));
        }
    }

    [Fact]
    public async Task PickDestination_RetryOfANewClient_KeepsItsTicketAndWritesOneCookie()
    {
        await ConfigureCanaryAsync(percent: 50);
        var context = Context();
        var first = Pick(Destinations("stable", "canary"), context);

        // The retry loop sends the request again without the destination that failed.
        var second = Pick(Destinations("stable", "other", "canary"), context);

        Assert.Equal(first == "canary", second == "canary");
        await StartAsync(context);
        Assert.Single(context.Response.Headers.SetCookie);
    }

    [Fact]
    public async Task PickDestination_WeightsOrATicketCookie_AllocatesNothing()
    {
        await ConfigureAsync(("a", "90"), ("b", "10"));
        var available = Destinations("a", "b");
        var context = Context();
        Assert.Equal(0, Allocated(() => _policy.PickDestination(context, _cluster, available)));

        await ConfigureCanaryAsync(percent: 10);
        available = Destinations("stable", "other", "canary");
        var client = Context(cookie: "session=abc; edge-canary-api=4711");
        Assert.Equal(0, Allocated(() => _policy.PickDestination(client, _cluster, available)));
    }

    [Theory]
    [InlineData("edge-canary-api=42", null, 42)]
    [InlineData("a=b;edge-canary-api=42", null, 42)]
    [InlineData("a=b; edge-canary-api = \"42\" ; c=d", null, 42)]
    [InlineData("edge-canary-api=10000", null, -1)]
    [InlineData("edge-canary-api=-3", null, -1)]
    [InlineData("edge-canary-api=", null, -1)]
    [InlineData("edge-canary-apix=42", null, -1)]
    [InlineData("X-Canary=always; edge-canary-api=7", true, 7)]
    [InlineData("X-Canary=sometimes", null, -1)]
    [InlineData("X-Canary=Never", false, -1)]
    [InlineData(";;=;X-Canary", null, -1)]
    public void ReadCookies_FindsBothCookiesOrNothing(string header, bool? force, int ticket)
    {
        ClientTicket.ReadCookies(header, "X-Canary", "edge-canary-api", out var readForce, out var readTicket);

        Assert.Equal(force, readForce);
        Assert.Equal(ticket, readTicket);
    }

    [Fact]
    public void FromHeader_IsStableAndInRange()
    {
        Assert.Equal(ClientTicket.FromHeader("user-1"), ClientTicket.FromHeader("user-1"));
        Assert.All(Enumerable.Range(0, 1000), i => Assert.InRange(ClientTicket.FromHeader($"u{i}"), 0, ClientTicket.Range - 1));
    }

    private static long Allocated(Action pick)
    {
        pick();
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            pick();
        }

        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    private async Task ConfigureAsync(params (string Id, string? Weight)[] destinations)
    {
        var list = string.Join(", ", destinations.Select(d => d.Weight is null
            ? $"\"{d.Id}\": {{ \"Address\": \"http://10.0.0.1:8080/\" }}"
            : $"\"{d.Id}\": {{ \"Address\": \"http://10.0.0.1:8080/\", \"Metadata\": {{ \"Weight\": \"{d.Weight}\" }} }}"));
        await UpdateAsync($$"""{ "ReverseProxy": { "Clusters": { "api": { "LoadBalancingPolicy": "Weighted", "Destinations": { {{list}} } } } } }""");
    }

    private async Task ConfigureCanaryAsync(int percent, string extra = "")
    {
        _share = new CanaryShare(CanaryShare.FromPercent(percent));
        await UpdateAsync($$"""
            {
              "ReverseProxy": { "Clusters": { "api": { "LoadBalancingPolicy": "Weighted", "Destinations": {
                "stable": { "Address": "http://10.0.0.1:8080/", "Metadata": { "Weight": "3" } },
                "other": { "Address": "http://10.0.0.2:8080/", "Metadata": { "Weight": "1" } },
                "canary": { "Address": "http://10.0.0.3:8080/" } } } } },
              "Edge": { "Canary": { "api": { "Destination": "canary", "Steps": [ 10, 100 ] {{extra}} } } }
            }
            """);
    }

    private async Task UpdateAsync(string fragment)
    {
        var snapshot = TestConfig.AssertValid(await TestConfig.LoadWithAsync(fragment));
        _clusters.Update(snapshot, _ => _share);
    }

    private string Pick(IReadOnlyList<DestinationState> available, HttpContext? context = null)
        => _policy.PickDestination(context ?? Context(), _cluster, available)!.DestinationId;

    private static DestinationState[] Destinations(params string[] ids) => ids.Select(id => new DestinationState(id)).ToArray();

    private static DefaultHttpContext Context(string? cookie = null)
    {
        var context = new DefaultHttpContext();
        context.Features.Set<IHttpResponseFeature>(new StartableResponse());
        if (cookie is not null)
        {
            context.Request.Headers.Cookie = cookie;
        }

        return context;
    }

    private static async Task<string?> SetCookieAsync(HttpContext context)
    {
        await StartAsync(context);
        var cookie = context.Response.Headers.SetCookie.SingleOrDefault();
        return cookie?.Split(';')[0];
    }

    private static async Task<int> TicketCookieAsync(HttpContext context)
    {
        var cookie = await SetCookieAsync(context);
        Assert.NotNull(cookie);
        Assert.StartsWith("edge-canary-api=", cookie, StringComparison.Ordinal);
        Assert.Contains("path=/", context.Response.Headers.SetCookie.Single(), StringComparison.Ordinal);
        return int.Parse(cookie["edge-canary-api=".Length..], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static Task StartAsync(HttpContext context) => ((StartableResponse)context.Features.Get<IHttpResponseFeature>()!).StartAsync();

    /// <summary>A response feature that runs its OnStarting callbacks when told, as the server does when the response starts.</summary>
    private sealed class StartableResponse : HttpResponseFeature
    {
        private readonly List<(Func<object, Task> Callback, object State)> _starting = [];

        public override void OnStarting(Func<object, Task> callback, object state) => _starting.Add((callback, state));

        public async Task StartAsync()
        {
            foreach (var (callback, state) in _starting)
            {
                await callback(state);
            }

            _starting.Clear();
        }
    }
}
