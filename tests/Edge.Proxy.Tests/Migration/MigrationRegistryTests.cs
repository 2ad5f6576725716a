using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Edge.Config;
using Edge.Config.Model;
using Edge.Proxy.Migration;
using Edge.Proxy.Tests.TestSupport;
using Yarp.ReverseProxy.Forwarder;

namespace Edge.Proxy.Tests.Migration;

public sealed class MigrationRegistryTests : IDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Quiet = TimeSpan.FromMinutes(10);

    private readonly ManualTimeProvider _time = new();
    private readonly RecordingLogger<MigrationRegistry> _log = new();
    private readonly StubTarget _target = new();
    private EdgeProxyConfigProvider? _provider;
    private MigrationRegistry? _registry;

    private MigrationRegistry Registry => _registry!;

    private MigrationState Migration => Assert.Single(Registry.Select(s => s));

    [Fact]
    public async Task Apply_ProxyWhileTheTargetFails_HeldWithTheReason_RoutesKeepTheirClusters()
    {
        _target.Status = 503;
        await StartAsync(await SnapshotAsync("Proxy"));

        await UntilAsync(() => Migration.Held?.Contains("answered 503", StringComparison.Ordinal) == true, "the first probe to fail");
        Assert.Equal(MigrationPhase.Off, Migration.Phase);
        Assert.Equal("api", RouteCluster("api"));
        Assert.Equal(1, _log.Count(601));

        await AdvanceUntilAsync(() => _target.Probes >= 3, "two more probes");
        Assert.Equal(MigrationPhase.Off, Migration.Phase);
        Assert.Equal(1, _log.Count(601));
        Assert.All(_target.Hosts, h => Assert.Equal("new.example.net", h));

        _target.Status = 200;
        await AdvanceUntilAsync(() => Migration.Phase == MigrationPhase.Proxy, "the target to pass");
        Assert.Null(Migration.Held);
        Assert.Equal("migration:to-new", RouteCluster("api"));
        Assert.Equal("web", RouteCluster("web"));
        Assert.Equal(1, _log.Count(600));
    }

    [Fact]
    public async Task Apply_Off_LeavesProxyAtOnceWithoutAProbe()
    {
        await StartAsync(await SnapshotAsync("Proxy"));
        await UntilAsync(() => Migration.Phase == MigrationPhase.Proxy, "Proxy to be entered");
        _target.Status = 503;
        var probes = _target.Probes;

        Registry.Apply(await SnapshotAsync("Off"));

        Assert.Equal(MigrationPhase.Off, Migration.Phase);
        Assert.Null(Migration.Held);
        Assert.Equal("api", RouteCluster("api"));
        Assert.Equal(probes, _target.Probes);
        Assert.Equal(1, _log.Count(602));
    }

    [Fact]
    public async Task Apply_SameTargetAgain_StaysEntered_AnotherTargetIsProbedFirst()
    {
        await StartAsync(await SnapshotAsync("Proxy"));
        await UntilAsync(() => Migration.Phase == MigrationPhase.Proxy, "Proxy to be entered");
        var enteredAt = Migration.EnteredAt;
        _target.Status = 503;

        Registry.Apply(await SnapshotAsync("Proxy", quiet: "00:20:00"));
        Assert.Equal(MigrationPhase.Proxy, Migration.Phase);
        Assert.Equal(enteredAt, Migration.EnteredAt);
        Assert.Equal(1, _target.Probes);

        Registry.Apply(await SnapshotAsync("Proxy", target: "http://other.example.net/"));
        Assert.Equal(MigrationPhase.Off, Migration.Phase);
        Assert.Equal("api", RouteCluster("api"));
        await UntilAsync(() => Migration.Held?.Contains("other.example.net", StringComparison.Ordinal) == true, "the new target to be probed");
        Assert.Equal(1, _log.Count(605));
    }

    [Fact]
    public async Task Drain_NoRequestForTheQuietPeriod_DrainedAndLoggedOnce_UntilTheNextRequest()
    {
        await StartAsync(await SnapshotAsync("Proxy"));
        await UntilAsync(() => Migration.Phase == MigrationPhase.Proxy, "Proxy to be entered");
        _time.Advance(TimeSpan.FromMinutes(1));
        Registry.Record(Migration, "api");

        _time.Advance(Quiet - TimeSpan.FromSeconds(1));
        Assert.False(Migration.IsDrained(_time.GetUtcNow()));
        Assert.Equal(0, _log.Count(603));

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(Migration.IsDrained(_time.GetUtcNow()));
        Assert.Equal(1, _log.Count(603));

        _time.Advance(Quiet * 3);
        Assert.Equal(1, _log.Count(603));

        Registry.Record(Migration, "api");
        Assert.False(Migration.IsDrained(_time.GetUtcNow()));
        Assert.Equal(1, _log.Count(604));
        _time.Advance(Quiet);
        Assert.Equal(2, _log.Count(603));
        Assert.Equal(2, Migration.Traffic.Total);
    }

    [Fact]
    public async Task Drain_NoRequestAtAll_CountsFromEnteringProxy()
    {
        await StartAsync(await SnapshotAsync("Proxy"));
        await UntilAsync(() => Migration.Phase == MigrationPhase.Proxy, "Proxy to be entered");

        _time.Advance(Quiet);

        Assert.True(Migration.IsDrained(_time.GetUtcNow()));
        Assert.Equal(1, _log.Count(603));
    }

    [Fact]
    public async Task Drain_NotInProxy_NeverDrained()
    {
        await StartAsync(await SnapshotAsync("Off"));

        _time.Advance(Quiet * 2);

        Assert.False(Migration.IsDrained(_time.GetUtcNow()));
        Assert.Equal(0, _log.Count(603));
    }

    public void Dispose() => _registry?.Dispose();

    private async Task StartAsync(EdgeConfigSnapshot snapshot)
    {
        _provider = new EdgeProxyConfigProvider(snapshot);
        _registry = new MigrationRegistry(_provider, _target, _time, _log);
        _registry.Apply(snapshot);
        await Task.Yield();
    }

    private string RouteCluster(string routeId) => _provider!.GetConfig().Routes.Single(r => r.RouteId == routeId).ClusterId!;

    private static Task<EdgeConfigSnapshot> SnapshotAsync(string phase, string target = "http://new.example.net/", string quiet = "00:10:00")
        => TestSnapshots.LoadAsync($$"""
            {
              "ReverseProxy": {
                "Routes": {
                  "api": { "ClusterId": "api", "Match": { "Path": "/api/{**rest}" } },
                  "web": { "ClusterId": "web", "Match": { "Path": "/{**catchall}" } }
                },
                "Clusters": {
                  "api": { "Destinations": { "a": { "Address": "http://10.0.0.1:8080/" } } },
                  "web": { "Destinations": { "w": { "Address": "http://10.0.0.2:8080/" } } }
                }
              },
              "Edge": {
                "Migrations": {
                  "to-new": { "Routes": ["api"], "Target": "{{target}}", "Phase": "{{phase}}", "QuietPeriod": "{{quiet}}",
                              "HealthCheck": { "Interval": "{{Interval:c}}", "Timeout": "01:00:00" } }
                }
              }
            }
            """);

    /// <summary>Waits (real time) for what the probe loop does on its own thread.</summary>
    private static async Task UntilAsync(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"Timed out waiting for {what}.");
            await Task.Delay(10);
        }
    }

    /// <summary>Moves the clock one probe interval at a time until the condition holds.</summary>
    private async Task AdvanceUntilAsync(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"Timed out waiting for {what}.");
            _time.Advance(Interval);
            await Task.Delay(10);
        }
    }

    /// <summary>The target as the probe sees it: every request answered with <see cref="Status"/>.</summary>
    private sealed class StubTarget : IForwarderHttpClientFactory
    {
        private volatile int _status = 200;

        public int Status
        {
            get => _status;
            set => _status = value;
        }

        public ConcurrentQueue<string> Hosts { get; } = new();

        public int Probes => Hosts.Count;

        public HttpMessageInvoker CreateClient(ForwarderHttpClientContext context) => new(new Handler(this));

        private sealed class Handler(StubTarget target) : HttpMessageHandler
        {
            protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            {
                target.Hosts.Enqueue(request.Headers.Host ?? string.Empty);
                return Task.FromResult(new HttpResponseMessage((HttpStatusCode)target.Status));
            }
        }
    }
}
