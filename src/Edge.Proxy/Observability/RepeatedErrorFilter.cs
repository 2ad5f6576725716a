using Serilog.Core;
using Serilog.Events;

namespace Edge.Proxy.Observability;

/// <summary>
/// Keeps a failing dependency from flooding the log: warnings and errors with the same source
/// and message template (and exception type) pass at most <c>ErrorLogBurst</c> times per
/// <c>ErrorLogWindow</c>; the rest are counted, and the next one let through carries
/// <c>Suppressed</c>, the number held back. Information and below are never filtered.
/// </summary>
internal sealed class RepeatedErrorFilter(TimeProvider timeProvider) : ILogEventFilter
{
    /// <summary>Distinct messages tracked at once; beyond it, stale entries are dropped first.</summary>
    internal const int MaxKeys = 1024;

    private readonly Dictionary<(string?, string, Type?), Entry> _entries = [];
    private readonly Lock _lock = new();
    private volatile Limits _limits = new(5, TimeSpan.FromSeconds(10));

    public void Apply(int burst, TimeSpan window) => _limits = new Limits(burst, window);

    public bool IsEnabled(LogEvent logEvent)
    {
        if (logEvent.Level < LogEventLevel.Warning)
        {
            return true;
        }

        var source = logEvent.Properties.TryGetValue("SourceContext", out var value) && value is ScalarValue { Value: string name } ? name : null;
        var key = (source, logEvent.MessageTemplate.Text, logEvent.Exception?.GetType());
        var limits = _limits;
        var now = timeProvider.GetTimestamp();
        lock (_lock)
        {
            if (!_entries.TryGetValue(key, out var entry))
            {
                if (_entries.Count >= MaxKeys)
                {
                    Prune(now, limits.Window);
                }

                entry = new Entry { WindowStart = now };
                _entries[key] = entry;
            }

            if (timeProvider.GetElapsedTime(entry.WindowStart, now) >= limits.Window)
            {
                entry.WindowStart = now;
                entry.Passed = 0;
            }

            if (entry.Passed >= limits.Burst)
            {
                entry.Suppressed++;
                return false;
            }

            entry.Passed++;
            if (entry.Suppressed > 0)
            {
                logEvent.AddOrUpdateProperty(new LogEventProperty("Suppressed", new ScalarValue(entry.Suppressed)));
                entry.Suppressed = 0;
            }

            return true;
        }
    }

    private void Prune(long now, TimeSpan window)
    {
        foreach (var (key, entry) in _entries.Where(e => timeProvider.GetElapsedTime(e.Value.WindowStart, now) >= window).ToList())
        {
            _entries.Remove(key);
        }

        if (_entries.Count >= MaxKeys)
        {
            // Every entry is live: forget them all rather than grow; at worst one burst more gets through.
            _entries.Clear();
        }
    }

    private sealed record Limits(int Burst, TimeSpan Window);

    private sealed class Entry
    {
        public long WindowStart { get; set; }

        public int Passed { get; set; }

        public int Suppressed { get; set; }
    }
}
