using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Edge.Testing;

/// <summary>
/// The real `edge` program in its own process, on dynamic loopback ports. Its JSON log lines
/// tell where it listens; signals are real POSIX signals.
/// </summary>
public sealed partial class EdgeProcess : IAsyncDisposable
{
    public const int SIGHUP = 1;
    public const int SIGTERM = 15;

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<Uri> _publicUrls = [];
    private Uri? _public;
    private Uri? _admin;

    private EdgeProcess(Process process) => _process = process;

    public Uri PublicUrl => _public ?? throw new InvalidOperationException("The edge has not reported its public listener.");

    /// <summary>Every public listener, in the order of <c>Edge:Listeners:Public</c> (schemes http, https, h2c).</summary>
    public IReadOnlyList<Uri> PublicUrls
    {
        get
        {
            lock (_publicUrls)
            {
                return _publicUrls.ToList();
            }
        }
    }

    /// <summary>The first public listener with this scheme.</summary>
    public Uri PublicUrlOf(string scheme) => PublicUrls.FirstOrDefault(u => u.Scheme == scheme)
        ?? throw new InvalidOperationException($"The edge has not reported a public {scheme} listener.");

    public Uri AdminUrl => _admin ?? throw new InvalidOperationException("The edge has not reported its admin listener.");

    public HttpClient Public { get; private set; } = null!;

    public HttpClient Admin { get; private set; } = null!;

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Everything the edge wrote to stdout and stderr so far.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Path of the `edge` program built next to the tests.</summary>
    public static string ProgramPath => Path.Combine(AppContext.BaseDirectory, "edge.dll");

    /// <summary>Starts `edge --config FILE` and waits until both listeners are bound.</summary>
    public static Task<EdgeProcess> StartAsync(string configPath, IReadOnlyDictionary<string, string>? environment = null)
        => StartAsync(["--config", configPath], environment);

    /// <summary>
    /// Starts `edge ARGS` (such as `edge demo`) and waits until both listeners are bound. The
    /// program is the one built next to the tests unless <paramref name="program"/> names another
    /// (an `edge` executable or `edge.dll`, e.g. a published one).
    /// </summary>
    public static async Task<EdgeProcess> StartAsync(string[] arguments, IReadOnlyDictionary<string, string>? environment = null, string? program = null)
    {
        var edge = new EdgeProcess(Launch(arguments, environment, program));
        edge._process.OutputDataReceived += (_, e) => edge.OnLine(e.Data);
        edge._process.ErrorDataReceived += (_, e) => edge.OnLine(e.Data);
        edge._process.BeginOutputReadLine();
        edge._process.BeginErrorReadLine();

        var exited = edge._process.WaitForExitAsync();
        var first = await Task.WhenAny(edge._listening.Task, exited, Task.Delay(TimeSpan.FromSeconds(30)));
        if (first != edge._listening.Task)
        {
            var why = first == exited ? $"exited with {edge._process.ExitCode}" : "did not report its listeners within 30 s";
            await edge.DisposeAsync();
            throw new InvalidOperationException($"The edge {why}. Output:\n{edge.Output}");
        }

        edge.Public = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = edge.PublicUrl, Timeout = TimeSpan.FromSeconds(30) };
        edge.Admin = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = edge.AdminUrl, Timeout = TimeSpan.FromSeconds(30) };
        return edge;
    }

    /// <summary>Runs `edge ARGS` to completion, for commands such as validate and for startups that must fail.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string[] arguments, IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null, string? program = null)
    {
        using var process = Launch(arguments, environment, program);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"edge {string.Join(' ', arguments)} did not exit in time.");
        }

        return (process.ExitCode, await stdout + await stderr);
    }

    public void Signal(int signal)
    {
        if (kill(_process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    /// <summary>Whether the output so far contains the text.</summary>
    public bool Logged(string text) => Output.Contains(text, StringComparison.Ordinal);

    /// <summary>
    /// Waits until the output contains the text. Log lines reach stdout in batches from a writer
    /// thread, some milliseconds after the event they report, so a test never reads them at once.
    /// </summary>
    public Task WaitForLogAsync(string text, TimeSpan? deadline = null)
        => Eventually.TrueAsync(() => Logged(text), deadline ?? TimeSpan.FromSeconds(10), $"the edge to log \"{text}\"");

    /// <summary>Waits until the output contains the text at least <paramref name="times"/> times, then says how many times it does.</summary>
    public async Task<int> WaitForCountAsync(string text, int times, TimeSpan? deadline = null)
    {
        await Eventually.TrueAsync(() => Count(text) >= times, deadline ?? TimeSpan.FromSeconds(10), $"the edge to log \"{text}\" {times} time(s)");
        return Count(text);
    }

    /// <summary>How many times the output so far contains the text.</summary>
    public int Count(string text)
    {
        var output = Output;
        var count = 0;
        for (var i = output.IndexOf(text, StringComparison.Ordinal); i >= 0; i = output.IndexOf(text, i + text.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        Public?.Dispose();
        Admin?.Dispose();
        _process.Dispose();
    }

    private static Process Launch(string[] arguments, IReadOnlyDictionary<string, string>? environment, string? program)
    {
        program ??= ProgramPath;
        var viaDotnet = program.EndsWith(".dll", StringComparison.OrdinalIgnoreCase);
        var start = new ProcessStartInfo(viaDotnet ? "dotnet" : program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        if (viaDotnet)
        {
            start.ArgumentList.Add(program);
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The edge under test sees only what the test gives it.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("Edge__", StringComparison.OrdinalIgnoreCase) || k.StartsWith("ReverseProxy__", StringComparison.OrdinalIgnoreCase) || k == "EDGE_CONFIG").ToList())
        {
            start.Environment.Remove(key);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        return Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start.");
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        if (ListeningLine(line) is not var (listener, url))
        {
            return;
        }

        var uri = new Uri(url.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal));
        if (listener == "public")
        {
            lock (_publicUrls)
            {
                _publicUrls.Add(uri);
            }

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

    /// <summary>The listener and URL from an "Listening on ..." line, in either log format.</summary>
    private static (string Listener, string Url)? ListeningLine(string line)
    {
        if (line.StartsWith('{'))
        {
            if (!line.Contains("\"Listener\"", StringComparison.Ordinal))
            {
                return null;
            }

            using var document = JsonDocument.Parse(line);
            return document.RootElement.TryGetProperty("Properties", out var properties)
                && properties.TryGetProperty("Listener", out var listener)
                && properties.TryGetProperty("Url", out var url)
                ? (listener.GetString()!, url.GetString()!)
                : null;
        }

        var match = TextListening().Match(line);
        return match.Success ? (match.Groups[1].Value, match.Groups[2].Value) : null;
    }

    [GeneratedRegex(@"Listening on (public|admin) ((?:https?|h2c)://\S+)")]
    private static partial Regex TextListening();

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int kill(int pid, int signal);
}
