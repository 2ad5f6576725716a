using System.Numerics;

namespace Edge.Proxy.Canary;

/// <summary>
/// What one side (canary or stable) served in the window being judged: requests, 5xx answers and
/// the p95 of attempt durations.
/// </summary>
internal sealed record SideStats(long Requests, long Errors, TimeSpan? P95)
{
    public static readonly SideStats None = new(0, 0, null);

    public double ErrorRatio => Requests == 0 ? 0 : (double)Errors / Requests;
}

/// <summary>
/// Counts a rollout's attempts per side since its window started, fed from the proxy pipeline.
/// Recording is three interlocked increments into fixed arrays: no lock, no allocation. A new
/// window is a new object swapped in whole; an attempt that finishes across the swap lands in
/// either window, which an analysis over hundreds of requests does not notice.
/// </summary>
internal sealed class CanaryRecorder
{
    private volatile Window _window = new();

    public void Record(bool canary, int status, TimeSpan elapsed)
        => (canary ? _window.Canary : _window.Stable).Record(status >= 500, elapsed);

    public (SideStats Canary, SideStats Stable) Read()
    {
        var window = _window;
        return (window.Canary.Read(), window.Stable.Read());
    }

    public void Restart() => _window = new Window();

    private sealed class Window
    {
        public Side Canary { get; } = new();

        public Side Stable { get; } = new();
    }

    /// <summary>
    /// Durations in microseconds, bucketed log-linearly: exact below 16 µs, then eight buckets per
    /// doubling (each within 12.5 %), up to about 38 hours.
    /// </summary>
    internal sealed class Side
    {
        private const int Linear = 16;
        private const int SubBuckets = 8;
        internal const int Buckets = Linear + (38 - 4) * SubBuckets;

        private readonly long[] _buckets = new long[Buckets];
        private long _requests;
        private long _errors;

        public void Record(bool error, TimeSpan elapsed)
        {
            Interlocked.Increment(ref _requests);
            if (error)
            {
                Interlocked.Increment(ref _errors);
            }

            Interlocked.Increment(ref _buckets[Bucket((long)Math.Max(0, elapsed.TotalMicroseconds))]);
        }

        public SideStats Read()
        {
            var counts = new long[Buckets];
            long total = 0;
            for (var i = 0; i < Buckets; i++)
            {
                counts[i] = Volatile.Read(ref _buckets[i]);
                total += counts[i];
            }

            TimeSpan? p95 = null;
            if (total > 0)
            {
                var rank = (long)Math.Ceiling(total * 0.95);
                long seen = 0;
                for (var i = 0; i < Buckets; i++)
                {
                    seen += counts[i];
                    if (seen >= rank)
                    {
                        p95 = TimeSpan.FromMicroseconds(Middle(i));
                        break;
                    }
                }
            }

            return new SideStats(Volatile.Read(ref _requests), Volatile.Read(ref _errors), p95);
        }

        internal static int Bucket(long micros)
        {
            if (micros < Linear)
            {
                return (int)micros;
            }

            var exponent = BitOperations.Log2((ulong)micros);
            var sub = (int)(micros >> (exponent - 3)) & (SubBuckets - 1);
            return Math.Min(Buckets - 1, Linear + ((exponent - 4) * SubBuckets) + sub);
        }

        /// <summary>The middle of a bucket, in microseconds.</summary>
        internal static double Middle(int bucket)
        {
            if (bucket < Linear)
            {
                return bucket + 0.5;
            }

            var exponent = ((bucket - Linear) / SubBuckets) + 4;
            var sub = (bucket - Linear) % SubBuckets;
            var width = 1L << (exponent - 3);
            return ((SubBuckets + sub) * width) + (width / 2.0);
        }
    }
}
