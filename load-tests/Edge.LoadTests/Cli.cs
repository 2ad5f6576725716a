using System.Diagnostics;
using Edge.LoadTests.Reporting;
using Edge.LoadTests.Runner;
using Edge.LoadTests.Scenarios;

namespace Edge.LoadTests;

/// <summary>
/// <c>edge-load run --edge PATH [--smoke] [--only NAME,...] [--duration HH:MM:SS] [--report FILE] [--chart FILE]</c>
/// and <c>edge-load list</c>. Without <c>--only</c> it runs the default set; the long runs (soak,
/// chaos) run only when named. Exit code 0 when every threshold holds, 1 when one does not, 2 on bad usage.
/// </summary>
internal static class Cli
{
    public const string Usage = "usage: edge-load run --edge <published edge program or edge.dll> [--smoke] [--only NAME,...] [--duration HH:MM:SS (long runs)] [--report FILE.md] [--chart FILE.svg]\n       edge-load list";

    /// <summary>The default set: what a run without <c>--only</c> runs (and the smoke test checks).</summary>
    public static IReadOnlyList<ILoadTest> All() => [new SteadyLoad(), new Overload(), new OriginKilled(), new Reloads(), new CanaryRollout()];

    /// <summary>Long runs, selected by name with <c>--only</c>: minutes each, so never in the default set.</summary>
    public static IReadOnlyList<ILoadTest> LongRuns() => [new Soak(), new Chaos()];

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        if (args is ["list"])
        {
            foreach (var test in All())
            {
                await stdout.WriteLineAsync($"{test.Name}: {test.Description}").ConfigureAwait(false);
            }

            foreach (var test in LongRuns())
            {
                await stdout.WriteLineAsync($"{test.Name} (long run, only with --only): {test.Description}").ConfigureAwait(false);
            }

            return 0;
        }

        if (args.Length == 0 || args[0] != "run" || Options.Parse(args[1..]) is not { } options)
        {
            await stderr.WriteLineAsync(Usage).ConfigureAwait(false);
            return 2;
        }

        var tests = All();
        if (options.Only is { } only)
        {
            var known = tests.Concat(LongRuns()).ToList();
            var unknown = only.Except(known.Select(t => t.Name)).ToList();
            if (unknown.Count > 0)
            {
                await stderr.WriteLineAsync($"edge-load: no load test named {string.Join(", ", unknown.Select(u => $"'{u}'"))}; known: {string.Join(", ", known.Select(t => t.Name))}").ConfigureAwait(false);
                return 2;
            }

            tests = [.. known.Where(t => only.Contains(t.Name))];
        }

        if (options.Duration is { } duration && duration < SoakPlan.Shortest)
        {
            await stderr.WriteLineAsync($"edge-load: --duration {duration} is too short; the long runs need at least {SoakPlan.Shortest}").ConfigureAwait(false);
            return 2;
        }

        if (!File.Exists(options.EdgePath))
        {
            await stderr.WriteLineAsync($"edge-load: no edge program at '{options.EdgePath}'; publish it with 'dotnet publish src/Edge.Proxy -c Release -o DIR' and pass DIR/edge").ConfigureAwait(false);
            return 2;
        }

        var time = TimeProvider.System;
        using var progress = ProgressLine.ForStderr(time);
        var context = new LoadTestContext(Path.GetFullPath(options.EdgePath), options.Smoke, time, new ScenarioRunner(time, progress), options.Duration);
        var clock = Stopwatch.StartNew();
        var results = new List<LoadTestResult>();
        foreach (var test in tests)
        {
            await stderr.WriteLineAsync($"== {test.Name}: {test.Description}").ConfigureAwait(false);
            LoadTestResult result;
            try
            {
                result = await test.RunAsync(context).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or HttpRequestException or IOException)
            {
                // A stack that would not start or an admin call that failed is a failed test, reported like the others.
                result = new LoadTestResult(test.Name, test.Description, [], [new ThresholdResult("the load test ran to the end", ex.Message, false)], string.Empty, clock.Elapsed, []);
            }

            results.Add(result);
            foreach (var threshold in result.Thresholds)
            {
                await stderr.WriteLineAsync($"   {(threshold.Passed ? "pass" : "FAIL")}  {threshold.Description}: {threshold.Measured}").ConfigureAwait(false);
            }

            await stderr.WriteLineAsync($"== {test.Name}: {(result.Passed ? "passed" : "FAILED")} in {result.Elapsed.TotalSeconds:0.0} s").ConfigureAwait(false);
        }

        var chartName = options.ChartPath is null ? null : Path.GetRelativePath(Path.GetDirectoryName(Path.GetFullPath(options.ReportPath ?? ".")) ?? ".", Path.GetFullPath(options.ChartPath));
        var mode = (options.Smoke ? "smoke (short runs, wider latency bounds)" : "full") + (options.Duration is { } length ? $", long runs for {length}" : string.Empty);
        var report = MarkdownReport.Render(results, mode, chartName, clock.Elapsed);
        if (options.ReportPath is not null)
        {
            await File.WriteAllTextAsync(options.ReportPath, report).ConfigureAwait(false);
        }
        else
        {
            await stdout.WriteAsync(report).ConfigureAwait(false);
        }

        if (options.ChartPath is not null)
        {
            await File.WriteAllTextAsync(options.ChartPath, SvgChart.Render(results)).ConfigureAwait(false);
        }

        var failed = results.Where(r => !r.Passed).Select(r => r.Name).ToList();
        await stdout.WriteLineAsync(failed.Count == 0
            ? $"edge-load: all {results.Count} load tests passed in {clock.Elapsed.TotalSeconds:0} s"
            : $"edge-load: {failed.Count} of {results.Count} load tests FAILED ({string.Join(", ", failed)}) in {clock.Elapsed.TotalSeconds:0} s").ConfigureAwait(false);
        return failed.Count == 0 ? 0 : 1;
    }

    internal sealed record Options(string EdgePath, bool Smoke, IReadOnlySet<string>? Only, string? ReportPath, string? ChartPath, TimeSpan? Duration = null)
    {
        public static Options? Parse(string[] args)
        {
            string? edge = null, report = null, chart = null;
            HashSet<string>? only = null;
            TimeSpan? duration = null;
            var smoke = false;
            for (var i = 0; i < args.Length; i++)
            {
                string? Value() => i + 1 < args.Length ? args[++i] : null;
                switch (args[i])
                {
                    case "--edge": edge = Value(); break;
                    case "--smoke": smoke = true; break;
                    case "--only": only = Value()?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal); break;
                    case "--report": report = Value(); break;
                    case "--chart": chart = Value(); break;
                    case "--duration":
                        if (!TimeSpan.TryParse(Value(), System.Globalization.CultureInfo.InvariantCulture, out var length) || length <= TimeSpan.Zero)
                        {
                            return null;
                        }

                        duration = length;
                        break;
                    default: return null;
                }
            }

            return edge is null ? null : new Options(edge, smoke, only, report, chart, duration);
        }
    }
}
