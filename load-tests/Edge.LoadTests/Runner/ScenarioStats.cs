using System.Globalization;

namespace Edge.LoadTests.Runner;

/// <summary>One finished step: when it was due (from the scenario's start), how long it took from then, and its response.</summary>
internal readonly record struct Sample(TimeSpan At, double LatencyMs, Response Response);

/// <summary>Everything a scenario's steps reported, and the figures drawn from it (NBomber's ScenarioStats).</summary>
internal sealed class ScenarioStats
{
    private readonly List<Sample> _samples = [];
    private readonly Lock _lock = new();

    public ScenarioStats(string name) => Name = name;

    public string Name { get; }

    /// <summary>How long the load ran (set when it ends; until then, the time since it began).</summary>
    public TimeSpan Duration { get; set; }

    public void Add(Sample sample)
    {
        lock (_lock)
        {
            _samples.Add(sample);
        }
    }

    public IReadOnlyList<Sample> Samples
    {
        get
        {
            lock (_lock)
            {
                return [.. _samples];
            }
        }
    }

    public int Requests => Samples.Count;

    public int Ok => Samples.Count(s => s.Response.IsOk);

    public int Failed => Samples.Count(s => !s.Response.IsOk);

    public double Rps => Duration > TimeSpan.Zero ? Requests / Duration.TotalSeconds : 0;

    public int Count(Func<Sample, bool> filter) => Samples.Count(filter);

    public int CountStatus(int status) => Samples.Count(s => s.Response.StatusCode == status);

    /// <summary>Latency percentile (0–100) in ms of the samples passing the filter (ok ones when none is given); NaN when there are none.</summary>
    public double Percentile(double percentile, Func<Sample, bool>? filter = null)
        => Percentiles.NearestRank(Samples.Where(filter ?? (s => s.Response.IsOk)).Select(s => s.LatencyMs), percentile);

    /// <summary>"200: 1000, 503: 12" plus each failure message with its count.</summary>
    public string Statuses()
    {
        var samples = Samples;
        var statuses = samples.GroupBy(s => s.Response.StatusCode).OrderBy(g => g.Key).Select(g => $"{(g.Key == 0 ? "no answer" : g.Key.ToString(CultureInfo.InvariantCulture))}: {g.Count()}");
        var messages = samples.Where(s => !s.Response.IsOk).GroupBy(s => s.Response.Message).OrderByDescending(g => g.Count()).Take(3).Select(g => $"\"{g.Key}\": {g.Count()}");
        return string.Join(", ", statuses.Concat(messages));
    }

    /// <summary>Per time bucket: ok and failed steps per second and the ok steps' p99, for the chart.</summary>
    public IReadOnlyList<TimelinePoint> Timeline(TimeSpan bucket)
    {
        var samples = Samples;
        if (samples.Count == 0)
        {
            return [];
        }

        var buckets = (int)Math.Ceiling(Math.Max(Duration.TotalSeconds, samples.Max(s => s.At.TotalSeconds)) / bucket.TotalSeconds);
        var points = new List<TimelinePoint>(buckets);
        var groups = samples.GroupBy(s => (int)(s.At / bucket)).ToDictionary(g => g.Key, g => g.ToList());
        for (var i = 0; i < Math.Max(buckets, 1); i++)
        {
            var inBucket = groups.GetValueOrDefault(i) ?? [];
            var ok = inBucket.Where(s => s.Response.IsOk).ToList();
            points.Add(new TimelinePoint(
                bucket * i,
                ok.Count / bucket.TotalSeconds,
                (inBucket.Count - ok.Count) / bucket.TotalSeconds,
                Percentiles.NearestRank(ok.Select(s => s.LatencyMs), 99)));
        }

        return points;
    }
}

internal readonly record struct TimelinePoint(TimeSpan At, double OkPerSecond, double FailedPerSecond, double P99Ms);

internal static class Percentiles
{
    /// <summary>The nearest-rank percentile: the smallest value with at least p % of the values at or below it; NaN for no values.</summary>
    public static double NearestRank(IEnumerable<double> values, double percentile)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(percentile, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(percentile, 100);
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var rank = (int)Math.Ceiling(percentile / 100 * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }
}
