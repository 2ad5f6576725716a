using Microsoft.Extensions.Primitives;
using Yarp.ReverseProxy.Configuration;

namespace Edge.Config;

/// <summary>Hands the current snapshot's routes and clusters to YARP and signals each swap.</summary>
public sealed class EdgeProxyConfigProvider : IProxyConfigProvider
{
    private volatile ProxyConfig _config;

    public EdgeProxyConfigProvider(EdgeConfigSnapshot initial) => _config = new ProxyConfig(initial);

    public IProxyConfig GetConfig() => _config;

    public void Update(EdgeConfigSnapshot snapshot)
    {
        var previous = _config;
        _config = new ProxyConfig(snapshot);
        previous.SignalChange();
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "The token must stay valid for YARP's listeners after the swap; a source without timers holds nothing to free.")]
    private sealed class ProxyConfig(EdgeConfigSnapshot snapshot) : IProxyConfig
    {
        private readonly CancellationTokenSource _changed = new();

        public string RevisionId => snapshot.Version;

        public IReadOnlyList<RouteConfig> Routes => snapshot.Routes;

        public IReadOnlyList<ClusterConfig> Clusters => snapshot.Clusters;

        public IChangeToken ChangeToken => new CancellationChangeToken(_changed.Token);

        public void SignalChange() => _changed.Cancel();
    }
}
