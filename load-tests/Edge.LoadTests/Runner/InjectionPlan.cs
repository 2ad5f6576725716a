namespace Edge.LoadTests.Runner;

/// <summary>
/// Turns a scenario's simulations into segments: for injection, the offset of every step from
/// the segment's start, so pacing is computed once and testable without a clock.
/// </summary>
internal static class InjectionPlan
{
    public static IReadOnlyList<PlannedSegment> Plan(IReadOnlyList<LoadSimulation> simulations)
    {
        ArgumentNullException.ThrowIfNull(simulations);
        var segments = new List<PlannedSegment>(simulations.Count);
        var start = TimeSpan.Zero;
        var previousRatePerSecond = 0.0;
        foreach (var simulation in simulations)
        {
            if (simulation.During <= TimeSpan.Zero)
            {
                throw new ArgumentException($"A load simulation must last longer than 0 (got {simulation.During}).", nameof(simulations));
            }

            switch (simulation)
            {
                case InjectSimulation inject:
                    var from = PerSecond(inject.FromRate, inject.Interval);
                    var to = PerSecond(inject.ToRate, inject.Interval);
                    segments.Add(new PlannedSegment(start, inject.During, Offsets(from, to, inject.During), 0));
                    previousRatePerSecond = to;
                    break;
                case RampingInjectSimulation ramp:
                    var target = PerSecond(ramp.Rate, ramp.Interval);
                    segments.Add(new PlannedSegment(start, ramp.During, Offsets(previousRatePerSecond, target, ramp.During), 0));
                    previousRatePerSecond = target;
                    break;
                case KeepConstantSimulation constant:
                    if (constant.Copies < 1)
                    {
                        throw new ArgumentException($"KeepConstant needs at least one copy (got {constant.Copies}).", nameof(simulations));
                    }

                    segments.Add(new PlannedSegment(start, constant.During, [], constant.Copies));
                    previousRatePerSecond = 0;
                    break;
                default:
                    throw new ArgumentException($"Unknown load simulation {simulation.GetType().Name}.", nameof(simulations));
            }

            start += simulation.During;
        }

        return segments;
    }

    private static double PerSecond(double rate, TimeSpan interval)
    {
        if (rate < 0 || interval <= TimeSpan.Zero)
        {
            throw new ArgumentException($"An injection rate must be at least 0 per a positive interval (got {rate} per {interval}).");
        }

        return rate / interval.TotalSeconds;
    }

    /// <summary>
    /// The times at which the cumulative count of a linear rate r(t) = from + (to - from) t / D
    /// reaches 0, 1, 2...: step k starts where ∫r = k, so a constant rate gives evenly spaced steps
    /// and a ramp gives steps that close up as it rises.
    /// </summary>
    internal static TimeSpan[] Offsets(double from, double to, TimeSpan during)
    {
        var d = during.TotalSeconds;
        var total = (from + to) / 2 * d;
        var count = (int)Math.Floor(total + 1e-9);
        var offsets = new TimeSpan[count];
        var slope = (to - from) / d;
        for (var k = 0; k < count; k++)
        {
            double t;
            if (Math.Abs(slope) < 1e-12)
            {
                t = k / from;
            }
            else
            {
                // from t + slope t² / 2 = k  →  t = (-from + sqrt(from² + 2 slope k)) / slope
                var discriminant = Math.Max(0, (from * from) + (2 * slope * k));
                t = (-from + Math.Sqrt(discriminant)) / slope;
            }

            offsets[k] = TimeSpan.FromSeconds(Math.Clamp(t, 0, d));
        }

        return offsets;
    }
}

/// <summary>One simulation, planned: when it starts (from the scenario's start), how long it lasts, and either step offsets or copies.</summary>
internal sealed record PlannedSegment(TimeSpan Start, TimeSpan During, TimeSpan[] Offsets, int Copies);
