using System.Diagnostics;
using System.Net;
using System.Reflection.PortableExecutable;
using Edge.Testing;

namespace Edge.FunctionalTests.Deploy;

/// <summary>
/// What the Dockerfile's build stage does, without Docker: the files it copies, put in a fresh
/// folder, published with deploy/publish.sh exactly as the Dockerfile runs it; then the published
/// `edge` started as the image starts it (EDGE_CONFIG, the compose config, admin on 0.0.0.0).
/// </summary>
public sealed class PublishedEdgeTests
{
    [Fact]
    public async Task PublishScript_AsTheDockerfileRunsIt_ReadyToRun_ServesHealthz_HealthcheckExits0_StopsOnSigterm()
    {
        var context = Directory.CreateTempSubdirectory("edge-build-context-").FullName;
        var output = Path.Combine(Directory.CreateTempSubdirectory("edge-published-").FullName, "app");
        try
        {
            var dockerfile = await File.ReadAllTextAsync(Repository.PathOf("Dockerfile"));
            foreach (var source in BuildContextSources(dockerfile))
            {
                CopyIntoContext(source, context);
            }

            await PublishScriptAsync(context, "restore");
            await PublishScriptAsync(context, "publish", output);

            var program = Path.Combine(output, "edge");
            Assert.True(File.Exists(program), $"No apphost {program}: the image's ENTRYPOINT and HEALTHCHECK run /app/edge.");
            Assert.False(File.Exists(Path.Combine(output, "libcoreclr.so")), "The publish is self-contained; the image brings the runtime.");
            Assert.True(IsReadyToRun(Path.Combine(output, "edge.dll")), "edge.dll is not ReadyToRun-compiled.");
            Assert.True(IsReadyToRun(Path.Combine(output, "Yarp.ReverseProxy.dll")), "Yarp.ReverseProxy.dll is not ReadyToRun-compiled.");

            var config = Path.Combine(context, "edge.json");
            File.Copy(Repository.PathOf(ContainerFilesTests.ComposeConfigPath), config);
            var environment = new Dictionary<string, string>
            {
                ["EDGE_CONFIG"] = config,
                ["Edge__Listeners__Public"] = "http://127.0.0.1:0",
                ["Edge__Listeners__Admin"] = "http://0.0.0.0:0",
                ["Edge__Shutdown__DrainDelay"] = "00:00:00.200",
            };
            await using var edge = await EdgeProcess.StartAsync([], environment, program);

            using var healthz = await edge.Admin.GetAsync("/healthz");
            Assert.Equal(HttpStatusCode.OK, healthz.StatusCode);

            // As the image's HEALTHCHECK runs it: no --url, the admin address from the environment.
            var probe = new Dictionary<string, string> { ["Edge__Listeners__Admin"] = $"http://0.0.0.0:{edge.AdminUrl.Port}" };
            var (healthy, healthOutput) = await EdgeProcess.RunAsync(["healthcheck"], probe, program: program);
            Assert.True(healthy == 0, $"edge healthcheck exited {healthy}: {healthOutput}");

            edge.Signal(EdgeProcess.SIGTERM);
            Assert.Equal(0, await edge.WaitForExitAsync(TimeSpan.FromSeconds(20)));

            var (afterStop, _) = await EdgeProcess.RunAsync(["healthcheck"], probe, program: program);
            Assert.Equal(1, afterStop);
        }
        finally
        {
            Directory.Delete(context, recursive: true);
            Directory.Delete(Path.GetDirectoryName(output)!, recursive: true);
        }
    }

    /// <summary>The sources of the build stage's COPY instructions (before the second FROM), relative to the repository.</summary>
    public static IReadOnlyList<string> BuildContextSources(string dockerfile)
    {
        var buildStage = dockerfile.Split('\n')
            .SkipWhile(l => !l.StartsWith("FROM ", StringComparison.Ordinal))
            .Skip(1)
            .TakeWhile(l => !l.StartsWith("FROM ", StringComparison.Ordinal));
        return buildStage
            .Where(l => l.StartsWith("COPY ", StringComparison.Ordinal) && !l.Contains("--from", StringComparison.Ordinal))
            .SelectMany(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..^1])
            .ToList();
    }

    /// <summary>A file or folder of the tree into the context, without build output (.dockerignore leaves it out too).</summary>
    private static void CopyIntoContext(string source, string context)
    {
        var from = Repository.PathOf(source.TrimEnd('/'));
        var to = Path.Combine(context, source.TrimEnd('/'));
        if (File.Exists(from))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(from, to, overwrite: true);
            return;
        }

        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(from, file);
            if (relative.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
            {
                continue;
            }

            var target = Path.Combine(to, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
    }

    private static async Task PublishScriptAsync(string context, params string[] arguments)
    {
        var start = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = context,
        };
        start.ArgumentList.Add("deploy/publish.sh");
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["EDGE_RID"] = "linux-x64";
        // A fresh folder like the image's /src: nothing from the test run's own build leaks in.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || k.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(key);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("bash did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"deploy/publish.sh {string.Join(' ', arguments)} did not finish in 8 minutes.\n{await stdout}{await stderr}");
        }

        Assert.True(process.ExitCode == 0, $"deploy/publish.sh {string.Join(' ', arguments)} exited {process.ExitCode}:\n{await stdout}{await stderr}");
    }

    /// <summary>Whether the assembly carries ReadyToRun native code (a managed native header).</summary>
    private static bool IsReadyToRun(string assembly)
    {
        using var stream = File.OpenRead(assembly);
        using var reader = new PEReader(stream);
        return reader.PEHeaders.CorHeader is { ManagedNativeHeaderDirectory.Size: > 0 };
    }
}
