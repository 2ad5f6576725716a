using Edge.Config.LoadBalancing;
using Edge.Proxy.Canary;
using Edge.Proxy.Errors;

namespace Edge.Proxy.Admin;

/// <summary>
/// <c>GET /admin/canary</c>: each canary's state, step, weights and last analysis;
/// <c>POST /admin/canary/{cluster}/pause|resume|promote|abort</c>: 404 for a cluster without a
/// canary, 409 when the rollout's state does not allow the action.
/// </summary>
internal static class CanaryEndpoint
{
    public static readonly string[] Actions = ["pause", "resume", "promote", "abort"];

    public static CanaryBody Describe(CanaryRollouts rollouts)
        => new([.. rollouts.All.Select(r => Describe(r, rollouts.Weighted))]);

    public static IResult Act(CanaryRollouts rollouts, string clusterId, string action)
    {
        if (rollouts.Find(clusterId) is not { } rollout)
        {
            var known = rollouts.All.Select(r => $"'{r.ClusterId}'").ToList();
            return new ProblemResult(StatusCodes.Status404NotFound, "No such canary",
                $"Cluster '{clusterId}' has no canary under Edge:Canary. Canaries: {(known.Count == 0 ? "none" : string.Join(", ", known))}.");
        }

        var outcome = action switch
        {
            "pause" => rollout.Pause(),
            "resume" => rollout.Resume(),
            "promote" => rollout.Promote(),
            _ => rollout.Abort(),
        };
        return outcome.Done
            ? Results.Json(Describe(rollout, rollouts.Weighted), AdminJsonContext.Default.RolloutBody)
            : new ProblemResult(StatusCodes.Status409Conflict, "Not allowed in this state", outcome.Detail);
    }

    private static RolloutBody Describe(CanaryRollout rollout, WeightedClusters weighted)
    {
        var view = rollout.Describe();
        var weights = new Dictionary<string, double>(StringComparer.Ordinal);
        if (weighted.Find(view.ClusterId) is { } table)
        {
            foreach (var (destination, percent) in CanaryWeightGauge.Percentages(table).OrderBy(p => p.Destination, StringComparer.Ordinal))
            {
                weights[destination] = percent;
            }
        }

        var options = view.Options;
        var analysis = view.LastAnalysis is { } last
            ? new AnalysisBody(last.At, last.Step, last.Percent, last.Verdict.Decision.ToString(), last.Verdict.Reason, Side(last.Verdict.Canary), Side(last.Verdict.Stable))
            : null;
        return new RolloutBody(
            view.ClusterId,
            view.CanaryId,
            view.State.ToString(),
            view.Step,
            view.Steps,
            view.ShareBasisPoints / (ClientTicket.Range / 100.0),
            weights,
            view.Since,
            view.Steps is null ? null : options.StepInterval,
            view.NextAnalysisAt,
            view.Steps is null ? null : new ThresholdsBody(options.MinRequests, options.MaxErrorRatio, options.MaxP95LatencyRatio, options.P95LatencyFloor.TotalMilliseconds),
            analysis);
    }

    private static SideBody Side(SideStats stats)
        => new(stats.Requests, stats.Errors, Math.Round(stats.ErrorRatio, 4), stats.P95 is { } p95 ? Math.Round(p95.TotalMilliseconds, 2) : null);

    private sealed class ProblemResult(int status, string title, string detail) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext) => Problem.WriteAsync(httpContext, status, title, detail);
    }
}

public sealed record CanaryBody(IReadOnlyList<RolloutBody> Rollouts);

public sealed record RolloutBody(
    string Cluster,
    string Canary,
    string State,
    int? Step,
    IReadOnlyList<int>? Steps,
    double CanaryPercent,
    IReadOnlyDictionary<string, double> Weights,
    DateTimeOffset Since,
    TimeSpan? StepInterval,
    DateTimeOffset? NextAnalysisAt,
    ThresholdsBody? Thresholds,
    AnalysisBody? LastAnalysis);

public sealed record ThresholdsBody(int MinRequests, double MaxErrorRatio, double MaxP95LatencyRatio, double P95LatencyFloorMs);

public sealed record AnalysisBody(DateTimeOffset At, int Step, int Percent, string Decision, string Reason, SideBody Canary, SideBody Stable);

public sealed record SideBody(long Requests, long Errors5xx, double ErrorRatio, double? P95Ms);
