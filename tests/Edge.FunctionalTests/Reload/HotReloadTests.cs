using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Edge.Testing;

namespace Edge.FunctionalTests.Reload;

public sealed class HotReloadTests
{
    private static readonly TimeSpan RerouteDeadline = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task FileEdits_UnderConcurrentLoad_RerouteWithinTwoSecondsAndFailNothing()
    {
        await using var a = await OriginServer.StartAsync("a");
        await using var b = await OriginServer.StartAsync("b");
        var config = EdgeConfigFile.Config(a);
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);

        var failures = new ConcurrentQueue<string>();
        var sent = 0;
        using var stop = new CancellationTokenSource();
        var clients = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    using var response = await edge.Public.GetAsync("/load");
                    if (response.StatusCode != HttpStatusCode.OK)
                    {
                        failures.Enqueue($"status {(int)response.StatusCode}");
                    }
                }
                catch (HttpRequestException ex)
                {
                    failures.Enqueue(ex.Message);
                }

                Interlocked.Increment(ref sent);
            }
        })).ToArray();

        var slowest = TimeSpan.Zero;
        for (var reload = 1; reload <= 20; reload++)
        {
            var target = reload % 2 == 1 ? b : a;
            var next = EdgeConfigFile.WithDestinations(config, target);
            if (reload % 2 == 0)
            {
                file.Write(next);
            }
            else
            {
                file.WriteByRename(next);
            }

            var took = await Eventually.TrueAsync(
                async () => await edge.Public.GetStringAsync("/probe") == target.Name,
                RerouteDeadline + TimeSpan.FromSeconds(3),
                $"reload {reload} to route to {target.Name}");
            slowest = took > slowest ? took : slowest;
        }

        await stop.CancelAsync();
        await Task.WhenAll(clients);

        Assert.True(slowest <= RerouteDeadline, $"The slowest reroute took {slowest.TotalMilliseconds:0} ms.");
        Assert.Empty(failures);
        Assert.True(sent > 100, $"Only {sent} requests were sent during the reloads.");
        using var admin = JsonDocument.Parse(await edge.Admin.GetStringAsync("/admin/config"));
        Assert.Equal("applied", admin.RootElement.GetProperty("lastReload").GetProperty("result").GetString());
    }

    [Fact]
    public async Task Reload_WhileRequestInFlight_InFlightRequestFinishesOnOldConfig()
    {
        await using var a = await OriginServer.StartAsync("a");
        await using var b = await OriginServer.StartAsync("b");
        var config = EdgeConfigFile.Config(a);
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);

        var inflight = edge.Public.GetAsync("/slow/1500");
        await Eventually.TrueAsync(() => a.InFlight == 1, TimeSpan.FromSeconds(5), "the slow request to reach origin a");
        file.WriteByRename(EdgeConfigFile.WithDestinations(config, b));
        await Eventually.TrueAsync(async () => await edge.Public.GetStringAsync("/") == "b", TimeSpan.FromSeconds(5), "the reload to route to b");

        using var response = await inflight;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("a", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task InvalidEdit_KeepsOldRouting_AdminConfigShowsRejected()
    {
        await using var a = await OriginServer.StartAsync("a");
        var config = EdgeConfigFile.Config(a);
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);
        var before = await ConfigAsync(edge);

        var bad = config.DeepClone().AsObject();
        bad["ReverseProxy"]!["Routes"]!["all"]!["ClusterId"] = "mian";
        file.Write(bad);

        await Eventually.TrueAsync(async () => (await ConfigAsync(edge)).GetProperty("lastReload").ValueKind == JsonValueKind.Object,
            TimeSpan.FromSeconds(5), "the invalid edit to be seen");
        var after = await ConfigAsync(edge);
        var last = after.GetProperty("lastReload");
        Assert.Equal("rejected", last.GetProperty("result").GetString());
        var error = Assert.Single(last.GetProperty("errors").EnumerateArray()).GetString();
        Assert.Contains("'all'", error, StringComparison.Ordinal);
        Assert.Contains("'mian'", error, StringComparison.Ordinal);
        Assert.Equal(before.GetProperty("version").GetString(), after.GetProperty("version").GetString());
        Assert.Equal("a", await edge.Public.GetStringAsync("/still-served"));
        await edge.WaitForLogAsync("mian");

        file.WriteText("{ \"ReverseProxy\": { ");
        await Eventually.TrueAsync(async () => (await ConfigAsync(edge)).GetProperty("lastReload").GetProperty("errors").ToString().Contains("not valid JSON", StringComparison.Ordinal),
            TimeSpan.FromSeconds(5), "the broken JSON to be rejected");
        Assert.Equal("a", await edge.Public.GetStringAsync("/still-served"));
    }

    [Fact]
    public async Task Sighup_ReloadsConfig()
    {
        await using var a = await OriginServer.StartAsync("a");
        await using var b = await OriginServer.StartAsync("b");
        var config = WithoutFilePolling(EdgeConfigFile.Config(a));
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);

        file.Write(EdgeConfigFile.WithDestinations(config, b));
        Assert.Equal("a", await edge.Public.GetStringAsync("/"));
        edge.Signal(EdgeProcess.SIGHUP);

        await Eventually.TrueAsync(async () => await edge.Public.GetStringAsync("/") == "b", TimeSpan.FromSeconds(5), "SIGHUP to apply the edit");
        Assert.Equal("SIGHUP", (await ConfigAsync(edge)).GetProperty("lastReload").GetProperty("trigger").GetString());
        Assert.False(edge.HasExited);
    }

    [Fact]
    public async Task AdminReload_AppliesEdit_AndUnchangedReloadIsNoOp()
    {
        await using var a = await OriginServer.StartAsync("a");
        await using var b = await OriginServer.StartAsync("b");
        var config = WithoutFilePolling(EdgeConfigFile.Config(a));
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);
        var first = (await ConfigAsync(edge)).GetProperty("version").GetString();

        file.Write(EdgeConfigFile.WithDestinations(config, b));
        using var applied = await edge.Admin.PostAsync("/admin/config/reload", null);
        Assert.Equal(HttpStatusCode.OK, applied.StatusCode);
        using var appliedBody = JsonDocument.Parse(await applied.Content.ReadAsStringAsync());
        var second = appliedBody.RootElement.GetProperty("version").GetString();
        Assert.NotEqual(first, second);
        Assert.True(appliedBody.RootElement.GetProperty("lastReload").GetProperty("changed").GetBoolean());
        Assert.Equal("b", await edge.Public.GetStringAsync("/"));

        using var again = await edge.Admin.PostAsync("/admin/config/reload", null);
        using var againBody = JsonDocument.Parse(await again.Content.ReadAsStringAsync());
        Assert.Equal(second, againBody.RootElement.GetProperty("version").GetString());
        Assert.Equal("applied", againBody.RootElement.GetProperty("lastReload").GetProperty("result").GetString());
        Assert.False(againBody.RootElement.GetProperty("lastReload").GetProperty("changed").GetBoolean());

        file.WriteText("{ not json");
        using var rejected = await edge.Admin.PostAsync("/admin/config/reload", null);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, rejected.StatusCode);
        Assert.Equal("b", await edge.Public.GetStringAsync("/"));
    }

    [Fact]
    public async Task ConfigMapSymlinkSwap_IsSeenAndApplied()
    {
        await using var a = await OriginServer.StartAsync("a");
        await using var b = await OriginServer.StartAsync("b");
        var config = EdgeConfigFile.Config(a);
        using var folder = new EdgeConfigFile(config);

        // Kubernetes mounts: edge.json -> ..data/edge.json, ..data -> ..2026_x (a timestamped folder).
        var mount = Path.Combine(folder.Directory, "mount");
        var v1 = Path.Combine(mount, "..v1");
        Directory.CreateDirectory(v1);
        File.Copy(folder.Path, Path.Combine(v1, "edge.json"));
        File.CreateSymbolicLink(Path.Combine(mount, "..data"), "..v1");
        File.CreateSymbolicLink(Path.Combine(mount, "edge.json"), "..data/edge.json");
        await using var edge = await EdgeProcess.StartAsync(Path.Combine(mount, "edge.json"));
        Assert.Equal("a", await edge.Public.GetStringAsync("/"));

        var v2 = Path.Combine(mount, "..v2");
        Directory.CreateDirectory(v2);
        await File.WriteAllTextAsync(Path.Combine(v2, "edge.json"), EdgeConfigFile.WithDestinations(config, b).ToJsonString());
        EdgeConfigFile.SwapSymlink(Path.Combine(mount, "..data"), "..v2");
        Directory.Delete(v1, recursive: true);

        await Eventually.TrueAsync(async () => await edge.Public.GetStringAsync("/") == "b", TimeSpan.FromSeconds(5), "the symlink swap to be applied");
    }

    private static async Task<JsonElement> ConfigAsync(EdgeProcess edge)
    {
        using var document = JsonDocument.Parse(await edge.Admin.GetStringAsync("/admin/config"));
        return document.RootElement.Clone();
    }

    private static System.Text.Json.Nodes.JsonObject WithoutFilePolling(System.Text.Json.Nodes.JsonObject config)
    {
        // An hour between polls: only the trigger under test can reload.
        config["Edge"]!["Reload"]!["PollInterval"] = "01:00:00";
        return config;
    }
}
