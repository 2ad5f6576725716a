namespace Edge.Config.Tests.TestSupport;

/// <summary>A clock that always reads the same instant.</summary>
internal sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}

/// <summary>
/// The system clock, reporting how many timers it has created: a component that waits between
/// steps has reached its Nth wait once the Nth timer exists.
/// </summary>
internal sealed class ObservedTimeProvider : TimeProvider
{
    private readonly Lock _lock = new();
    private readonly List<(int Count, TaskCompletionSource Signal)> _waiters = [];
    private int _created;

    public Task FirstTimerCreated => TimersCreated(1);

    /// <summary>Completes once <paramref name="count"/> timers have been created.</summary>
    public Task TimersCreated(int count)
    {
        lock (_lock)
        {
            if (_created >= count)
            {
                return Task.CompletedTask;
            }

            var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, signal));
            return signal.Task;
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        lock (_lock)
        {
            _created++;
            foreach (var waiter in _waiters.Where(w => w.Count <= _created).ToList())
            {
                waiter.Signal.TrySetResult();
                _waiters.Remove(waiter);
            }
        }

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
