using System.Text;
using System.Text.Json.Nodes;
using Yarp.ReverseProxy.Configuration;

namespace Edge.Config.Tests.TestSupport;

/// <summary>A valid base config, fragments merged into it, and a loader sharing one YARP validator.</summary>
internal static class TestConfig
{
    /// <summary>Built once for the whole assembly: building YARP's service provider is the slow part of a load.</summary>
    public static readonly IConfigValidator Validator = YarpServices.CreateStandaloneValidator();

    public static readonly IReadOnlyDictionary<string, string> NoEnvironment = new Dictionary<string, string>();

    /// <summary>Two routes, two clusters, explicit listeners: valid as it stands.</summary>
    public const string Base = """
        {
          "ReverseProxy": {
            "Routes": {
              "api": { "ClusterId": "api", "Match": { "Path": "/api/{**rest}" } },
              "web": { "ClusterId": "web", "Match": { "Path": "/{**catchall}" } }
            },
            "Clusters": {
              "api": { "Destinations": { "api-1": { "Address": "http://10.0.0.1:8080/" } } },
              "web": { "Destinations": { "web-1": { "Address": "http://10.0.0.2:8080/" } } }
            }
          },
          "Edge": {
            "Listeners": { "Public": "http://0.0.0.0:8080", "Admin": "http://127.0.0.1:9901" }
          }
        }
        """;

    public static EdgeConfigLoader CreateLoader(TimeProvider? timeProvider = null)
        => new(Validator, timeProvider ?? TimeProvider.System);

    public static Task<LoadResult> LoadAsync(string json, IReadOnlyDictionary<string, string>? environment = null)
        => CreateLoader().LoadAsync(Encoding.UTF8.GetBytes(json), "test.json", environment ?? NoEnvironment);

    /// <summary>Loads <see cref="Base"/> with <paramref name="fragment"/> merged in.</summary>
    public static Task<LoadResult> LoadWithAsync(string fragment, IReadOnlyDictionary<string, string>? environment = null)
        => LoadAsync(With(fragment), environment);

    /// <summary>
    /// Deep-merges a JSON fragment into <see cref="Base"/>: objects merge key by key, any other value
    /// replaces, and <c>null</c> removes the key.
    /// </summary>
    public static string With(string fragment) => Merge(Base, fragment);

    public static string Merge(string baseJson, string fragment)
    {
        var root = JsonNode.Parse(baseJson)!.AsObject();
        MergeInto(root, JsonNode.Parse(fragment)!.AsObject());
        return root.ToJsonString();
    }

    public static EdgeConfigSnapshot AssertValid(LoadResult result)
    {
        if (result.Snapshot is null)
        {
            Assert.Fail($"Expected a valid config, got errors:\n{Describe(result.Errors)}");
        }

        Assert.Empty(result.Errors);
        return result.Snapshot;
    }

    /// <summary>Asserts the load failed with one error whose message holds every one of <paramref name="expected"/>.</summary>
    public static void AssertError(LoadResult result, params string[] expected)
    {
        Assert.Null(result.Snapshot);
        Assert.False(result.Succeeded);
        if (!result.Errors.Any(e => expected.All(s => e.Message.Contains(s, StringComparison.Ordinal))))
        {
            Assert.Fail($"No error holds all of [{string.Join(" | ", expected)}]. Errors:\n{Describe(result.Errors)}");
        }
    }

    public static string Describe(IEnumerable<Edge.Config.Validation.ConfigError> errors)
        => string.Join('\n', errors.Select(e => $"  [{e.Path}] {e.Message}"));

    private static void MergeInto(JsonObject target, JsonObject patch)
    {
        foreach (var (key, value) in patch.ToList())
        {
            if (value is null)
            {
                target.Remove(key);
            }
            else if (value is JsonObject patchObject && target[key] is JsonObject targetObject)
            {
                MergeInto(targetObject, patchObject);
            }
            else
            {
                target[key] = value.DeepClone();
            }
        }
    }
}
