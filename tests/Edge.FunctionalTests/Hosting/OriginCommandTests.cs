using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Edge.Testing;

namespace Edge.FunctionalTests.Hosting;

/// <summary>`edge origin`: one demo origin on every address, as docker-compose.yml runs the API and frontend containers.</summary>
public sealed partial class OriginCommandTests
{
    [Fact]
    public async Task Origin_Api_AnswersWithItsName_HealthzAndHealthcheck_StopsOnSigterm()
    {
        using var origin = Start("origin", "--kind", "api", "--name", "api-v9", "--port", "0");
        var url = await ListeningUrlAsync(origin);
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = url, Timeout = TimeSpan.FromSeconds(10) };

        using var hello = JsonDocument.Parse(await client.GetStringAsync("/api/hello"));
        Assert.Equal("api-v9", hello.RootElement.GetProperty("origin").GetString());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
        var (healthy, output) = await EdgeProcess.RunAsync(["healthcheck", "--url", url.ToString().TrimEnd('/')]);
        Assert.True(healthy == 0, $"edge healthcheck exited {healthy}: {output}");

        using (var kill = Process.Start("kill", ["-TERM", origin.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await origin.WaitForExitAsync(cts.Token);
        Assert.Equal(0, origin.ExitCode);
    }

    [Fact]
    public async Task Origin_Frontend_ServesThePage()
    {
        using var origin = Start("origin", "--kind", "frontend", "--name", "web-9", "--port", "0");
        try
        {
            var url = await ListeningUrlAsync(origin);
            using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = url, Timeout = TimeSpan.FromSeconds(10) };

            Assert.Contains("/backend/api/hello", await client.GetStringAsync("/"), StringComparison.Ordinal);
            Assert.Equal("web-9: /other\n", await client.GetStringAsync("/other"));
        }
        finally
        {
            origin.Kill();
        }
    }

    [Fact]
    public async Task Origin_UnknownKind_Exits1_NamingTheKinds()
    {
        var (exitCode, output) = await EdgeProcess.RunAsync(["origin", "--kind", "database"]);

        Assert.Equal(1, exitCode);
        Assert.Contains("unknown kind 'database'. Known kinds: 'frontend', 'api'.", output, StringComparison.Ordinal);
    }

    private static Process Start(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(EdgeProcess.ProgramPath);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start.");
    }

    /// <summary>The origin's first line names where it listens (port 0 becomes the port it got); loopback is used to reach it.</summary>
    private static async Task<Uri> ListeningUrlAsync(Process origin)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var line = await origin.StandardOutput.ReadLineAsync(cts.Token);
        var match = Listening().Match(line ?? string.Empty);
        Assert.True(match.Success, $"Unexpected first line: '{line}'. Stderr: {(origin.HasExited ? await origin.StandardError.ReadToEndAsync() : string.Empty)}");
        return new Uri($"http://127.0.0.1:{match.Groups[1].Value}/");
    }

    [GeneratedRegex(@"listening on http://0\.0\.0\.0:(\d+)")]
    private static partial Regex Listening();
}
