using Edge.LoadTests.Runner;

namespace Edge.LoadTests.Tests;

public sealed class LongRunsTests
{
    private static TimeSpan S(double seconds) => TimeSpan.FromSeconds(seconds);

    [Fact]
    public void SoakPlan_ThirtyMinutes_ComparesMinuteFiveToSixWithTheLastMinute()
    {
        var plan = SoakPlan.For(TimeSpan.FromMinutes(30));

        Assert.Equal(new Window(TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(6)), plan.Early);
        Assert.Equal(new Window(TimeSpan.FromMinutes(29), TimeSpan.FromMinutes(30)), plan.Late);
        Assert.Equal(30, plan.Windows().Count);
    }

    [Fact]
    public void SoakPlan_ThreeMinutes_WarmsUpOneMinuteAndUsesHalfMinuteWindows()
    {
        var plan = SoakPlan.For(TimeSpan.FromMinutes(3));

        Assert.Equal(new Window(S(60), S(90)), plan.Early);
        Assert.Equal(new Window(S(150), S(180)), plan.Late);
    }

    [Theory]
    [InlineData(60)]
    [InlineData(100)]
    [InlineData(600)]
    [InlineData(1234)]
    public void SoakPlan_AnyLength_EarlyAndLateAreWindowsOfTheRun_EarlyFirst(double seconds)
    {
        var plan = SoakPlan.For(S(seconds));

        Assert.Contains(plan.Early, plan.Windows());
        Assert.Contains(plan.Late, plan.Windows());
        Assert.True(plan.Early.To <= plan.Late.From, $"{plan.Early} overlaps {plan.Late}");
        Assert.True(plan.WindowLength >= S(10), "a window must hold a 10 s resource sample");
        Assert.Equal(S(seconds), plan.Windows()[^1].To);
    }

    [Fact]
    public void LatencyWindows_ThreeMinutes_AreTheLastTwoHalfMinutes()
    {
        var plan = SoakPlan.For(TimeSpan.FromMinutes(3));

        Assert.Equal([new Window(S(120), S(150)), new Window(S(150), S(180))], plan.LatencyWindows());
    }

    [Theory]
    [InlineData(60)]
    [InlineData(100)]
    [InlineData(600)]
    [InlineData(1234)]
    public void LatencyWindows_AnyLength_EndWithLate_AllAfterEarly(double seconds)
    {
        var plan = SoakPlan.For(S(seconds));
        var windows = plan.LatencyWindows();

        Assert.InRange(windows.Count, 1, 2);
        Assert.Equal(plan.Late, windows[^1]);
        Assert.All(windows, w => Assert.True(w.From >= plan.Early.To, $"{w} overlaps {plan.Early}"));
        Assert.All(windows, w => Assert.Contains(w, plan.Windows()));
    }

    [Fact]
    public void PerSecondP99_OneValuePerSecondThatHoldsAny_InTimeOrder()
    {
        // Second 0: 1..100 ms (p99 99); second 2: 200 ms; second 1 is empty.
        var latencies = Enumerable.Range(1, 100).Select(i => (S(0.005 * i), (double)i)).Append((S(2.5), 200.0)).Reverse();

        Assert.Equal([99, 200], Growth.PerSecondP99(latencies));
    }

    [Fact]
    public void PerSecondP99_MedianIgnoresAStallOfLessThanHalfTheSeconds_ButNotAGrowthInEvery()
    {
        // 60 seconds of 100 requests at 10 ms with one at 12 ms; seconds 20–39 stalled (every request 80 ms).
        static IEnumerable<(TimeSpan, double)> Window(Func<int, double> latencyOfSecond)
            => Enumerable.Range(0, 60).SelectMany(second => Enumerable.Range(0, 100)
                .Select(i => (S(second + (i / 100.0)), i == 99 ? latencyOfSecond(second) + 2 : latencyOfSecond(second))));

        var steady = Growth.Median(Growth.PerSecondP99(Window(_ => 10)));
        var stalled = Growth.Median(Growth.PerSecondP99(Window(second => second is >= 20 and < 40 ? 80 : 10)));
        var leaking = Growth.Median(Growth.PerSecondP99(Window(second => 10 + (second * 0.5))));

        Assert.Equal(10, steady);
        Assert.Equal(10, stalled);
        Assert.True(Growth.Ratio(steady, leaking) > 0.5, $"a latency growing in every second reads {leaking} ms against {steady} ms");
    }

    [Fact]
    public void SoakPlan_UnderAMinute_Throws() => Assert.Throws<ArgumentOutOfRangeException>(() => SoakPlan.For(S(59)));

    [Theory]
    [InlineData(new double[] { 3, 1, 2 }, 2)]
    [InlineData(new double[] { 4, 1, 3, 2 }, 2.5)]
    [InlineData(new double[] { 7 }, 7)]
    public void Median_OddAndEvenCounts(double[] values, double expected) => Assert.Equal(expected, Growth.Median(values));

    [Fact]
    public void Median_NoValues_IsNaN() => Assert.True(double.IsNaN(Growth.Median([])));

    [Fact]
    public void Between_ComparesTheMediansOfEachWindow_IgnoringOneOddSample()
    {
        // 100 MB before, 103 MB after, with a spike to 200 MB in the late window that one sample shows.
        ResourceSample[] samples =
        [
            new(S(0), 50), new(S(60), 100), new(S(70), 101), new(S(80), 99),
            new(S(150), 103), new(S(160), 200), new(S(170), 102),
        ];

        var growth = Growth.Between(samples, new Window(S(60), S(90)), new Window(S(150), S(180)));

        Assert.Equal(100, growth.Before);
        Assert.Equal(103, growth.After);
        Assert.Equal(0.03, growth.Relative, 6);
    }

    [Fact]
    public void Between_SteadyGrowth_IsMeasured_SoAThresholdCanFail()
    {
        var samples = Enumerable.Range(0, 19).Select(i => new ResourceSample(S(i * 10), 100 + (i * 2))).ToList();

        var growth = Growth.Between(samples, new Window(S(60), S(90)), new Window(S(150), S(180)));

        Assert.Equal(114, growth.Before);
        Assert.Equal(132, growth.After);
        Assert.True(growth.Relative > 0.05);
    }

    [Fact]
    public void Between_AnEmptyWindow_IsNaN()
    {
        var growth = Growth.Between([new ResourceSample(S(65), 1)], new Window(S(60), S(90)), new Window(S(150), S(180)));

        Assert.True(double.IsNaN(growth.Relative));
    }

    [Theory]
    [InlineData(10, 12, 0.2)]
    [InlineData(10, 8, -0.2)]
    [InlineData(0, 8, double.NaN)]
    [InlineData(double.NaN, 8, double.NaN)]
    public void Ratio_IsRelativeChange(double before, double after, double expected) => Assert.Equal(expected, Growth.Ratio(before, after), 6);

    [Fact]
    public void Unexplained_RequestInFlightAtAKill_IsExplained()
    {
        Window[] kills = [new(S(10), S(10.2))];
        Window[] failures =
        [
            new(S(9.9), S(10.05)),  // started before, ended during the kill
            new(S(10.1), S(10.5)),  // started during it
            new(S(9), S(11)),       // spans it
            new(S(10.2), S(10.3)),  // started as the kill ended
        ];

        Assert.Empty(KillOverlap.Unexplained(failures, kills));
    }

    [Fact]
    public void Unexplained_RequestsBeforeOrAfterEveryKill_AreListed()
    {
        Window[] kills = [new(S(10), S(10.2)), new(S(20), S(20.1))];
        var before = new Window(S(9), S(9.99));
        var between = new Window(S(10.3), S(19));
        var after = new Window(S(20.2), S(21));

        var unexplained = KillOverlap.Unexplained([before, new Window(S(19.9), S(20.05)), between, after], kills);

        Assert.Equal([before, between, after], unexplained);
    }

    [Fact]
    public void Unexplained_NoKills_EveryFailureIsUnexplained()
        => Assert.Single(KillOverlap.Unexplained([new Window(S(1), S(2))], []));
}
