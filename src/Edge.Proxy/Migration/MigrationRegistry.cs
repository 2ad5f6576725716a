using System.Collections.Frozen;
using Edge.Config;
using Edge.Config.Model;
using Edge.Proxy.Observability;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace Edge.Proxy.Migration;

/// <summary>
/// The migrations' run-time state, and the governor between the configured phase and the one YARP
/// serves. Off applies with the reload that asks for it. Proxy is entered only once the target has
/// passed its probe: until then the migration is held, its routes keep their own clusters, the
/// reason is logged and shown at <c>/admin/migrations</c>, and the target is probed every
/// <c>HealthCheck:Interval</c>. An entered migration stays entered across reloads while its target
/// and probe stay the same; the edge never leaves Proxy by itself (the data may already live on the
/// new site), a target that fails later meets the cluster's circuit breaker instead.
/// </summary>
internal sealed partial class MigrationRegistry(
    EdgeProxyConfigProvider provider,
    IForwarderHttpClientFactory clients,
    TimeProvider timeProvider,
    ILogger<MigrationRegistry> logger) : IDisposable
{
    private readonly Lock _lock = new();
    private Dictionary<string, MigrationState> _states = new(StringComparer.OrdinalIgnoreCase);
    private EdgeConfigSnapshot? _snapshot;
    private volatile FrozenDictionary<string, MigrationState> _byCluster = FrozenDictionary<string, MigrationState>.Empty;

    /// <summary>
    /// Every migration by its generated cluster id: a request YARP routed to such a cluster was
    /// served through the migration, even when it was routed just before a reload took it out of
    /// Proxy (YARP applies a new config a moment after it is handed over).
    /// </summary>
    public FrozenDictionary<string, MigrationState> ByCluster => _byCluster;

    /// <summary>Reads every configured migration, in name order, under the lock that guards their state.</summary>
    public List<T> Select<T>(Func<MigrationState, T> read)
    {
        lock (_lock)
        {
            return _states.Values.OrderBy(s => s.Name, StringComparer.Ordinal).Select(read).ToList();
        }
    }

    /// <summary>Takes a new config: Off at once, Proxy once the target passes; hands YARP the resulting routes.</summary>
    public void Apply(EdgeConfigSnapshot snapshot)
    {
        lock (_lock)
        {
            _snapshot = snapshot;
            var next = new Dictionary<string, MigrationState>(StringComparer.OrdinalIgnoreCase);
            foreach (var (name, options) in snapshot.Edge.Migrations)
            {
                if (_states.Remove(name, out var state))
                {
                    Reconfigure(state, options, snapshot);
                }
                else
                {
                    state = new MigrationState(name, timeProvider);
                    Reconfigure(state, options, snapshot);
                }

                next[name] = state;
            }

            foreach (var removed in _states.Values)
            {
                if (removed.Phase == MigrationPhase.Proxy)
                {
                    Log.Off(logger, removed.Name, string.Join(", ", removed.Options.Routes));
                }

                removed.Stop();
            }

            _states = next;
            _byCluster = next.Values.ToFrozenDictionary(s => s.ClusterId, StringComparer.OrdinalIgnoreCase);
            Publish();
        }
    }

    /// <summary>Counts a request served through an entered migration.</summary>
    public void Record(MigrationState state, string routeId)
    {
        state.Traffic.Record();
        EdgeMetrics.MigrationResidual(routeId);
        if (state.ClearDrainLogged())
        {
            Log.Resumed(logger, state.Name, routeId);
            lock (_lock)
            {
                state.DrainTimer?.Change(state.Options.QuietPeriod, Timeout.InfiniteTimeSpan);
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var state in _states.Values)
            {
                state.Stop();
            }

            _states.Clear();
        }
    }

    private void Reconfigure(MigrationState state, MigrationOptions options, EdgeConfigSnapshot snapshot)
    {
        var was = state.Options;
        state.Options = options;
        if (options.Phase == MigrationPhase.Off)
        {
            if (state.Phase == MigrationPhase.Proxy || state.Held is not null)
            {
                Log.Off(logger, state.Name, string.Join(", ", options.Routes));
            }

            state.Stop();
            state.Phase = MigrationPhase.Off;
            state.Held = null;
            state.EnteredAt = null;
            state.Identity = null;
            return;
        }

        var target = MigrationProxy.TargetUri(options)!;
        var identity = new ProbeIdentity(
            options.Target!,
            options.HostHeader,
            MigrationProxy.ProbeHost(options, snapshot.Routes, target),
            options.HealthCheck.Path,
            options.HttpClient,
            options.HttpRequest);
        if (identity == state.Identity)
        {
            // Entered stays entered, held keeps probing; a new quiet period counts from the last request.
            if (state.Phase == MigrationPhase.Proxy && was.QuietPeriod != options.QuietPeriod)
            {
                state.DrainTimer?.Change(TimeSpan.Zero, Timeout.InfiniteTimeSpan);
            }

            return;
        }

        if (state.Phase == MigrationPhase.Proxy)
        {
            Log.TargetChanged(logger, state.Name, options.Target!);
        }

        state.Stop();
        state.Phase = MigrationPhase.Off;
        state.EnteredAt = null;
        state.Identity = identity;
        state.Held = "waiting for the first probe of the target";
        var cluster = snapshot.Clusters.First(c => c.ClusterId == state.ClusterId);
        var probing = new CancellationTokenSource();
        state.Probing = probing;
        _ = Task.Run(() => ProbeUntilHealthyAsync(state, identity, target, cluster, probing.Token), CancellationToken.None);
    }

    private async Task ProbeUntilHealthyAsync(MigrationState state, ProbeIdentity identity, Uri target, ClusterConfig cluster, CancellationToken cancellationToken)
    {
        try
        {
            using var client = clients.CreateClient(new ForwarderHttpClientContext
            {
                ClusterId = cluster.ClusterId,
                OldConfig = HttpClientConfig.Empty,
                OldMetadata = null,
                OldClient = null,
                NewConfig = cluster.HttpClient ?? HttpClientConfig.Empty,
                NewMetadata = cluster.Metadata,
            });
            var uri = MigrationProxy.ProbeUri(target, identity.Path);
            while (true)
            {
                MigrationOptions options;
                lock (_lock)
                {
                    options = state.Options;
                }

                var failure = await TargetProbe.CheckAsync(client, uri, identity.ProbeHost, options, timeProvider, cancellationToken).ConfigureAwait(false);
                lock (_lock)
                {
                    if (cancellationToken.IsCancellationRequested)
                    {
                        return;
                    }

                    if (failure is null)
                    {
                        Enter(state, uri, identity.ProbeHost);
                        return;
                    }

                    if (failure != state.Held)
                    {
                        state.Held = failure;
                        Log.Held(logger, state.Name, failure, string.Join(", ", options.Routes), options.HealthCheck.Interval);
                    }
                }

                await Task.Delay(options.HealthCheck.Interval, timeProvider, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Superseded by a reload, or shutting down.
        }
        catch (Exception ex)
        {
            // A bug must not leave the migration looking healthy: it stays held, and says why.
            lock (_lock)
            {
                state.Held = $"probing stopped after an unexpected error: {ex.Message}; reload the config to retry";
            }

            Log.ProbeCrashed(logger, ex, state.Name);
        }
    }

    /// <summary>Lets a held migration into Proxy. Called under the lock.</summary>
    private void Enter(MigrationState state, Uri probe, string host)
    {
        var now = timeProvider.GetUtcNow();
        state.Phase = MigrationPhase.Proxy;
        state.Held = null;
        state.EnteredAt = now;
        state.Probing?.Dispose();
        state.Probing = null;
        state.DrainTimer = timeProvider.CreateTimer(_ => CheckDrained(state), null, state.Options.QuietPeriod, Timeout.InfiniteTimeSpan);
        Log.Entered(logger, state.Name, state.Options.Target!, probe, host, string.Join(", ", state.Options.Routes));
        Publish();
    }

    /// <summary>The drain timer: logs the drain once it is due, or waits for the rest of the quiet period.</summary>
    private void CheckDrained(MigrationState state)
    {
        lock (_lock)
        {
            if (state.Phase != MigrationPhase.Proxy || state.DrainTimer is null || state.QuietSince is not { } since)
            {
                return;
            }

            var now = timeProvider.GetUtcNow();
            var due = since + state.Options.QuietPeriod;
            if (now < due)
            {
                state.DrainTimer.Change(due - now, Timeout.InfiniteTimeSpan);
            }
            else if (state.MarkDrainLogged())
            {
                Log.Drained(logger, state.Name, since, state.Options.QuietPeriod, state.Traffic.Total);
            }
        }
    }

    /// <summary>Hands YARP the routes for the current config and entered migrations (a no-op when neither changed). Called under the lock.</summary>
    private void Publish()
    {
        if (_snapshot is null)
        {
            return;
        }

        provider.Update(_snapshot, _states.Values.Where(s => s.Phase == MigrationPhase.Proxy).Select(s => s.Name).ToList());
    }

    private static partial class Log
    {
        [LoggerMessage(600, LogLevel.Information, "Migration {Migration}: target {Target} passed its probe (GET {Probe}, Host {Host}); phase Proxy: routes {Routes} now forward to it")]
        public static partial void Entered(ILogger logger, string migration, string target, Uri probe, string host, string routes);

        [LoggerMessage(601, LogLevel.Warning, "Migration {Migration}: Proxy asked for but held: {Reason}. Routes {Routes} keep serving from their own clusters; probing again every {Interval}")]
        public static partial void Held(ILogger logger, string migration, string reason, string routes, TimeSpan interval);

        [LoggerMessage(602, LogLevel.Information, "Migration {Migration}: phase Off; routes {Routes} serve from their own clusters")]
        public static partial void Off(ILogger logger, string migration, string routes);

        [LoggerMessage(603, LogLevel.Information, "Migration {Migration} drained: no request since {Since:O} ({QuietPeriod} quiet, {Total} requests in all); the old site can be retired")]
        public static partial void Drained(ILogger logger, string migration, DateTimeOffset since, TimeSpan quietPeriod, long total);

        [LoggerMessage(604, LogLevel.Information, "Migration {Migration}: a request arrived on route {Route} after the drain was logged; not drained any more")]
        public static partial void Resumed(ILogger logger, string migration, string route);

        [LoggerMessage(605, LogLevel.Warning, "Migration {Migration}: the target changed to {Target}; routes serve from their own clusters until it passes its probe")]
        public static partial void TargetChanged(ILogger logger, string migration, string target);

        [LoggerMessage(606, LogLevel.Error, "Migration {Migration}: probing the target stopped after an unexpected error; the migration stays held")]
        public static partial void ProbeCrashed(ILogger logger, Exception exception, string migration);
    }
}
