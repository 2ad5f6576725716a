using System.Diagnostics;

namespace Edge.Testing;

/// <summary>
/// Debian's headless Chromium (<c>/usr/bin/chromium</c>, installed by <c>.ci/run</c>) opening one
/// page, in a throwaway profile. Disposing kills the browser and its helper processes.
/// </summary>
public sealed class Chromium : IAsyncDisposable
{
    public const string Program = "/usr/bin/chromium";

    private readonly Process _process;
    private readonly string _profile;

    private Chromium(Process process, string profile)
    {
        _process = process;
        _profile = profile;
    }

    public static Chromium Open(Uri page)
    {
        if (!File.Exists(Program))
        {
            throw new InvalidOperationException($"{Program} is missing: install Debian's 'chromium' package (.ci/run does).");
        }

        var profile = Directory.CreateTempSubdirectory("edge-chromium-").FullName;
        var start = new ProcessStartInfo(Program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-proxy-server", $"--user-data-dir={profile}",
            page.ToString(),
        })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        // Drained so the browser never blocks on a full pipe.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new Chromium(process, profile);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(cts.Token);
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_profile, recursive: true);
        }
        catch (IOException)
        {
            // A profile folder left in /tmp is harmless.
        }
    }
}
