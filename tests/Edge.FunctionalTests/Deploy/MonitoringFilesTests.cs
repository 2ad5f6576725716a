using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Edge.Testing;

namespace Edge.FunctionalTests.Deploy;

/// <summary>deploy/prometheus/prometheus.yml and deploy/grafana/edge-dashboard.json are usable as they are.</summary>
public sealed partial class MonitoringFilesTests
{
    public const string DashboardPath = "deploy/grafana/edge-dashboard.json";

    [Fact]
    public async Task PrometheusConfig_PromtoolCheckConfig_Valid_ScrapesTheAdminPort()
    {
        var path = Repository.PathOf("deploy/prometheus/prometheus.yml");

        var (exitCode, output) = await Promtool.RunAsync(["check", "config", path]);

        Assert.True(exitCode == 0, $"promtool check config exited {exitCode}:\n{output}");
        var text = await File.ReadAllTextAsync(path);
        Assert.Contains("metrics_path: /metrics", text, StringComparison.Ordinal);
        Assert.Contains(":9901", text, StringComparison.Ordinal);
    }

    [Fact]
    public void GrafanaDashboard_PrometheusDatasourceVariable_UsedByEveryPanelAndQuery()
    {
        var dashboard = Dashboard();

        var variables = dashboard["templating"]!["list"]!.AsArray();
        var datasource = Assert.Single(variables, v => (string?)v!["type"] == "datasource")!;
        Assert.Equal("datasource", (string?)datasource["name"]);
        Assert.Equal("prometheus", (string?)datasource["query"]);
        Assert.False(string.IsNullOrEmpty((string?)dashboard["title"]));
        Assert.False(string.IsNullOrEmpty((string?)dashboard["uid"]));
        Assert.True((int)dashboard["schemaVersion"]! > 30);

        var panels = Panels(dashboard).ToList();
        Assert.Equal(panels.Count, panels.Select(p => (int)p["id"]!).Distinct().Count());
        foreach (var panel in panels.Where(p => (string?)p["type"] != "row"))
        {
            var grid = panel["gridPos"]!;
            Assert.InRange((int)grid["x"]! + (int)grid["w"]!, 1, 24);
            Assert.Equal("${datasource}", (string?)panel["datasource"]!["uid"]);
            var targets = panel["targets"]!.AsArray();
            Assert.NotEmpty(targets);
            Assert.All(targets, t => Assert.Equal("${datasource}", (string?)t!["datasource"]!["uid"]));
            Assert.All(targets, t => Assert.False(string.IsNullOrWhiteSpace((string?)t!["expr"]), $"Panel '{panel["title"]}' has an empty query."));
        }
    }

    [Fact]
    public void GrafanaDashboard_HasThePanelsTheIssueAsksFor()
    {
        var queries = string.Join('\n', Queries(Dashboard()));

        Assert.Contains("rate(edge_requests_total", queries, StringComparison.Ordinal);
        Assert.Contains("code=~\"5..\"", queries, StringComparison.Ordinal);
        foreach (var quantile in new[] { "0.5", "0.95", "0.99" })
        {
            Assert.Contains($"histogram_quantile({quantile}, sum by (route, le) (rate(edge_request_duration_seconds_bucket", queries, StringComparison.Ordinal);
        }

        Assert.Contains("edge_destination_healthy", queries, StringComparison.Ordinal);
        Assert.Contains("sum by (reason) (rate(edge_rejections_total", queries, StringComparison.Ordinal);
        Assert.Contains("edge_canary_weight", queries, StringComparison.Ordinal);
        Assert.Contains("edge_config_reloads_total", queries, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GrafanaDashboard_EveryQuery_IsValidPromQL()
    {
        var rules = new StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
        var i = 0;
        foreach (var query in Queries(Dashboard()))
        {
            Assert.DoesNotContain("'", query, StringComparison.Ordinal);
            rules.Append("      - record: dashboard:query").Append(i++).Append('\n');
            rules.Append("        expr: '").Append(Concrete(query)).Append("'\n");
        }

        var path = Path.Combine(Path.GetTempPath(), $"edge-dashboard-rules-{Guid.NewGuid():N}.yml");
        await File.WriteAllTextAsync(path, rules.ToString());
        try
        {
            var (exitCode, output) = await Promtool.RunAsync(["check", "rules", path]);

            Assert.True(exitCode == 0, $"promtool check rules exited {exitCode}:\n{output}\n{rules}");
        }
        finally
        {
            File.Delete(path);
        }
    }

    public static JsonNode Dashboard() => JsonNode.Parse(File.ReadAllText(Repository.PathOf(DashboardPath)))!;

    /// <summary>Every query of every panel and of the template variables.</summary>
    public static IEnumerable<string> Queries(JsonNode dashboard)
        => Panels(dashboard).SelectMany(p => p["targets"]?.AsArray() ?? []).Select(t => (string)t!["expr"]!);

    /// <summary>The metric names the dashboard's queries read.</summary>
    public static IEnumerable<string> MetricNames(JsonNode dashboard)
        => Queries(dashboard).SelectMany(q => MetricName().Matches(q).Select(m => m.Value)).Distinct();

    private static IEnumerable<JsonNode> Panels(JsonNode dashboard)
    {
        foreach (var panel in dashboard["panels"]!.AsArray())
        {
            yield return panel!;
            foreach (var nested in panel!["panels"]?.AsArray() ?? [])
            {
                yield return nested!;
            }
        }
    }

    /// <summary>The query with Grafana's variables replaced by values Prometheus accepts.</summary>
    private static string Concrete(string query) => query
        .Replace("$__rate_interval", "1m", StringComparison.Ordinal)
        .Replace("$__range", "1h", StringComparison.Ordinal)
        .Replace("$job", ".*", StringComparison.Ordinal)
        .Replace("$instance", ".*", StringComparison.Ordinal)
        .Replace("$route", ".*", StringComparison.Ordinal);

    [GeneratedRegex(@"\b(edge|dotnet|kestrel|http_client)_[a-z_]+")]
    private static partial Regex MetricName();
}
