using Edge.Proxy.Migration;

namespace Edge.Proxy.Admin;

/// <summary><c>GET /admin/migrations</c>: each migration's phase (and why it is held), residual requests, last request and whether it drained.</summary>
internal static class MigrationsEndpoint
{
    public static MigrationsBody Describe(MigrationRegistry registry, TimeProvider timeProvider)
    {
        var now = timeProvider.GetUtcNow();
        var migrations = registry.Select(state =>
        {
            var options = state.Options;
            return new MigrationBody(
                state.Name,
                state.Phase.ToString(),
                options.Phase.ToString(),
                state.Held,
                options.Target ?? string.Empty,
                options.HostHeader.ToString(),
                options.Routes,
                state.EnteredAt,
                new ResidualBody(state.Traffic.LastMinute(now), state.Traffic.LastHour(now), state.Traffic.Total),
                state.Traffic.LastRequestAt,
                options.QuietPeriod,
                state.IsDrained(now));
        });

        return new MigrationsBody(migrations);
    }
}

public sealed record MigrationsBody(IReadOnlyList<MigrationBody> Migrations);

/// <param name="Phase">What the edge does now: <c>Proxy</c> once the target passed its probe, else <c>Off</c>.</param>
/// <param name="RequestedPhase">The configured phase.</param>
/// <param name="Held">Why Proxy is asked for but not in force; null otherwise.</param>
public sealed record MigrationBody(
    string Name,
    string Phase,
    string RequestedPhase,
    string? Held,
    string Target,
    string HostHeader,
    IReadOnlyList<string> Routes,
    DateTimeOffset? EnteredAt,
    ResidualBody ResidualRequests,
    DateTimeOffset? LastRequestAt,
    TimeSpan QuietPeriod,
    bool Drained);

public sealed record ResidualBody(long LastMinute, long LastHour, long Total);
