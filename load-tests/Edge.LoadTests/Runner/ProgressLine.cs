using System.Globalization;

namespace Edge.LoadTests.Runner;

/// <summary>Told when a scenario starts and ends, so something can show its progress.</summary>
internal interface IProgressSink
{
    void Begin(ScenarioStats stats, TimeSpan planned, long startedTimestamp);

    void End(ScenarioStats stats);
}

/// <summary>
/// One line on stderr about the running scenario, redrawn each second on a terminal; when stderr
/// is redirected (CI, a test), a plain line every five seconds and one at the end instead.
/// </summary>
internal sealed class ProgressLine(TimeProvider time, TextWriter output, bool interactive) : IProgressSink, IDisposable
{
    private readonly Lock _lock = new();
    private ITimer? _timer;
    private ScenarioStats? _current;
    private TimeSpan _planned;
    private long _started;
    private int _ticks;

    public static ProgressLine ForStderr(TimeProvider time) => new(time, Console.Error, !Console.IsErrorRedirected);

    public void Begin(ScenarioStats stats, TimeSpan planned, long startedTimestamp)
    {
        lock (_lock)
        {
            _current = stats;
            _planned = planned;
            _started = startedTimestamp;
            _ticks = 0;
            _timer?.Dispose();
            _timer = time.CreateTimer(_ => Tick(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        }
    }

    public void End(ScenarioStats stats)
    {
        lock (_lock)
        {
            _timer?.Dispose();
            _timer = null;
            _current = null;
            output.Write(interactive ? "\r\x1b[2K" : string.Empty);
            output.WriteLine(Line(stats, stats.Duration, done: true));
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _timer?.Dispose();
        }
    }

    private void Tick()
    {
        lock (_lock)
        {
            if (_current is not { } stats)
            {
                return;
            }

            _ticks++;
            var line = Line(stats, time.GetElapsedTime(_started), done: false);
            if (interactive)
            {
                output.Write("\r\x1b[2K" + line);
            }
            else if (_ticks % 5 == 0)
            {
                output.WriteLine(line);
            }
        }
    }

    private string Line(ScenarioStats stats, TimeSpan elapsed, bool done)
    {
        var samples = stats.Samples;
        var ok = samples.Count(s => s.Response.IsOk);
        var p99 = Percentiles.NearestRank(samples.Where(s => s.Response.IsOk).Select(s => s.LatencyMs), 99);
        return string.Create(CultureInfo.InvariantCulture,
            $"[{stats.Name}] {(done ? "done" : "running")} {elapsed.TotalSeconds:0.0}/{_planned.TotalSeconds:0.0} s  requests {samples.Count}  ok {ok}  failed {samples.Count - ok}  rps {(elapsed > TimeSpan.Zero ? samples.Count / elapsed.TotalSeconds : 0):0}  p99 {(double.IsNaN(p99) ? "-" : p99.ToString("0.0", CultureInfo.InvariantCulture))} ms");
    }
}
