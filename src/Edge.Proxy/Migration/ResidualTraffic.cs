namespace Edge.Proxy.Migration;

/// <summary>
/// Requests that still reach this edge through one migration: a total, the last request's time,
/// and counts over the last minute (60 one-second buckets) and the last hour (60 one-minute
/// buckets). Recording takes no lock but once per bucket turn; memory is fixed.
/// </summary>
internal sealed class ResidualTraffic(TimeProvider timeProvider)
{
    private readonly Window _seconds = new(TimeSpan.TicksPerSecond);
    private readonly Window _minutes = new(TimeSpan.TicksPerMinute);
    private long _total;
    private long _lastTicks;

    public long Total => Interlocked.Read(ref _total);

    /// <summary>When the last request arrived; null before the first.</summary>
    public DateTimeOffset? LastRequestAt
    {
        get
        {
            var ticks = Interlocked.Read(ref _lastTicks);
            return ticks == 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
        }
    }

    public void Record()
    {
        var now = timeProvider.GetUtcNow().UtcTicks;
        _seconds.Add(now);
        _minutes.Add(now);
        Interlocked.Increment(ref _total);
        Interlocked.Exchange(ref _lastTicks, now);
    }

    public long LastMinute(DateTimeOffset now) => _seconds.Sum(now.UtcTicks);

    public long LastHour(DateTimeOffset now) => _minutes.Sum(now.UtcTicks);

    /// <summary>60 buckets of one width each; a bucket holds the count of the slot (time / width) it was last used for.</summary>
    private sealed class Window(long width)
    {
        private const int Size = 60;
        private readonly long[] _slots = new long[Size];
        private readonly long[] _counts = new long[Size];
        private readonly Lock _turn = new();

        public void Add(long ticks)
        {
            var slot = ticks / width;
            var i = (int)(slot % Size);
            if (Volatile.Read(ref _slots[i]) != slot)
            {
                Turn(i, slot);
            }

            Interlocked.Increment(ref _counts[i]);
        }

        /// <summary>Counts of the slots within the last <see cref="Size"/> widths, the current one included.</summary>
        public long Sum(long ticks)
        {
            var current = ticks / width;
            long sum = 0;
            for (var i = 0; i < Size; i++)
            {
                var slot = Volatile.Read(ref _slots[i]);
                if (slot > current - Size && slot <= current)
                {
                    sum += Interlocked.Read(ref _counts[i]);
                }
            }

            return sum;
        }

        private void Turn(int i, long slot)
        {
            lock (_turn)
            {
                // The count is cleared before the new slot is published, so no increment for the new slot is lost.
                if (_slots[i] != slot)
                {
                    Interlocked.Exchange(ref _counts[i], 0);
                    Volatile.Write(ref _slots[i], slot);
                }
            }
        }
    }
}
