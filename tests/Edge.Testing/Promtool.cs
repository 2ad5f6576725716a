using System.Diagnostics;

namespace Edge.Testing;

/// <summary>Prometheus' own checker (Debian package <c>prometheus</c>; .ci/run installs it).</summary>
public static class Promtool
{
    /// <summary>Runs <c>promtool ARGS</c> with <paramref name="input"/> on its standard input; returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string[] arguments, string? input = null)
    {
        var start = new ProcessStartInfo("promtool")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("promtool did not start.");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("promtool is not installed: apt-get install prometheus (.ci/run installs it).", ex);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.StandardInput.WriteAsync(input ?? string.Empty);
            process.StandardInput.Close();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await process.WaitForExitAsync(cts.Token);
            return (process.ExitCode, await stdout + await stderr);
        }
    }
}
