using System.Text;
using Edge.Config;
using Yarp.ReverseProxy.Configuration;

namespace Edge.Proxy.Tests.TestSupport;

/// <summary>Snapshots built by the real loader, so tests see exactly what a reload applies.</summary>
internal static class TestSnapshots
{
    /// <summary>Built once: building YARP's service provider is the slow part of a load.</summary>
    private static readonly IConfigValidator Validator = YarpServices.CreateStandaloneValidator();

    private static readonly Dictionary<string, string> NoEnvironment = [];

    public static async Task<EdgeConfigSnapshot> LoadAsync(string json)
    {
        var loader = new EdgeConfigLoader(Validator, TimeProvider.System);
        var result = await loader.LoadAsync(Encoding.UTF8.GetBytes(json), "test.json", NoEnvironment);
        if (result.Snapshot is null)
        {
            Assert.Fail("Expected a valid config, got errors:\n" + string.Join('\n', result.Errors.Select(e => $"  [{e.Path}] {e.Message}")));
        }

        return result.Snapshot;
    }
}
