namespace Edge.LoadTests.Runner;

/// <summary>A value sampled over a long run (resident memory, open files...), with when it was taken.</summary>
internal readonly record struct ResourceSample(TimeSpan At, double Value);

/// <summary>A named series of samples, for thresholds and the chart, which draws it as a percentage of <paramref name="Baseline"/> (the median after warm-up).</summary>
internal sealed record ResourceSeries(string Name, string Unit, IReadOnlyList<ResourceSample> Samples, double Baseline);

/// <summary>A span of a run, from its start: [From, To).</summary>
internal readonly record struct Window(TimeSpan From, TimeSpan To)
{
    public bool Contains(TimeSpan at) => at >= From && at < To;

    public override string ToString() => $"{From.TotalSeconds:0}–{To.TotalSeconds:0} s";
}

/// <summary>
/// How a soak of a given length is cut into windows: a warm-up (JIT, pools, the GC settling its
/// budgets) that no threshold looks at, then the first window after it and the last window of the
/// run, whose samples and latencies are compared. 30 minutes: warm-up 5 min, windows of 1 min
/// (minute 5–6 against 29–30); 3 minutes: warm-up 1 min, windows of 30 s (60–90 s against
/// 150–180 s). The warm-up is a whole number of windows, so the first window after it is one of them.
/// </summary>
internal sealed record SoakPlan(TimeSpan Duration, TimeSpan WarmUp, TimeSpan WindowLength)
{
    public static readonly TimeSpan Shortest = TimeSpan.FromMinutes(1);

    public static SoakPlan For(TimeSpan duration)
    {
        if (duration < Shortest)
        {
            throw new ArgumentOutOfRangeException(nameof(duration), duration, $"A soak needs at least {Shortest.TotalSeconds:0} s: a warm-up and two windows of at least 10 s (one resource sample each) to compare.");
        }

        var window = Min(TimeSpan.FromMinutes(1), duration / 6);
        var warmUp = Max(duration / 6, Min(TimeSpan.FromMinutes(1), duration / 3));
        warmUp = window * Math.Ceiling(warmUp / window);
        return new SoakPlan(duration, warmUp, window);
    }

    /// <summary>The first window after the warm-up.</summary>
    public Window Early => new(WarmUp, WarmUp + WindowLength);

    /// <summary>The last window of the run (shorter than the others when the run is not a whole number of windows).</summary>
    public Window Late => Windows()[^1];

    /// <summary>
    /// The windows whose latency the drift judges against <see cref="Early"/>: the last two after
    /// it (the last alone when only one follows it), their seconds taken together
    /// (<see cref="Growth.PerSecondP99"/>): a latency leak raises all of them, a stall of a shared
    /// machine some.
    /// </summary>
    public IReadOnlyList<Window> LatencyWindows() => [.. Windows().Where(w => w.From >= Early.To).TakeLast(2)];

    /// <summary>The run cut into consecutive windows of <see cref="WindowLength"/>.</summary>
    public IReadOnlyList<Window> Windows()
    {
        var windows = new List<Window>();
        for (var from = TimeSpan.Zero; from < Duration; from += WindowLength)
        {
            windows.Add(new Window(from, Min(from + WindowLength, Duration)));
        }

        return windows;
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}

/// <summary>
/// Growth between two windows of a long run, robust to one odd sample: the median of the samples
/// in each window (a GC between two samples or a burst of connections moves one sample, not the median).
/// </summary>
internal static class Growth
{
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /// <summary>
    /// The medians of the samples in each window and the relative growth from the first to the
    /// second (0.03 is 3 % more; negative when it shrank); NaN when a window holds no sample or
    /// the first median is 0.
    /// </summary>
    public static GrowthResult Between(IReadOnlyList<ResourceSample> samples, Window early, Window late)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var before = Median(samples.Where(s => early.Contains(s.At)).Select(s => s.Value));
        var after = Median(samples.Where(s => late.Contains(s.At)).Select(s => s.Value));
        return new GrowthResult(before, after, Ratio(before, after));
    }

    /// <summary>
    /// The p99 (nearest rank) of each second's latencies, for the seconds that hold any, in time
    /// order. A window's typical p99 is the median of these: a stall of the shared machine lasting
    /// less than half the window moves the window's p99 but not that median; a latency leak raises
    /// every second's.
    /// </summary>
    public static IReadOnlyList<double> PerSecondP99(IEnumerable<(TimeSpan At, double LatencyMs)> latencies)
    {
        ArgumentNullException.ThrowIfNull(latencies);
        return [.. latencies.GroupBy(l => (long)Math.Floor(l.At.TotalSeconds)).OrderBy(g => g.Key).Select(g => Percentiles.NearestRank(g.Select(l => l.LatencyMs), 99))];
    }

    /// <summary>(after - before) / before: p99 drift, resource growth; NaN when it cannot be computed.</summary>
    public static double Ratio(double before, double after)
        => double.IsNaN(before) || double.IsNaN(after) || before <= 0 ? double.NaN : (after - before) / before;
}

internal readonly record struct GrowthResult(double Before, double After, double Relative);

/// <summary>
/// Whether failures are explained by kills: a failure is explained when the request was in
/// flight while an origin was being killed, that is when it started before the kill ended and
/// ended after the kill began. Every other failure is unexplained.
/// </summary>
internal static class KillOverlap
{
    public static IReadOnlyList<Window> Unexplained(IEnumerable<Window> failures, IReadOnlyList<Window> kills)
    {
        ArgumentNullException.ThrowIfNull(failures);
        ArgumentNullException.ThrowIfNull(kills);
        return [.. failures.Where(f => !kills.Any(k => Overlaps(f, k)))];
    }

    public static bool Overlaps(Window request, Window kill) => request.From <= kill.To && request.To >= kill.From;
}
