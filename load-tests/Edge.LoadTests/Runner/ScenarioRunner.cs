namespace Edge.LoadTests.Runner;

/// <summary>
/// Runs a scenario's simulations in order. Injected steps start on schedule whatever earlier
/// ones take, and their latency counts from the scheduled start, so a stalled edge cannot slow
/// the load down and hide its own slowness (no coordinated omission). Every step is bounded by
/// <see cref="StepTimeout"/>; the run ends when the last simulation has and every step returned.
/// </summary>
internal sealed class ScenarioRunner(TimeProvider time, IProgressSink? progress = null)
{
    public TimeSpan StepTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The same runner (clock, progress) with another step timeout, for steps that may wait out a restart.</summary>
    public ScenarioRunner WithStepTimeout(TimeSpan timeout) => new(time, progress) { StepTimeout = timeout };

    public async Task<ScenarioStats> RunAsync(Scenario scenario, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        var stats = new ScenarioStats(scenario.Name);
        var segments = InjectionPlan.Plan(scenario.Simulations);
        var started = time.GetTimestamp();
        long invocations = 0;
        progress?.Begin(stats, scenario.Duration, started);
        try
        {
            foreach (var segment in segments)
            {
                if (segment.Copies > 0)
                {
                    var copies = new Task[segment.Copies];
                    for (var c = 0; c < copies.Length; c++)
                    {
                        copies[c] = Task.Run(
                            async () =>
                            {
                                while (time.GetElapsedTime(started) < segment.Start + segment.During && !cancellationToken.IsCancellationRequested)
                                {
                                    await StepAsync(scenario, stats, Interlocked.Increment(ref invocations), started, time.GetElapsedTime(started), cancellationToken).ConfigureAwait(false);
                                }
                            },
                            cancellationToken);
                    }

                    await Task.WhenAll(copies).ConfigureAwait(false);
                    continue;
                }

                var running = new List<Task>(segment.Offsets.Length);
                foreach (var offset in segment.Offsets)
                {
                    var due = segment.Start + offset;
                    var ahead = due - time.GetElapsedTime(started);
                    if (ahead > TimeSpan.FromMilliseconds(1))
                    {
                        await Task.Delay(ahead, time, cancellationToken).ConfigureAwait(false);
                    }

                    running.Add(StepAsync(scenario, stats, Interlocked.Increment(ref invocations), started, due, cancellationToken));
                }

                // The segment lasts its whole time even when its last step is due earlier (and when
                // a timer fires a little early, as the system's may by up to its resolution).
                var rest = segment.Start + segment.During - time.GetElapsedTime(started);
                while (rest > TimeSpan.Zero)
                {
                    await Task.Delay(rest, time, cancellationToken).ConfigureAwait(false);
                    rest = segment.Start + segment.During - time.GetElapsedTime(started);
                }

                await Task.WhenAll(running).ConfigureAwait(false);
            }
        }
        finally
        {
            stats.Duration = time.GetElapsedTime(started);
            progress?.End(stats);
        }

        return stats;
    }

    private async Task StepAsync(Scenario scenario, ScenarioStats stats, long invocation, long started, TimeSpan due, CancellationToken cancellationToken)
    {
        // Let the scheduling loop go on at once: the step runs on the thread pool.
        await Task.Yield();
        Response response;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            timeout.CancelAfter(StepTimeout);
            try
            {
                response = await scenario.Step(new StepContext(scenario.Name, invocation), timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
                response = Response.Fail(0, "timeout");
            }
            catch (HttpRequestException ex)
            {
                response = Response.Fail(0, ex.HttpRequestError.ToString());
            }
        }

        var latency = time.GetElapsedTime(started) - due;
        stats.Add(new Sample(due, latency.TotalMilliseconds, response));
    }
}
