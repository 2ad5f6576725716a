using Edge.Config.Sources;
using Edge.Config.Tests.TestSupport;

namespace Edge.Config.Tests.Sources;

public sealed class ConfigSourceTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private string WriteFile(string name)
    {
        var path = _directory.File(name);
        File.WriteAllText(path, "{}");
        return path;
    }

    private static Dictionary<string, string> Environment(string? edgeConfig)
        => edgeConfig is null ? [] : new() { [ConfigSource.EnvironmentVariable] = edgeConfig };

    [Fact]
    public void Resolve_CommandLinePath_WinsOverEnvironmentAndLocalFile()
    {
        WriteFile("edge.json");
        var fromEnvironment = WriteFile("env.json");

        var source = ConfigSource.Resolve("cli.json", Environment(fromEnvironment), _directory.Path);

        Assert.Equal(_directory.File("cli.json"), source.Path);
        Assert.Equal(source.Path, source.Name);
    }

    [Fact]
    public void Resolve_AbsoluteCommandLinePath_UsedAsIs()
    {
        var elsewhere = WriteFile("elsewhere.json");

        var source = ConfigSource.Resolve(elsewhere, Environment(null), "/nonexistent-dir");

        Assert.Equal(elsewhere, source.Path);
    }

    [Fact]
    public void Resolve_NoCommandLine_UsesEdgeConfigVariable()
    {
        WriteFile("edge.json");

        var source = ConfigSource.Resolve(null, Environment("conf/from-env.json"), _directory.Path);

        Assert.Equal(Path.Combine(_directory.Path, "conf", "from-env.json"), source.Path);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public void Resolve_NoCommandLineOrVariable_UsesLocalEdgeJson(string? blank)
    {
        var local = WriteFile("edge.json");

        var source = ConfigSource.Resolve(blank, Environment(blank), _directory.Path);

        Assert.Equal(local, source.Path);
    }

    [Fact]
    public void Resolve_NothingGivenAndNoLocalFile_UsesEmbedded()
    {
        var source = ConfigSource.Resolve(null, Environment(null), _directory.Path);

        Assert.Same(ConfigSource.Embedded, source);
        Assert.Null(source.Path);
        Assert.Equal("embedded default config", source.Name);
    }

    [Fact]
    public void Resolve_CommandLinePathMissing_StillChosen()
    {
        WriteFile("edge.json");

        var source = ConfigSource.Resolve("missing.json", Environment(null), _directory.Path);

        Assert.Equal(_directory.File("missing.json"), source.Path);
    }

    [Fact]
    public void File_RelativePath_MadeAbsolute()
    {
        var source = ConfigSource.File("edge.json");

        Assert.True(Path.IsPathFullyQualified(source.Path!));
        Assert.EndsWith("edge.json", source.Path, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_ExistingFile_ReturnsItsBytes()
    {
        var path = _directory.File("edge.json");
        await File.WriteAllTextAsync(path, """{ "Edge": {} }""");

        var bytes = await ConfigSource.File(path).ReadAsync();

        Assert.Equal(await File.ReadAllBytesAsync(path), bytes);
    }

    [Fact]
    public async Task ReadAsync_MissingFileOrDirectory_ReturnsNull()
    {
        Assert.Null(await ConfigSource.File(_directory.File("missing.json")).ReadAsync());
        Assert.Null(await ConfigSource.File(Path.Combine(_directory.Path, "no-dir", "edge.json")).ReadAsync());
    }

    [Fact]
    public async Task ReadAsync_Embedded_ReturnsDefaultConfig()
    {
        var bytes = await ConfigSource.Embedded.ReadAsync();

        Assert.NotNull(bytes);
        Assert.Equal(ConfigSource.ReadEmbedded(), bytes);
        Assert.Contains("\"ReverseProxy\"", System.Text.Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
    }
}
