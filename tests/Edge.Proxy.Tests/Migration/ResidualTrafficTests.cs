using Edge.Proxy.Migration;
using Edge.Proxy.Tests.TestSupport;

namespace Edge.Proxy.Tests.Migration;

public sealed class ResidualTrafficTests
{
    private readonly ManualTimeProvider _time = new();

    [Fact]
    public void Record_CountsInTheLastMinuteAndHour_AndKeepsTheLastRequestTime()
    {
        var traffic = new ResidualTraffic(_time);
        Assert.Null(traffic.LastRequestAt);

        for (var i = 0; i < 5; i++)
        {
            traffic.Record();
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        var now = _time.GetUtcNow();
        Assert.Equal(5, traffic.LastMinute(now));
        Assert.Equal(5, traffic.LastHour(now));
        Assert.Equal(5, traffic.Total);
        Assert.Equal(now - TimeSpan.FromSeconds(1), traffic.LastRequestAt);
    }

    [Fact]
    public void Windows_OldRequestsAgeOut_MinuteBeforeHour()
    {
        var traffic = new ResidualTraffic(_time);
        traffic.Record();
        traffic.Record();

        _time.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(0, traffic.LastMinute(_time.GetUtcNow()));
        Assert.Equal(2, traffic.LastHour(_time.GetUtcNow()));

        traffic.Record();
        _time.Advance(TimeSpan.FromMinutes(59));
        Assert.Equal(0, traffic.LastMinute(_time.GetUtcNow()));
        Assert.Equal(1, traffic.LastHour(_time.GetUtcNow()));

        _time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(0, traffic.LastHour(_time.GetUtcNow()));
        Assert.Equal(3, traffic.Total);
    }

    [Fact]
    public void Buckets_ReusedAfterAWholeWindow_StartFromZero()
    {
        var traffic = new ResidualTraffic(_time);
        traffic.Record();
        traffic.Record();
        traffic.Record();

        // The same second of the next minute lands in the same bucket, which must not carry the old count.
        _time.Advance(TimeSpan.FromSeconds(60));
        traffic.Record();

        Assert.Equal(1, traffic.LastMinute(_time.GetUtcNow()));
        Assert.Equal(4, traffic.LastHour(_time.GetUtcNow()));
    }

    [Fact]
    public async Task Record_FromManyThreads_LosesNothing()
    {
        var traffic = new ResidualTraffic(TimeProvider.System);

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                traffic.Record();
            }
        })));

        Assert.Equal(80_000, traffic.Total);
        Assert.Equal(80_000, traffic.LastHour(TimeProvider.System.GetUtcNow()));
    }
}
