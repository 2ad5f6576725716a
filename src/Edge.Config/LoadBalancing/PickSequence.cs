namespace Edge.Config.LoadBalancing;

/// <summary>
/// The points at which successive picks fall: n × (golden ratio fraction) mod 1, a Weyl sequence.
/// Its points spread evenly over [0, 1) at every length, so weighted picks follow the weights
/// within a few requests at any moment (no bursts to one destination), from one interlocked
/// increment and a multiplication: no lock, no allocation.
/// </summary>
public sealed class PickSequence
{
    // 2^64 / golden ratio: the fraction 0.6180339887... in 64-bit fixed point.
    private const ulong Golden = 0x9E3779B97F4A7C15UL;
    private long _next;

    /// <summary>The next point, scaled to a whole number in [0, <paramref name="range"/>).</summary>
    public long Next(long range)
    {
        var point = unchecked((ulong)Interlocked.Increment(ref _next) * Golden);
        return Scale(point, range);
    }

    /// <summary>A point in 64-bit fixed point mapped to [0, range); range must be below 2^32.</summary>
    public static long Scale(ulong point, long range) => (long)(((point >> 32) * (ulong)range) >> 32);
}
