namespace Edge.Proxy.Tests.TestSupport;

/// <summary>
/// Tests that measure real time (System.Threading.RateLimiting has no injectable clock) run on
/// their own, after the parallel ones, so a busy test run does not stretch their timers.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RealTime
{
    public const string Name = "Real time";
}
