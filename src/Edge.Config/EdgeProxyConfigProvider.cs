using Edge.Config.Model;
using Microsoft.Extensions.Primitives;
using Yarp.ReverseProxy.Configuration;

namespace Edge.Config;

/// <summary>
/// Hands the current snapshot's routes and clusters to YARP and signals each swap. The routes of
/// migrations the governor has let into Proxy phase are pointed at their targets here.
/// </summary>
public sealed class EdgeProxyConfigProvider : IProxyConfigProvider
{
    private volatile ProxyConfig _config;

    public EdgeProxyConfigProvider(EdgeConfigSnapshot initial) => _config = new ProxyConfig(initial, []);

    public IProxyConfig GetConfig() => _config;

    /// <param name="snapshot">The config to serve.</param>
    /// <param name="enteredMigrations">Names of the migrations whose routes forward to their targets.</param>
    public void Update(EdgeConfigSnapshot snapshot, IReadOnlyCollection<string>? enteredMigrations = null)
    {
        var previous = _config;
        var next = new ProxyConfig(snapshot, enteredMigrations ?? []);
        if (ReferenceEquals(previous.Snapshot, snapshot) && previous.RevisionId == next.RevisionId)
        {
            return;
        }

        _config = next;
        previous.SignalChange();
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "The token must stay valid for YARP's listeners after the swap; a source without timers holds nothing to free.")]
    private sealed class ProxyConfig(EdgeConfigSnapshot snapshot, IReadOnlyCollection<string> entered) : IProxyConfig
    {
        private readonly CancellationTokenSource _changed = new();

        public EdgeConfigSnapshot Snapshot => snapshot;

        public string RevisionId { get; } = entered.Count == 0
            ? snapshot.Version
            : snapshot.Version + "+" + string.Join(",", entered.Order(StringComparer.Ordinal));

        public IReadOnlyList<RouteConfig> Routes { get; } = MigrationProxy.Routes(snapshot.Routes, snapshot.Edge.Migrations, entered);

        public IReadOnlyList<ClusterConfig> Clusters => snapshot.Clusters;

        public IChangeToken ChangeToken => new CancellationChangeToken(_changed.Token);

        public void SignalChange() => _changed.Cancel();
    }
}
