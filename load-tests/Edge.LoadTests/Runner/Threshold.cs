namespace Edge.LoadTests.Runner;

/// <summary>
/// A condition a load test states and checks (NBomber's Threshold): on a scenario's stats, or a
/// custom check on what the test observed (a promotion, a count at an origin). It reports the
/// measured value either way, so a report shows by how much it held or missed.
/// </summary>
internal sealed class Threshold
{
    private readonly Func<(bool Holds, string Measured)> _check;

    private Threshold(string description, Func<(bool, string)> check)
    {
        Description = description;
        _check = check;
    }

    public string Description { get; }

    /// <summary>A threshold on a scenario's stats: a measured value and the condition it must meet.</summary>
    public static Threshold Create(ScenarioStats stats, string description, Func<ScenarioStats, double> measure, Func<double, bool> holds, string format = "0.##")
    {
        ArgumentNullException.ThrowIfNull(measure);
        ArgumentNullException.ThrowIfNull(holds);
        return new Threshold(description, () =>
        {
            var value = measure(stats);
            return (!double.IsNaN(value) && holds(value), Format(value, format));
        });
    }

    /// <summary>A custom check whose outcome and measured value the test computed.</summary>
    public static Threshold Check(string description, bool holds, string measured) => new(description, () => (holds, measured));

    public static Threshold FailCountIsZero(ScenarioStats stats)
        => Create(stats, $"{stats.Name}: failed requests == 0", s => s.Failed, v => v == 0, "0");

    public static Threshold P99Below(ScenarioStats stats, double ms)
        => Create(stats, $"{stats.Name}: p99 < {ms:0.#} ms", s => s.Percentile(99), v => v < ms, "0.0 'ms'");

    public static IReadOnlyList<ThresholdResult> EvaluateAll(IEnumerable<Threshold> thresholds) => [.. thresholds.Select(t => t.Evaluate())];

    public ThresholdResult Evaluate()
    {
        try
        {
            var (holds, measured) = _check();
            return new ThresholdResult(Description, measured, holds);
        }
        catch (InvalidOperationException ex)
        {
            return new ThresholdResult(Description, $"could not be measured: {ex.Message}", false);
        }
    }

    private static string Format(double value, string format)
        => double.IsNaN(value) ? "no data" : value.ToString(format, System.Globalization.CultureInfo.InvariantCulture);
}

internal sealed record ThresholdResult(string Description, string Measured, bool Passed);
