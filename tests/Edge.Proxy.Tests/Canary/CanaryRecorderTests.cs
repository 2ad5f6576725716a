using Edge.Proxy.Canary;

namespace Edge.Proxy.Tests.Canary;

public sealed class CanaryRecorderTests
{
    [Fact]
    public void Read_CountsEachSideApart()
    {
        var recorder = new CanaryRecorder();
        for (var i = 0; i < 10; i++)
        {
            recorder.Record(canary: true, i < 2 ? 500 : 200, TimeSpan.FromMilliseconds(10));
        }

        recorder.Record(canary: false, 503, TimeSpan.FromMilliseconds(10));
        recorder.Record(canary: false, 404, TimeSpan.FromMilliseconds(10));

        var (canary, stable) = recorder.Read();
        Assert.Equal((10, 2), (canary.Requests, canary.Errors));
        Assert.Equal((2, 1), (stable.Requests, stable.Errors));
        Assert.Equal(0.2, canary.ErrorRatio);
    }

    [Fact]
    public void Read_P95_WithinTheBucketWidth()
    {
        var recorder = new CanaryRecorder();
        for (var ms = 1; ms <= 1000; ms++)
        {
            recorder.Record(canary: true, 200, TimeSpan.FromMilliseconds(ms));
        }

        var p95 = recorder.Read().Canary.P95!.Value.TotalMilliseconds;

        Assert.InRange(p95, 950 * 0.9375, 950 * 1.0625);
    }

    [Fact]
    public void Read_NothingRecorded_NoP95()
    {
        var (canary, stable) = new CanaryRecorder().Read();

        Assert.Equal(SideStats.None, canary);
        Assert.Equal(SideStats.None, stable);
    }

    [Fact]
    public void Restart_StartsAnEmptyWindow()
    {
        var recorder = new CanaryRecorder();
        recorder.Record(canary: true, 500, TimeSpan.FromMilliseconds(5));

        recorder.Restart();

        Assert.Equal(0, recorder.Read().Canary.Requests);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(1000)]
    [InlineData(123_456)]
    [InlineData(60_000_000)]
    public void Bucket_MiddleIsWithinAnEighthOfTheValue(long micros)
    {
        var middle = CanaryRecorder.Side.Middle(CanaryRecorder.Side.Bucket(micros));

        Assert.InRange(middle, micros * 0.9375 - 0.5, micros * 1.0625 + 0.5);
    }

    [Fact]
    public void Bucket_HugeDurations_LandInTheLastBucket()
        => Assert.Equal(CanaryRecorder.Side.Buckets - 1, CanaryRecorder.Side.Bucket(long.MaxValue));

    [Fact]
    public void Record_DoesNotAllocate()
    {
        var recorder = new CanaryRecorder();
        recorder.Record(canary: true, 200, TimeSpan.FromMilliseconds(1));

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            recorder.Record(canary: (i & 1) == 0, 200 + (i % 400), TimeSpan.FromMicroseconds(i));
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
