using System.Globalization;
using Edge.Config.Model;

namespace Edge.Proxy.Canary;

/// <summary>What an analysis decided at the end of a step.</summary>
internal enum CanaryDecision
{
    /// <summary>The canary did as well as the stable side: on to the next step.</summary>
    Advance,

    /// <summary>The last step passed: the rollout is complete.</summary>
    Promote,

    /// <summary>Too few requests to judge: stay at this step and keep counting.</summary>
    Hold,

    /// <summary>The canary did worse: its share goes to 0.</summary>
    RollBack,
}

/// <summary>An analysis: its decision, why, and the numbers it was made on.</summary>
internal sealed record CanaryVerdict(CanaryDecision Decision, string Reason, SideStats Canary, SideStats Stable);

/// <summary>
/// Judges a step: the canary against the stable side over the same window.
/// <list type="bullet">
/// <item>5xx: the canary's ratio may exceed the stable side's by at most <c>MaxErrorRatio</c>
/// (percentage points). With fewer than <c>MinRequests</c> stable requests the stable ratio is
/// taken as 0, so the limit is absolute; a stable side failing as much as the canary (a shared
/// dependency down) does not roll the canary back.</item>
/// <item>p95 latency: the canary's may be at most <c>MaxP95LatencyRatio</c> times the stable
/// side's, unless it is at or below <c>P95LatencyFloor</c>; not compared when the stable side
/// had fewer than <c>MinRequests</c> requests.</item>
/// <item>Fewer than <c>MinRequests</c> canary requests: hold, unless the 5xx already counted
/// exceed what <c>MinRequests</c> requests could allow; then roll back at once (the safe direction
/// does not wait).</item>
/// </list>
/// </summary>
internal static class CanaryAnalysis
{
    public static CanaryVerdict Judge(SideStats canary, SideStats stable, CanaryRolloutOptions options, bool lastStep)
    {
        var stableCounts = stable.Requests >= options.MinRequests;
        var baseline = stableCounts ? stable.ErrorRatio : 0;
        var allowed = baseline + options.MaxErrorRatio;

        if (canary.Requests < options.MinRequests)
        {
            if (canary.Errors > allowed * options.MinRequests)
            {
                return new CanaryVerdict(CanaryDecision.RollBack,
                    $"{canary.Errors} 5xx in {canary.Requests} canary requests: more than {Percent(allowed)} of MinRequests ({options.MinRequests}) whatever comes next", canary, stable);
            }

            return new CanaryVerdict(CanaryDecision.Hold,
                $"{canary.Requests} canary requests, fewer than MinRequests ({options.MinRequests})", canary, stable);
        }

        if (canary.ErrorRatio > allowed)
        {
            return new CanaryVerdict(CanaryDecision.RollBack,
                $"canary 5xx ratio {Percent(canary.ErrorRatio)} is above {Percent(allowed)} (stable {(stableCounts ? Percent(baseline) : "not counted")} + MaxErrorRatio {Percent(options.MaxErrorRatio)})", canary, stable);
        }

        if (stableCounts && canary.P95 is { } canaryP95 && stable.P95 is { } stableP95
            && canaryP95 > options.P95LatencyFloor && canaryP95.TotalMilliseconds > stableP95.TotalMilliseconds * options.MaxP95LatencyRatio)
        {
            return new CanaryVerdict(CanaryDecision.RollBack,
                $"canary p95 {Millis(canaryP95)} ms is above {options.MaxP95LatencyRatio.ToString(CultureInfo.InvariantCulture)} x stable p95 {Millis(stableP95)} ms", canary, stable);
        }

        var latency = stableCounts ? string.Empty : $"; latency not compared: {stable.Requests} stable requests, fewer than MinRequests";
        return new CanaryVerdict(lastStep ? CanaryDecision.Promote : CanaryDecision.Advance,
            $"canary 5xx ratio {Percent(canary.ErrorRatio)} within {Percent(allowed)}, p95 within limits{latency}", canary, stable);
    }

    private static string Percent(double ratio) => (ratio * 100).ToString("0.##", CultureInfo.InvariantCulture) + " %";

    public static string Millis(TimeSpan duration) => duration.TotalMilliseconds.ToString("0.##", CultureInfo.InvariantCulture);
}
