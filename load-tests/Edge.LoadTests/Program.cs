using System.Diagnostics;
using System.Globalization;
using System.Text;
using Edge.LoadTests;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

// edge-load overload --edge <path to the published edge> [--seconds N] [--report file]
// Loopback only. Exit code 0 when every threshold holds, 1 when one does not, 2 on bad usage.
if (args.Length < 3 || args[0] != "overload" || args[1] != "--edge")
{
    Console.Error.WriteLine("usage: edge-load overload --edge <path to the published edge> [--seconds N] [--report file]");
    return 2;
}

var edgePath = args[2];
var seconds = args.SkipWhile(a => a != "--seconds").Skip(1).Select(int.Parse).FirstOrDefault(10);
var reportPath = args.SkipWhile(a => a != "--report").Skip(1).FirstOrDefault();
return await Overload.RunAsync(edgePath, TimeSpan.FromSeconds(seconds), reportPath);

namespace Edge.LoadTests
{
    /// <summary>
    /// The overload scenario: an origin that can serve a fixed rate (4 at a time, 20 ms each:
    /// 200 requests/s) behind the edge with a matching concurrency limit. Normal load is half of
    /// that rate, overload 300 %. Thresholds: the accepted requests' p99 under overload stays
    /// within 2x their p99 at normal load; the edge's CPU per refused request is under a tenth of
    /// a proxied one.
    /// </summary>
    internal static class Overload
    {
        private const int OriginConcurrency = 4;
        private static readonly TimeSpan OriginWork = TimeSpan.FromMilliseconds(20);
        private const int OriginPort = 18281;
        private const int PublicPort = 18280;
        private const int AdminPort = 18290;

        public static async Task<int> RunAsync(string edgePath, TimeSpan duration, string? reportPath)
        {
            var capacity = OriginConcurrency / OriginWork.TotalSeconds;
            await using var origin = await StartOriginAsync();
            var directory = Directory.CreateTempSubdirectory("edge-load-");
            var configPath = Path.Combine(directory.FullName, "edge.json");
            await File.WriteAllTextAsync(configPath, Config());
            using var edge = Process.Start(new ProcessStartInfo(edgePath, ["--config", configPath])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            }) ?? throw new InvalidOperationException($"Could not start {edgePath}.");
            edge.OutputDataReceived += (_, _) => { };
            edge.ErrorDataReceived += (_, e) => { if (e.Data is not null) { Console.Error.WriteLine(e.Data); } };
            edge.BeginOutputReadLine();
            edge.BeginErrorReadLine();
            try
            {
                await Load.WaitForAsync(new Uri($"http://127.0.0.1:{AdminPort}/readyz"), TimeSpan.FromSeconds(15));
                using var client = Load.Client();
                var work = new Uri($"http://127.0.0.1:{PublicPort}/work");
                var fast = new Uri($"http://127.0.0.1:{PublicPort}/fast");
                var refused = new Uri($"http://127.0.0.1:{PublicPort}/refused");

                Console.WriteLine($"origin capacity {capacity:0} req/s ({OriginConcurrency} at a time, {OriginWork.TotalMilliseconds:0} ms each)");
                await Load.KeepConstantAsync(client, fast, 16, TimeSpan.FromSeconds(5), "warm-up");
                await Load.KeepConstantAsync(client, refused, 16, TimeSpan.FromSeconds(3), "warm-up");
                await Load.InjectAsync(client, work, capacity * 0.5, TimeSpan.FromSeconds(2), "warm-up");

                var normal = await Load.InjectAsync(client, work, capacity * 0.5, duration, "normal (0.5x capacity)");
                var overload = await Load.InjectAsync(client, work, capacity * 3, duration, "overload (3x capacity)");
                var (proxied, proxiedCpu) = await CpuPerRequestAsync(client, fast, edge.Id, "proxied");
                var (rejected, rejectedCpu) = await CpuPerRequestAsync(client, refused, edge.Id, "refused (429)");
                // The cheapest answer Kestrel can give (a constant from the admin listener): the floor any response costs.
                var (floor, floorCpu) = await CpuPerRequestAsync(client, new Uri($"http://127.0.0.1:{AdminPort}/healthz"), edge.Id, "floor (/healthz)");

                var normalP99 = normal.Percentile(200, 99);
                var overloadP99 = overload.Percentile(200, 99);
                var latencyRatio = overloadP99 / normalP99;
                var cpuRatio = rejectedCpu / proxiedCpu;
                var report = new StringBuilder()
                    .AppendLine("# Overload scenario")
                    .AppendLine()
                    .AppendLine(CultureInfo.InvariantCulture, $"Origin capacity {capacity:0} req/s; edge `Edge:Limits:MaxConcurrentRequests` {OriginConcurrency}; open-model load, {duration.TotalSeconds:0} s per step, latency from each request's scheduled start.")
                    .AppendLine()
                    .AppendLine("| step | offered req/s | answers | accepted p50 ms | accepted p99 ms |")
                    .AppendLine("| --- | --- | --- | --- | --- |");
                foreach (var (step, rate) in new[] { (normal, capacity * 0.5), (overload, capacity * 3) })
                {
                    report.AppendLine(CultureInfo.InvariantCulture, $"| {step.Name} | {rate:0} | {step.Statuses()} | {Load.Ms(step.Percentile(200, 50))} | {Load.Ms(step.Percentile(200, 99))} |");
                }

                report.AppendLine()
                    .AppendLine("| edge CPU per request | µs | requests |")
                    .AppendLine("| --- | --- | --- |")
                    .AppendLine(CultureInfo.InvariantCulture, $"| proxied (200) | {proxiedCpu:0.0} | {proxied.Total} |")
                    .AppendLine(CultureInfo.InvariantCulture, $"| refused (429) | {rejectedCpu:0.0} | {rejected.Total} |")
                    .AppendLine(CultureInfo.InvariantCulture, $"| floor: admin `/healthz`, a constant answer | {floorCpu:0.0} | {floor.Total} |")
                    .AppendLine()
                    .AppendLine("| threshold | measured | holds |")
                    .AppendLine("| --- | --- | --- |")
                    .AppendLine(CultureInfo.InvariantCulture, $"| accepted p99 under overload <= 2x normal p99 | {latencyRatio:0.00}x | {(latencyRatio <= 2 ? "yes" : "NO")} |")
                    .AppendLine(CultureInfo.InvariantCulture, $"| CPU per refused request < 0.1x a proxied one | {cpuRatio:0.00}x | {(cpuRatio < 0.1 ? "yes" : "NO")} |")
                    .AppendLine(CultureInfo.InvariantCulture, $"| no request reached the origin beyond its capacity (origin max in flight <= {OriginConcurrency}) | {origin.MaxInFlight} | {(origin.MaxInFlight <= OriginConcurrency ? "yes" : "NO")} |");
                var text = report.ToString();
                Console.WriteLine(text);
                if (reportPath is not null)
                {
                    await File.WriteAllTextAsync(reportPath, text);
                }

                return latencyRatio <= 2 && cpuRatio < 0.1 && origin.MaxInFlight <= OriginConcurrency ? 0 : 1;
            }
            finally
            {
                edge.Kill(entireProcessTree: true);
                await edge.WaitForExitAsync();
                directory.Delete(recursive: true);
            }
        }

        /// <summary>Edge CPU (user + system) per request over a closed-loop step of 32 copies, in µs.</summary>
        private static async Task<(StepResult Step, double Micros)> CpuPerRequestAsync(HttpClient client, Uri url, int edgeProcess, string name)
        {
            var before = Load.CpuTime(edgeProcess);
            var step = await Load.KeepConstantAsync(client, url, 32, TimeSpan.FromSeconds(5), name);
            var used = Load.CpuTime(edgeProcess) - before;
            return (step, used.TotalMicroseconds / step.Total);
        }

        private static string Config() => $$"""
            {
              "ReverseProxy": {
                "Routes": {
                  "work": { "ClusterId": "origin", "Match": { "Path": "/work" } },
                  "fast": { "ClusterId": "origin", "Match": { "Path": "/fast" } },
                  "refused": { "ClusterId": "origin", "Match": { "Path": "/refused" }, "RateLimiterPolicy": "closed" }
                },
                "Clusters": { "origin": { "Destinations": { "a": { "Address": "http://127.0.0.1:{{OriginPort}}/" } } } }
              },
              "Edge": {
                "Listeners": { "Public": "http://127.0.0.1:{{PublicPort}}", "Admin": "http://127.0.0.1:{{AdminPort}}" },
                "Limits": { "MaxConcurrentRequests": {{OriginConcurrency}} },
                "RateLimiting": { "Policies": { "closed": { "Kind": "FixedWindow", "PermitLimit": 1, "Window": "01:00:00", "PartitionBy": "Global" } } },
                "Logging": { "Level": "Warning" },
                "Shutdown": { "DrainDelay": "00:00:00" }
              }
            }
            """;

        private static async Task<CapacityOrigin> StartOriginAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, OriginPort));
            var app = builder.Build();
            var origin = new CapacityOrigin(app);
            var slots = new SemaphoreSlim(OriginConcurrency);
            app.MapGet("/work", async () =>
            {
                // Work beyond the origin's capacity waits its turn, as on a real saturated server.
                origin.Enter();
                await slots.WaitAsync();
                try
                {
                    await Task.Delay(OriginWork);
                    return Results.Text("done\n");
                }
                finally
                {
                    origin.Exit();
                    slots.Release();
                }
            });
            app.MapGet("/fast", () => Results.Text("fast\n"));
            await app.StartAsync();
            return origin;
        }
    }

    internal sealed class CapacityOrigin(WebApplication app) : IAsyncDisposable
    {
        private int _inFlight;
        private int _maxInFlight;

        public int MaxInFlight => Volatile.Read(ref _maxInFlight);

        public void Enter()
        {
            var now = Interlocked.Increment(ref _inFlight);
            int seen;
            while (now > (seen = Volatile.Read(ref _maxInFlight)) && Interlocked.CompareExchange(ref _maxInFlight, now, seen) != seen)
            {
            }
        }

        public void Exit() => Interlocked.Decrement(ref _inFlight);

        public async ValueTask DisposeAsync()
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}
