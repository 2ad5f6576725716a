namespace Edge.LoadTests.Runner;

/// <summary>What a step knows when it runs: which invocation of the scenario it is.</summary>
internal readonly record struct StepContext(string ScenarioName, long InvocationNumber);

/// <summary>
/// A named step run under load simulations (NBomber's ScenarioProps): the step sends one request
/// and reports ok or failed; the runner measures its latency.
/// </summary>
internal sealed record Scenario(string Name, Func<StepContext, CancellationToken, Task<Response>> Step, IReadOnlyList<LoadSimulation> Simulations)
{
    public static Scenario Create(string name, Func<StepContext, CancellationToken, Task<Response>> step) => new(name, step, []);

    public Scenario WithLoadSimulations(params LoadSimulation[] simulations) => this with { Simulations = simulations };

    public TimeSpan Duration => Simulations.Aggregate(TimeSpan.Zero, (sum, s) => sum + s.During);
}
