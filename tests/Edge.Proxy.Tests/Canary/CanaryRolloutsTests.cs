using Edge.Config;
using Edge.Config.LoadBalancing;
using Edge.Proxy.Canary;
using Edge.Proxy.Tests.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Edge.Proxy.Tests.Canary;

public sealed class CanaryRolloutsTests : IDisposable
{
    private static readonly TimeSpan Step = TimeSpan.FromMinutes(1);

    private readonly ManualTimeProvider _time = new();
    private readonly WeightedClusters _weighted = new();
    private readonly CanaryRollouts _rollouts;

    public CanaryRolloutsTests() => _rollouts = new CanaryRollouts(_weighted, _time, NullLoggerFactory.Instance);

    [Fact]
    public async Task Rollout_HealthyCanary_AdvancesThroughEveryStepThenIsPromoted()
    {
        _rollouts.Update(await SnapshotAsync());
        var rollout = _rollouts.Find("api")!;
        var seen = new List<double> { Percent() };

        for (var i = 0; i < 5; i++)
        {
            Serve(rollout, canary: 20, canaryErrors: 0, stable: 100);
            _time.Advance(Step);
            seen.Add(Percent());
        }

        Assert.Equal([1, 5, 25, 50, 100, 100], seen);
        Assert.Equal(RolloutState.Promoted, rollout.State);
        Assert.Equal(CanaryDecision.Promote, rollout.Describe().LastAnalysis!.Verdict.Decision);
    }

    [Fact]
    public async Task Rollout_Canary20PercentErrors_RolledBackToZeroAtTheFirstAnalysis()
    {
        _rollouts.Update(await SnapshotAsync());
        var rollout = _rollouts.Find("api")!;

        Serve(rollout, canary: 20, canaryErrors: 4, stable: 200);
        _time.Advance(Step);

        Assert.Equal(RolloutState.RolledBack, rollout.State);
        Assert.Equal(0, Percent());
        var analysis = rollout.Describe().LastAnalysis!;
        Assert.Equal((1, 1), (analysis.Step, analysis.Percent));
        Assert.Equal((20, 4), (analysis.Verdict.Canary.Requests, analysis.Verdict.Canary.Errors));

        // Stays there: later analyses do nothing and nothing more is counted.
        Serve(rollout, canary: 20, canaryErrors: 0, stable: 200);
        _time.Advance(Step * 3);
        Assert.Equal(0, Percent());
        Assert.Equal(analysis, rollout.Describe().LastAnalysis);
    }

    [Fact]
    public async Task Rollout_TooFewRequests_HoldsAndKeepsCounting()
    {
        _rollouts.Update(await SnapshotAsync());
        var rollout = _rollouts.Find("api")!;

        Serve(rollout, canary: 6, canaryErrors: 0, stable: 100);
        _time.Advance(Step);
        Assert.Equal(CanaryDecision.Hold, rollout.Describe().LastAnalysis!.Verdict.Decision);
        Assert.Equal(1, Percent());

        Serve(rollout, canary: 6, canaryErrors: 0, stable: 100);
        _time.Advance(Step);
        Assert.Equal(5, Percent());
        Assert.Equal(12, rollout.Describe().LastAnalysis!.Verdict.Canary.Requests);
    }

    [Fact]
    public async Task Actions_FollowTheTransitionTable()
    {
        _rollouts.Update(await SnapshotAsync());
        var rollout = _rollouts.Find("api")!;

        Assert.False(rollout.Resume().Done);
        Assert.True(rollout.Pause().Done);
        Assert.False(rollout.Pause().Done);

        // Paused: analyses stop, the share holds.
        Serve(rollout, canary: 50, canaryErrors: 0, stable: 100);
        _time.Advance(Step * 5);
        Assert.Equal((RolloutState.Paused, 1.0), (rollout.State, Percent()));
        Assert.Null(rollout.Describe().LastAnalysis);

        Assert.True(rollout.Resume().Done);
        Assert.Equal(RolloutState.Running, rollout.State);
        Assert.True(rollout.Promote().Done);
        Assert.Equal((RolloutState.Promoted, 100.0), (rollout.State, Percent()));
        Assert.False(rollout.Promote().Done);
        Assert.False(rollout.Pause().Done);

        var abort = rollout.Abort();
        Assert.True(abort.Done);
        Assert.Equal((RolloutState.Aborted, 0.0), (rollout.State, Percent()));
        var again = rollout.Abort();
        Assert.False(again.Done);
        Assert.Contains("it is Aborted", again.Detail, StringComparison.Ordinal);
        Assert.False(rollout.Resume().Done);
        Assert.False(rollout.Promote().Done);
    }

    [Fact]
    public async Task Update_SameCanaryAndSteps_KeepsTheRolloutWhereItIs_NewThresholdsApply()
    {
        _rollouts.Update(await SnapshotAsync());
        var rollout = _rollouts.Find("api")!;
        Serve(rollout, canary: 20, canaryErrors: 0, stable: 100);
        _time.Advance(Step);
        Assert.Equal(5, Percent());

        _rollouts.Update(await SnapshotAsync(minRequests: 50));

        Assert.Same(rollout, _rollouts.Find("api"));
        Assert.Equal(5, Percent());
        Serve(rollout, canary: 20, canaryErrors: 0, stable: 100);
        _time.Advance(Step);
        Assert.Equal(CanaryDecision.Hold, rollout.Describe().LastAnalysis!.Verdict.Decision);
    }

    [Theory]
    [InlineData("http://10.0.0.9:8080/", "[ 1, 5, 25, 50, 100 ]")]
    [InlineData("http://10.0.0.3:8080/", "[ 10, 100 ]")]
    public async Task Update_NewCanaryAddressOrSteps_StartsAgainFromTheConfig(string address, string steps)
    {
        _rollouts.Update(await SnapshotAsync());
        var rollout = _rollouts.Find("api")!;
        rollout.Abort();

        _rollouts.Update(await SnapshotAsync(address: address, steps: steps));

        var restarted = _rollouts.Find("api")!;
        Assert.NotSame(rollout, restarted);
        Assert.Equal(RolloutState.Running, restarted.State);
        Assert.True(Percent() > 0);
        Assert.Equal(1, _time.ActiveTimers);
    }

    [Fact]
    public async Task Update_CanaryWeightZero_RolloutIsOff_WithoutSteps_ShareFollowsWeights()
    {
        _rollouts.Update(await SnapshotAsync(canaryWeight: "0"));
        Assert.Equal((RolloutState.Off, 0.0), (_rollouts.Find("api")!.State, Percent()));
        Assert.False(_rollouts.Find("api")!.Abort().Done);

        _rollouts.Update(await SnapshotAsync(canaryWeight: "10", steps: null));
        var canary = _rollouts.Find("api")!;
        Assert.Equal((RolloutState.Static, 10.0), (canary.State, Percent()));

        _rollouts.Update(await SnapshotAsync(canaryWeight: "50", stableWeight: "50", steps: null));
        Assert.Same(canary, _rollouts.Find("api"));
        Assert.Equal(50, Percent());
        Assert.False(canary.Pause().Done);
        Assert.True(canary.Abort().Done);
        Assert.Equal(0, Percent());
    }

    [Fact]
    public async Task Update_CanaryRemoved_DisposesItsTimer()
    {
        _rollouts.Update(await SnapshotAsync());
        Assert.Equal(1, _time.ActiveTimers);

        _rollouts.Update(await TestSnapshots.LoadAsync(Config("\"Weight\": \"10\"", "90", canary: string.Empty)));

        Assert.Null(_rollouts.Find("api"));
        Assert.Null(_weighted.Find("api")!.Canary);
        Assert.Equal(0, _time.ActiveTimers);
    }

    [Fact]
    public async Task Percentages_CanaryShareAndStableWeights()
    {
        _rollouts.Update(await SnapshotAsync(extraDestination: true));
        _rollouts.Find("api")!.Promote();
        _rollouts.Find("api")!.Abort();

        var percentages = CanaryWeightGauge.Percentages(_weighted.Find("api")!).ToDictionary(p => p.Destination, p => p.Percent);

        Assert.Equal(new Dictionary<string, double> { ["stable"] = 75, ["stable-2"] = 25, ["canary"] = 0 }, percentages);
        var measured = CanaryWeightGauge.Measure(_weighted).ToList();
        Assert.Equal(3, measured.Count);
        Assert.All(measured, m => Assert.Equal("api", m.Tags.ToArray().Single(t => t.Key == "cluster").Value));
    }

    public void Dispose() => _rollouts.Dispose();

    private double Percent() => _weighted.Find("api")!.Canary!.Share.BasisPoints / 100.0;

    /// <summary>Counts attempts as the recorder middleware would.</summary>
    private static void Serve(CanaryRollout rollout, int canary, int canaryErrors, int stable)
    {
        for (var i = 0; i < canary; i++)
        {
            rollout.Record("canary", i < canaryErrors ? 500 : 200, TimeSpan.FromMilliseconds(20));
        }

        for (var i = 0; i < stable; i++)
        {
            rollout.Record("stable", 200, TimeSpan.FromMilliseconds(20));
        }
    }

    private static Task<EdgeConfigSnapshot> SnapshotAsync(
        string address = "http://10.0.0.3:8080/", string? steps = "[ 1, 5, 25, 50, 100 ]", string? canaryWeight = null,
        string stableWeight = "90", int minRequests = 10, bool extraDestination = false)
    {
        var stepsKey = steps is null ? string.Empty : $", \"Steps\": {steps}";
        var canary = $$"""
            "Canary": { "api": { "Destination": "canary"{{stepsKey}}, "StepInterval": "00:01:00", "MinRequests": {{minRequests}} } }
            """;
        var metadata = canaryWeight is null ? string.Empty : $"\"Weight\": \"{canaryWeight}\"";
        return TestSnapshots.LoadAsync(Config(metadata, stableWeight, canary, address, extraDestination));
    }

    private static string Config(string canaryMetadata, string stableWeight, string canary, string address = "http://10.0.0.3:8080/", bool extraDestination = false)
        => $$"""
            {
              "ReverseProxy": {
                "Routes": { "api": { "ClusterId": "api", "Match": { "Path": "/{**rest}" } } },
                "Clusters": { "api": { "LoadBalancingPolicy": "Weighted", "Destinations": {
                  "stable": { "Address": "http://10.0.0.1:8080/", "Metadata": { "Weight": "{{stableWeight}}" } },
                  {{(extraDestination ? """ "stable-2": { "Address": "http://10.0.0.2:8080/", "Metadata": { "Weight": "30" } }, """ : string.Empty)}}
                  "canary": { "Address": "{{address}}", "Metadata": { {{canaryMetadata}} } } } } }
              },
              "Edge": { {{canary}} }
            }
            """;
}
