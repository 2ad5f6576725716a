using Edge.Config.Reload;
using Edge.Config.Sources;
using Edge.Config.Tests.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Edge.Config.Tests.Reload;

public sealed class ConfigReloaderTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2030, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly TempDirectory _directory = new();
    private readonly Dictionary<string, string> _environment = [];
    private readonly List<(EdgeConfigSnapshot Old, EdgeConfigSnapshot New)> _applied = [];

    public ConfigReloaderTests() => ConfigPath = _directory.File("edge.json");

    private string ConfigPath { get; }

    public void Dispose() => _directory.Dispose();

    private async Task<ConfigReloader> StartAsync(string json)
    {
        await File.WriteAllTextAsync(ConfigPath, json);
        var source = ConfigSource.File(ConfigPath);
        var timeProvider = new FixedTimeProvider(Now);
        var loader = TestConfig.CreateLoader(timeProvider);
        var initial = TestConfig.AssertValid(await loader.LoadAsync(source, _environment));
        var reloader = new ConfigReloader(initial, source, loader, () => _environment, timeProvider, NullLogger<ConfigReloader>.Instance);
        reloader.Applied += (old, @new) => _applied.Add((old, @new));
        return reloader;
    }

    [Fact]
    public async Task ReloadAsync_ValidEdit_AppliesNewSnapshotAndRaisesApplied()
    {
        using var reloader = await StartAsync(TestConfig.Base);
        var initial = reloader.Current;
        await File.WriteAllTextAsync(ConfigPath, TestConfig.With("""{ "ReverseProxy": { "Clusters": { "api": { "Destinations": { "api-1": { "Address": "http://10.0.0.9:8080/" } } } } } }"""));

        var status = await reloader.ReloadAsync("admin");

        Assert.Equal(ReloadStatus.Applied, status.Result);
        Assert.True(status.Changed);
        Assert.Equal("admin", status.Trigger);
        Assert.Equal(Now, status.At);
        Assert.Empty(status.Errors);
        Assert.Same(status, reloader.LastReload);
        Assert.NotEqual(initial.Version, reloader.Current.Version);
        Assert.Equal("http://10.0.0.9:8080/", reloader.Current.Clusters.Single(c => c.ClusterId == "api").Destinations!["api-1"].Address);
        var (old, @new) = Assert.Single(_applied);
        Assert.Same(initial, old);
        Assert.Same(reloader.Current, @new);
    }

    [Fact]
    public async Task ReloadAsync_UnchangedFile_KeepsVersionAndReportsNoChange()
    {
        using var reloader = await StartAsync(TestConfig.Base);
        var initial = reloader.Current;

        var status = await reloader.ReloadAsync("signal");

        Assert.Equal(ReloadStatus.Applied, status.Result);
        Assert.False(status.Changed);
        Assert.Empty(status.Errors);
        Assert.Same(initial, reloader.Current);
        Assert.Empty(_applied);
    }

    [Fact]
    public async Task ReloadAsync_QuietAndUnchanged_LeavesLastReloadAlone()
    {
        using var reloader = await StartAsync(TestConfig.Base);
        var initial = reloader.Current;

        var status = await reloader.ReloadAsync("file", quietIfUnchanged: true);

        Assert.Equal(ReloadStatus.Applied, status.Result);
        Assert.False(status.Changed);
        Assert.Null(reloader.LastReload);
        Assert.Same(initial, reloader.Current);
        Assert.Empty(_applied);
    }

    [Fact]
    public async Task ReloadAsync_QuietButChanged_AppliesAndRecordsStatus()
    {
        using var reloader = await StartAsync(TestConfig.Base);
        await File.WriteAllTextAsync(ConfigPath, TestConfig.With("""{ "Edge": { "Logging": { "Level": "Debug" } } }"""));

        var status = await reloader.ReloadAsync("file", quietIfUnchanged: true);

        Assert.True(status.Changed);
        Assert.Same(status, reloader.LastReload);
        Assert.Equal("Debug", reloader.Current.Edge.Logging.Level);
        Assert.Single(_applied);
    }

    [Fact]
    public async Task ReloadAsync_QuietButInvalid_RecordsRejection()
    {
        using var reloader = await StartAsync(TestConfig.Base);
        var initial = reloader.Current;
        await File.WriteAllTextAsync(ConfigPath, "{ not json");

        var status = await reloader.ReloadAsync("file", quietIfUnchanged: true);

        Assert.Equal(ReloadStatus.Rejected, status.Result);
        Assert.Same(status, reloader.LastReload);
        Assert.Same(initial, reloader.Current);
    }

    [Fact]
    public async Task ReloadAsync_EachRecordedReload_RaisesReloadedOnce_QuietUnchangedDoesNot()
    {
        using var reloader = await StartAsync(TestConfig.Base);
        var reloaded = new List<ReloadStatus>();
        reloader.Reloaded += reloaded.Add;

        await reloader.ReloadAsync("file", quietIfUnchanged: true);
        var unchanged = await reloader.ReloadAsync("signal");
        await File.WriteAllTextAsync(ConfigPath, "{ not json");
        var rejected = await reloader.ReloadAsync("file", quietIfUnchanged: true);
        await File.WriteAllTextAsync(ConfigPath, TestConfig.With("""{ "Edge": { "Logging": { "Level": "Debug" } } }"""));
        var applied = await reloader.ReloadAsync("admin");

        Assert.Equal([unchanged, rejected, applied], reloaded);
        Assert.Equal([ReloadStatus.Applied, ReloadStatus.Rejected, ReloadStatus.Applied], reloaded.Select(r => r.Result));
    }

    [Fact]
    public async Task ReloadAsync_OnlyCommentsAndFormattingChanged_ReportsNoChange()
    {
        using var reloader = await StartAsync(TestConfig.Base);
        var initial = reloader.Current;
        await File.WriteAllTextAsync(ConfigPath, "// reformatted\n" + TestConfig.With("{}"));

        var status = await reloader.ReloadAsync("file");

        Assert.False(status.Changed);
        Assert.Equal(initial.Version, reloader.Current.Version);
        Assert.Empty(_applied);
    }

    [Fact]
    public async Task ReloadAsync_InvalidEdit_RejectsAndKeepsServingLastGood()
    {
        using var reloader = await StartAsync(TestConfig.Base);
        var initial = reloader.Current;
        await File.WriteAllTextAsync(ConfigPath, TestConfig.With("""{ "ReverseProxy": { "Routes": { "api": { "ClusterId": "apii" } } }, "Edge": { "Logging": { "Format": "xml" } } }"""));

        var status = await reloader.ReloadAsync("file");

        Assert.Equal(ReloadStatus.Rejected, status.Result);
        Assert.False(status.Changed);
        Assert.Equal(2, status.Errors.Count);
        Assert.Contains(status.Errors, e => e.Contains("'apii'", StringComparison.Ordinal));
        Assert.Contains(status.Errors, e => e.Contains("'xml'", StringComparison.Ordinal));
        Assert.Same(status, reloader.LastReload);
        Assert.Same(initial, reloader.Current);
        Assert.Empty(_applied);
    }

    [Fact]
    public async Task ReloadAsync_InvalidJson_RejectsWithLine()
    {
        using var reloader = await StartAsync(TestConfig.Base);
        var initial = reloader.Current;
        await File.WriteAllTextAsync(ConfigPath, "{\n  \"ReverseProxy\": {\n    oops\n}\n");

        var status = await reloader.ReloadAsync("file");

        Assert.Equal(ReloadStatus.Rejected, status.Result);
        Assert.Contains("line 3", Assert.Single(status.Errors), StringComparison.Ordinal);
        Assert.Same(initial, reloader.Current);
    }

    [Fact]
    public async Task ReloadAsync_MissingFile_Rejects()
    {
        using var reloader = await StartAsync(TestConfig.Base);
        var initial = reloader.Current;
        File.Delete(ConfigPath);

        var status = await reloader.ReloadAsync("file");

        Assert.Equal(ReloadStatus.Rejected, status.Result);
        var error = Assert.Single(status.Errors);
        Assert.Contains(ConfigPath, error, StringComparison.Ordinal);
        Assert.Contains("does not exist", error, StringComparison.Ordinal);
        Assert.Same(initial, reloader.Current);
        Assert.Empty(_applied);
    }

    [Fact]
    public async Task ReloadAsync_FixedAfterRejection_Applies()
    {
        using var reloader = await StartAsync(TestConfig.Base);
        var initial = reloader.Current;
        await File.WriteAllTextAsync(ConfigPath, "{ not json");
        Assert.Equal(ReloadStatus.Rejected, (await reloader.ReloadAsync("file")).Result);
        await File.WriteAllTextAsync(ConfigPath, TestConfig.With("""{ "Edge": { "Logging": { "Level": "Debug" } } }"""));

        var status = await reloader.ReloadAsync("file");

        Assert.Equal(ReloadStatus.Applied, status.Result);
        Assert.True(status.Changed);
        Assert.Equal("Debug", reloader.Current.Edge.Logging.Level);
        Assert.Same(initial, Assert.Single(_applied).Old);
    }

    [Fact]
    public async Task ReloadAsync_EnvironmentChanged_AppliesOverride()
    {
        using var reloader = await StartAsync(TestConfig.Base);
        var initial = reloader.Current;
        _environment["Edge__Logging__Level"] = "Warning";

        var status = await reloader.ReloadAsync("signal");

        Assert.True(status.Changed);
        Assert.NotEqual(initial.Version, reloader.Current.Version);
        Assert.Equal("Warning", reloader.Current.Edge.Logging.Level);
    }

    [Fact]
    public async Task ReloadAsync_ConcurrentReloadsOfOneEdit_ApplyItOnce()
    {
        using var reloader = await StartAsync(TestConfig.Base);
        await File.WriteAllTextAsync(ConfigPath, TestConfig.With("""{ "Edge": { "Logging": { "Level": "Debug" } } }"""));

        var statuses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => reloader.ReloadAsync("admin"))));

        Assert.Single(statuses, s => s.Changed);
        Assert.All(statuses, s => Assert.Equal(ReloadStatus.Applied, s.Result));
        Assert.Single(_applied);
        Assert.Equal("Debug", reloader.Current.Edge.Logging.Level);
    }
}
