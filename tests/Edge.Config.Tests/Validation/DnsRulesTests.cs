using Edge.Config.Tests.TestSupport;

namespace Edge.Config.Tests.Validation;

public class DnsRulesTests
{
    [Fact]
    public async Task Accepts_Defaults()
    {
        var snapshot = TestConfig.AssertValid(await TestConfig.LoadWithAsync("{}"));

        Assert.Equal(TimeSpan.FromSeconds(30), snapshot.Edge.Dns.RefreshPeriod);
        Assert.Equal(TimeSpan.FromSeconds(30), snapshot.Edge.Dns.PooledConnectionLifetime);
        Assert.Null(snapshot.Edge.Dns.HostsFile);
    }

    [Fact]
    public async Task Accepts_ExistingHostsFile()
    {
        using var folder = new TempDirectory();
        var hosts = folder.File("hosts");
        await File.WriteAllTextAsync(hosts, "10.0.0.9 new.example.net\n");

        var snapshot = TestConfig.AssertValid(await TestConfig.LoadWithAsync($$"""
            { "Edge": { "Dns": { "RefreshPeriod": "00:00:05", "PooledConnectionLifetime": "00:01:00", "HostsFile": "{{hosts}}" } } }
            """));

        Assert.Equal(hosts, snapshot.Edge.Dns.HostsFile);
    }

    [Theory]
    [InlineData("""{ "RefreshPeriod": "00:00:00.050" }""", "Edge:Dns:RefreshPeriod is '00:00:00.0500000'", "at least 00:00:00.100")]
    [InlineData("""{ "RefreshPeriod": "00:00:00" }""", "Edge:Dns:RefreshPeriod is '00:00:00'", "at least 00:00:00.100")]
    [InlineData("""{ "PooledConnectionLifetime": "00:00:00" }""", "Edge:Dns:PooledConnectionLifetime is '00:00:00'", "must be positive")]
    [InlineData("""{ "HostsFile": "config/hosts" }""", "Edge:Dns:HostsFile is 'config/hosts'", "absolute path")]
    [InlineData("""{ "HostsFile": "/nonexistent/edge/hosts" }""", "Edge:Dns:HostsFile is '/nonexistent/edge/hosts', which does not exist")]
    [InlineData("""{ "RefreshPeriods": "00:00:10" }""", "unknown key 'Dns:RefreshPeriods'", "Did you mean 'RefreshPeriod'?")]
    public async Task Rejects_BadDnsSetting(string dns, params string[] expected)
    {
        var result = await TestConfig.LoadWithAsync($$"""{ "Edge": { "Dns": {{dns}} } }""");

        TestConfig.AssertError(result, expected);
    }
}
