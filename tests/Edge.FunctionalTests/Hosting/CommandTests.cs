using System.Text.Json.Nodes;
using Edge.Testing;

namespace Edge.FunctionalTests.Hosting;

public sealed class CommandTests
{
    private static JsonObject Good() => EdgeConfigFile.Config(Array.Empty<OriginServer>());

    private static JsonObject Bad()
    {
        var config = EdgeConfigFile.Config(Array.Empty<OriginServer>());
        config["ReverseProxy"]!["Clusters"]!["main"]!["Destinations"] = new JsonObject { ["x"] = new JsonObject { ["Address"] = "not a url" } };
        config["ReverseProxy"]!["Routes"]!["all"]!["ClusterId"] = "apii";
        config["ReverseProxy"]!["Clusters"]!["main"]!["LoadBalancingPolcy"] = "RoundRobin";
        return config;
    }

    [Fact]
    public async Task Validate_GoodFile_Exits0()
    {
        var config = Good();
        config["ReverseProxy"]!["Clusters"]!["main"]!["Destinations"] = new JsonObject { ["x"] = new JsonObject { ["Address"] = "http://10.0.0.1:8080/" } };
        using var file = new EdgeConfigFile(config);

        var (exitCode, output) = await EdgeProcess.RunAsync(["validate", "--config", file.Path]);

        Assert.Equal(0, exitCode);
        Assert.Contains("is valid", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_BadFile_Exits1AndPrintsEveryError()
    {
        using var file = new EdgeConfigFile(Bad());

        var (exitCode, output) = await EdgeProcess.RunAsync(["validate", "--config", file.Path]);

        Assert.Equal(1, exitCode);
        AssertEveryError(output);
    }

    [Fact]
    public async Task Validate_MissingFile_Exits1AndSaysSo()
    {
        var (exitCode, output) = await EdgeProcess.RunAsync(["validate", "--config", "/nonexistent/edge.json"]);

        Assert.Equal(1, exitCode);
        Assert.Contains("does not exist", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_InvalidConfig_Exits1AndPrintsEveryError()
    {
        using var file = new EdgeConfigFile(Bad());

        var (exitCode, output) = await EdgeProcess.RunAsync(["--config", file.Path]);

        Assert.Equal(1, exitCode);
        AssertEveryError(output);
    }

    [Fact]
    public async Task Start_ConfigFromEdgeConfigVariable_IsUsed()
    {
        using var file = new EdgeConfigFile(Bad());

        var (exitCode, output) = await EdgeProcess.RunAsync([], new Dictionary<string, string> { ["EDGE_CONFIG"] = file.Path });

        Assert.Equal(1, exitCode);
        Assert.Contains(file.Path, output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Healthcheck_AgainstRunningEdge_Exits0_AndAgainstNothing_Exits1()
    {
        await using var a = await OriginServer.StartAsync("a");
        using var file = new EdgeConfigFile(EdgeConfigFile.Config(a));
        await using var edge = await EdgeProcess.StartAsync(file.Path);
        await using var gone = await OriginServer.StartAsync("gone");
        var deadUrl = gone.Url.ToString().TrimEnd('/');
        await gone.DisposeAsync();

        var (healthy, _) = await EdgeProcess.RunAsync(["healthcheck", "--url", edge.AdminUrl.ToString().TrimEnd('/')]);
        var (viaVariable, _) = await EdgeProcess.RunAsync(["healthcheck"], new Dictionary<string, string> { ["Edge__Listeners__Admin"] = $"http://127.0.0.1:{edge.AdminUrl.Port}" });
        var (nothing, _) = await EdgeProcess.RunAsync(["healthcheck", "--url", deadUrl]);

        Assert.Equal(0, healthy);
        Assert.Equal(0, viaVariable);
        Assert.Equal(1, nothing);
    }

    private static void AssertEveryError(string output)
    {
        Assert.Contains("3 errors", output, StringComparison.Ordinal);
        Assert.Contains("'apii'", output, StringComparison.Ordinal);
        Assert.Contains("'not a url'", output, StringComparison.Ordinal);
        Assert.Contains("Did you mean 'LoadBalancingPolicy'?", output, StringComparison.Ordinal);
    }
}
