namespace Edge.LoadTests.Runner;

/// <summary>
/// How a scenario's step is started over time, after NBomber's load simulations: open-model
/// injection (a rate per interval, constant or ramping, whatever the answers take) or a closed
/// model of constant copies (each starts its next request when its last one ended).
/// </summary>
internal abstract record LoadSimulation(TimeSpan During)
{
    /// <summary>Starts <paramref name="rate"/> steps per <paramref name="interval"/>, evenly spaced, for <paramref name="during"/>.</summary>
    public static LoadSimulation Inject(double rate, TimeSpan interval, TimeSpan during) => new InjectSimulation(rate, rate, interval, during);

    /// <summary>Ramps the injection rate linearly from the previous simulation's rate (0 at first) to <paramref name="rate"/> per <paramref name="interval"/>.</summary>
    public static LoadSimulation RampingInject(double rate, TimeSpan interval, TimeSpan during) => new RampingInjectSimulation(rate, interval, during);

    /// <summary>Keeps <paramref name="copies"/> steps in flight for <paramref name="during"/>.</summary>
    public static LoadSimulation KeepConstant(int copies, TimeSpan during) => new KeepConstantSimulation(copies, during);
}

/// <summary>Injection from <see cref="FromRate"/> to <see cref="ToRate"/> steps per interval (equal for a constant rate).</summary>
internal sealed record InjectSimulation(double FromRate, double ToRate, TimeSpan Interval, TimeSpan During) : LoadSimulation(During);

/// <summary>A ramp whose start is only known from the simulation before it; <see cref="InjectionPlan"/> resolves it.</summary>
internal sealed record RampingInjectSimulation(double Rate, TimeSpan Interval, TimeSpan During) : LoadSimulation(During);

internal sealed record KeepConstantSimulation(int Copies, TimeSpan During) : LoadSimulation(During);
