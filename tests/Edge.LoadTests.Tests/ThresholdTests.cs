using Edge.LoadTests.Runner;

namespace Edge.LoadTests.Tests;

public sealed class ThresholdTests
{
    private static ScenarioStats Stats(int ok, int failed, double latencyMs)
    {
        var stats = new ScenarioStats("s") { Duration = TimeSpan.FromSeconds(1) };
        for (var i = 0; i < ok; i++)
        {
            stats.Add(new Sample(TimeSpan.Zero, latencyMs, Response.Ok()));
        }

        for (var i = 0; i < failed; i++)
        {
            stats.Add(new Sample(TimeSpan.Zero, latencyMs, Response.Fail(502, "502")));
        }

        return stats;
    }

    [Fact]
    public void FailCountIsZero_NoFailures_Passes()
    {
        var result = Threshold.FailCountIsZero(Stats(10, 0, 1)).Evaluate();

        Assert.True(result.Passed);
        Assert.Equal("0", result.Measured);
        Assert.Equal("s: failed requests == 0", result.Description);
    }

    [Fact]
    public void FailCountIsZero_OneFailure_FailsAndSaysHowMany()
    {
        var result = Threshold.FailCountIsZero(Stats(10, 1, 1)).Evaluate();

        Assert.False(result.Passed);
        Assert.Equal("1", result.Measured);
    }

    [Theory]
    [InlineData(9.9, true)]
    [InlineData(10, false)]
    [InlineData(25, false)]
    public void P99Below_ComparesStrictly(double latency, bool passes)
    {
        var result = Threshold.P99Below(Stats(100, 0, latency), 10).Evaluate();

        Assert.Equal(passes, result.Passed);
        Assert.EndsWith("ms", result.Measured, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_NoData_FailsRatherThanPasses()
    {
        var result = Threshold.P99Below(Stats(0, 0, 0), 10).Evaluate();

        Assert.False(result.Passed);
        Assert.Equal("no data", result.Measured);
    }

    [Fact]
    public void Create_IsEvaluatedWhenAsked_OnTheStatsAsTheyAreThen()
    {
        var stats = Stats(1, 0, 1);
        var threshold = Threshold.FailCountIsZero(stats);
        stats.Add(new Sample(TimeSpan.Zero, 1, Response.Fail(500, "500")));

        Assert.False(threshold.Evaluate().Passed);
    }

    [Fact]
    public void Check_CustomOutcome_KeepsTheMeasuredText()
    {
        var results = Threshold.EvaluateAll([Threshold.Check("promoted", true, "after 2.1 s"), Threshold.Check("rolled back", false, "state Running")]);

        Assert.Equal([true, false], results.Select(r => r.Passed));
        Assert.Equal("state Running", results[1].Measured);
    }

    [Fact]
    public void Evaluate_MeasureThrowsInvalidOperation_FailsWithTheReason()
    {
        var result = Threshold.Create(Stats(1, 0, 1), "throws", _ => throw new InvalidOperationException("no origin"), _ => true).Evaluate();

        Assert.False(result.Passed);
        Assert.Contains("no origin", result.Measured, StringComparison.Ordinal);
    }
}
