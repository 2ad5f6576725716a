using Edge.Config.Model;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace Edge.Proxy.Migration;

/// <summary>
/// One migration at run time: the phase the edge applies (which may lag the configured one while
/// the governor holds it), why it is held, and its residual traffic, which survives reloads.
/// Mutable fields are guarded by <see cref="MigrationRegistry"/>'s lock.
/// </summary>
internal sealed class MigrationState(string name, TimeProvider timeProvider)
{
    private int _drainedLogged;

    public string Name => name;

    public string ClusterId { get; } = MigrationProxy.ClusterId(name);

    public ResidualTraffic Traffic { get; } = new(timeProvider);

    public MigrationOptions Options { get; set; } = new();

    /// <summary>The phase in force: <see cref="MigrationPhase.Proxy"/> only once the target passed its probe.</summary>
    public MigrationPhase Phase { get; set; }

    /// <summary>While Proxy is asked for and not entered: why.</summary>
    public string? Held { get; set; }

    public DateTimeOffset? EnteredAt { get; set; }

    /// <summary>What the probe that let the migration in checked; a change means probing again.</summary>
    public ProbeIdentity? Identity { get; set; }

    public CancellationTokenSource? Probing { get; set; }

    public ITimer? DrainTimer { get; set; }

    /// <summary>Since when nothing arrived: the last request, or entering Proxy if later.</summary>
    public DateTimeOffset? QuietSince
        => EnteredAt is not { } entered ? null
            : Traffic.LastRequestAt is { } last && last > entered ? last : entered;

    public bool IsDrained(DateTimeOffset now)
        => Phase == MigrationPhase.Proxy && QuietSince is { } since && now - since >= Options.QuietPeriod;

    /// <summary>Marks the drain as logged; true the first time since the last request.</summary>
    public bool MarkDrainLogged() => Interlocked.Exchange(ref _drainedLogged, 1) == 0;

    /// <summary>Clears the mark; true when it was set (a request arrived after the drain was logged).</summary>
    public bool ClearDrainLogged() => Volatile.Read(ref _drainedLogged) == 1 && Interlocked.Exchange(ref _drainedLogged, 0) == 1;

    /// <summary>Stops probing and the drain timer.</summary>
    public void Stop()
    {
        Probing?.Cancel();
        Probing?.Dispose();
        Probing = null;
        DrainTimer?.Dispose();
        DrainTimer = null;
        Interlocked.Exchange(ref _drainedLogged, 0);
    }
}

/// <summary>Everything the governor's probe depends on: the same identity keeps an entered migration entered across reloads.</summary>
internal sealed record ProbeIdentity(
    string Target,
    MigrationHostHeader HostHeader,
    string ProbeHost,
    string Path,
    HttpClientConfig? HttpClient,
    ForwarderRequestConfig? HttpRequest);
