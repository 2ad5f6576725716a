using System.Text.Json.Nodes;
using Edge.Testing;
using YamlDotNet.RepresentationModel;

namespace Edge.FunctionalTests.Deploy;

/// <summary>deploy/k8s/*.yaml parse, and hold the invariants the edge relies on in a cluster.</summary>
public sealed class KubernetesFilesTests
{
    private const int AdminPort = 9901;

    [Fact]
    public void EveryDocument_Parses_AndNamesApiVersionKindAndName()
    {
        var documents = Documents().ToList();

        Assert.NotEmpty(documents);
        Assert.All(documents, d =>
        {
            Assert.False(string.IsNullOrEmpty(Text(d.Root, "apiVersion")), $"{d.File}: a document without apiVersion");
            Assert.False(string.IsNullOrEmpty(Text(d.Root, "kind")), $"{d.File}: a document without kind");
            Assert.False(string.IsNullOrEmpty(Text(d.Root, "metadata", "name")), $"{d.File}: a document without metadata.name");
        });
        Assert.Equal(["ConfigMap", "Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Service"], documents.Select(d => Text(d.Root, "kind")!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Deployment_TwoReplicas_ProbesOnTheAdminPort_AdminListensOnThePodAddress()
    {
        var deployment = Single("Deployment");
        var container = Container(deployment);

        Assert.Equal("2", Text(deployment, "spec", "replicas"));
        Assert.Equal("/readyz", Text(container, "readinessProbe", "httpGet", "path"));
        Assert.Equal("/healthz", Text(container, "livenessProbe", "httpGet", "path"));
        Assert.Equal(AdminPort, ProbePort(container, "readinessProbe"));
        Assert.Equal(AdminPort, ProbePort(container, "livenessProbe"));
        var env = Env(container);
        Assert.Equal($"http://0.0.0.0:{AdminPort}", env["Edge__Listeners__Admin"]);
        Assert.Equal("/etc/edge/edge.json", env["EDGE_CONFIG"]);
    }

    [Fact]
    public void Deployment_GracePeriod_CoversDrainDelayAndShutdownTimeout()
    {
        var deployment = Single("Deployment");
        var shutdown = EdgeJson()["Edge"]?["Shutdown"];
        var drain = TimeSpan.Parse((string?)shutdown?["DrainDelay"] ?? "00:00:05", System.Globalization.CultureInfo.InvariantCulture);
        var timeout = TimeSpan.Parse((string?)shutdown?["Timeout"] ?? "00:00:30", System.Globalization.CultureInfo.InvariantCulture);
        var preStopSleep = Text(Container(deployment), "lifecycle", "preStop", "sleep", "seconds") is { } s ? int.Parse(s, System.Globalization.CultureInfo.InvariantCulture) : 0;

        var grace = int.Parse(Text(deployment, "spec", "template", "spec", "terminationGracePeriodSeconds")!, System.Globalization.CultureInfo.InvariantCulture);

        Assert.True(grace >= preStopSleep + (drain + timeout).TotalSeconds + 5, $"terminationGracePeriodSeconds {grace} < preStop {preStopSleep} + drain {drain.TotalSeconds} + timeout {timeout.TotalSeconds} + 5 s margin");
    }

    [Fact]
    public void Deployment_ConfigFromAConfigMapDirectory_NonRootReadOnlyRoot_WithResources()
    {
        var deployment = Single("Deployment");
        var pod = Node(deployment, "spec", "template", "spec")!;
        var container = Container(deployment);

        var mount = Assert.Single(Sequence(container, "volumeMounts"), m => Text(m, "mountPath") == "/etc/edge");
        Assert.Null(Text(mount, "subPath")); // a subPath mount never sees the ConfigMap's updates
        var volume = Assert.Single(Sequence(pod, "volumes"), v => Text(v, "name") == Text(mount, "name"));
        Assert.Equal(Text(Single("ConfigMap"), "metadata", "name"), Text(volume, "configMap", "name"));
        Assert.Equal("true", Text(pod, "securityContext", "runAsNonRoot"));
        Assert.NotEqual("0", Text(pod, "securityContext", "runAsUser"));
        Assert.Equal("true", Text(container, "securityContext", "readOnlyRootFilesystem"));
        Assert.Equal("false", Text(container, "securityContext", "allowPrivilegeEscalation"));
        Assert.NotNull(Text(container, "resources", "requests", "cpu"));
        Assert.NotNull(Text(container, "resources", "limits", "memory"));
    }

    [Fact]
    public void Service_ExposesThePublicListenerOnly()
    {
        var service = Single("Service");
        var container = Container(Single("Deployment"));
        var publicPort = Sequence(container, "ports").Single(p => Text(p, "name") == "http");

        var port = Assert.Single(Sequence(service, "spec", "ports"));
        Assert.Equal("80", Text(port, "port"));
        Assert.Equal("8080", Text(port, "targetPort"));
        Assert.Equal("8080", Text(publicPort, "containerPort"));
        Assert.DoesNotContain(Sequence(service, "spec", "ports"), p => Text(p, "targetPort") is "9901" or "admin" || Text(p, "port") == "9901");
        Assert.Equal(Text(Single("Deployment"), "spec", "selector", "matchLabels", "app.kubernetes.io/name"), Text(service, "spec", "selector", "app.kubernetes.io/name"));
    }

    [Fact]
    public void HorizontalPodAutoscaler_TargetsTheDeployment_OnCpu()
    {
        var hpa = Single("HorizontalPodAutoscaler");

        Assert.Equal("autoscaling/v2", Text(hpa, "apiVersion"));
        Assert.Equal("Deployment", Text(hpa, "spec", "scaleTargetRef", "kind"));
        Assert.Equal(Text(Single("Deployment"), "metadata", "name"), Text(hpa, "spec", "scaleTargetRef", "name"));
        Assert.True(int.Parse(Text(hpa, "spec", "minReplicas")!, System.Globalization.CultureInfo.InvariantCulture) >= 2);
        Assert.Contains(Sequence(hpa, "spec", "metrics"), m => Text(m, "resource", "name") == "cpu");
    }

    [Fact]
    public async Task ConfigMap_EdgeJson_PassesEdgeValidate_WithThePodsEnvironment()
    {
        var path = Path.Combine(Path.GetTempPath(), $"edge-k8s-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(path, Text(Single("ConfigMap"), "data", "edge.json"));
        try
        {
            var env = Env(Container(Single("Deployment"))).Where(e => e.Key.StartsWith("Edge__", StringComparison.Ordinal)).ToDictionary();

            var (exitCode, output) = await EdgeProcess.RunAsync(["validate", "--config", path], env);

            Assert.True(exitCode == 0, $"edge validate exited {exitCode}:\n{output}");
        }
        finally
        {
            File.Delete(path);
        }
    }

    private sealed record Document(string File, YamlMappingNode Root);

    private static IEnumerable<Document> Documents()
    {
        foreach (var file in Directory.GetFiles(Repository.PathOf("deploy/k8s"), "*.yaml").Order(StringComparer.Ordinal))
        {
            var stream = new YamlStream();
            using var reader = new StreamReader(file);
            stream.Load(reader);
            foreach (var document in stream.Documents)
            {
                yield return new Document(Path.GetFileName(file), Assert.IsType<YamlMappingNode>(document.RootNode));
            }
        }
    }

    private static YamlMappingNode Single(string kind) => Assert.Single(Documents(), d => Text(d.Root, "kind") == kind).Root;

    private static YamlMappingNode Container(YamlMappingNode deployment)
        => (YamlMappingNode)Assert.Single(Sequence(deployment, "spec", "template", "spec", "containers"));

    private static JsonNode EdgeJson() => JsonNode.Parse(Text(Single("ConfigMap"), "data", "edge.json")!, documentOptions: new() { CommentHandling = System.Text.Json.JsonCommentHandling.Skip })!;

    private static Dictionary<string, string> Env(YamlMappingNode container)
        => Sequence(container, "env").ToDictionary(e => Text(e, "name")!, e => Text(e, "value")!);

    /// <summary>A probe's port, by number or by the name of a container port.</summary>
    private static int ProbePort(YamlMappingNode container, string probe)
    {
        var port = Text(container, probe, "httpGet", "port")!;
        if (int.TryParse(port, out var number))
        {
            return number;
        }

        return int.Parse(Text(Sequence(container, "ports").Single(p => Text(p, "name") == port), "containerPort")!, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static YamlNode? Node(YamlNode node, params string[] path)
    {
        var current = node;
        foreach (var key in path)
        {
            if (current is not YamlMappingNode mapping || !mapping.Children.TryGetValue(new YamlScalarNode(key), out var next))
            {
                return null;
            }

            current = next;
        }

        return current;
    }

    private static string? Text(YamlNode node, params string[] path) => (Node(node, path) as YamlScalarNode)?.Value;

    private static IEnumerable<YamlMappingNode> Sequence(YamlNode node, params string[] path)
        => (Node(node, path) as YamlSequenceNode)?.Children.Cast<YamlMappingNode>() ?? [];
}
