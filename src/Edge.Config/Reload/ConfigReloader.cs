using Edge.Config.Sources;
using Microsoft.Extensions.Logging;

namespace Edge.Config.Reload;

/// <summary>
/// Holds the live config and swaps it as a whole. A reload re-reads the file and the environment;
/// a valid result replaces the snapshot atomically, an invalid one is refused and the last good
/// config keeps serving. Reloads run one at a time whatever triggered them.
/// </summary>
public sealed partial class ConfigReloader : IDisposable
{
    private readonly ConfigSource _source;
    private readonly EdgeConfigLoader _loader;
    private readonly Func<IReadOnlyDictionary<string, string>> _environment;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private EdgeConfigSnapshot _current;

    public ConfigReloader(
        EdgeConfigSnapshot initial,
        ConfigSource source,
        EdgeConfigLoader loader,
        Func<IReadOnlyDictionary<string, string>> environment,
        TimeProvider timeProvider,
        ILogger<ConfigReloader> logger)
    {
        _current = initial;
        _source = source;
        _loader = loader;
        _environment = environment;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    /// <summary>Raised after a changed config was swapped in, with the previous and the new snapshot.</summary>
    public event Action<EdgeConfigSnapshot, EdgeConfigSnapshot>? Applied;

    /// <summary>Raised after every reload that <see cref="LastReload"/> records, applied (changed or not) or rejected.</summary>
    public event Action<ReloadStatus>? Reloaded;

    public EdgeConfigSnapshot Current => Volatile.Read(ref _current);

    public ConfigSource Source => _source;

    public ReloadStatus? LastReload { get; private set; }

    /// <summary>Re-reads the sources and swaps the config if it changed and is valid.</summary>
    /// <param name="trigger">What asked for it, shown in logs and at /admin/config.</param>
    /// <param name="quietIfUnchanged">A routine check (the watcher's first look) that leaves no trace when nothing changed.</param>
    public async Task<ReloadStatus> ReloadAsync(string trigger, bool quietIfUnchanged = false, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var result = await _loader.LoadAsync(_source, _environment(), cancellationToken).ConfigureAwait(false);
            var now = _timeProvider.GetUtcNow();
            if (result.Snapshot is not { } next)
            {
                foreach (var error in result.Errors)
                {
                    Log.ReloadError(_logger, trigger, error.Message);
                }

                Log.ReloadRejected(_logger, trigger, result.Errors.Count, Current.Version);
                return Record(new ReloadStatus(now, trigger, ReloadStatus.Rejected, false, result.Errors.Select(e => e.Message).ToList()));
            }

            var previous = Current;
            if (next.Version == previous.Version)
            {
                var unchanged = new ReloadStatus(now, trigger, ReloadStatus.Applied, false, []);
                if (quietIfUnchanged)
                {
                    return unchanged;
                }

                Log.ReloadUnchanged(_logger, trigger, previous.Version);
                return Record(unchanged);
            }

            Volatile.Write(ref _current, next);
            Applied?.Invoke(previous, next);
            Log.ReloadApplied(_logger, trigger, previous.Version, next.Version, next.Routes.Count, next.Clusters.Count);
            return Record(new ReloadStatus(now, trigger, ReloadStatus.Applied, true, []));
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();

    private ReloadStatus Record(ReloadStatus status)
    {
        LastReload = status;
        Reloaded?.Invoke(status);
        return status;
    }

    private static partial class Log
    {
        [LoggerMessage(100, LogLevel.Information, "Config reload ({Trigger}) applied: version {OldVersion} -> {NewVersion}, {Routes} routes, {Clusters} clusters")]
        public static partial void ReloadApplied(ILogger logger, string trigger, string oldVersion, string newVersion, int routes, int clusters);

        [LoggerMessage(101, LogLevel.Debug, "Config reload ({Trigger}): no change, version {Version}")]
        public static partial void ReloadUnchanged(ILogger logger, string trigger, string version);

        [LoggerMessage(102, LogLevel.Error, "Config reload ({Trigger}) rejected with {ErrorCount} errors; still serving version {Version}")]
        public static partial void ReloadRejected(ILogger logger, string trigger, int errorCount, string version);

        [LoggerMessage(103, LogLevel.Error, "Config error ({Trigger}): {ConfigError}")]
        public static partial void ReloadError(ILogger logger, string trigger, string configError);
    }
}
