using Edge.Config.LoadBalancing;
using Edge.Config.Model;
using Yarp.ReverseProxy.Configuration;

namespace Edge.Proxy.Canary;

/// <summary>Where a canary stands.</summary>
public enum RolloutState
{
    /// <summary>Steps are being taken; each ends with an analysis.</summary>
    Running,

    /// <summary>Held at its step by the admin API; no analysis until resumed.</summary>
    Paused,

    /// <summary>At its last step for good: every analysis passed, or the admin API promoted it.</summary>
    Promoted,

    /// <summary>An analysis found the canary worse than the stable side: share 0.</summary>
    RolledBack,

    /// <summary>Sent to share 0 by the admin API.</summary>
    Aborted,

    /// <summary>No Steps: the canary's share comes from the destinations' weights.</summary>
    Static,

    /// <summary>Steps, but the canary's Weight is 0 in the config: no rollout, no traffic.</summary>
    Off,
}

/// <summary>The outcome of an admin action: done, or refused in the current state (with why).</summary>
internal readonly record struct ActionOutcome(bool Done, string Detail);

/// <summary>An analysis as it is shown and kept: when, at which step, and its verdict.</summary>
internal sealed record AnalysisRecord(DateTimeOffset At, int Step, int Percent, CanaryVerdict Verdict);

/// <summary>A consistent view of a rollout for the admin API.</summary>
internal sealed record RolloutView(
    string ClusterId,
    string CanaryId,
    RolloutState State,
    int? Step,
    IReadOnlyList<int>? Steps,
    int ShareBasisPoints,
    DateTimeOffset Since,
    DateTimeOffset? NextAnalysisAt,
    AnalysisRecord? LastAnalysis,
    CanaryRolloutOptions Options);

/// <summary>
/// One cluster's canary: its share of clients and, with Steps, the progressive rollout that moves
/// it. A timer (from the injected <see cref="TimeProvider"/>) ends each step with an analysis of
/// what <see cref="Recorder"/> counted; the decision moves the share at once. State changes are
/// serialized by one lock; requests only read the share and the state.
/// </summary>
internal sealed partial class CanaryRollout : IDisposable
{
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ITimer? _timer;
    private readonly int[] _steps;
    private CanaryRolloutOptions _options;
    private volatile RolloutState _state;
    private int _step;
    private DateTimeOffset _since;
    private DateTimeOffset? _nextAnalysisAt;
    private AnalysisRecord? _lastAnalysis;
    private bool _disposed;

    public CanaryRollout(ClusterConfig cluster, CanaryRolloutOptions options, TimeProvider time, ILogger logger)
    {
        ClusterId = cluster.ClusterId;
        CanaryId = CanonicalId(cluster, options.Destination!);
        Identity = IdentityOf(cluster, options);
        _options = options;
        _time = time;
        _logger = logger;
        _steps = options.Steps?.ToArray() ?? [];
        _since = time.GetUtcNow();
        Share = new CanaryShare(0);

        if (options.Steps is null)
        {
            _state = RolloutState.Static;
            Share.BasisPoints = WeightedCluster.ShareFromWeights(cluster, CanaryId);
            Log.Static(_logger, ClusterId, CanaryId, Percent(Share.BasisPoints));
        }
        else if (IsOff(cluster, options))
        {
            _state = RolloutState.Off;
            Log.Off(_logger, ClusterId, CanaryId);
        }
        else
        {
            _state = RolloutState.Running;
            Share.BasisPoints = CanaryShare.FromPercent(_steps[0]);
            _timer = time.CreateTimer(static s => ((CanaryRollout)s!).Analyze(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            Arm();
            Log.Started(_logger, ClusterId, CanaryId, 1, _steps.Length, _steps[0], options.StepInterval);
        }
    }

    public string ClusterId { get; }

    /// <summary>The canary destination's id, spelled as its key in the cluster.</summary>
    public string CanaryId { get; }

    /// <summary>What makes it the same rollout across reloads: canary, its address, the steps, and whether it is off.</summary>
    public string Identity { get; }

    /// <summary>The canary side's share, read by the load-balancing policy.</summary>
    public CanaryShare Share { get; }

    public CanaryRecorder Recorder { get; } = new();

    public RolloutState State => _state;

    /// <summary>A progressive rollout (with Steps), whose requests are counted and judged.</summary>
    public bool HasSteps => _steps.Length > 0;

    public static string IdentityOf(ClusterConfig cluster, CanaryRolloutOptions options)
    {
        var id = CanonicalId(cluster, options.Destination!);
        var address = cluster.Destinations?.GetValueOrDefault(id)?.Address;
        var steps = options.Steps is null ? "weights" : string.Join(",", options.Steps);
        return $"{id}\n{address}\n{steps}\n{(options.Steps is not null && IsOff(cluster, options) ? "off" : "on")}";
    }

    /// <summary>Counts one attempt to a destination of the cluster; only while steps are being judged.</summary>
    public void Record(string destinationId, int status, TimeSpan elapsed)
    {
        if (_state == RolloutState.Running)
        {
            Recorder.Record(string.Equals(destinationId, CanaryId, StringComparison.Ordinal), status, elapsed);
        }
    }

    /// <summary>A reload that kept the rollout's identity: new thresholds and interval apply from now, the state stays.</summary>
    public void Reconfigure(ClusterConfig cluster, CanaryRolloutOptions options)
    {
        lock (_gate)
        {
            var intervalChanged = options.StepInterval != _options.StepInterval;
            _options = options;
            if (_state == RolloutState.Static)
            {
                Share.BasisPoints = WeightedCluster.ShareFromWeights(cluster, CanaryId);
            }
            else if (_state == RolloutState.Running && intervalChanged)
            {
                Arm();
            }
        }
    }

    public ActionOutcome Pause()
    {
        lock (_gate)
        {
            if (_state != RolloutState.Running)
            {
                return Refuse("pause", "only a Running rollout can be paused");
            }

            Stop(RolloutState.Paused);
            return Done("paused");
        }
    }

    public ActionOutcome Resume()
    {
        lock (_gate)
        {
            if (_state != RolloutState.Paused)
            {
                return Refuse("resume", "only a Paused rollout can be resumed");
            }

            _state = RolloutState.Running;
            _since = _time.GetUtcNow();
            // What was counted before the pause is stale: the step is judged on a fresh, full interval.
            Recorder.Restart();
            Arm();
            return Done("resumed");
        }
    }

    public ActionOutcome Promote()
    {
        lock (_gate)
        {
            if (_state is not (RolloutState.Running or RolloutState.Paused))
            {
                return Refuse("promote", "only a Running or Paused rollout can be promoted");
            }

            _step = _steps.Length - 1;
            Share.BasisPoints = CanaryShare.FromPercent(_steps[_step]);
            Stop(RolloutState.Promoted);
            return Done("promoted");
        }
    }

    public ActionOutcome Abort()
    {
        lock (_gate)
        {
            if (_state is RolloutState.RolledBack or RolloutState.Aborted or RolloutState.Off)
            {
                return Refuse("abort", "the canary already gets no traffic");
            }

            Share.BasisPoints = 0;
            Stop(RolloutState.Aborted);
            return Done("aborted");
        }
    }

    public RolloutView Describe()
    {
        lock (_gate)
        {
            var hasSteps = _steps.Length > 0;
            return new RolloutView(ClusterId, CanaryId, _state, hasSteps ? _step + 1 : null, hasSteps ? _steps : null,
                Share.BasisPoints, _since, _nextAnalysisAt, _lastAnalysis, _options);
        }
    }

    /// <summary>The end of a step: judge it and act on the decision.</summary>
    internal void Analyze()
    {
        lock (_gate)
        {
            if (_disposed || _state != RolloutState.Running)
            {
                return;
            }

            var (canary, stable) = Recorder.Read();
            var lastStep = _step == _steps.Length - 1;
            var verdict = CanaryAnalysis.Judge(canary, stable, _options, lastStep);
            var now = _time.GetUtcNow();
            var judged = _step + 1;
            var from = _steps[_step];
            _lastAnalysis = new AnalysisRecord(now, judged, from, verdict);
            switch (verdict.Decision)
            {
                case CanaryDecision.Advance:
                    _step++;
                    Share.BasisPoints = CanaryShare.FromPercent(_steps[_step]);
                    Recorder.Restart();
                    _since = now;
                    Arm();
                    break;
                case CanaryDecision.Promote:
                    Stop(RolloutState.Promoted);
                    break;
                case CanaryDecision.RollBack:
                    Share.BasisPoints = 0;
                    Stop(RolloutState.RolledBack);
                    break;
                case CanaryDecision.Hold:
                    // Keep counting: the step is judged once it has enough requests.
                    Arm();
                    break;
            }

            var to = Percent(Share.BasisPoints);
            if (verdict.Decision == CanaryDecision.RollBack)
            {
                Log.RolledBack(_logger, ClusterId, CanaryId, judged, from, verdict.Reason,
                    canary.Requests, canary.Errors, Millis(canary.P95), stable.Requests, stable.Errors, Millis(stable.P95));
            }
            else
            {
                Log.Analysis(_logger, ClusterId, judged, from, verdict.Decision, to, verdict.Reason,
                    canary.Requests, canary.Errors, Millis(canary.P95), stable.Requests, stable.Errors, Millis(stable.P95));
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _timer?.Dispose();
        }
    }

    private void Arm()
    {
        _nextAnalysisAt = _time.GetUtcNow() + _options.StepInterval;
        _timer?.Change(_options.StepInterval, Timeout.InfiniteTimeSpan);
    }

    private void Stop(RolloutState state)
    {
        _state = state;
        _since = _time.GetUtcNow();
        _nextAnalysisAt = null;
        _timer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    private ActionOutcome Done(string action)
    {
        Log.AdminAction(_logger, ClusterId, action, _state, Percent(Share.BasisPoints));
        return new ActionOutcome(true, $"Canary rollout of cluster '{ClusterId}' {action}.");
    }

    private ActionOutcome Refuse(string action, string rule)
        => new(false, $"Cannot {action} the canary rollout of cluster '{ClusterId}': it is {_state}, and {rule}.");

    private static bool IsOff(ClusterConfig cluster, CanaryRolloutOptions options)
        => cluster.Destinations?.GetValueOrDefault(CanonicalId(cluster, options.Destination!)) is { } canary
           && DestinationWeight.IsSet(canary) && DestinationWeight.TryRead(canary, out var weight, out _) && weight == 0;

    private static string CanonicalId(ClusterConfig cluster, string named)
        => cluster.Destinations?.Keys.FirstOrDefault(k => string.Equals(k, named, StringComparison.OrdinalIgnoreCase)) ?? named;

    private static double Percent(int basisPoints) => basisPoints / (ClientTicket.Range / 100.0);

    private static double? Millis(TimeSpan? duration) => duration is { } d ? Math.Round(d.TotalMilliseconds, 2) : null;

    private static partial class Log
    {
        [LoggerMessage(500, LogLevel.Information, "Canary rollout of cluster {Cluster} started: canary {Canary} at step {Step} of {Steps} ({Percent} %), analysed every {StepInterval}")]
        public static partial void Started(ILogger logger, string cluster, string canary, int step, int steps, int percent, TimeSpan stepInterval);

        [LoggerMessage(501, LogLevel.Information, "Canary {Canary} of cluster {Cluster} takes {Percent} % from its weight (no Steps, no rollout)")]
        public static partial void Static(ILogger logger, string cluster, string canary, double percent);

        [LoggerMessage(502, LogLevel.Information, "Canary rollout of cluster {Cluster} is off: canary {Canary} has Weight 0 in the config and gets no traffic")]
        public static partial void Off(ILogger logger, string cluster, string canary);

        [LoggerMessage(503, LogLevel.Information, "Canary analysis of cluster {Cluster} at step {Step} ({Percent} %): {Decision}, canary now at {NowPercent} %; {Reason}. Canary: {CanaryRequests} requests, {CanaryErrors} 5xx, p95 {CanaryP95Ms} ms. Stable: {StableRequests} requests, {StableErrors} 5xx, p95 {StableP95Ms} ms")]
        public static partial void Analysis(ILogger logger, string cluster, int step, int percent, CanaryDecision decision, double nowPercent, string reason,
            long canaryRequests, long canaryErrors, double? canaryP95Ms, long stableRequests, long stableErrors, double? stableP95Ms);

        [LoggerMessage(504, LogLevel.Warning, "Canary rollout of cluster {Cluster} rolled back at step {Step} ({Percent} % -> 0 %): {Reason}. Canary: {CanaryRequests} requests, {CanaryErrors} 5xx, p95 {CanaryP95Ms} ms. Stable: {StableRequests} requests, {StableErrors} 5xx, p95 {StableP95Ms} ms. Canary {Canary} gets no traffic until the config changes or the edge restarts; set its Weight to 0 to keep it out")]
        public static partial void RolledBack(ILogger logger, string cluster, string canary, int step, int percent, string reason,
            long canaryRequests, long canaryErrors, double? canaryP95Ms, long stableRequests, long stableErrors, double? stableP95Ms);

        [LoggerMessage(505, LogLevel.Information, "Canary rollout of cluster {Cluster} {Action} through the admin API: now {State}, canary at {Percent} %")]
        public static partial void AdminAction(ILogger logger, string cluster, string action, RolloutState state, double percent);
    }
}
