using Edge.Config.Model;
using Edge.Proxy.Canary;

namespace Edge.Proxy.Tests.Canary;

public sealed class CanaryAnalysisTests
{
    private static readonly CanaryRolloutOptions Options = new()
    {
        MinRequests = 100,
        MaxErrorRatio = 0.02,
        MaxP95LatencyRatio = 1.5,
        P95LatencyFloor = TimeSpan.FromMilliseconds(50),
    };

    [Fact]
    public void Judge_CanaryAsGoodAsStable_Advances()
    {
        var verdict = Judge(Side(200, 1, 80), Side(2000, 10, 80), lastStep: false);

        Assert.Equal(CanaryDecision.Advance, verdict.Decision);
    }

    [Fact]
    public void Judge_LastStepPasses_Promotes()
        => Assert.Equal(CanaryDecision.Promote, Judge(Side(200, 0, 80), Side(2000, 0, 80), lastStep: true).Decision);

    [Fact]
    public void Judge_Canary20PercentErrors_RollsBack_AndSaysWhy()
    {
        var verdict = Judge(Side(200, 40, 80), Side(2000, 0, 80), lastStep: false);

        Assert.Equal(CanaryDecision.RollBack, verdict.Decision);
        Assert.Contains("canary 5xx ratio 20 %", verdict.Reason, StringComparison.Ordinal);
        Assert.Contains("above 2 %", verdict.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Judge_StableFailsAsMuch_TheCanaryIsNotBlamed()
        => Assert.Equal(CanaryDecision.Advance, Judge(Side(200, 40, 80), Side(2000, 380, 80), lastStep: false).Decision);

    [Theory]
    // Exactly at the limit passes, just above fails.
    [InlineData(4, false)]
    [InlineData(5, true)]
    public void Judge_ErrorLimitIsStableRatioPlusMaxErrorRatio(int canaryErrors, bool rolledBack)
        => Assert.Equal(rolledBack ? CanaryDecision.RollBack : CanaryDecision.Advance, Judge(Side(200, canaryErrors, 80), Side(1000, 0, 80), lastStep: false).Decision);

    [Fact]
    public void Judge_TooFewCanaryRequests_Holds()
    {
        var verdict = Judge(Side(99, 1, 80), Side(2000, 0, 80), lastStep: false);

        Assert.Equal(CanaryDecision.Hold, verdict.Decision);
        Assert.Contains("99 canary requests, fewer than MinRequests (100)", verdict.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Judge_TooFewRequestsButErrorsAlreadyBeyondWhatMinRequestsAllows_RollsBackAtOnce()
    {
        // 2 % of 100 is 2: three 5xx cannot be diluted below the limit whatever comes next.
        var verdict = Judge(Side(10, 3, 80), Side(2000, 0, 80), lastStep: false);

        Assert.Equal(CanaryDecision.RollBack, verdict.Decision);
    }

    [Fact]
    public void Judge_CanaryP95AboveRatioTimesStable_RollsBack()
    {
        var verdict = Judge(Side(200, 0, 400), Side(2000, 0, 200), lastStep: false);

        Assert.Equal(CanaryDecision.RollBack, verdict.Decision);
        Assert.Contains("canary p95 400 ms is above 1.5 x stable p95 200 ms", verdict.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Judge_SlowerButUnderTheFloor_Advances()
        => Assert.Equal(CanaryDecision.Advance, Judge(Side(200, 0, 40), Side(2000, 0, 2), lastStep: false).Decision);

    [Fact]
    public void Judge_StableTooFewRequests_ErrorLimitIsAbsoluteAndLatencyNotCompared()
    {
        Assert.Equal(CanaryDecision.RollBack, Judge(Side(200, 10, 80), Side(10, 5, 80), lastStep: false).Decision);

        var verdict = Judge(Side(200, 0, 900), Side(10, 0, 80), lastStep: true);
        Assert.Equal(CanaryDecision.Promote, verdict.Decision);
        Assert.Contains("latency not compared", verdict.Reason, StringComparison.Ordinal);
    }

    private static CanaryVerdict Judge(SideStats canary, SideStats stable, bool lastStep) => CanaryAnalysis.Judge(canary, stable, Options, lastStep);

    private static SideStats Side(long requests, long errors, double p95Ms) => new(requests, errors, TimeSpan.FromMilliseconds(p95Ms));
}
