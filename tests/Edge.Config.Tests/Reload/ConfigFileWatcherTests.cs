using Edge.Config.Reload;
using Edge.Config.Sources;
using Edge.Config.Tests.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Edge.Config.Tests.Reload;

public sealed class ConfigFileWatcherTests : IDisposable
{
    /// <summary>The base config, polled every 100 ms.</summary>
    private static readonly string Polled = TestConfig.With("""{ "Edge": { "Reload": { "PollInterval": "00:00:00.100" } } }""");

    private readonly TempDirectory _directory = new();

    public ConfigFileWatcherTests() => ConfigPath = _directory.File("edge.json");

    private string ConfigPath { get; }

    public void Dispose() => _directory.Dispose();

    private static string WithAddress(string address)
        => TestConfig.Merge(Polled, $$"""{ "ReverseProxy": { "Clusters": { "api": { "Destinations": { "api-1": { "Address": "{{address}}" } } } } } }""");

    private static async Task<ConfigReloader> CreateReloaderAsync(ConfigSource source)
    {
        var loader = TestConfig.CreateLoader();
        var initial = TestConfig.AssertValid(await loader.LoadAsync(source, TestConfig.NoEnvironment));
        return new ConfigReloader(initial, source, loader, () => TestConfig.NoEnvironment, TimeProvider.System, NullLogger<ConfigReloader>.Instance);
    }

    /// <summary>Starts the watcher and waits until it has begun polling.</summary>
    private static async Task<ConfigFileWatcher> StartWatcherAsync(ConfigReloader reloader, ObservedTimeProvider? timeProvider = null)
    {
        timeProvider ??= new ObservedTimeProvider();
        var watcher = new ConfigFileWatcher(reloader, timeProvider, NullLogger<ConfigFileWatcher>.Instance);
        await watcher.StartAsync(CancellationToken.None);
        await timeProvider.FirstTimerCreated.WaitAsync(Eventually.Deadline);
        return watcher;
    }

    private static async Task StopAsync(ConfigFileWatcher watcher)
    {
        using var timeout = new CancellationTokenSource(Eventually.Deadline);
        await watcher.StopAsync(timeout.Token);
        watcher.Dispose();
    }

    private static string AddressOf(ConfigReloader reloader)
        => reloader.Current.Clusters.Single(c => c.ClusterId == "api").Destinations!["api-1"].Address;

    [Fact]
    public async Task ExecuteAsync_FileRewrittenInPlace_ReloadsNewVersion()
    {
        await File.WriteAllTextAsync(ConfigPath, Polled);
        using var reloader = await CreateReloaderAsync(ConfigSource.File(ConfigPath));
        var initialVersion = reloader.Current.Version;
        var watcher = await StartWatcherAsync(reloader);
        try
        {
            await File.WriteAllTextAsync(ConfigPath, WithAddress("http://10.0.0.7:8080/"));

            // LastReload is set after the swap: waiting on the version alone races with it.
            await Eventually.HoldsAsync(() => reloader.LastReload is { Changed: true }, "the in-place edit is applied");

            Assert.NotEqual(initialVersion, reloader.Current.Version);
            Assert.Equal("http://10.0.0.7:8080/", AddressOf(reloader));
            Assert.Equal("file", reloader.LastReload?.Trigger);
        }
        finally
        {
            await StopAsync(watcher);
        }
    }

    [Fact]
    public async Task ExecuteAsync_FileReplacedByRename_ReloadsEachNewVersion()
    {
        await File.WriteAllTextAsync(ConfigPath, Polled);
        using var reloader = await CreateReloaderAsync(ConfigSource.File(ConfigPath));
        var initialVersion = reloader.Current.Version;
        var watcher = await StartWatcherAsync(reloader);
        try
        {
            var temp = _directory.File("edge.json.tmp");
            await File.WriteAllTextAsync(temp, WithAddress("http://10.0.0.7:8080/"));
            File.Move(temp, ConfigPath, overwrite: true);

            await Eventually.HoldsAsync(() => reloader.Current.Version != initialVersion, "the renamed file is applied");
            Assert.Equal("http://10.0.0.7:8080/", AddressOf(reloader));

            var secondVersion = reloader.Current.Version;
            await File.WriteAllTextAsync(temp, WithAddress("http://10.0.0.8:8080/"));
            File.Move(temp, ConfigPath, overwrite: true);

            await Eventually.HoldsAsync(() => reloader.Current.Version != secondVersion, "the second renamed file is applied");
            Assert.Equal("http://10.0.0.8:8080/", AddressOf(reloader));
        }
        finally
        {
            await StopAsync(watcher);
        }
    }

    [Fact]
    public async Task ExecuteAsync_InvalidEditThenFix_RejectsThenApplies()
    {
        await File.WriteAllTextAsync(ConfigPath, Polled);
        using var reloader = await CreateReloaderAsync(ConfigSource.File(ConfigPath));
        var initial = reloader.Current;
        var watcher = await StartWatcherAsync(reloader);
        try
        {
            await File.WriteAllTextAsync(ConfigPath, WithAddress("not a url"));

            await Eventually.HoldsAsync(() => reloader.LastReload?.Result == ReloadStatus.Rejected, "the bad edit is rejected");
            Assert.Same(initial, reloader.Current);
            Assert.Contains(reloader.LastReload!.Errors, e => e.Contains("'not a url'", StringComparison.Ordinal));

            await File.WriteAllTextAsync(ConfigPath, WithAddress("http://10.0.0.7:8080/"));

            await Eventually.HoldsAsync(() => reloader.LastReload is { Changed: true }, "the fixed file is applied");
            Assert.NotEqual(initial.Version, reloader.Current.Version);
            Assert.Equal("http://10.0.0.7:8080/", AddressOf(reloader));
            Assert.Equal(ReloadStatus.Applied, reloader.LastReload?.Result);
        }
        finally
        {
            await StopAsync(watcher);
        }
    }

    [Fact]
    public async Task ExecuteAsync_FileEditedBetweenLoadAndStart_ReloadsOnFirstPoll()
    {
        await File.WriteAllTextAsync(ConfigPath, Polled);
        using var reloader = await CreateReloaderAsync(ConfigSource.File(ConfigPath));
        var initialVersion = reloader.Current.Version;
        await File.WriteAllTextAsync(ConfigPath, WithAddress("http://10.0.0.7:8080/"));

        var watcher = await StartWatcherAsync(reloader);
        try
        {
            // LastReload is set after the swap, so waiting on it leaves nothing in flight.
            await Eventually.HoldsAsync(() => reloader.LastReload is { Changed: true }, "the edit made before the watcher started is applied");

            Assert.NotEqual(initialVersion, reloader.Current.Version);
            Assert.Equal("http://10.0.0.7:8080/", AddressOf(reloader));
            Assert.Equal("file", reloader.LastReload?.Trigger);
        }
        finally
        {
            await StopAsync(watcher);
        }
    }

    [Fact]
    public async Task ExecuteAsync_UnchangedFileAtStart_FirstCheckLeavesNoTrace()
    {
        await File.WriteAllTextAsync(ConfigPath, Polled);
        using var reloader = await CreateReloaderAsync(ConfigSource.File(ConfigPath));
        var initial = reloader.Current;
        var timeProvider = new ObservedTimeProvider();
        var watcher = await StartWatcherAsync(reloader, timeProvider);
        try
        {
            // Timers: the first poll's wait, the settle wait, then the second poll's wait, which
            // the watcher only reaches once the first check (and its reload) is over.
            await timeProvider.TimersCreated(3).WaitAsync(Eventually.Deadline);

            Assert.Null(reloader.LastReload);
            Assert.Same(initial, reloader.Current);
            Assert.False(watcher.ExecuteTask!.IsCompleted);
        }
        finally
        {
            await StopAsync(watcher);
        }
    }

    [Fact]
    public async Task ExecuteAsync_ReloadThrowsUnexpectedly_KeepsPolling()
    {
        await File.WriteAllTextAsync(ConfigPath, Polled);
        using var reloader = await CreateReloaderAsync(ConfigSource.File(ConfigPath));
        var appliedCalls = 0;
        reloader.Applied += (_, _) =>
        {
            // Only the first change fails, as a faulty subscriber would.
            if (Interlocked.Increment(ref appliedCalls) == 1)
            {
                throw new InvalidOperationException("subscriber failed");
            }
        };
        var watcher = await StartWatcherAsync(reloader);
        try
        {
            await File.WriteAllTextAsync(ConfigPath, WithAddress("http://10.0.0.7:8080/"));
            await Eventually.HoldsAsync(() => Volatile.Read(ref appliedCalls) == 1, "the first change reaches the failing subscriber");

            await File.WriteAllTextAsync(ConfigPath, WithAddress("http://10.0.0.8:8080/"));

            // The failed reload never set LastReload, so a changed one can only be the second edit.
            await Eventually.HoldsAsync(() => reloader.LastReload is { Changed: true }, "the change after the failure is applied");
            Assert.Equal("http://10.0.0.8:8080/", AddressOf(reloader));
            Assert.Equal(2, Volatile.Read(ref appliedCalls));
            Assert.False(watcher.ExecuteTask!.IsCompleted);
        }
        finally
        {
            await StopAsync(watcher);
        }
    }

    [Fact]
    public async Task ExecuteAsync_EmbeddedSource_ReturnsWithoutPolling()
    {
        using var reloader = await CreateReloaderAsync(ConfigSource.Embedded);
        var watcher = new ConfigFileWatcher(reloader, TimeProvider.System, NullLogger<ConfigFileWatcher>.Instance);
        try
        {
            await watcher.StartAsync(CancellationToken.None);

            await watcher.ExecuteTask!.WaitAsync(Eventually.Deadline);
            Assert.True(watcher.ExecuteTask.IsCompletedSuccessfully);
        }
        finally
        {
            await StopAsync(watcher);
        }
    }

    [Fact]
    public async Task StopAsync_WhilePolling_EndsTheLoop()
    {
        await File.WriteAllTextAsync(ConfigPath, Polled);
        using var reloader = await CreateReloaderAsync(ConfigSource.File(ConfigPath));
        var watcher = await StartWatcherAsync(reloader);
        Assert.False(watcher.ExecuteTask!.IsCompleted);

        await StopAsync(watcher);

        Assert.True(watcher.ExecuteTask.IsCompletedSuccessfully);
    }
}
