using Edge.LoadTests.Runner;

namespace Edge.LoadTests.Tests;

public sealed class PacingTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    [Fact]
    public void Inject_ConstantRate_EvenlySpacedFromZero()
    {
        var segment = Assert.Single(InjectionPlan.Plan([LoadSimulation.Inject(100, Second, TimeSpan.FromSeconds(2))]));

        Assert.Equal(200, segment.Offsets.Length);
        Assert.Equal(TimeSpan.Zero, segment.Offsets[0]);
        for (var i = 1; i < segment.Offsets.Length; i++)
        {
            Assert.Equal(10, (segment.Offsets[i] - segment.Offsets[i - 1]).TotalMilliseconds, 3);
        }

        Assert.True(segment.Offsets[^1] < TimeSpan.FromSeconds(2));
    }

    [Fact]
    public void Inject_RatePerInterval_IsPerSecondScaled()
    {
        var segment = Assert.Single(InjectionPlan.Plan([LoadSimulation.Inject(5, TimeSpan.FromMilliseconds(100), Second)]));

        Assert.Equal(50, segment.Offsets.Length);
        Assert.Equal(20, (segment.Offsets[1] - segment.Offsets[0]).TotalMilliseconds, 3);
    }

    [Fact]
    public void RampingInject_FromZero_HalfTheCountAndDenserAtTheEnd()
    {
        var segment = Assert.Single(InjectionPlan.Plan([LoadSimulation.RampingInject(100, Second, TimeSpan.FromSeconds(2))]));

        // ∫ of a ramp from 0 to 100/s over 2 s is 100 steps; the first half-time holds a quarter of them.
        Assert.Equal(100, segment.Offsets.Length);
        Assert.Equal(25, segment.Offsets.Count(o => o < Second));
        var firstGap = segment.Offsets[1] - segment.Offsets[0];
        var lastGap = segment.Offsets[^1] - segment.Offsets[^2];
        Assert.True(firstGap > lastGap * 5, $"first gap {firstGap}, last gap {lastGap}");
        Assert.Equal(segment.Offsets.Order(), segment.Offsets);
    }

    [Fact]
    public void RampingInject_StartsFromThePreviousRate()
    {
        var plan = InjectionPlan.Plan([LoadSimulation.Inject(100, Second, Second), LoadSimulation.RampingInject(200, Second, Second)]);

        Assert.Equal(2, plan.Count);
        Assert.Equal(Second, plan[1].Start);
        Assert.Equal(150, plan[1].Offsets.Length);
        Assert.Equal(10, (plan[1].Offsets[1] - plan[1].Offsets[0]).TotalMilliseconds, 1);
    }

    [Fact]
    public void KeepConstant_HasCopiesNotOffsets_AndShiftsLaterSegments()
    {
        var plan = InjectionPlan.Plan([LoadSimulation.KeepConstant(4, TimeSpan.FromSeconds(3)), LoadSimulation.Inject(10, Second, Second)]);

        Assert.Equal(4, plan[0].Copies);
        Assert.Empty(plan[0].Offsets);
        Assert.Equal(TimeSpan.FromSeconds(3), plan[1].Start);
        Assert.Equal(10, plan[1].Offsets.Length);
    }

    [Fact]
    public void Plan_ZeroDurationOrNoCopies_IsRejected()
    {
        Assert.Throws<ArgumentException>(() => InjectionPlan.Plan([LoadSimulation.Inject(10, Second, TimeSpan.Zero)]));
        Assert.Throws<ArgumentException>(() => InjectionPlan.Plan([LoadSimulation.KeepConstant(0, Second)]));
        Assert.Throws<ArgumentException>(() => InjectionPlan.Plan([LoadSimulation.Inject(-1, Second, Second)]));
    }

    [Fact]
    public async Task Runner_Inject_StartsEveryPlannedStepOnScheduleAndMeasuresFromIt()
    {
        var runner = new ScenarioRunner(TimeProvider.System);
        var scenario = Scenario.Create("s", async (_, ct) =>
        {
            await Task.Delay(5, ct);
            return Response.Ok();
        }).WithLoadSimulations(LoadSimulation.Inject(40, Second, TimeSpan.FromMilliseconds(500)));

        var stats = await runner.RunAsync(scenario);

        Assert.Equal(20, stats.Requests);
        Assert.Equal(20, stats.Ok);
        Assert.InRange(stats.Duration, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(5));
        Assert.All(stats.Samples, s => Assert.True(s.LatencyMs >= 4, $"latency {s.LatencyMs} ms counts from the scheduled start"));
        Assert.Equal(stats.Samples.Select(s => s.At).Order(), stats.Samples.Select(s => s.At).OrderBy(a => a));
    }

    [Fact]
    public async Task Runner_StepThrowsOrHangs_CountedAsFailed()
    {
        var runner = new ScenarioRunner(TimeProvider.System) { StepTimeout = TimeSpan.FromMilliseconds(100) };
        var scenario = Scenario.Create("s", async (context, ct) =>
        {
            if (context.InvocationNumber % 2 == 0)
            {
                await Task.Delay(Timeout.Infinite, ct);
            }

            throw new HttpRequestException(HttpRequestError.ConnectionError, "refused");
        }).WithLoadSimulations(LoadSimulation.Inject(20, Second, TimeSpan.FromMilliseconds(200)));

        var stats = await runner.RunAsync(scenario);

        Assert.Equal(4, stats.Requests);
        Assert.Equal(4, stats.Failed);
        Assert.Equal(2, stats.Count(s => s.Response.Message == "timeout"));
        Assert.Equal(2, stats.Count(s => s.Response.Message == "ConnectionError"));
    }

    [Fact]
    public async Task Runner_KeepConstant_NeverMoreThanCopiesInFlight()
    {
        var inFlight = 0;
        var max = 0;
        var runner = new ScenarioRunner(TimeProvider.System);
        var scenario = Scenario.Create("s", async (_, ct) =>
        {
            var now = Interlocked.Increment(ref inFlight);
            InterlockedMax(ref max, now);
            await Task.Delay(2, ct);
            Interlocked.Decrement(ref inFlight);
            return Response.Ok();
        }).WithLoadSimulations(LoadSimulation.KeepConstant(3, TimeSpan.FromMilliseconds(300)));

        var stats = await runner.RunAsync(scenario);

        Assert.True(stats.Requests > 3);
        Assert.InRange(max, 1, 3);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while (value > (seen = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}
