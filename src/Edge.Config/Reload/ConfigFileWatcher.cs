using System.Security.Cryptography;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Edge.Config.Reload;

/// <summary>
/// Polls the config file's content. Polling, not file-system events, because the events miss
/// atomic renames and Kubernetes ConfigMap symlink swaps; reading a small file once a second
/// costs nothing. A change is confirmed by a second read so a half-written file is not loaded.
/// </summary>
public sealed partial class ConfigFileWatcher(ConfigReloader reloader, TimeProvider timeProvider, ILogger<ConfigFileWatcher> logger) : BackgroundService
{
    private static readonly TimeSpan SettleDelay = TimeSpan.FromMilliseconds(100);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var source = reloader.Source;
        if (source.Path is null)
        {
            return;
        }

        // Unknown at first: the first poll reloads, a no-op unless the file changed after the
        // config was loaded and before this started.
        string? seen = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(reloader.Current.Edge.Reload.PollInterval, timeProvider, stoppingToken).ConfigureAwait(false);
                var now = Fingerprint(await source.ReadAsync(stoppingToken).ConfigureAwait(false));
                if (now == seen)
                {
                    continue;
                }

                await Task.Delay(SettleDelay, timeProvider, stoppingToken).ConfigureAwait(false);
                var settled = Fingerprint(await source.ReadAsync(stoppingToken).ConfigureAwait(false));
                if (settled != now)
                {
                    continue;
                }

                var first = seen is null;
                seen = settled;
                await reloader.ReloadAsync("file", quietIfUnchanged: first, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // A swap in progress, a permission change, or anything unforeseen: the watcher
                // must outlive it, or hot reload silently stops. The next poll tries again.
                Log.PollFailed(logger, source.Name, ex.Message);
            }
        }
    }

    private static string Fingerprint(byte[]? content)
        => content is null ? "missing" : Convert.ToHexString(SHA256.HashData(content));

    private static partial class Log
    {
        [LoggerMessage(110, LogLevel.Warning, "Could not read config file {Path}: {Reason}")]
        public static partial void PollFailed(ILogger logger, string path, string reason);
    }
}
