using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Edge.LoadTests.Runner;
using Edge.LoadTests.Stack;

namespace Edge.LoadTests.Scenarios;

/// <summary>
/// Origins killed and restarted at random, one at a time, while 16 clients send GETs and POSTs,
/// and the edge itself stopped with SIGTERM and started again on the same port half-way: every
/// answer's body is checked, and a failed request must be a POST in flight at a kill.
/// </summary>
/// <remarks>
/// When the old edge closes its listener (at the end of its drain delay) a connection the kernel
/// has just accepted, or one Kestrel has accepted but not yet read a request from, is reset: no
/// server can close a port without racing the clients connecting to it at that instant. Clients
/// here do what RFC 9110 section 9.2.2 lets a user agent do: a GET that fails before any answer in
/// that window (listener closed, new edge not yet ready) is sent again; a POST is not, and its
/// failure counts as in flight at a kill. A reset anywhere else is a failure.
/// </remarks>
internal sealed class Chaos : ILoadTest
{
    private const int Clients = 16;
    private const int EchoSize = 4096;
    private const int Seed = 20240909;
    private static readonly TimeSpan EdgeExitDeadline = TimeSpan.FromSeconds(30);

    /// <summary>The edge's <c>Edge:Shutdown:DrainDelay</c> in <see cref="Config"/>: it serves this long after SIGTERM, then closes its listener.</summary>
    private static readonly TimeSpan DrainDelay = TimeSpan.FromSeconds(1);

    /// <summary>How early before the drain delay's end a reset still counts as the listener's close: the client's clock and the edge's timer are not the same.</summary>
    private static readonly TimeSpan CloseSlack = TimeSpan.FromMilliseconds(20);

    /// <summary>How long the new edge may take to start, and a request to wait for it: generous, as a start on a busy 2-core machine can take many seconds.</summary>
    private static readonly TimeSpan RestartDeadline = TimeSpan.FromSeconds(60);

    public string Name => "chaos";

    public string Description => $"{Clients} clients (closed loop) send GETs (16 KiB bodies, and 32 KiB streamed over 200 ms from an origin never killed) and POSTs (4 KiB echoed) for 5 minutes (`--duration`; CI: 75 s) "
        + "while one of three origins at a time is killed and restarted on its port at random, and the edge is stopped with SIGTERM (it drains) and restarted on its port half-way, clients retrying on connection refused: "
        + "zero failed GETs (a GET reset at the instant the old edge closes its listener is sent again, RFC 9110 9.2.2), every failed POST in flight at a kill or at that instant, no body cut or corrupt.";

    public async Task<LoadTestResult> RunAsync(LoadTestContext context)
    {
        var clock = Stopwatch.StartNew();
        var time = context.Time;
        var during = context.LongRun(TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(75));
        await using var x = await RestartableOrigin.StartAsync("x").ConfigureAwait(false);
        await using var y = await RestartableOrigin.StartAsync("y").ConfigureAwait(false);
        await using var z = await RestartableOrigin.StartAsync("z").ConfigureAwait(false);
        await using var steady = await RestartableOrigin.StartAsync("s").ConfigureAwait(false);
        RestartableOrigin[] killable = [x, y, z];
        var config = Config(killable, steady);
        var port = RestartableOrigin.FreePort();
        var first = await EdgeStack.StartAsync(context.EdgePath, config, LoadTestContext.StartDeadline, port).ConfigureAwait(false);
        EdgeStack? second = null;
        using var client = Http.Client(new Uri($"http://127.0.0.1:{port}/"));
        var counters = new Counters();

        try
        {
            await context.Runner.RunAsync(Scenario.Create("warm-up", Step(client, time, counters))
                .WithLoadSimulations(LoadSimulation.KeepConstant(4, TimeSpan.FromSeconds(2)))).ConfigureAwait(false);
            counters.Retried = 0;

            using var stop = new CancellationTokenSource();
            var started = time.GetTimestamp();
            var kills = new List<Window>();
            var events = new List<(TimeSpan, string)>();
            var restarts = new List<(RestartableOrigin Origin, int RequestsAtRestart)>();
            // A step may wait out the edge's restart (drain, exit, start), retrying on connection refused.
            var load = context.Runner.WithStepTimeout(RestartDeadline).RunAsync(
                Scenario.Create($"{Clients} clients, GET and POST", Step(client, time, counters)).WithLoadSimulations(LoadSimulation.KeepConstant(Clients, during)),
                stop.Token);
            var chaos = KillAsync(killable, time, started, during, context.Smoke, kills, events, restarts, stop.Token);

            await Task.Delay(during / 2, time).ConfigureAwait(false);
            var sigterm = time.GetElapsedTime(started);
            counters.ListenerClosing(time.GetTimestamp() + (long)((DrainDelay - CloseSlack).TotalSeconds * time.TimestampFrequency));
            first.Terminate();
            int? exitCode = null;
            string? restartError = null;
            var exited = sigterm;
            var ready = TimeSpan.MaxValue;
            try
            {
                exitCode = await first.WaitForExitAsync(EdgeExitDeadline).ConfigureAwait(false);
                exited = time.GetElapsedTime(started);
                second = await EdgeStack.StartAsync(context.EdgePath, config, RestartDeadline, port).ConfigureAwait(false);
                ready = time.GetElapsedTime(started);
                counters.NewEdgeReady(time.GetTimestamp());
            }
            catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
            {
                // No edge to send load to: stop the load now and report what it saw until then.
                restartError = ex.Message.Split('\n')[0];
                await stop.CancelAsync().ConfigureAwait(false);
            }

            var stats = await load.ConfigureAwait(false);
            await stop.CancelAsync().ConfigureAwait(false);
            await chaos.ConfigureAwait(false);
            events.Add((sigterm, "edge SIGTERM"));
            if (restartError is null)
            {
                events.Add((ready, "new edge ready"));
            }

            events.Sort((l, r) => l.Item1.CompareTo(r.Item1));

            var samples = stats.Samples;
            static bool IsPost(Sample s) => s.Response.Message?.StartsWith("POST", StringComparison.Ordinal) == true;
            var failedGets = samples.Where(s => !s.Response.IsOk && !IsPost(s)).ToList();
            var failedPosts = samples.Where(s => !s.Response.IsOk && IsPost(s)).ToList();
            var listenerClose = new Window(sigterm + DrainDelay - CloseSlack, exited);
            var atListenerClose = failedPosts.Count(p => KillOverlap.Overlaps(Span(p), listenerClose));
            var unexplained = KillOverlap.Unexplained(failedPosts.Select(Span), [.. kills, listenerClose]);
            var cut = samples.Count(s => s.Response.Message?.Contains(Cut, StringComparison.Ordinal) == true);
            var afterRestart = samples.Count(s => s.Response.IsOk && s.At > ready);
            var servedAgain = restarts.Select(r => r.Origin.Requests - r.RequestsAtRestart).ToList();
            var kinds = killable.Select(o => $"{o.Name} ×{events.Count(e => e.Item2 == $"{o.Name} killed")}");

            Threshold[] thresholds =
            [
                Threshold.Check("failed GETs == 0 (failures that are not POSTs, timeouts included)", failedGets.Count == 0, Describe(failedGets)),
                Threshold.Check("every failed POST was in flight at a kill or as the old edge closed its listener", unexplained.Count == 0, $"{failedPosts.Count} failed POSTs ({atListenerClose} as the listener closed), {unexplained.Count} not at any of {kills.Count} kills{Unexplained(failedPosts, unexplained, sigterm)}"),
                Threshold.Check("responses cut mid-body or corrupt == 0 (every 200's length and SHA-256 checked)", cut == 0, $"{cut} of {counters.Verified} bodies checked"),
                Threshold.Check("the edge drained and exited 0 after SIGTERM", exitCode == 0, exitCode is null ? restartError ?? "no exit" : $"exit {exitCode} {(exited - sigterm).TotalSeconds:0.0} s after SIGTERM"),
                Threshold.Check("a new edge started on the same port and served", restartError is null && afterRestart > 0, restartError ?? $"ready {(ready - exited).TotalSeconds:0.0} s after the old one exited; {afterRestart} answers; {counters.Retried} requests retried on connection refused, {counters.ResentAfterReset} GETs sent again after a reset as the listener closed"),
                Threshold.Check("origins were killed, and each served again after its restart", kills.Count >= 2 && servedAgain.All(n => n > 0), $"{kills.Count} kills ({string.Join(", ", kinds)}); served after restart: {string.Join(", ", servedAgain)}"),
            ];
            var notes = new StringBuilder()
                .AppendLine(CultureInfo.InvariantCulture, $"Random kills (seed {Seed}): an origin up for {(context.Smoke ? "2–5" : "3–10")} s, then killed and down for 1–3 s; never more than one down. The edge: `DrainDelay` 1 s, `Timeout` 10 s; clients retry on connection refused every 50 ms, and send a GET again that was reset between the old edge's listener closing and the new edge being ready.")
                .AppendLine()
                .AppendLine("| event | at s | kill over at s |")
                .AppendLine("| --- | --- | --- |");
            foreach (var (at, label) in events)
            {
                var kill = kills.FirstOrDefault(k => k.From == at);
                notes.AppendLine(CultureInfo.InvariantCulture, $"| {label} | {at.TotalSeconds:0.000} | {(kill != default ? kill.To.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture) : "-")} |");
            }

            return new LoadTestResult(Name, Description, [stats], Threshold.EvaluateAll(thresholds), notes.ToString(), clock.Elapsed, events);
        }
        finally
        {
            await first.DisposeAsync().ConfigureAwait(false);
            if (second is not null)
            {
                await second.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private const string Cut = "cut mid-body";

    private static Window Span(Sample s) => new(s.At, s.At + TimeSpan.FromMilliseconds(s.LatencyMs));

    /// <summary>The first few unexplained failures, to the millisecond, with their messages and the time of SIGTERM for reference.</summary>
    private static string Unexplained(List<Sample> failures, IReadOnlyList<Window> unexplained, TimeSpan sigterm)
        => unexplained.Count == 0 ? string.Empty : ": " + string.Join("; ", failures.Where(f => unexplained.Contains(Span(f))).Take(3)
            .Select(f => string.Create(CultureInfo.InvariantCulture, $"{f.At.TotalSeconds:0.000}–{(f.At.TotalSeconds + (f.LatencyMs / 1000)):0.000} s \"{f.Response.Message}\""))) + string.Create(CultureInfo.InvariantCulture, $" (SIGTERM at {sigterm.TotalSeconds:0.000} s)");

    private static string Describe(List<Sample> failures)
        => failures.Count == 0 ? "0" : $"{failures.Count}: " + string.Join("; ", failures.GroupBy(s => s.Response.Message).OrderByDescending(g => g.Count()).Take(3).Select(g => $"\"{g.Key}\" ×{g.Count()} (first at {g.First().At.TotalSeconds:0.0} s)"));

    /// <summary>Kills one origin at a time at random and starts it again on its port, until stopped; records each kill's span.</summary>
    private static async Task KillAsync(RestartableOrigin[] origins, TimeProvider time, long started, TimeSpan during, bool smoke, List<Window> kills, List<(TimeSpan, string)> events, List<(RestartableOrigin, int)> restarts, CancellationToken stop)
    {
#pragma warning disable CA5394 // Not security: a seeded sequence of kills, the same every run.
        var random = new Random(Seed);
        var (upMin, upMax) = smoke ? (2.0, 5.0) : (3.0, 10.0);
        try
        {
            while (time.GetElapsedTime(started) < during - TimeSpan.FromSeconds(5))
            {
                await Task.Delay(TimeSpan.FromSeconds(upMin + (random.NextDouble() * (upMax - upMin))), time, stop).ConfigureAwait(false);
                var victim = origins[random.Next(origins.Length)];
                var from = time.GetElapsedTime(started);
                await victim.KillAsync().ConfigureAwait(false);
                kills.Add(new Window(from, time.GetElapsedTime(started)));
                events.Add((from, $"{victim.Name} killed"));
                await Task.Delay(TimeSpan.FromSeconds(1 + (random.NextDouble() * 2)), time, stop).ConfigureAwait(false);
                await victim.StartAsync().ConfigureAwait(false);
                restarts.Add((victim, victim.Requests));
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        finally
        {
            foreach (var origin in origins.Where(o => !o.IsUp))
            {
                await origin.StartAsync().ConfigureAwait(false);
            }
        }
#pragma warning restore CA5394
    }

    /// <summary>
    /// Two GETs of /blob, two POSTs to /echo and one GET of /stream in every five invocations;
    /// each 200's body is checked (length and SHA-256). Connection refused (the edge restarting)
    /// is retried every 50 ms until the step's timeout.
    /// </summary>
    private static Func<StepContext, CancellationToken, Task<Response>> Step(HttpClient client, TimeProvider time, Counters counters)
        => async (step, cancellationToken) =>
        {
            var slot = step.InvocationNumber % 5;
            var kind = slot < 2 ? "GET /blob" : slot < 4 ? "POST /echo" : "GET /stream";
            byte[]? sent = null;
            if (kind[0] == 'P')
            {
                sent = new byte[EchoSize];
                for (var i = 0; i < sent.Length; i++)
                {
                    sent[i] = (byte)(i + step.InvocationNumber);
                }
            }

            var retried = false;
            while (true)
            {
                using var request = new HttpRequestMessage(sent is null ? HttpMethod.Get : HttpMethod.Post, kind[(kind.IndexOf(' ', StringComparison.Ordinal) + 1)..]);
                if (sent is not null)
                {
                    request.Content = new ByteArrayContent(sent);
                }

                HttpResponseMessage response;
                try
                {
                    response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
                }
                catch (HttpRequestException ex) when (ex.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused })
                {
                    if (!retried)
                    {
                        retried = true;
                        Interlocked.Increment(ref counters.Retried);
                    }

                    await Task.Delay(TimeSpan.FromMilliseconds(50), time, cancellationToken).ConfigureAwait(false);
                    continue;
                }
                catch (HttpRequestException) when (sent is null && counters.InRestartGap(time.GetTimestamp()))
                {
                    // Reset as the old edge closed its listener, before any answer: a GET is safe to send again.
                    Interlocked.Increment(ref counters.ResentAfterReset);
                    await Task.Delay(TimeSpan.FromMilliseconds(50), time, cancellationToken).ConfigureAwait(false);
                    continue;
                }
                catch (HttpRequestException ex)
                {
                    return Response.Fail(0, $"{kind}: {ex.HttpRequestError} ({ex.InnerException?.Message ?? ex.Message})");
                }

                using (response)
                {
                    var status = (int)response.StatusCode;
                    var origin = response.Headers.TryGetValues("X-Origin", out var values) ? string.Join(',', values) : "the edge";
                    if (status != 200)
                    {
                        return Response.Fail(status, $"{kind}: {status} from {origin}");
                    }

                    byte[] body;
                    try
                    {
                        body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is HttpRequestException or IOException)
                    {
                        return Response.Fail(200, $"{kind}: {Cut} ({ex.GetType().Name}) from {origin}");
                    }

                    var (length, hash) = kind switch
                    {
                        "GET /blob" => (RestartableOrigin.BlobSize, RestartableOrigin.BlobHash),
                        "GET /stream" => (RestartableOrigin.StreamSize, RestartableOrigin.StreamHash),
                        _ => (EchoSize, SHA256.HashData(sent!)),
                    };
                    Interlocked.Increment(ref counters.Verified);
                    if (body.Length != length || !SHA256.HashData(body).AsSpan().SequenceEqual(hash))
                    {
                        return Response.Fail(200, $"{kind}: {Cut} or corrupt ({body.Length} of {length} bytes) from {origin}");
                    }

                    return Response.Ok(200, retried ? $"{kind} (retried)" : kind);
                }
            }
        };

    private static JsonObject Config(RestartableOrigin[] killable, RestartableOrigin steady)
    {
        var destinations = new JsonObject();
        foreach (var origin in killable)
        {
            destinations[origin.Name] = new JsonObject { ["Address"] = origin.Url.ToString() };
        }

        var config = JsonNode.Parse($$"""
            {
              "ReverseProxy": {
                "Routes": {
                  "blob": { "ClusterId": "chaos", "Match": { "Path": "/blob" } },
                  "echo": { "ClusterId": "chaos", "Match": { "Path": "/echo", "Methods": ["POST"] } },
                  "stream": { "ClusterId": "steady", "Match": { "Path": "/stream" } }
                },
                "Clusters": {
                  "chaos": {
                    "HealthCheck": {
                      "Active": { "Enabled": true, "Interval": "00:00:01", "Timeout": "00:00:01", "Path": "/health" },
                      "Passive": { "Enabled": true, "ReactivationPeriod": "00:00:02" }
                    }
                  },
                  "steady": { "Destinations": { "s": { "Address": "{{steady.Url}}" } } }
                }
              },
              "Edge": { "Shutdown": { "DrainDelay": "{{DrainDelay:c}}", "Timeout": "00:00:10" } }
            }
            """)!.AsObject();
        config["ReverseProxy"]!["Clusters"]!["chaos"]!["Destinations"] = destinations;
        return config;
    }

    private sealed class Counters
    {
        private long _gapFrom = long.MaxValue;
        private long _gapTo = long.MaxValue;

        public int Retried;
        public int Verified;
        public int ResentAfterReset;

        /// <summary>From this timestamp on the old edge may close its listener.</summary>
        public void ListenerClosing(long at) => Volatile.Write(ref _gapFrom, at);

        /// <summary>From this timestamp on a new edge serves, and a reset is a failure again.</summary>
        public void NewEdgeReady(long at) => Volatile.Write(ref _gapTo, at);

        public bool InRestartGap(long now) => now >= Volatile.Read(ref _gapFrom) && now <= Volatile.Read(ref _gapTo);
    }
}
