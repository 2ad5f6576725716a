using Edge.Config.Model;
using Edge.Config.Tests.TestSupport;

namespace Edge.Config.Tests.Validation;

public class MigrationRulesTests
{
    [Theory]
    [InlineData("""{ "Routes": ["api"], "Target": "https://new-site.example.net/" }""")]
    [InlineData("""{ "Routes": ["api", "web"], "Target": "http://10.1.2.3:8080/", "Phase": "Proxy", "HostHeader": "Target", "QuietPeriod": "1.00:00:00" }""")]
    [InlineData("""{ "Routes": ["API"], "Target": "https://new-site.example.net/base", "Phase": "off", "HealthCheck": { "Path": "/healthz", "Host": "www.example.com", "Interval": "00:00:01", "Timeout": "00:00:00.500" } }""")]
    [InlineData("""{ "Routes": ["web"], "Target": "https://new-site.example.net/", "Phase": "Proxy", "HttpClient": { "DangerousAcceptAnyServerCertificate": true, "SslProtocols": ["Tls12", "Tls13"] }, "HttpRequest": { "Version": "2" } }""")]
    public async Task Accepts_ValidMigration(string migration)
    {
        var snapshot = TestConfig.AssertValid(await TestConfig.LoadWithAsync($$"""{ "Edge": { "Migrations": { "to-new": {{migration}} } } }"""));

        Assert.Equal(["to-new"], snapshot.Edge.Migrations.Keys);
    }

    [Theory]
    [InlineData("""{ "Routes": ["apii"], "Target": "https://new.example.net/" }""",
        "Migration 'to-new' lists route 'apii', which does not exist.", "Did you mean 'api'?", "Known routes: 'api', 'web'.")]
    [InlineData("""{ "Routes": ["api", "payments"], "Target": "https://new.example.net/" }""",
        "Migration 'to-new' lists route 'payments', which does not exist.", "Known routes: 'api', 'web'.")]
    [InlineData("""{ "Routes": [], "Target": "https://new.example.net/" }""",
        "Migration 'to-new' lists no routes.", "Set 'Routes'", "Known routes: 'api', 'web'.")]
    [InlineData("""{ "Target": "https://new.example.net/" }""",
        "Migration 'to-new' lists no routes.")]
    [InlineData("""{ "Routes": ["api"] }""",
        "Migration 'to-new' has no Target.", "such as 'https://new-site.example.net/'")]
    [InlineData("""{ "Routes": ["api"], "Target": "new.example.net" }""",
        "Migration 'to-new' has Target 'new.example.net', which is not an absolute http or https URL.")]
    [InlineData("""{ "Routes": ["api"], "Target": "ftp://new.example.net/" }""",
        "Migration 'to-new' has Target 'ftp://new.example.net/', which is not an absolute http or https URL.")]
    [InlineData("""{ "Routes": ["api"], "Target": "/new" }""",
        "Migration 'to-new' has Target '/new', which is not an absolute http or https URL.")]
    [InlineData("""{ "Routes": ["api"], "Target": "https://new.example.net/?site=2" }""",
        "Migration 'to-new' has Target 'https://new.example.net/?site=2' with a query or fragment")]
    [InlineData("""{ "Routes": ["api"], "Target": "https://new.example.net/", "Phase": "Proxi" }""",
        "'Migrations:to-new:Phase' is 'Proxi', which is not one of: Off, Proxy.")]
    [InlineData("""{ "Routes": ["api"], "Target": "https://new.example.net/", "Phase": "DNS" }""",
        "'Migrations:to-new:Phase' is 'DNS', which is not one of: Off, Proxy.")]
    [InlineData("""{ "Routes": ["api"], "Target": "https://new.example.net/", "HostHeader": "Client" }""",
        "'Migrations:to-new:HostHeader' is 'Client', which is not one of: Original, Target.")]
    [InlineData("""{ "Routes": ["api"], "Target": "https://new.example.net/", "QuietPeriod": "00:00:00" }""",
        "Migration 'to-new' has QuietPeriod '00:00:00'; it must be positive")]
    [InlineData("""{ "Routes": ["api"], "Target": "https://new.example.net/", "HealthCheck": { "Path": "healthz" } }""",
        "Migration 'to-new' has HealthCheck:Path 'healthz'; it must start with '/'")]
    [InlineData("""{ "Routes": ["api"], "Target": "https://new.example.net/", "HealthCheck": { "Interval": "00:00:00.050" } }""",
        "Migration 'to-new' has HealthCheck:Interval '00:00:00.0500000'; it must be at least 00:00:00.100")]
    [InlineData("""{ "Routes": ["api"], "Target": "https://new.example.net/", "HealthCheck": { "Timeout": "00:00:00" } }""",
        "Migration 'to-new' has HealthCheck:Timeout '00:00:00'; it must be positive")]
    [InlineData("""{ "Routes": ["api"], "Tagret": "https://new.example.net/" }""",
        "unknown key 'Migrations:to-new:Tagret'", "Did you mean 'Target'?")]
    public async Task Rejects_BadMigration(string migration, params string[] expected)
    {
        var result = await TestConfig.LoadWithAsync($$"""{ "Edge": { "Migrations": { "to-new": {{migration}} } } }""");

        TestConfig.AssertError(result, expected);
    }

    [Fact]
    public async Task Rejects_RouteInTwoMigrations()
    {
        var result = await TestConfig.LoadWithAsync("""
            { "Edge": { "Migrations": {
                "first": { "Routes": ["api"], "Target": "https://a.example.net/" },
                "second": { "Routes": ["web", "api"], "Target": "https://b.example.net/" } } } }
            """);

        TestConfig.AssertError(result, "Migration 'second' lists route 'api', which migration 'first' already moves.", "remove it from one of them");
    }

    [Theory]
    [InlineData("https://www.example.com/")]
    [InlineData("http://WWW.example.com:8080/")]
    public async Task Rejects_TargetThatIsAPublicHostOfItsRoutes_ItWouldLoop(string target)
    {
        var result = await TestConfig.LoadWithAsync($$"""
            {
              "ReverseProxy": { "Routes": { "web": { "Match": { "Hosts": ["www.example.com", "example.com"] } } } },
              "Edge": { "Migrations": { "to-new": { "Routes": ["web"], "Target": "{{target}}" } } }
            }
            """);

        TestConfig.AssertError(result, $"Migration 'to-new' has Target '{target}'", "is a host route 'web' answers here", "requests would loop");
    }

    [Fact]
    public async Task Load_ProxyPhase_BringsTheTargetClusterWithEdgeDefaults()
    {
        var snapshot = TestConfig.AssertValid(await TestConfig.LoadWithAsync("""
            {
              "Edge": {
                "Resilience": { "ConnectTimeout": "00:00:03" },
                "Dns": { "PooledConnectionLifetime": "00:02:00" },
                "Migrations": { "to-new": { "Routes": ["api"], "Target": "https://new.example.net/", "Phase": "Proxy",
                                            "HttpClient": { "DangerousAcceptAnyServerCertificate": true } } }
              }
            }
            """));

        var cluster = Assert.Single(snapshot.Clusters, c => c.ClusterId == "migration:to-new");
        Assert.Equal("https://new.example.net/", Assert.Single(cluster.Destinations!).Value.Address);
        Assert.True(cluster.HttpClient?.DangerousAcceptAnyServerCertificate);
        Assert.Equal("00:00:03", cluster.Metadata![ProxyDefaults.ConnectTimeoutKey]);
        Assert.Equal("00:02:00", cluster.Metadata[ProxyDefaults.PooledConnectionLifetimeKey]);
        // The routes themselves are untouched: pointing them at the target is the governor's call.
        Assert.All(snapshot.Routes, r => Assert.DoesNotContain("migration:", r.ClusterId, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Load_OffPhase_NoTargetCluster()
    {
        var snapshot = TestConfig.AssertValid(await TestConfig.LoadWithAsync("""
            { "Edge": { "Migrations": { "to-new": { "Routes": ["api"], "Target": "https://new.example.net/" } } } }
            """));

        Assert.Equal(MigrationPhase.Off, snapshot.Edge.Migrations["to-new"].Phase);
        Assert.Equal(["api", "web"], snapshot.Clusters.Select(c => c.ClusterId).Order(StringComparer.Ordinal));
    }
}
