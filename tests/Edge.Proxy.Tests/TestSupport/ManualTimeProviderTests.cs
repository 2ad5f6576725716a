namespace Edge.Proxy.Tests.TestSupport;

public sealed class ManualTimeProviderTests
{
    private readonly ManualTimeProvider _time = new();

    [Fact]
    public void Advance_MovesWallClockAndTimestampTogether()
    {
        var start = _time.GetUtcNow();
        var stamp = _time.GetTimestamp();

        _time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(start + TimeSpan.FromSeconds(5), _time.GetUtcNow());
        Assert.Equal(TimeSpan.FromSeconds(5), _time.GetElapsedTime(stamp));
    }

    [Fact]
    public void Advance_FiresTimersWhenDueAndInOrder()
    {
        var fired = new List<string>();
        using var late = _time.CreateTimer(_ => fired.Add("late"), null, TimeSpan.FromSeconds(3), Timeout.InfiniteTimeSpan);
        using var early = _time.CreateTimer(_ => fired.Add("early"), null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);

        _time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.Empty(fired);

        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(["early", "late"], fired);

        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(2, fired.Count);
    }

    [Fact]
    public void Advance_PeriodicTimer_FiresEveryPeriodWithTheClockAtItsDueTime()
    {
        var seen = new List<TimeSpan>();
        var start = _time.GetUtcNow();
        using var timer = _time.CreateTimer(_ => seen.Add(_time.GetUtcNow() - start), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));

        _time.Advance(TimeSpan.FromSeconds(6));

        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(5)], seen);
        Assert.Equal(TimeSpan.FromSeconds(6), _time.GetUtcNow() - start);
    }

    [Fact]
    public void Dispose_StopsTheTimer()
    {
        var fired = 0;
        var timer = _time.CreateTimer(_ => fired++, null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        Assert.Equal(1, _time.ActiveTimers);

        timer.Dispose();
        _time.Advance(TimeSpan.FromSeconds(2));

        Assert.Equal(0, fired);
        Assert.Equal(0, _time.ActiveTimers);
        Assert.False(timer.Change(TimeSpan.Zero, Timeout.InfiniteTimeSpan));
    }

    [Fact]
    public void Change_Reschedules()
    {
        var fired = 0;
        using var timer = _time.CreateTimer(_ => fired++, null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(0, fired);

        Assert.True(timer.Change(TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan));
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(1, fired);
    }
}
