using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Edge.Testing;

namespace Edge.FunctionalTests.Deploy;

/// <summary>
/// deploy/nginx-compare stays runnable: the edge config validates (also with the https listener
/// run.sh adds), nginx and haproxy accept their configs (Debian packages nginx and haproxy; .ci/run
/// installs them), all three proxy to the same origins, and the report writer turns results into
/// a report. The benchmark itself is run.sh's job, not the test suite's.
/// </summary>
public sealed class NginxCompareTests : IDisposable
{
    private const string Folder = "deploy/nginx-compare";
    private readonly string _temp = Directory.CreateTempSubdirectory("edge-compare-test-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    [Fact]
    public async Task EdgeConfig_Validate_Valid()
    {
        var (exitCode, output) = await EdgeProcess.RunAsync(["validate", "--config", Repository.PathOf($"{Folder}/edge.json")]);

        Assert.True(exitCode == 0, $"edge validate exited {exitCode}:\n{output}");
        Assert.Contains("2 routes, 1 clusters", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EdgeConfig_WithTheHttpsListenerRunShAdds_Valid()
    {
        var tls = WriteCertificate();
        var environment = new Dictionary<string, string>
        {
            ["Edge__Listeners__Public"] = "http://127.0.0.1:27380;https://127.0.0.1:27343",
            ["Edge__Tls__Certificates__bench__CertificatePath"] = Path.Combine(tls, "cert.pem"),
            ["Edge__Tls__Certificates__bench__KeyPath"] = Path.Combine(tls, "key.pem"),
        };

        var (exitCode, output) = await EdgeProcess.RunAsync(["validate", "--config", Repository.PathOf($"{Folder}/edge.json")], environment);

        Assert.True(exitCode == 0, $"edge validate with the https listener exited {exitCode}:\n{output}");
        var script = await File.ReadAllTextAsync(Repository.PathOf($"{Folder}/run.sh"));
        foreach (var key in environment.Keys)
        {
            Assert.Contains(key + "=", script, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("nginx.conf")]
    [InlineData("origins.conf")]
    public async Task NginxConfig_NginxTest_Valid(string file)
    {
        // As run.sh does: the config in its own prefix, with tls/ and tmp/ beside it.
        var prefix = Path.Combine(_temp, Path.GetFileNameWithoutExtension(file));
        Directory.CreateDirectory(Path.Combine(prefix, "tmp"));
        Directory.CreateSymbolicLink(Path.Combine(prefix, "tls"), WriteCertificate());
        File.Copy(Repository.PathOf($"{Folder}/{file}"), Path.Combine(prefix, file));

        var (exitCode, output) = await RunAsync("nginx", ["-t", "-p", prefix + "/", "-c", Path.Combine(prefix, file), "-e", Path.Combine(prefix, "error.log")]);

        Assert.True(exitCode == 0, $"nginx -t exited {exitCode}:\n{output}");
        Assert.Contains("test is successful", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HaproxyConfig_HaproxyCheck_Valid()
    {
        WriteCertificate();

        var (exitCode, output) = await RunAsync("haproxy", ["-c", "-f", Repository.PathOf($"{Folder}/haproxy.cfg")], new() { ["COMPARE_TMP"] = _temp });

        Assert.True(exitCode == 0, $"haproxy -c exited {exitCode}:\n{output}");
        Assert.Contains("Configuration file is valid", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Configs_EveryProxy_BalancesOverTheSameTwoOrigins()
    {
        var edge = JsonNode.Parse(
            await File.ReadAllTextAsync(Repository.PathOf($"{Folder}/edge.json")),
            documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })!;
        var cluster = edge["ReverseProxy"]!["Clusters"]!["origins"]!;
        var origins = cluster["Destinations"]!.AsObject()
            .Select(d => new Uri((string)d.Value!["Address"]!).Authority)
            .Order(StringComparer.Ordinal)
            .ToList();
        var nginx = await File.ReadAllTextAsync(Repository.PathOf($"{Folder}/nginx.conf"));
        var haproxy = await File.ReadAllTextAsync(Repository.PathOf($"{Folder}/haproxy.cfg"));
        var served = await File.ReadAllTextAsync(Repository.PathOf($"{Folder}/origins.conf"));

        Assert.Equal(["127.0.0.1:27101", "127.0.0.1:27102"], origins);
        Assert.Equal("RoundRobin", (string?)cluster["LoadBalancingPolicy"]);
        Assert.True((bool)cluster["HealthCheck"]!["Active"]!["Enabled"]!);
        Assert.False((bool)edge["Edge"]!["Logging"]!["RequestLogs"]!);
        foreach (var origin in origins)
        {
            Assert.Contains($"server {origin};", nginx, StringComparison.Ordinal);
            Assert.Contains($" {origin} check", haproxy, StringComparison.Ordinal);
            Assert.Contains($"listen {origin};", served, StringComparison.Ordinal);
        }

        Assert.Contains("balance roundrobin", haproxy, StringComparison.Ordinal);
        Assert.Contains("http-reuse always", haproxy, StringComparison.Ordinal);
        Assert.Contains("worker_processes auto;", nginx, StringComparison.Ordinal);
        Assert.Contains("access_log off;", nginx, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunScript_BashSyntax_Valid()
    {
        var (exitCode, output) = await RunAsync("bash", ["-n", Repository.PathOf($"{Folder}/run.sh")]);

        Assert.True(exitCode == 0, $"bash -n run.sh exited {exitCode}:\n{output}");
    }

    [Fact]
    public async Task ReportWriter_Results_WritesMediansRatiosAndChart()
    {
        var results = Path.Combine(_temp, "results.tsv");
        var lines = new List<string> { "round\tpoint\ttarget\trps\tp50_ms\tp99_ms\trequests\terrors\tcpu_ms_per_1000\tpeak_rss_kb\torigin_connections" };
        foreach (var round in new[] { 1, 2, 3 })
        {
            lines.Add($"{round}\th1-c64\tdirect\t{40000 + round}\t0.5\t2.0\t200000\t0\tNA\tNA\t64");
            lines.Add($"{round}\th1-c64\tnginx\t{20000 + round}\t1.0\t4.0\t100000\t0\t30.00\t32000\t2");
            lines.Add($"{round}\th1-c64\thaproxy\t{22000 + round}\t1.0\t5.0\t110000\t0\t28.00\t24000\t2");
            lines.Add($"{round}\th1-c64\tyarp\t{15000 + round}\t1.5\t6.0\t75000\t0\t50.00\t100000\t2");
            lines.Add($"{round}\th1-c64\tedge\t{10000 + round}\t2.0\t8.0\t50000\t0\t90.00\t160000\t2");
        }

        await File.WriteAllLinesAsync(results, lines);
        var meta = Path.Combine(_temp, "meta.txt");
        await File.WriteAllLinesAsync(meta, ["date=2026-01-01 00:00 UTC", "command=deploy/nginx-compare/run.sh", "nproc=2", "repeats=3", "peak_reset=1"]);
        var report = Path.Combine(_temp, "report.md");
        var chart = Path.Combine(_temp, "report.svg");

        var (exitCode, output) = await RunAsync("python3", [Repository.PathOf($"{Folder}/report.py"), results, meta, report, chart]);

        Assert.True(exitCode == 0, $"report.py exited {exitCode}:\n{output}");
        var markdown = await File.ReadAllTextAsync(report);
        Assert.Contains("| HTTP/1.1, 64 conns, 19 B | edge | 10,002 | 2.00 | 8.00 | 90.0 | 156.2 | 2 | 0 |", markdown, StringComparison.Ordinal);
        Assert.Contains("| HTTP/1.1, 64 conns, 19 B | 0.50 | 2.00 | 3.00 | 5.00 | 0.25 | 1.10 | 1.25 | 0.75 | 1.50 | 0.67 | 1.80 |", markdown, StringComparison.Ordinal);
        Assert.Contains("shared 2-core machine", markdown, StringComparison.Ordinal);
        var svg = await File.ReadAllTextAsync(chart);
        Assert.StartsWith("<svg ", svg, StringComparison.Ordinal);
        Assert.Contains("| HTTP/1.1, 64 conns, 19 B | yarp | 15,002 | 1.50 | 6.00 | 50.0 | 97.7 | 2 | 0 |", markdown, StringComparison.Ordinal);
        Assert.Equal(10, svg.Split("<rect x=", StringSplitOptions.None).Length - 1 - 5); // 5 legend swatches, 10 bars (5 targets x 2 panels)
    }

    /// <summary>A self-signed certificate as run.sh makes it: tls/cert.pem, tls/key.pem and tls/bundle.pem (haproxy's, both in one).</summary>
    private string WriteCertificate()
    {
        var tls = Path.Combine(_temp, "tls");
        if (!Directory.Exists(tls))
        {
            Directory.CreateDirectory(tls);
            TestCertificate.WritePem(Path.Combine(tls, "cert.pem"), Path.Combine(tls, "key.pem"), "localhost");
            File.WriteAllText(Path.Combine(tls, "bundle.pem"), File.ReadAllText(Path.Combine(tls, "cert.pem")) + "\n" + File.ReadAllText(Path.Combine(tls, "key.pem")) + "\n");
        }

        return tls;
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string program, string[] arguments, Dictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? [])
        {
            start.Environment[key] = value;
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start.");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException($"{program} is not installed: apt-get install nginx haproxy python3 (.ci/run installs them).", ex);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await process.WaitForExitAsync(cts.Token);
            return (process.ExitCode, await stdout + await stderr);
        }
    }
}
