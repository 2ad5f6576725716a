using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Edge.Config;
using Edge.Proxy.Dns;
using Edge.Proxy.Tests.TestSupport;

namespace Edge.Proxy.Tests.Dns;

public sealed class HostResolverTests : IDisposable
{
    private readonly ManualTimeProvider _time = new();
    private readonly RecordingLogger<HostResolver> _log = new();
    private readonly ConcurrentDictionary<string, IPAddress[]> _dns = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentQueue<string> _lookups = new();
    private readonly string _folder = Directory.CreateTempSubdirectory("edge-dns-").FullName;
    private readonly HostResolver _resolver;

    public HostResolverTests() => _resolver = new HostResolver(LookupAsync, _time, _log);

    [Fact]
    public async Task AddressesAsync_LooksUpOnce_ThenServesTheCache()
    {
        _dns["app.example.net"] = [IPAddress.Parse("10.0.0.1")];
        _resolver.Update(await SnapshotAsync());

        Assert.Equal([IPAddress.Parse("10.0.0.1")], await _resolver.AddressesAsync("app.example.net", default));
        Assert.Equal([IPAddress.Parse("10.0.0.1")], await _resolver.AddressesAsync("APP.example.net", default));
        Assert.Single(_lookups);
    }

    [Fact]
    public async Task RefreshAsync_AddressChanged_NewAddressUsedAndLoggedOnce()
    {
        _dns["app.example.net"] = [IPAddress.Parse("10.0.0.1")];
        _resolver.Update(await SnapshotAsync());
        await _resolver.AddressesAsync("app.example.net", default);

        _dns["app.example.net"] = [IPAddress.Parse("10.0.0.2")];
        await _resolver.RefreshAsync(default);
        await _resolver.RefreshAsync(default);

        Assert.Equal([IPAddress.Parse("10.0.0.2")], await _resolver.AddressesAsync("app.example.net", default));
        var change = Assert.Single(_log.Entries, e => e.EventId == 700);
        Assert.Contains("10.0.0.2", change.Message, StringComparison.Ordinal);
        Assert.Contains("was 10.0.0.1", change.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RefreshAsync_SameAddressesInAnotherOrder_NotAChange()
    {
        _dns["app.example.net"] = [IPAddress.Parse("10.0.0.1"), IPAddress.Parse("10.0.0.2")];
        _resolver.Update(await SnapshotAsync());
        await _resolver.AddressesAsync("app.example.net", default);

        _dns["app.example.net"] = [IPAddress.Parse("10.0.0.2"), IPAddress.Parse("10.0.0.1")];
        await _resolver.RefreshAsync(default);

        Assert.Equal(0, _log.Count(700));
    }

    [Fact]
    public async Task RefreshAsync_LookupFails_KeepsTheLastAddresses_LogsOnceAndTheRecovery()
    {
        _dns["app.example.net"] = [IPAddress.Parse("10.0.0.1")];
        _resolver.Update(await SnapshotAsync());
        await _resolver.AddressesAsync("app.example.net", default);

        _dns.TryRemove("app.example.net", out _);
        await _resolver.RefreshAsync(default);
        await _resolver.RefreshAsync(default);

        Assert.Equal([IPAddress.Parse("10.0.0.1")], await _resolver.AddressesAsync("app.example.net", default));
        Assert.Equal(1, _log.Count(701));

        _dns["app.example.net"] = [IPAddress.Parse("10.0.0.1")];
        await _resolver.RefreshAsync(default);
        Assert.Equal(1, _log.Count(702));
    }

    [Fact]
    public async Task HostsFile_NamesInIt_ResolvedFromTheFileNotDns_ChangesFollowedAtRefresh()
    {
        var hosts = Path.Combine(_folder, "hosts");
        await File.WriteAllTextAsync(hosts, "10.9.9.1 app.example.net\n");
        _dns["app.example.net"] = [IPAddress.Parse("10.0.0.1")];
        _resolver.Update(await SnapshotAsync(hosts));

        Assert.Equal([IPAddress.Parse("10.9.9.1")], await _resolver.AddressesAsync("app.example.net", default));
        Assert.Empty(_lookups);

        await File.WriteAllTextAsync(hosts, "10.9.9.2 app.example.net\n");
        await _resolver.RefreshAsync(default);
        Assert.Equal([IPAddress.Parse("10.9.9.2")], await _resolver.AddressesAsync("app.example.net", default));

        // A name leaving the file goes back to DNS.
        await File.WriteAllTextAsync(hosts, "# empty\n");
        await _resolver.RefreshAsync(default);
        Assert.Equal([IPAddress.Parse("10.0.0.1")], await _resolver.AddressesAsync("app.example.net", default));
    }

    [Fact]
    public async Task HostsFile_Unreadable_KeepsItsLastContentAndWarnsOnce()
    {
        var hosts = Path.Combine(_folder, "hosts");
        await File.WriteAllTextAsync(hosts, "10.9.9.1 app.example.net\n");
        _resolver.Update(await SnapshotAsync(hosts));
        await _resolver.AddressesAsync("app.example.net", default);

        File.Delete(hosts);
        await _resolver.RefreshAsync(default);
        await _resolver.RefreshAsync(default);

        Assert.Equal([IPAddress.Parse("10.9.9.1")], await _resolver.AddressesAsync("app.example.net", default));
        Assert.Equal(1, _log.Count(703));
    }

    [Fact]
    public async Task Update_NameNoLongerInTheConfig_Forgotten()
    {
        _dns["app.example.net"] = [IPAddress.Parse("10.0.0.1")];
        _resolver.Update(await SnapshotAsync());
        await _resolver.AddressesAsync("app.example.net", default);

        _resolver.Update(await TestSnapshots.LoadAsync(Config("http://10.0.0.7:8080/", null)));
        await _resolver.AddressesAsync("app.example.net", default);

        Assert.Equal(2, _lookups.Count);
    }

    [Fact]
    public async Task ConnectAsync_FirstAddressRefuses_ConnectsToTheNext()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        // 127.0.0.5 has nothing on that port: refused at once, as a stale address would be.
        _dns["app.example.net"] = [IPAddress.Parse("127.0.0.5"), IPAddress.Loopback];
        _resolver.Update(await SnapshotAsync());

        var accepting = listener.AcceptTcpClientAsync();
        await using var stream = await _resolver.ConnectAsync(new DnsEndPoint("app.example.net", port), default);
        using var accepted = await accepting;

        Assert.Equal(IPAddress.Loopback, ((IPEndPoint)accepted.Client.LocalEndPoint!).Address);
    }

    [Fact]
    public async Task ConnectAsync_UnknownName_HostNotFound()
    {
        _resolver.Update(await SnapshotAsync());

        var ex = await Assert.ThrowsAsync<SocketException>(async () => await _resolver.ConnectAsync(new DnsEndPoint("app.example.net", 80), default));

        Assert.Equal(SocketError.HostNotFound, ex.SocketErrorCode);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private Task<IPAddress[]> LookupAsync(string host, CancellationToken cancellationToken)
    {
        _lookups.Enqueue(host);
        return _dns.TryGetValue(host, out var addresses)
            ? Task.FromResult(addresses)
            : Task.FromException<IPAddress[]>(new SocketException((int)SocketError.HostNotFound));
    }

    private static Task<EdgeConfigSnapshot> SnapshotAsync(string? hostsFile = null)
        => TestSnapshots.LoadAsync(Config("http://app.example.net:8080/", hostsFile));

    private static string Config(string address, string? hostsFile) => $$"""
        {
          "ReverseProxy": {
            "Routes": { "all": { "ClusterId": "app", "Match": { "Path": "/{**all}" } } },
            "Clusters": { "app": { "Destinations": { "a": { "Address": "{{address}}" } } } }
          },
          "Edge": { "Dns": { {{(hostsFile is null ? string.Empty : $"\"HostsFile\": \"{hostsFile}\"")}} } }
        }
        """;
}
