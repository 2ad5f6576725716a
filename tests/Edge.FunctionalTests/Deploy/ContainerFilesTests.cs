using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Edge.Testing;

namespace Edge.FunctionalTests.Deploy;

/// <summary>
/// The Dockerfile, docker-compose.yml, docker-compose.override.yml and deploy/compose/edge.json.
/// No Docker engine runs here, so images are not built; the compose files are checked by
/// `docker-compose config` (Debian package docker-compose; .ci/run installs it) and the
/// Dockerfile's publish step by <see cref="PublishedEdgeTests"/>.
/// </summary>
public sealed class ContainerFilesTests
{
    public const string ComposeConfigPath = "deploy/compose/edge.json";

    [Fact]
    public async Task ComposeFile_DockerComposeConfig_Valid_AdminPortNotPublished()
    {
        var (exitCode, output, errors) = await DockerComposeAsync("-f", "docker-compose.yml", "config");

        Assert.True(exitCode == 0, $"docker-compose config exited {exitCode}:\n{errors}");
        Assert.True(errors.Trim().Length == 0, $"docker-compose config warned:\n{errors}");
        var services = Services(output);
        Assert.Equal(["api-v1", "api-v2", "edge", "frontend", "grafana", "prometheus"], services.Keys.Order());
        foreach (var (name, block) in services)
        {
            Assert.True(block.Contains("    healthcheck:", StringComparison.Ordinal), $"Service '{name}' has no healthcheck.");
        }

        var edge = services["edge"];
        Assert.Contains("Edge__Listeners__Admin: http://0.0.0.0:9901", edge, StringComparison.Ordinal);
        Assert.Contains("EDGE_CONFIG: /etc/edge/edge.json", edge, StringComparison.Ordinal);
        Assert.Contains("/deploy/compose/edge.json:/etc/edge/edge.json:ro", edge, StringComparison.Ordinal);
        Assert.DoesNotContain("9901:9901", edge, StringComparison.Ordinal);
        Assert.Contains("published: 8080", edge, StringComparison.Ordinal);
        foreach (var origin in new[] { "frontend", "api-v1", "api-v2" })
        {
            Assert.Contains($"      {origin}:\n        condition: service_healthy", edge, StringComparison.Ordinal);
            Assert.Contains("    - origin\n", services[origin], StringComparison.Ordinal);
            Assert.Contains("    image: edge:local", services[origin], StringComparison.Ordinal);
        }

        Assert.Contains("      edge:\n        condition: service_healthy", services["prometheus"], StringComparison.Ordinal);
        Assert.Contains("      prometheus:\n        condition: service_healthy", services["grafana"], StringComparison.Ordinal);
        Assert.Contains("/deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro", services["prometheus"], StringComparison.Ordinal);
        Assert.Contains("/deploy/grafana/provisioning:/etc/grafana/provisioning:ro", services["grafana"], StringComparison.Ordinal);
        Assert.Contains($"/{MonitoringFilesTests.DashboardPath}:", services["grafana"], StringComparison.Ordinal);
        Assert.All(new[] { "prometheus", "grafana" }, s => Assert.Contains("- 127.0.0.1:", services[s], StringComparison.Ordinal));
    }

    [Fact]
    public async Task ComposeFileWithOverride_DockerComposeConfig_Valid_MountsTheConfigDirectory_TextLogs()
    {
        var (exitCode, output, errors) = await DockerComposeAsync("-f", "docker-compose.yml", "-f", "docker-compose.override.yml", "config");

        Assert.True(exitCode == 0, $"docker-compose config exited {exitCode}:\n{errors}");
        Assert.True(errors.Trim().Length == 0, $"docker-compose config warned:\n{errors}");
        var edge = Services(output)["edge"];
        Assert.Contains("/deploy/compose:/etc/edge/dev:ro", edge, StringComparison.Ordinal);
        Assert.Contains("EDGE_CONFIG: /etc/edge/dev/edge.json", edge, StringComparison.Ordinal);
        Assert.Contains("Edge__Logging__Format: text", edge, StringComparison.Ordinal);
        Assert.Contains("- 127.0.0.1:9901:9901", edge, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ComposeEdgeConfig_EdgeValidate_Valid_CanaryWeighted90To10_ToTheComposeServices()
    {
        var path = Repository.PathOf(ComposeConfigPath);

        var (exitCode, output) = await EdgeProcess.RunAsync(["validate", "--config", path]);

        Assert.True(exitCode == 0, $"edge validate exited {exitCode}:\n{output}");
        var clusters = JsonNode.Parse(await File.ReadAllTextAsync(path), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip })!["ReverseProxy"]!["Clusters"]!;
        var api = clusters["api"]!;
        Assert.Equal("Weighted", (string?)api["LoadBalancingPolicy"]);
        Assert.Equal("90", (string?)api["Destinations"]!["api-v1"]!["Metadata"]!["Weight"]);
        Assert.Equal("10", (string?)api["Destinations"]!["api-v2"]!["Metadata"]!["Weight"]);

        var (_, compose, _) = await DockerComposeAsync("-f", "docker-compose.yml", "config", "--services");
        var services = compose.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var cluster in clusters.AsObject())
        {
            foreach (var destination in cluster.Value!["Destinations"]!.AsObject())
            {
                var address = new Uri((string)destination.Value!["Address"]!);
                Assert.Contains(address.Host, services);
                Assert.Equal(8080, address.Port);
            }
        }
    }

    [Fact]
    public async Task Dockerfile_PublishesWithTheScript_ChiseledNonRoot_HealthcheckWithoutCurl()
    {
        var dockerfile = await File.ReadAllTextAsync(Repository.PathOf("Dockerfile"));

        // The publish command lives in deploy/publish.sh only, which CI runs too (PublishedEdgeTests).
        Assert.DoesNotContain("dotnet publish", dockerfile, StringComparison.Ordinal);
        Assert.DoesNotContain("dotnet restore", dockerfile, StringComparison.Ordinal);
        Assert.Contains("--mount=type=cache,id=edge-nuget,target=/root/.nuget/packages", dockerfile, StringComparison.Ordinal);
        Assert.Contains("bash deploy/publish.sh restore", dockerfile, StringComparison.Ordinal);
        Assert.Contains("bash deploy/publish.sh publish /app", dockerfile, StringComparison.Ordinal);
        Assert.Contains("FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build", dockerfile, StringComparison.Ordinal);
        Assert.Contains("FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble-chiseled AS runtime", dockerfile, StringComparison.Ordinal);
        Assert.Contains("\nUSER $APP_UID\n", dockerfile, StringComparison.Ordinal);
        Assert.Contains("\nEXPOSE 8080 9901\n", dockerfile, StringComparison.Ordinal);
        Assert.Contains("EDGE_CONFIG=/etc/edge/edge.json", dockerfile, StringComparison.Ordinal);
        Assert.Contains("VOLUME [\"/etc/edge\"]", dockerfile, StringComparison.Ordinal);
        Assert.Contains("CMD [\"/app/edge\", \"healthcheck\"]", dockerfile, StringComparison.Ordinal);
        Assert.Contains("ENTRYPOINT [\"/app/edge\"]", dockerfile, StringComparison.Ordinal);
        var instructions = dockerfile.Split('\n').Where(l => !l.TrimStart().StartsWith('#'));
        Assert.DoesNotContain(instructions, l => l.Contains("curl", StringComparison.Ordinal) || l.Contains("wget", StringComparison.Ordinal));
        foreach (var label in new[] { "version", "revision", "created" })
        {
            Assert.Contains($"org.opencontainers.image.{label}=\"${{{label.ToUpperInvariant()}}}\"", dockerfile, StringComparison.Ordinal);
        }

        // Every file the build stage copies is in the tree and not excluded by .dockerignore.
        var ignored = (await File.ReadAllLinesAsync(Repository.PathOf(".dockerignore")))
            .Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        Assert.Contains("**/bin/", ignored);
        Assert.Contains("**/obj/", ignored);
        Assert.Contains(".git", ignored);
        var sources = PublishedEdgeTests.BuildContextSources(dockerfile);
        Assert.Contains("deploy/publish.sh", sources);
        foreach (var source in sources)
        {
            Assert.True(File.Exists(Repository.PathOf(source)) || Directory.Exists(Repository.PathOf(source)), $"COPY {source}: not in the tree.");
            Assert.DoesNotContain(source.TrimEnd('/'), ignored);
        }
    }

    /// <summary>Each service's block of `docker-compose config` output (normalized YAML, two-space indents).</summary>
    private static Dictionary<string, string> Services(string config)
    {
        var services = new Dictionary<string, string>();
        var lines = config.Replace("\r", string.Empty, StringComparison.Ordinal).Split('\n');
        var start = Array.IndexOf(lines, "services:");
        Assert.True(start >= 0, $"No services in:\n{config}");
        string? name = null;
        var block = new List<string>();
        foreach (var line in lines.Skip(start + 1).TakeWhile(l => l.Length == 0 || l.StartsWith(' ')))
        {
            if (line.Length > 2 && line[2] != ' ' && line.EndsWith(':'))
            {
                if (name is not null)
                {
                    services[name] = string.Join('\n', block) + "\n";
                }

                name = line.Trim().TrimEnd(':');
                block.Clear();
            }
            else
            {
                block.Add(line);
            }
        }

        if (name is not null)
        {
            services[name] = string.Join('\n', block) + "\n";
        }

        return services;
    }

    private static async Task<(int ExitCode, string Output, string Errors)> DockerComposeAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("docker-compose")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Repository.Root,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The compose files' own defaults, not whatever the machine has set.
        foreach (var variable in new[] { "EDGE_VERSION", "EDGE_REVISION", "EDGE_CREATED", "COMPOSE_FILE", "COMPOSE_PROJECT_NAME" })
        {
            start.Environment.Remove(variable);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("docker-compose did not start.");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("docker-compose is not installed: apt-get install docker-compose (.ci/run installs it).", ex);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync(cts.Token);
            return (process.ExitCode, await stdout, await stderr);
        }
    }
}
