using System.Threading.Channels;

namespace Edge.Proxy.Tls;

/// <summary>
/// Reloads the certificates when their files change: file-system events on the files' directories
/// (debounced, so a writer can finish), and a content check every <c>Edge:Tls:CheckInterval</c>
/// because watchers miss things (network file systems, some symlink swaps).
/// </summary>
internal sealed partial class CertificateWatcher(CertificateStore store, TimeProvider timeProvider, ILogger<CertificateWatcher> logger) : BackgroundService
{
    private static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(200);

    private readonly Channel<bool> _changed = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Dictionary<string, FileSystemWatcher> _watchers = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                Watch(store.Directories);
                var trigger = await NextAsync(store.CheckInterval, stoppingToken).ConfigureAwait(false);
                store.CheckFiles(trigger);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
        finally
        {
            foreach (var watcher in _watchers.Values)
            {
                watcher.Dispose();
            }
        }
    }

    private async Task<string> NextAsync(TimeSpan interval, CancellationToken stoppingToken)
    {
        using var timeout = new CancellationTokenSource(interval, timeProvider);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, stoppingToken);
        try
        {
            await _changed.Reader.ReadAsync(either.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !stoppingToken.IsCancellationRequested)
        {
            return "periodic check";
        }

        await Task.Delay(Debounce, timeProvider, stoppingToken).ConfigureAwait(false);
        _changed.Reader.TryRead(out _);
        return "file change";
    }

    private void Watch(IReadOnlyCollection<string> directories)
    {
        foreach (var gone in _watchers.Keys.Except(directories).ToList())
        {
            _watchers.Remove(gone, out var watcher);
            watcher?.Dispose();
        }

        foreach (var directory in directories.Where(d => !_watchers.ContainsKey(d) && Directory.Exists(d)))
        {
            try
            {
                var watcher = new FileSystemWatcher(directory) { IncludeSubdirectories = false };
                watcher.Changed += OnChange;
                watcher.Created += OnChange;
                watcher.Renamed += OnChange;
                watcher.Deleted += OnChange;
                watcher.EnableRaisingEvents = true;
                _watchers[directory] = watcher;
            }
            catch (Exception ex) when (ex is IOException or ArgumentException or UnauthorizedAccessException)
            {
                // inotify limits and the like: the periodic check still catches every change.
                Log.CannotWatch(logger, directory, ex.Message);
            }
        }
    }

    private void OnChange(object sender, FileSystemEventArgs e) => _changed.Writer.TryWrite(true);

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Cannot watch {Directory} for certificate changes ({Reason}); they are still picked up by the periodic check (Edge:Tls:CheckInterval)")]
        public static partial void CannotWatch(ILogger logger, string directory, string reason);
    }
}
