using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Edge.Testing;
using Xunit.Abstractions;

namespace Edge.FunctionalTests.Dns;

public sealed class DnsFollowingTests(ITestOutputHelper output)
{
    private static readonly TimeSpan RefreshPeriod = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task HostNameMovesToAnotherOrigin_UnderLoad_FollowedWithinRefreshPlusLifetime_FailsNothing()
    {
        // Two origins on one port at two loopback addresses: only the name's address tells them apart.
        await using var first = await OriginServer.StartAsync("first", new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0));
        await using var second = await OriginServer.StartAsync("second", new IPEndPoint(IPAddress.Parse("127.0.0.3"), first.Url.Port));
        var config = EdgeConfigFile.Config(("app", new Uri($"http://app.edge-test:{first.Url.Port}/")));
        using var file = new EdgeConfigFile(config);
        var hosts = Path.Combine(file.Directory, "hosts");
        await File.WriteAllTextAsync(hosts, "# test resolver\n127.0.0.2 app.edge-test\n");
        config["Edge"]!["Dns"] = new JsonObject
        {
            ["RefreshPeriod"] = RefreshPeriod.ToString("c"),
            ["PooledConnectionLifetime"] = Lifetime.ToString("c"),
            ["HostsFile"] = hosts,
        };
        file.Write(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);
        var version = await VersionAsync(edge);

        var clock = Stopwatch.StartNew();
        var served = new ConcurrentQueue<(TimeSpan Start, string Origin)>();
        var failures = new ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();
        var clients = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var start = clock.Elapsed;
                try
                {
                    using var response = await edge.Public.GetAsync("/load");
                    var body = await response.Content.ReadAsStringAsync();
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        served.Enqueue((start, body));
                    }
                    else
                    {
                        failures.Enqueue($"status {(int)response.StatusCode}: {body}");
                    }
                }
                catch (HttpRequestException ex)
                {
                    failures.Enqueue(ex.Message);
                }
            }
        })).ToArray();

        await Eventually.TrueAsync(() => served.Count(r => r.Origin == "first") > 200, TimeSpan.FromSeconds(10), "load to reach the first origin");
        var moved = clock.Elapsed;
        var temp = hosts + ".new";
        await File.WriteAllTextAsync(temp, "127.0.0.3 app.edge-test\n");
        File.Move(temp, hosts, overwrite: true);

        // Followed: the last request to reach the first origin started within refresh + lifetime.
        await Eventually.TrueAsync(() => served.Count(r => r.Origin == "second") > 200, TimeSpan.FromSeconds(10), "load to reach the second origin");
        await Task.Delay(RefreshPeriod + Lifetime);
        await stop.CancelAsync();
        await Task.WhenAll(clients);

        var lastToFirst = served.Where(r => r.Origin == "first").Max(r => r.Start) - moved;
        var firstToSecond = served.Where(r => r.Origin == "second").Min(r => r.Start) - moved;
        output.WriteLine($"{served.Count} requests by 8 clients, {failures.Count} failed; the first request to the new address started {firstToSecond.TotalMilliseconds:0} ms " +
            $"after the hosts change, the last to the old one {lastToFirst.TotalMilliseconds:0} ms after (refresh {RefreshPeriod.TotalMilliseconds:0} ms + lifetime {Lifetime.TotalMilliseconds:0} ms)");
        Assert.Empty(failures);
        Assert.True(lastToFirst < RefreshPeriod + Lifetime + TimeSpan.FromSeconds(1),
            $"The old address still got requests {lastToFirst.TotalMilliseconds:0} ms after the change.");
        Assert.Equal(served.Count, first.Requests + second.Requests);
        Assert.Equal(version, await VersionAsync(edge));
        await edge.WaitForLogAsync("DNS: \\\"app.edge-test\\\" now resolves to \\\"127.0.0.3\\\"");
    }

    private static async Task<string?> VersionAsync(EdgeProcess edge)
    {
        using var document = JsonDocument.Parse(await edge.Admin.GetStringAsync("/admin/config"));
        return document.RootElement.GetProperty("version").GetString();
    }
}
