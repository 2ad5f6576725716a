using Edge.Config.Model;
using Polly;
using Polly.CircuitBreaker;

namespace Edge.Proxy.Resilience;

/// <summary>
/// One destination's circuit breaker, built with Polly. The outcome of a forwarded request is
/// its status code; 5xx and transport failures (which YARP reports as 502/504) count as failures.
/// </summary>
internal sealed partial class DestinationBreaker
{
    /// <summary>The outcome of a request the client abandoned: not the destination's fault, so not a failure (but not a trial's success either).</summary>
    public const int Abandoned = -1;

    private readonly CircuitBreakerStateProvider _state = new();
    private readonly CircuitBreakerManualControl _manual = new();
    private readonly TimeProvider _timeProvider;
    private long _openUntil;
    private int _counted;

    /// <param name="openChanged">Told +1 when the circuit stops letting traffic through and -1 when it lets it through again.</param>
    public DestinationBreaker(string clusterId, string destinationId, CircuitBreakerOptions options, TimeProvider timeProvider, ILogger logger, Action<int>? openChanged = null)
    {
        _timeProvider = timeProvider;
        Pipeline = new ResiliencePipelineBuilder<int> { TimeProvider = timeProvider }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<int>
            {
                FailureRatio = options.FailureRatio,
                SamplingDuration = options.SamplingDuration,
                MinimumThroughput = options.MinimumThroughput,
                BreakDuration = options.BreakDuration,
                StateProvider = _state,
                ManualControl = _manual,
                // Polly has no neutral outcome: what is not a failure counts as a success. A trial the
                // client abandoned proves nothing, so it reopens the circuit instead of closing it.
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Result == Abandoned
                    ? _state.CircuitState == CircuitState.HalfOpen
                    : args.Outcome.Exception is not null || args.Outcome.Result >= 500),
                OnOpened = args =>
                {
                    Volatile.Write(ref _openUntil, timeProvider.GetTimestamp() + (long)(args.BreakDuration.TotalSeconds * timeProvider.TimestampFrequency));
                    if (Interlocked.Exchange(ref _counted, 1) == 0)
                    {
                        openChanged?.Invoke(1);
                    }

                    Log.Opened(logger, clusterId, destinationId, args.BreakDuration.TotalSeconds, args.Outcome.Result, args.IsManual);
                    return ValueTask.CompletedTask;
                },
                OnHalfOpened = _ =>
                {
                    Log.HalfOpened(logger, clusterId, destinationId);
                    return ValueTask.CompletedTask;
                },
                OnClosed = args =>
                {
                    if (Interlocked.Exchange(ref _counted, 0) == 1)
                    {
                        openChanged?.Invoke(-1);
                    }

                    Log.Closed(logger, clusterId, destinationId, args.IsManual);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }

    public ResiliencePipeline<int> Pipeline { get; }

    public CircuitState State => _state.CircuitState;

    /// <summary>
    /// Isolated, or open and still inside its break: the destination must get no traffic. Polly
    /// moves an open circuit to half-open only when a request tries it, so once the break is over
    /// the destination is offered to load balancing again and the first request to reach it is the trial.
    /// </summary>
    public bool IsOpen => _state.CircuitState switch
    {
        CircuitState.Isolated => true,
        CircuitState.Open => _timeProvider.GetTimestamp() < Volatile.Read(ref _openUntil),
        _ => false,
    };

    public Task IsolateAsync() => _manual.IsolateAsync();

    public Task CloseAsync() => _manual.CloseAsync();

    private static partial class Log
    {
        [LoggerMessage(300, LogLevel.Warning, "Circuit opened for destination {Destination} in cluster {Cluster} for {BreakSeconds} s (last status {Status}, manual {Manual})")]
        public static partial void Opened(ILogger logger, string cluster, string destination, double breakSeconds, int status, bool manual);

        [LoggerMessage(301, LogLevel.Information, "Circuit half-open for destination {Destination} in cluster {Cluster}: one trial request goes through")]
        public static partial void HalfOpened(ILogger logger, string cluster, string destination);

        [LoggerMessage(302, LogLevel.Information, "Circuit closed for destination {Destination} in cluster {Cluster} (manual {Manual})")]
        public static partial void Closed(ILogger logger, string cluster, string destination, bool manual);
    }
}
