using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Edge.LoadTests.Stack;

/// <summary>
/// The published edge program in its own process, on dynamic loopback ports, with its config in
/// a temp folder. Its JSON log lines tell where it listens; the last lines are kept for the report.
/// </summary>
internal sealed partial class EdgeStack : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
    private readonly Process _process;
    private readonly DirectoryInfo _directory;
    private readonly Queue<string> _lines = new();
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Uri? _public;
    private Uri? _admin;
    private int _generation;

    private EdgeStack(Process process, DirectoryInfo directory, string configPath)
    {
        _process = process;
        _directory = directory;
        ConfigPath = configPath;
    }

    public string ConfigPath { get; }

    public Uri PublicUrl => _public ?? throw new InvalidOperationException("The edge has not reported its public listener.");

    public Uri AdminUrl => _admin ?? throw new InvalidOperationException("The edge has not reported its admin listener.");

    public int ProcessId => _process.Id;

    /// <summary>The edge's last log lines (at most 500), for a report when something went wrong.</summary>
    public IReadOnlyList<string> LastLines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    /// <summary>
    /// Starts the edge (an apphost, or a .dll run by dotnet) on the config, with both listeners
    /// forced to loopback (port 0, or the public port given, so a restarted edge takes over its
    /// predecessor's address) and request logs off, and waits until /readyz answers 200.
    /// </summary>
    public static async Task<EdgeStack> StartAsync(string edgePath, JsonObject config, TimeSpan deadline, int publicPort = 0)
    {
        ArgumentNullException.ThrowIfNull(config);
        var edge = config["Edge"] ??= new JsonObject();
        edge["Listeners"] = new JsonObject { ["Public"] = $"http://127.0.0.1:{publicPort}", ["Admin"] = "http://127.0.0.1:0" };
        edge["Logging"] ??= new JsonObject { ["Level"] = "Information", ["RequestLogs"] = false };

        var directory = Directory.CreateTempSubdirectory("edge-load-");
        var configPath = Path.Combine(directory.FullName, "edge.json");
        await File.WriteAllTextAsync(configPath, config.ToJsonString(Indented)).ConfigureAwait(false);

        var start = edgePath.EndsWith(".dll", StringComparison.Ordinal)
            ? new ProcessStartInfo("dotnet") { ArgumentList = { edgePath } }
            : new ProcessStartInfo(edgePath);
        start.ArgumentList.Add("--config");
        start.ArgumentList.Add(configPath);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        start.WorkingDirectory = directory.FullName;
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("Edge__", StringComparison.OrdinalIgnoreCase) || k.StartsWith("ReverseProxy__", StringComparison.OrdinalIgnoreCase) || k == "EDGE_CONFIG").ToList())
        {
            start.Environment.Remove(key);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {edgePath}.");
        var stack = new EdgeStack(process, directory, configPath);
        process.OutputDataReceived += (_, e) => stack.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => stack.OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var exited = process.WaitForExitAsync();
        var first = await Task.WhenAny(stack._listening.Task, exited, Task.Delay(deadline)).ConfigureAwait(false);
        if (first != stack._listening.Task)
        {
            var why = first == exited ? $"exited with {process.ExitCode}" : $"did not report its listeners within {deadline.TotalSeconds:0} s";
            var lines = string.Join('\n', stack.LastLines);
            await stack.DisposeAsync().ConfigureAwait(false);
            throw new InvalidOperationException($"The edge {why}. Output:\n{lines}");
        }

        await Http.WaitForOkAsync(new Uri(stack.AdminUrl, "/readyz"), deadline).ConfigureAwait(false);
        return stack;
    }

    /// <summary>Rewrites the config by atomic rename, as a deploy tool or an editor does; the edge's file watcher picks it up.</summary>
    public async Task WriteConfigAsync(JsonObject config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var edge = config["Edge"] ??= new JsonObject();
        edge["Listeners"] = new JsonObject { ["Public"] = "http://127.0.0.1:0", ["Admin"] = "http://127.0.0.1:0" };
        edge["Logging"] ??= new JsonObject { ["Level"] = "Information", ["RequestLogs"] = false };
        var temp = ConfigPath + ".tmp" + Interlocked.Increment(ref _generation).ToString(CultureInfo.InvariantCulture);
        await File.WriteAllTextAsync(temp, config.ToJsonString(Indented)).ConfigureAwait(false);
        File.Move(temp, ConfigPath, overwrite: true);
    }

    /// <summary>How many of the kept log lines contain the text.</summary>
    public int Count(string text) => LastLines.Count(l => l.Contains(text, StringComparison.Ordinal));

    /// <summary>CPU time (user + system) the edge has used so far, from /proc.</summary>
    public TimeSpan CpuTime()
    {
        var stat = File.ReadAllText($"/proc/{_process.Id}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // Fields 14 and 15 of stat(5) (utime, stime); after the command name they are at 11 and 12.
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / 100.0);
    }

    /// <summary>Resident memory (VmRSS), open file descriptors and threads of the edge process, from /proc.</summary>
    public (long ResidentBytes, int OpenFiles, int Threads) Resources()
    {
        long resident = 0;
        var threads = 0;
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                resident = long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
            }
            else if (line.StartsWith("Threads:", StringComparison.Ordinal))
            {
                threads = int.Parse(line["Threads:".Length..].Trim(), CultureInfo.InvariantCulture);
            }
        }

        return (resident, Directory.GetFileSystemEntries($"/proc/{_process.Id}/fd").Length, threads);
    }

    /// <summary>Sends SIGTERM, as an orchestrator stopping the edge does: it drains, then exits.</summary>
    public void Terminate()
    {
        if (kill(_process.Id, Sigterm) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, SIGTERM) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>Waits for the process to exit, within the deadline, and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan deadline)
    {
        using var timeout = new CancellationTokenSource(deadline);
        try
        {
            await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"The edge did not exit within {deadline.TotalSeconds:0} s of SIGTERM.");
        }

        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().ConfigureAwait(false);
        }

        _process.Dispose();
        try
        {
            _directory.Delete(recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
    }

    private const int Sigterm = 15;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int kill(int pid, int signal);

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lines)
        {
            _lines.Enqueue(line);
            if (_lines.Count > 500)
            {
                _lines.Dequeue();
            }
        }

        if (!line.StartsWith('{') || !line.Contains("\"Listener\"", StringComparison.Ordinal))
        {
            return;
        }

        using var document = JsonDocument.Parse(line);
        if (document.RootElement.TryGetProperty("Properties", out var properties)
            && properties.TryGetProperty("Listener", out var listener)
            && properties.TryGetProperty("Url", out var url))
        {
            var uri = new Uri(url.GetString()!.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal));
            if (listener.GetString() == "public")
            {
                _public ??= uri;
            }
            else
            {
                _admin ??= uri;
            }

            if (_public is not null && _admin is not null)
            {
                _listening.TrySetResult();
            }
        }
    }
}

internal static class Http
{
    /// <summary>A client for load: no proxy, no redirects, no cookie jar (each request is a new client), one pool.</summary>
    public static HttpClient Client(Uri? baseAddress = null) => new(new SocketsHttpHandler
    {
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
        MaxConnectionsPerServer = 256,
        UseProxy = false,
        UseCookies = false,
        AllowAutoRedirect = false,
        ConnectTimeout = TimeSpan.FromSeconds(5),
    })
    { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>Polls the URL until it answers 200, within the deadline.</summary>
    public static async Task WaitForOkAsync(Uri url, TimeSpan deadline)
    {
        using var client = Client();
        client.Timeout = TimeSpan.FromSeconds(2);
        var started = TimeProvider.System.GetTimestamp();
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
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
            }

            if (TimeProvider.System.GetElapsedTime(started) > deadline)
            {
                throw new TimeoutException($"{url} did not answer 200 within {deadline.TotalSeconds:0} s.");
            }

            await Task.Delay(50).ConfigureAwait(false);
        }
    }

    /// <summary>Whether a response the edge made itself is well formed: problem+json, and Retry-After when asked.</summary>
    public static bool IsProblem(HttpResponseMessage response, bool needsRetryAfter)
        => response.Content.Headers.ContentType?.MediaType == "application/problem+json"
            && (!needsRetryAfter || response.Headers.RetryAfter is not null);
}
