using Edge.LoadTests.Runner;

namespace Edge.LoadTests.Scenarios;

/// <summary>
/// One load test: it starts its own stack (the edge and its origins on loopback), runs one or
/// more scenarios against it, perhaps acting on the stack meanwhile (killing an origin,
/// reloading), and states its thresholds.
/// </summary>
internal interface ILoadTest
{
    string Name { get; }

    /// <summary>One sentence: what it does and what it checks.</summary>
    string Description { get; }

    Task<LoadTestResult> RunAsync(LoadTestContext context);
}

/// <param name="EdgePath">the published edge program (an apphost or edge.dll)</param>
/// <param name="Smoke">short runs with the same checks; latency bounds are wider (see the README)</param>
/// <param name="Duration">for the long runs (soak, chaos): how long to run, instead of their full or smoke length</param>
internal sealed record LoadTestContext(string EdgePath, bool Smoke, TimeProvider Time, ScenarioRunner Runner, TimeSpan? Duration = null)
{
    public static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(30);

    /// <summary>The full run's value, or the smoke run's.</summary>
    public T Pick<T>(T full, T smoke) => Smoke ? smoke : full;

    /// <summary>A long run's length: the one asked for, else the full or the smoke (CI) length.</summary>
    public TimeSpan LongRun(TimeSpan full, TimeSpan smoke) => Duration ?? Pick(full, smoke);
}

/// <summary>
/// What a load test measured: its scenarios' stats, its thresholds, notes (extra tables) for the
/// report, events to mark on the chart, and the scenario the chart shows (else the longest). A long
/// run that keeps no scenario whole gives the chart its per-second timeline instead, and may add
/// sampled resources (memory, files, threads), charted in a panel of their own.
/// </summary>
internal sealed record LoadTestResult(
    string Name,
    string Description,
    IReadOnlyList<ScenarioStats> Scenarios,
    IReadOnlyList<ThresholdResult> Thresholds,
    string Notes,
    TimeSpan Elapsed,
    IReadOnlyList<(TimeSpan At, string Label)> Events,
    string? Charted = null,
    IReadOnlyList<TimelinePoint>? Timeline = null,
    IReadOnlyList<ResourceSeries>? Resources = null)
{
    public bool Passed => Thresholds.All(t => t.Passed);
}
