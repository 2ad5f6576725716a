namespace Edge.LoadTests.Tests;

public sealed class CliTests
{
    [Fact]
    public void Parse_Duration_IsATimeSpan()
    {
        var options = Cli.Options.Parse(["--edge", "edge", "--only", "soak", "--duration", "00:03:00"]);

        Assert.NotNull(options);
        Assert.Equal(TimeSpan.FromMinutes(3), options.Duration);
        Assert.Equal(["soak"], options.Only!);
    }

    [Theory]
    [InlineData("three minutes")]
    [InlineData("-00:01:00")]
    public void Parse_BadDuration_IsBadUsage(string duration) => Assert.Null(Cli.Options.Parse(["--edge", "edge", "--duration", duration]));

    [Fact]
    public void LongRuns_AreNotInTheDefaultSet()
    {
        Assert.DoesNotContain(Cli.All(), t => t.Name is "soak" or "chaos");
        Assert.Equal(["soak", "chaos"], Cli.LongRuns().Select(t => t.Name));
    }

    [Fact]
    public async Task List_NamesTheLongRuns()
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        Assert.Equal(0, await Cli.RunAsync(["list"], stdout, stderr));
        Assert.Contains("soak (long run, only with --only):", stdout.ToString(), StringComparison.Ordinal);
        Assert.Contains("chaos (long run, only with --only):", stdout.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_DurationUnderAMinute_IsBadUsage()
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        Assert.Equal(2, await Cli.RunAsync(["run", "--edge", "edge", "--only", "soak", "--duration", "00:00:30"], stdout, stderr));
        Assert.Contains("too short", stderr.ToString(), StringComparison.Ordinal);
    }
}
