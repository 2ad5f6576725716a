using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Net;
using System.Net.Sockets;
using Edge.Config;
using Edge.Config.Model;

namespace Edge.Proxy.Dns;

/// <summary>
/// Where the edge's outbound connections go: the <c>ConnectCallback</c> of every origin
/// connection handler. Host names are looked up once, cached, and looked up again every
/// <c>Edge:Dns:RefreshPeriod</c> (<see cref="DnsRefreshService"/>); new connections use the
/// current addresses, and <c>PooledConnectionLifetime</c> retires connections to old ones. A failed
/// lookup keeps the last good addresses: a DNS outage does not take an origin away. Names in
/// <c>Edge:Dns:HostsFile</c> are resolved from that file instead of DNS.
/// </summary>
/// <remarks>
/// YARP's destinations keep their configured addresses, so the Host header, TLS SNI and
/// certificate checks still use the configured name, destination ids stay config ids, and a name
/// with several addresses is tried address by address as SocketsHttpHandler does itself.
/// </remarks>
internal sealed partial class HostResolver
{
    private readonly Func<string, CancellationToken, Task<IPAddress[]>> _lookup;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, Entry> _cache = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _hostsGate = new();
    private volatile Settings _settings = new(new DnsOptions(), FrozenSet<string>.Empty);
    private volatile HostsFile _hosts = HostsFile.Empty;
    private string? _hostsProblem;

    public HostResolver(TimeProvider timeProvider, ILogger<HostResolver> logger)
        : this(System.Net.Dns.GetHostAddressesAsync, timeProvider, logger)
    {
    }

    /// <param name="lookup">The DNS lookup; tests give their own.</param>
    /// <param name="timeProvider">The clock of <c>resolvedAt</c> times.</param>
    /// <param name="logger">Where changes and failures are logged.</param>
    internal HostResolver(Func<string, CancellationToken, Task<IPAddress[]>> lookup, TimeProvider timeProvider, ILogger logger)
    {
        _lookup = lookup;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    public TimeSpan RefreshPeriod => _settings.Options.RefreshPeriod;

    /// <summary>Takes the names the config connects to and its DNS settings; forgets names no longer used.</summary>
    public void Update(EdgeConfigSnapshot snapshot)
    {
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var cluster in snapshot.Clusters)
        {
            foreach (var destination in cluster.Destinations?.Values ?? [])
            {
                AddName(names, destination.Address);
                AddName(names, destination.Health);
            }
        }

        _settings = new Settings(snapshot.Edge.Dns, names.ToFrozenSet(StringComparer.OrdinalIgnoreCase));
        ReadHostsFile();
        foreach (var host in _cache.Keys)
        {
            if (!names.Contains(host))
            {
                _cache.TryRemove(host, out _);
            }
        }
    }

    /// <summary>SocketsHttpHandler's ConnectCallback.</summary>
    public ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
        => ConnectAsync(context.DnsEndPoint, cancellationToken);

    /// <summary>A TCP connection to the first address of the name that accepts.</summary>
    public async ValueTask<Stream> ConnectAsync(DnsEndPoint endpoint, CancellationToken cancellationToken)
    {
        var host = endpoint.Host.StartsWith('[') ? endpoint.Host[1..^1] : endpoint.Host;
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await AddressesAsync(host, cancellationToken).ConfigureAwait(false);
        SocketException? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, endpoint.Port), cancellationToken).ConfigureAwait(false);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                last = ex;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw last ?? new SocketException((int)SocketError.HostNotFound);
    }

    /// <summary>The addresses of a name: from the cache, else looked up now and cached.</summary>
    public async ValueTask<IPAddress[]> AddressesAsync(string host, CancellationToken cancellationToken)
    {
        if (_cache.TryGetValue(host, out var entry))
        {
            return entry.Addresses;
        }

        var addresses = await LookupAsync(host, cancellationToken).ConfigureAwait(false);
        _cache[host] = new Entry(addresses, _timeProvider.GetUtcNow(), Failing: false);
        return addresses;
    }

    /// <summary>Re-reads the hosts file and looks every cached name up again. Never throws but for cancellation.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        ReadHostsFile();
        var configured = _settings.Names;
        foreach (var (host, old) in _cache)
        {
            if (!configured.Contains(host))
            {
                _cache.TryRemove(host, out _);
                continue;
            }

            try
            {
                var fresh = await LookupAsync(host, cancellationToken).ConfigureAwait(false);
                if (!SameSet(old.Addresses, fresh))
                {
                    Log.Changed(_logger, host, Describe(fresh), Describe(old.Addresses));
                }
                else if (old.Failing)
                {
                    Log.Recovered(_logger, host, Describe(fresh));
                }

                _cache[host] = new Entry(fresh, _timeProvider.GetUtcNow(), Failing: false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                if (!old.Failing)
                {
                    Log.LookupFailed(_logger, host, ex.Message, Describe(old.Addresses), old.ResolvedAt);
                }

                _cache[host] = old with { Failing = true };
            }
        }
    }

    private async Task<IPAddress[]> LookupAsync(string host, CancellationToken cancellationToken)
    {
        if (_hosts.TryGet(host, out var pinned))
        {
            return pinned;
        }

        var addresses = await _lookup(host, cancellationToken).ConfigureAwait(false);
        return addresses.Length > 0 ? addresses : throw new SocketException((int)SocketError.HostNotFound);
    }

    private void ReadHostsFile()
    {
        lock (_hostsGate)
        {
            var path = _settings.Options.HostsFile;
            if (path is null)
            {
                _hosts = HostsFile.Empty;
                _hostsProblem = null;
                return;
            }

            string? problem;
            try
            {
                var parsed = HostsFile.Parse(File.ReadAllText(path));
                _hosts = parsed;
                problem = parsed.Problems.Count == 0 ? null : string.Join("; ", parsed.Problems);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Keep the last good content: a file being replaced must not send names to DNS.
                problem = ex.Message;
            }

            if (problem is not null && problem != _hostsProblem)
            {
                Log.HostsFileProblem(_logger, path, problem);
            }

            _hostsProblem = problem;
        }
    }

    private static void AddName(HashSet<string> names, string? address)
    {
        if (Uri.TryCreate(address, UriKind.Absolute, out var uri) && uri.HostNameType == UriHostNameType.Dns)
        {
            names.Add(uri.IdnHost);
        }
    }

    private static bool SameSet(IPAddress[] a, IPAddress[] b) => a.Length == b.Length && a.All(b.Contains);

    private static string Describe(IPAddress[] addresses) => string.Join(", ", addresses.Select(a => a.ToString()));

    private sealed record Settings(DnsOptions Options, FrozenSet<string> Names);

    private sealed record Entry(IPAddress[] Addresses, DateTimeOffset ResolvedAt, bool Failing);

    private static partial class Log
    {
        [LoggerMessage(700, LogLevel.Information, "DNS: {Host} now resolves to {Addresses} (was {Previous}); new connections go there, pooled ones retire within Edge:Dns:PooledConnectionLifetime")]
        public static partial void Changed(ILogger logger, string host, string addresses, string previous);

        [LoggerMessage(701, LogLevel.Warning, "DNS: looking up {Host} failed ({Error}); keeping {Addresses} from {ResolvedAt:O} until a lookup succeeds")]
        public static partial void LookupFailed(ILogger logger, string host, string error, string addresses, DateTimeOffset resolvedAt);

        [LoggerMessage(702, LogLevel.Information, "DNS: looking up {Host} works again: {Addresses}")]
        public static partial void Recovered(ILogger logger, string host, string addresses);

        [LoggerMessage(703, LogLevel.Warning, "DNS: hosts file {Path}: {Problem}")]
        public static partial void HostsFileProblem(ILogger logger, string path, string problem);
    }
}
