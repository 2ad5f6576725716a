namespace Edge.Testing;

/// <summary>Poll-with-deadline: the only way tests wait for something to happen.</summary>
public static class Eventually
{
    public static async Task<TimeSpan> TrueAsync(Func<Task<bool>> condition, TimeSpan deadline, string what)
    {
        var started = TimeProvider.System.GetTimestamp();
        while (true)
        {
            if (await condition())
            {
                return TimeProvider.System.GetElapsedTime(started);
            }

            if (TimeProvider.System.GetElapsedTime(started) > deadline)
            {
                throw new TimeoutException($"Waited {deadline.TotalSeconds:0.#} s for {what}, in vain.");
            }

            await Task.Delay(20);
        }
    }

    public static Task<TimeSpan> TrueAsync(Func<bool> condition, TimeSpan deadline, string what)
        => TrueAsync(() => Task.FromResult(condition()), deadline, what);
}
