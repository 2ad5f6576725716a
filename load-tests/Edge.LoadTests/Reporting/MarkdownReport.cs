using System.Globalization;
using System.Text;
using Edge.LoadTests.Runner;
using Edge.LoadTests.Scenarios;

namespace Edge.LoadTests.Reporting;

/// <summary>The run's report: per load test, a table of its scenarios, its thresholds, and its notes.</summary>
internal static class MarkdownReport
{
    public static string Render(IReadOnlyList<LoadTestResult> results, string mode, string? chartFile, TimeSpan elapsed)
    {
        ArgumentNullException.ThrowIfNull(results);
        var text = new StringBuilder()
            .AppendLine("# Edge load test report")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"Mode: {mode}. {results.Count} load tests, {results.Count(r => r.Passed)} passed, in {elapsed.TotalSeconds:0} s on {Environment.ProcessorCount} cores. Loopback only; open-model load, latency from each request's scheduled start.")
            .AppendLine()
            .AppendLine("| load test | result | time |")
            .AppendLine("| --- | --- | --- |");
        foreach (var result in results)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| [{result.Name}](#{result.Name}) | {(result.Passed ? "passed" : "FAILED")} | {result.Elapsed.TotalSeconds:0.0} s |");
        }

        if (chartFile is not null)
        {
            text.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"![requests per second and p99 latency over time]({chartFile})");
        }

        foreach (var result in results)
        {
            text.AppendLine()
                .AppendLine(CultureInfo.InvariantCulture, $"## {result.Name}")
                .AppendLine()
                .AppendLine(result.Description)
                .AppendLine()
                .AppendLine("| scenario | requests | ok | failed | RPS | p50 ms | p75 ms | p95 ms | p99 ms | answers |")
                .AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
            foreach (var stats in result.Scenarios)
            {
                text.AppendLine(Row(stats));
            }

            text.AppendLine()
                .AppendLine("Latencies are of ok requests.")
                .AppendLine()
                .AppendLine("| threshold | measured | result |")
                .AppendLine("| --- | --- | --- |");
            foreach (var threshold in result.Thresholds)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"| {threshold.Description} | {threshold.Measured} | {(threshold.Passed ? "pass" : "FAIL")} |");
            }

            if (result.Notes.Length > 0)
            {
                text.AppendLine().Append(result.Notes);
            }
        }

        return text.ToString();
    }

    public static string Row(ScenarioStats stats)
    {
        ArgumentNullException.ThrowIfNull(stats);
        return string.Create(CultureInfo.InvariantCulture,
            $"| {stats.Name} | {stats.Requests} | {stats.Ok} | {stats.Failed} | {stats.Rps:0} | {Ms(stats.Percentile(50))} | {Ms(stats.Percentile(75))} | {Ms(stats.Percentile(95))} | {Ms(stats.Percentile(99))} | {stats.Statuses()} |");
    }

    private static string Ms(double value) => double.IsNaN(value) ? "-" : value.ToString("0.0", CultureInfo.InvariantCulture);
}
