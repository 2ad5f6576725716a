namespace Edge.FunctionalTests.Hostile;

/// <summary>
/// Attacks whose bounds are latencies, CPU time or memory (slowloris, rapid reset, connection
/// floods) run alone: the bound is about the edge under attack, not about the rest of the suite
/// sharing the 2 cores.
/// </summary>
[CollectionDefinition(nameof(HostileTiming), DisableParallelization = true)]
public sealed class HostileTiming;
