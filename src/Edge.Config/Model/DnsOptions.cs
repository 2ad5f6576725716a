namespace Edge.Config.Model;

/// <summary><c>Edge:Dns</c>: how the edge follows DNS changes of the origins it connects to by name.</summary>
public sealed class DnsOptions
{
    /// <summary>How often host names of destinations are looked up again.</summary>
    public TimeSpan RefreshPeriod { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a pooled connection to an origin is reused before a new one is opened (to the current address).</summary>
    public TimeSpan PooledConnectionLifetime { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>An absolute path to a file in /etc/hosts format whose names the edge resolves from it instead of DNS; re-read at every refresh.</summary>
    public string? HostsFile { get; init; }
}
