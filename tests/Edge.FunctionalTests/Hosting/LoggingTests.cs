using System.Text.Json;
using Edge.Testing;

namespace Edge.FunctionalTests.Hosting;

public sealed class LoggingTests
{
    [Fact]
    public async Task DefaultFormat_WritesOneJsonObjectPerLine()
    {
        await using var a = await OriginServer.StartAsync("a");
        using var file = new EdgeConfigFile(EdgeConfigFile.Config(a));
        await using var edge = await EdgeProcess.StartAsync(file.Path);

        var lines = edge.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(lines);
        foreach (var line in lines)
        {
            using var document = JsonDocument.Parse(line);
            Assert.True(document.RootElement.TryGetProperty("Level", out _), line);
            Assert.True(document.RootElement.TryGetProperty("Timestamp", out _), line);
        }
    }

    [Fact]
    public async Task TextFormat_WritesPlainLines()
    {
        await using var a = await OriginServer.StartAsync("a");
        var config = EdgeConfigFile.Config(a);
        config["Edge"]!["Logging"] = new System.Text.Json.Nodes.JsonObject { ["Format"] = "text" };
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);

        Assert.Equal("a", await edge.Public.GetStringAsync("/"));
        Assert.Matches(@"\[\d\d:\d\d:\d\d\.\d{3} INF\] Edge.Hosting: Listening on public http://127\.0\.0\.1:\d+", edge.Output);
        Assert.DoesNotContain("{\"Timestamp\"", edge.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Level_ChangedByReload_TakesEffectWithoutRestart()
    {
        await using var a = await OriginServer.StartAsync("a");
        var config = EdgeConfigFile.Config(a);
        config["Edge"]!["Reload"]!["PollInterval"] = "01:00:00";
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);
        const string debugLine = "no change, version";

        await edge.Admin.PostAsync("/admin/config/reload", null);
        Assert.False(edge.Logged(debugLine), "Debug lines are off at the default level.");

        config["Edge"]!["Logging"] = new System.Text.Json.Nodes.JsonObject { ["Level"] = "Debug" };
        file.Write(config);
        await edge.Admin.PostAsync("/admin/config/reload", null);
        await edge.Admin.PostAsync("/admin/config/reload", null);
        await Eventually.TrueAsync(() => edge.Logged(debugLine), TimeSpan.FromSeconds(5), "a Debug line after switching to Debug");

        config["Edge"]!["Logging"] = new System.Text.Json.Nodes.JsonObject { ["Level"] = "Error" };
        file.Write(config);
        await edge.Admin.PostAsync("/admin/config/reload", null);
        var before = edge.Count(debugLine);
        await edge.Admin.PostAsync("/admin/config/reload", null);
        using var check = await edge.Admin.GetAsync("/admin/config");
        Assert.Equal(before, edge.Count(debugLine));
    }
}
