namespace Edge.Config.Model;

/// <summary>
/// <c>Edge:Canary:&lt;clusterId&gt;</c>: which destination of a <c>Weighted</c> cluster is the
/// canary, how clients stick to a side and how testers force one, and (with <see cref="Steps"/>)
/// a progressive rollout that the edge advances or rolls back on its own.
/// </summary>
public sealed record CanaryRolloutOptions
{
    public const string DefaultForceHeader = "X-Canary";
    public const string DefaultForceCookie = "X-Canary";
    public const string StickyCookiePrefix = "edge-canary-";

    /// <summary>The id of the canary destination in the cluster; every other destination is the stable side.</summary>
    public string? Destination { get; init; }

    /// <summary>
    /// The canary's share of the cluster's traffic at each step, in percent, strictly increasing.
    /// Null: no rollout, the canary's share follows the destinations' <c>Weight</c> metadata.
    /// </summary>
    public IReadOnlyList<int>? Steps { get; init; }

    /// <summary>How long each step lasts before the canary is compared with the stable side.</summary>
    public TimeSpan StepInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Requests the canary must have served in a step before it is judged; with fewer the step is held.</summary>
    public int MinRequests { get; init; } = 100;

    /// <summary>How far the canary's 5xx ratio may exceed the stable side's (0.02 = two percentage points).</summary>
    public double MaxErrorRatio { get; init; } = 0.02;

    /// <summary>How many times the stable side's p95 latency the canary's p95 may be.</summary>
    public double MaxP95LatencyRatio { get; init; } = 1.5;

    /// <summary>A canary p95 at or below this never fails a step: on fast origins a few milliseconds of noise is a large ratio.</summary>
    public TimeSpan P95LatencyFloor { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>The cookie that keeps a client's ticket; default <c>edge-canary-&lt;clusterId&gt;</c>.</summary>
    public string? StickyCookie { get; init; }

    /// <summary>A request header whose value (a user id, say) decides the client's ticket instead of the cookie; none by default.</summary>
    public string? StickyHeader { get; init; }

    /// <summary>A request header whose value <c>always</c> or <c>never</c> forces the canary side or the stable side.</summary>
    public string ForceHeader { get; init; } = DefaultForceHeader;

    /// <summary>The same as a cookie.</summary>
    public string ForceCookie { get; init; } = DefaultForceCookie;

    public string StickyCookieFor(string clusterId) => string.IsNullOrEmpty(StickyCookie) ? StickyCookiePrefix + clusterId : StickyCookie;
}
