using Edge.Config.Model;
using Edge.Proxy.Resilience;
using Edge.Proxy.Tests.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.CircuitBreaker;

namespace Edge.Proxy.Tests.Resilience;

public sealed class DestinationBreakerTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    // Opens at half the requests failing, once 4 requests fell in the 10 s window; stays open 5 s.
    private static readonly CircuitBreakerOptions Options = new()
    {
        FailureRatio = 0.5,
        MinimumThroughput = 4,
        SamplingDuration = TimeSpan.FromSeconds(10),
        BreakDuration = TimeSpan.FromSeconds(5),
    };

    private readonly ManualTimeProvider _time = new();
    private readonly DestinationBreaker _breaker;
    private int _calls;

    public DestinationBreakerTests()
        => _breaker = new DestinationBreaker("api", "api-1", Options, _time, NullLogger.Instance);

    [Fact]
    public void New_IsClosed()
    {
        Assert.Equal(CircuitState.Closed, _breaker.State);
        Assert.False(_breaker.IsOpen);
    }

    [Fact]
    public async Task Execute_FailureRatioReachedAtMinimumThroughput_Opens()
    {
        await SendAsync(200, 200, 500);
        Assert.Equal(CircuitState.Closed, _breaker.State);

        var outcome = await SendAsync(500);

        // The request that tipped the ratio still went through and keeps its status.
        Assert.Equal(500, outcome.Result);
        Assert.Equal(CircuitState.Open, _breaker.State);
        Assert.True(_breaker.IsOpen);
    }

    [Fact]
    public async Task Execute_FailureRatioNotReached_StaysClosed()
    {
        await SendAsync(200, 200, 200, 500, 200, 500);

        Assert.Equal(CircuitState.Closed, _breaker.State);
        Assert.False(_breaker.IsOpen);
    }

    [Fact]
    public async Task Execute_AllFailingBelowMinimumThroughput_StaysClosed()
    {
        await SendAsync(500, 500, 500);

        Assert.Equal(CircuitState.Closed, _breaker.State);
        Assert.Equal(3, _calls);
    }

    [Fact]
    public async Task Execute_FailuresSpreadBeyondSamplingDuration_StaysClosed()
    {
        await SendAsync(500, 500, 500);
        _time.Advance(Options.SamplingDuration + TimeSpan.FromSeconds(1));

        await SendAsync(500);

        Assert.Equal(CircuitState.Closed, _breaker.State);
    }

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(504)]
    [InlineData(599)]
    public async Task Execute_ServerErrors_CountAsFailures(int status)
    {
        await SendAsync(status, status, status, status);

        Assert.Equal(CircuitState.Open, _breaker.State);
    }

    [Fact]
    public async Task Execute_Exceptions_CountAsFailures()
    {
        for (var i = 0; i < Options.MinimumThroughput; i++)
        {
            var outcome = await ExecuteAsync(_ => throw new HttpRequestException("connection refused"));
            Assert.IsType<HttpRequestException>(outcome.Exception);
        }

        Assert.Equal(CircuitState.Open, _breaker.State);
    }

    [Theory]
    [InlineData(400)]
    [InlineData(401)]
    [InlineData(404)]
    [InlineData(429)]
    [InlineData(499)]
    [InlineData(DestinationBreaker.Abandoned)]
    public async Task Execute_ClientErrorsAndAbandonedRequests_DoNotCountAsFailures(int status)
    {
        for (var i = 0; i < 10 * Options.MinimumThroughput; i++)
        {
            var outcome = await SendAsync(status);
            Assert.Equal(status, outcome.Result);
        }

        Assert.Equal(CircuitState.Closed, _breaker.State);
        Assert.False(_breaker.IsOpen);
        Assert.Equal(40, _calls);
    }

    [Fact]
    public async Task Execute_Open_RejectsWithoutCallingTheDestination()
    {
        await OpenAsync();
        var before = _calls;

        var outcome = await SendAsync(200);

        Assert.IsType<BrokenCircuitException>(outcome.Exception);
        Assert.Equal(before, _calls);
        Assert.Equal(CircuitState.Open, _breaker.State);
    }

    [Fact]
    public async Task Execute_OpenJustShortOfBreakDuration_StillRejects()
    {
        await OpenAsync();
        _time.Advance(Options.BreakDuration - TimeSpan.FromMilliseconds(1));
        var before = _calls;

        var outcome = await SendAsync(200);

        Assert.IsType<BrokenCircuitException>(outcome.Exception);
        Assert.Equal(before, _calls);
    }

    [Fact]
    public async Task IsOpen_BreakDurationOver_FalseSoTheTrialCanBeOffered()
    {
        await OpenAsync();

        _time.Advance(Options.BreakDuration - TimeSpan.FromMilliseconds(1));
        Assert.True(_breaker.IsOpen);

        // Polly moves to half-open only when a request tries the circuit, so the breaker must stop
        // reporting open by itself, or load balancing would never send that request.
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.False(_breaker.IsOpen);
        Assert.Equal(CircuitState.Open, _breaker.State);
    }

    [Fact]
    public async Task Execute_AfterBreakDuration_LetsOneTrialThroughAndRejectsOthersMeanwhile()
    {
        await OpenAsync();
        _time.Advance(Options.BreakDuration);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);

        var trial = ExecuteAsync(async _ =>
        {
            entered.SetResult();
            return await release.Task;
        });
        await entered.Task.WaitAsync(Deadline);

        Assert.Equal(CircuitState.HalfOpen, _breaker.State);
        Assert.False(_breaker.IsOpen);
        var meanwhile = await SendAsync(200);
        Assert.IsType<BrokenCircuitException>(meanwhile.Exception);

        release.SetResult(200);
        var outcome = await trial.WaitAsync(Deadline);
        Assert.Equal(200, outcome.Result);
    }

    [Fact]
    public async Task Execute_SuccessfulTrial_Closes()
    {
        await OpenAsync();
        _time.Advance(Options.BreakDuration);

        var trial = await SendAsync(200);

        Assert.Equal(200, trial.Result);
        Assert.Equal(CircuitState.Closed, _breaker.State);
        Assert.False(_breaker.IsOpen);
        var next = await SendAsync(204);
        Assert.Equal(204, next.Result);
    }

    [Fact]
    public async Task Execute_SuccessfulTrial_StartsAFreshWindow()
    {
        await OpenAsync();
        _time.Advance(Options.BreakDuration);
        await SendAsync(200);

        // The failures that opened the circuit are forgotten: it takes a full minimum throughput again.
        await SendAsync(500, 500, 500);

        Assert.Equal(CircuitState.Closed, _breaker.State);
    }

    [Fact]
    public async Task Execute_FailedTrial_ReopensForAnotherBreakDuration()
    {
        await OpenAsync();
        _time.Advance(Options.BreakDuration);

        var trial = await SendAsync(503);

        Assert.Equal(503, trial.Result);
        Assert.Equal(CircuitState.Open, _breaker.State);
        Assert.True(_breaker.IsOpen);
        var before = _calls;
        _time.Advance(Options.BreakDuration - TimeSpan.FromMilliseconds(1));
        Assert.IsType<BrokenCircuitException>((await SendAsync(200)).Exception);
        Assert.Equal(before, _calls);

        Assert.True(_breaker.IsOpen);

        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.False(_breaker.IsOpen);
        Assert.Equal(200, (await SendAsync(200)).Result);
        Assert.Equal(CircuitState.Closed, _breaker.State);
    }

    [Fact]
    public async Task Execute_TrialAbandonedByClient_ReopensInsteadOfClosing()
    {
        await OpenAsync();
        _time.Advance(Options.BreakDuration);

        var trial = await SendAsync(DestinationBreaker.Abandoned);

        Assert.Equal(DestinationBreaker.Abandoned, trial.Result);
        Assert.Equal(CircuitState.Open, _breaker.State);
        Assert.True(_breaker.IsOpen);
    }

    [Fact]
    public async Task Execute_TrialThrows_Reopens()
    {
        await OpenAsync();
        _time.Advance(Options.BreakDuration);

        var trial = await ExecuteAsync(_ => throw new HttpRequestException("connection refused"));

        Assert.IsType<HttpRequestException>(trial.Exception);
        Assert.Equal(CircuitState.Open, _breaker.State);
    }

    [Fact]
    public async Task IsolateAsync_Closed_RejectsUntilClosedWhateverTheTime()
    {
        await _breaker.IsolateAsync();

        Assert.Equal(CircuitState.Isolated, _breaker.State);
        Assert.True(_breaker.IsOpen);
        Assert.IsType<IsolatedCircuitException>((await SendAsync(200)).Exception);

        _time.Advance(TimeSpan.FromDays(1));
        Assert.IsType<IsolatedCircuitException>((await SendAsync(200)).Exception);
        Assert.Equal(CircuitState.Isolated, _breaker.State);
        Assert.Equal(0, _calls);

        await _breaker.CloseAsync();

        Assert.Equal(CircuitState.Closed, _breaker.State);
        Assert.False(_breaker.IsOpen);
        Assert.Equal(200, (await SendAsync(200)).Result);
        Assert.Equal(1, _calls);
    }

    [Fact]
    public async Task CloseAsync_Open_ClosesAtOnce()
    {
        await OpenAsync();

        await _breaker.CloseAsync();

        Assert.Equal(CircuitState.Closed, _breaker.State);
        Assert.False(_breaker.IsOpen);
        Assert.Equal(200, (await SendAsync(200)).Result);
    }

    [Fact]
    public async Task IsolateAsync_Open_StaysIsolatedPastBreakDuration()
    {
        await OpenAsync();

        await _breaker.IsolateAsync();
        _time.Advance(Options.BreakDuration * 2);

        Assert.IsType<IsolatedCircuitException>((await SendAsync(200)).Exception);
        Assert.Equal(CircuitState.Isolated, _breaker.State);
    }

    private async Task OpenAsync()
    {
        await SendAsync(500, 500, 500, 500);
        Assert.Equal(CircuitState.Open, _breaker.State);
    }

    private async Task SendAsync(params int[] statuses)
    {
        foreach (var status in statuses)
        {
            await SendAsync(status);
        }
    }

    private Task<Outcome<int>> SendAsync(int status) => ExecuteAsync(_ => ValueTask.FromResult(status));

    private async Task<Outcome<int>> ExecuteAsync(Func<CancellationToken, ValueTask<int>> origin)
    {
        var context = ResilienceContextPool.Shared.Get(CancellationToken.None);
        try
        {
            return await _breaker.Pipeline.ExecuteOutcomeAsync(
                async (ctx, state) =>
                {
                    Interlocked.Increment(ref state.Self._calls);
                    try
                    {
                        return Outcome.FromResult(await state.Origin(ctx.CancellationToken));
                    }
                    catch (HttpRequestException ex)
                    {
                        // ExecuteOutcomeAsync wants failures as outcomes, as the forwarder reports them.
                        return Outcome.FromException<int>(ex);
                    }
                },
                context,
                (Self: this, Origin: origin));
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }
}
