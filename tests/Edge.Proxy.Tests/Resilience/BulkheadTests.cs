using Edge.Proxy.Resilience;

namespace Edge.Proxy.Tests.Resilience;

public sealed class BulkheadTests
{
    [Fact]
    public void TryEnter_AtLimit_RefusesUntilOneExits()
    {
        var bulkhead = new Bulkhead(2);

        Assert.True(bulkhead.TryEnter());
        Assert.True(bulkhead.TryEnter());
        Assert.False(bulkhead.TryEnter());
        Assert.Equal(2, bulkhead.Count);

        bulkhead.Exit();
        Assert.True(bulkhead.TryEnter());
    }

    [Fact]
    public void TryEnter_Refused_LeavesCountUnchanged()
    {
        var bulkhead = new Bulkhead(1);
        Assert.True(bulkhead.TryEnter());

        for (var i = 0; i < 5; i++)
        {
            Assert.False(bulkhead.TryEnter());
        }

        Assert.Equal(1, bulkhead.Count);
        bulkhead.Exit();
        Assert.Equal(0, bulkhead.Count);
    }

    [Fact]
    public async Task TryEnter_ManyThreadsAtOnce_AdmitsExactlyTheLimit()
    {
        // 32 threads released together, each trying once and never leaving: 10 get in, 22 are refused.
        const int Threads = 32;
        const int Limit = 10;
        var bulkhead = new Bulkhead(Limit);
        using var start = new Barrier(Threads);

        var attempts = Enumerable.Range(0, Threads).Select(_ => Task.Factory.StartNew(
            () =>
            {
                Assert.True(start.SignalAndWait(TimeSpan.FromSeconds(10)), "not every thread reached the start line");
                return bulkhead.TryEnter();
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default)).ToList();
        var admitted = await Task.WhenAll(attempts).WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(Limit, admitted.Count(a => a));
        Assert.Equal(Limit, bulkhead.Count);
    }

    [Fact]
    public void TryEnter_ParallelEnterAndExit_NeverMoreThanLimitInside()
    {
        // 200 000 calls on every core, each holding its place briefly: at no point are more than 4 inside.
        const int Limit = 4;
        const int Calls = 200_000;
        var bulkhead = new Bulkhead(Limit);
        var inside = 0;
        var most = 0;
        var admitted = 0;

        Parallel.For(0, Calls, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(8, Environment.ProcessorCount * 2) }, _ =>
        {
            if (!bulkhead.TryEnter())
            {
                return;
            }

            try
            {
                var now = Interlocked.Increment(ref inside);
                InterlockedMax(ref most, now);
                Interlocked.Increment(ref admitted);
                Thread.SpinWait(20);
                Interlocked.Decrement(ref inside);
            }
            finally
            {
                bulkhead.Exit();
            }
        });

        Assert.InRange(most, 1, Limit);
        Assert.True(admitted > 0);
        Assert.Equal(0, bulkhead.Count);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
