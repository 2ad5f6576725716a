using Edge.LoadTests.Runner;

namespace Edge.LoadTests.Tests;

public sealed class PercentilesTests
{
    [Theory]
    [InlineData(50, 50)]
    [InlineData(75, 75)]
    [InlineData(95, 95)]
    [InlineData(99, 99)]
    [InlineData(100, 100)]
    [InlineData(0, 1)]
    [InlineData(0.5, 1)]
    [InlineData(99.5, 100)]
    public void NearestRank_OneToHundred_IsTheRankItself(double percentile, double expected)
    {
        var values = Enumerable.Range(1, 100).Select(i => (double)i).Reverse();

        Assert.Equal(expected, Percentiles.NearestRank(values, percentile));
    }

    [Fact]
    public void NearestRank_FewValues_PicksAnObservedValue()
    {
        double[] values = [10, 20, 30];

        Assert.Equal(20, Percentiles.NearestRank(values, 50));
        Assert.Equal(30, Percentiles.NearestRank(values, 99));
        Assert.Equal(10, Percentiles.NearestRank(values, 33));
        Assert.Equal(20, Percentiles.NearestRank(values, 34));
    }

    [Fact]
    public void NearestRank_NoValues_IsNaN() => Assert.True(double.IsNaN(Percentiles.NearestRank([], 99)));

    [Theory]
    [InlineData(-1)]
    [InlineData(100.1)]
    public void NearestRank_PercentileOutOfRange_Throws(double percentile)
        => Assert.Throws<ArgumentOutOfRangeException>(() => Percentiles.NearestRank([1.0], percentile));

    [Fact]
    public void ScenarioStats_CountsOkFailedAndStatuses_PercentileOfOkOnly()
    {
        var stats = new ScenarioStats("s") { Duration = TimeSpan.FromSeconds(2) };
        for (var i = 1; i <= 98; i++)
        {
            stats.Add(new Sample(TimeSpan.FromMilliseconds(i * 10), i, Response.Ok()));
        }

        stats.Add(new Sample(TimeSpan.FromMilliseconds(1500), 1000, Response.Fail(503, "refused")));
        stats.Add(new Sample(TimeSpan.FromMilliseconds(1600), 2000, Response.Fail(0, "timeout")));

        Assert.Equal(100, stats.Requests);
        Assert.Equal(98, stats.Ok);
        Assert.Equal(2, stats.Failed);
        Assert.Equal(50, stats.Rps);
        Assert.Equal(98, stats.Percentile(100));
        Assert.Equal(2000, stats.Percentile(100, _ => true));
        Assert.Equal(1000, stats.Percentile(100, s => s.Response.StatusCode == 503));
        Assert.Equal(1, stats.CountStatus(503));
        Assert.Contains("200: 98", stats.Statuses(), StringComparison.Ordinal);
        Assert.Contains("no answer: 1", stats.Statuses(), StringComparison.Ordinal);
        Assert.Contains("\"timeout\": 1", stats.Statuses(), StringComparison.Ordinal);
    }

    [Fact]
    public void Timeline_PerSecondBuckets_RatesAndP99()
    {
        var stats = new ScenarioStats("s") { Duration = TimeSpan.FromSeconds(2) };
        for (var i = 0; i < 10; i++)
        {
            stats.Add(new Sample(TimeSpan.FromMilliseconds(i * 100), i + 1, Response.Ok()));
        }

        for (var i = 0; i < 4; i++)
        {
            stats.Add(new Sample(TimeSpan.FromMilliseconds(1000 + (i * 200)), 5, Response.Fail(500, "500")));
        }

        var timeline = stats.Timeline(TimeSpan.FromSeconds(1));

        Assert.Equal(2, timeline.Count);
        Assert.Equal(10, timeline[0].OkPerSecond);
        Assert.Equal(0, timeline[0].FailedPerSecond);
        Assert.Equal(10, timeline[0].P99Ms);
        Assert.Equal(0, timeline[1].OkPerSecond);
        Assert.Equal(4, timeline[1].FailedPerSecond);
        Assert.True(double.IsNaN(timeline[1].P99Ms));
    }
}
