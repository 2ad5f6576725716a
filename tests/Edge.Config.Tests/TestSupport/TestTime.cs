namespace Edge.Config.Tests.TestSupport;

/// <summary>A clock that always reads the same instant.</summary>
internal sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}

/// <summary>The system clock, reporting when its first timer is created (a component reached its first wait).</summary>
internal sealed class ObservedTimeProvider : TimeProvider
{
    private readonly TaskCompletionSource _firstTimer = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task FirstTimerCreated => _firstTimer.Task;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        _firstTimer.TrySetResult();
        return timer;
    }
}

internal static class Eventually
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(5);

    /// <summary>Polls <paramref name="condition"/> until it holds, failing after <see cref="Deadline"/>.</summary>
    public static async Task HoldsAsync(Func<bool> condition, string what)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > Deadline)
            {
                Assert.Fail($"Timed out after {Deadline.TotalSeconds} s waiting until {what}.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(20));
        }
    }
}
