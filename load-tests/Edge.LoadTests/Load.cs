using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace Edge.LoadTests;

/// <summary>What one scenario step recorded: every response's status and latency.</summary>
internal sealed class StepResult(string name, TimeSpan duration)
{
    private readonly List<(int Status, double Ms)> _samples = [];
    private readonly Lock _lock = new();

    public string Name { get; } = name;

    public TimeSpan Duration { get; } = duration;

    public int Errors { get; private set; }

    public void Add(int status, TimeSpan latency)
    {
        lock (_lock)
        {
            _samples.Add((status, latency.TotalMilliseconds));
        }
    }

    public void AddError()
    {
        lock (_lock)
        {
            Errors++;
        }
    }

    public int Count(int status) => _samples.Count(s => s.Status == status);

    public int Total => _samples.Count;

    /// <summary>The latency percentile (0..100) of responses with the given status, in ms.</summary>
    public double Percentile(int status, double percentile)
    {
        var values = _samples.Where(s => s.Status == status).Select(s => s.Ms).Order().ToArray();
        if (values.Length == 0)
        {
            return double.NaN;
        }

        var rank = (int)Math.Ceiling(percentile / 100 * values.Length) - 1;
        return values[Math.Clamp(rank, 0, values.Length - 1)];
    }

    public string Statuses() => string.Join(", ", _samples.GroupBy(s => s.Status).OrderBy(g => g.Key).Select(g => $"{g.Key}: {g.Count()}"))
        + (Errors > 0 ? $", errors: {Errors}" : string.Empty);
}

/// <summary>Load simulations: open-model injection at a fixed rate, and a closed model of constant copies.</summary>
internal static class Load
{
    public static HttpClient Client() => new(new SocketsHttpHandler
    {
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
        MaxConnectionsPerServer = int.MaxValue,
        UseProxy = false,
        AllowAutoRedirect = false,
    })
    { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>
    /// Starts <paramref name="rate"/> requests per second, evenly spaced, for the duration,
    /// whatever the answers take (so a slow answer does not slow the load: no coordinated omission).
    /// Latency counts from each request's scheduled start.
    /// </summary>
    public static async Task<StepResult> InjectAsync(HttpClient client, Uri url, double rate, TimeSpan duration, string name)
    {
        var result = new StepResult(name, duration);
        var total = (int)(rate * duration.TotalSeconds);
        var interval = TimeSpan.FromSeconds(1 / rate);
        var running = new List<Task>(total);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < total; i++)
        {
            var due = interval * i;
            var ahead = due - clock.Elapsed;
            if (ahead > TimeSpan.FromMilliseconds(1))
            {
                await Task.Delay(ahead).ConfigureAwait(false);
            }

            running.Add(SendAsync(client, url, result, clock, due));
        }

        await Task.WhenAll(running).ConfigureAwait(false);
        return result;
    }

    /// <summary>Keeps <paramref name="copies"/> requests in flight for the duration.</summary>
    public static async Task<StepResult> KeepConstantAsync(HttpClient client, Uri url, int copies, TimeSpan duration, string name)
    {
        var result = new StepResult(name, duration);
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, copies).Select(async _ =>
        {
            while (clock.Elapsed < duration)
            {
                await SendAsync(client, url, result, clock, clock.Elapsed).ConfigureAwait(false);
            }
        })).ConfigureAwait(false);
        return result;
    }

    private static async Task SendAsync(HttpClient client, Uri url, StepResult result, Stopwatch clock, TimeSpan scheduled)
    {
        try
        {
            using var response = await client.GetAsync(url, HttpCompletionOption.ResponseContentRead).ConfigureAwait(false);
            result.Add((int)response.StatusCode, clock.Elapsed - scheduled);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            result.AddError();
        }
    }

    /// <summary>CPU time (user + system) a process has used, from /proc.</summary>
    public static TimeSpan CpuTime(int processId)
    {
        var stat = File.ReadAllText($"/proc/{processId}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // Fields 14 and 15 of stat(5); after the command name they are at 11 and 12.
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / 100.0);
    }

    public static string Ms(double value) => value.ToString("0.0", CultureInfo.InvariantCulture);

    public static async Task WaitForAsync(Uri url, TimeSpan deadline)
    {
        using var client = Client();
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var response = await client.GetAsync(url).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException) when (clock.Elapsed < deadline)
            {
            }

            if (clock.Elapsed > deadline)
            {
                throw new TimeoutException($"{url} did not answer 200 within {deadline}.");
            }

            await Task.Delay(100).ConfigureAwait(false);
        }
    }
}
