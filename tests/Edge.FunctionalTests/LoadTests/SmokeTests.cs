using System.Diagnostics;
using Edge.Testing;

namespace Edge.FunctionalTests.LoadTests;

[CollectionDefinition(nameof(LoadSmoke), DisableParallelization = true)]
public sealed class LoadSmoke;

/// <summary>
/// Every load test of load-tests/ in its smoke mode (short runs, same checks, wider latency
/// bounds), against the edge built next to these tests: steady load, overload, an origin killed,
/// reloads and canary rollouts under load. It runs alone, so other tests do not eat its CPU.
/// </summary>
[Collection(nameof(LoadSmoke))]
public sealed class SmokeTests
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task EdgeLoad_Smoke_EveryLoadTestPasses()
    {
        var directory = Directory.CreateTempSubdirectory("edge-load-smoke-");
        var report = Path.Combine(directory.FullName, "report.md");
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, "edge-load.dll"), "run", "--smoke", "--edge", EdgeProcess.ProgramPath, "--report", report, "--chart", Path.Combine(directory.FullName, "report.svg") },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Budget);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"edge-load --smoke did not finish within {Budget.TotalSeconds:0} s:\n{await stderr}");
        }

        var text = File.Exists(report) ? await File.ReadAllTextAsync(report) : "(no report)";
        directory.Delete(recursive: true);
        Assert.True(process.ExitCode == 0, $"edge-load --smoke exited {process.ExitCode} after {clock.Elapsed.TotalSeconds:0} s:\n{await stdout}\n{await stderr}\n{text}");
        Assert.Contains("all 5 load tests passed", await stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("| FAIL |", text, StringComparison.Ordinal);
        foreach (var test in new[] { "steady", "overload", "origin-killed", "reloads", "canary" })
        {
            Assert.Contains($"\n## {test}\n", text, StringComparison.Ordinal);
        }
    }
}
