using System.Text.Json;
using System.Text.Json.Nodes;

namespace Edge.Testing;

/// <summary>
/// An edge config file in its own temp folder, written the ways real operators write it:
/// in place (editor save), by atomic rename, or by a Kubernetes ConfigMap symlink swap.
/// </summary>
public sealed partial class EdgeConfigFile : IDisposable
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
    private int _generation;

    public EdgeConfigFile(JsonObject config)
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("edge-test-").FullName;
        Path = System.IO.Path.Combine(Directory, "edge.json");
        Write(config);
    }

    public string Directory { get; }

    public string Path { get; }

    /// <summary>
    /// A config with both listeners on dynamic loopback ports, a short drain and a fast file poll,
    /// and one catch-all route to a cluster of the given origins (round robin).
    /// </summary>
    public static JsonObject Config(params OriginServer[] origins)
        => Config(origins.Select(o => (o.Name, o.Url)).ToArray());

    /// <summary>The same, with destinations given by id and address.</summary>
    public static JsonObject Config(params (string Id, Uri Address)[] destinationList)
    {
        var destinations = new JsonObject();
        foreach (var (id, address) in destinationList)
        {
            destinations[id] = new JsonObject { ["Address"] = address.ToString() };
        }

        return new JsonObject
        {
            ["ReverseProxy"] = new JsonObject
            {
                ["Routes"] = new JsonObject
                {
                    ["all"] = new JsonObject
                    {
                        ["ClusterId"] = "main",
                        ["Match"] = new JsonObject { ["Path"] = "/{**catchall}" },
                    },
                },
                ["Clusters"] = new JsonObject
                {
                    ["main"] = new JsonObject
                    {
                        ["LoadBalancingPolicy"] = "RoundRobin",
                        ["Destinations"] = destinations,
                    },
                },
            },
            ["Edge"] = new JsonObject
            {
                ["Listeners"] = new JsonObject { ["Public"] = "http://127.0.0.1:0", ["Admin"] = "http://127.0.0.1:0" },
                ["Shutdown"] = new JsonObject { ["DrainDelay"] = "00:00:00.500", ["Timeout"] = "00:00:10" },
                ["Reload"] = new JsonObject { ["PollInterval"] = "00:00:00.200" },
            },
        };
    }

    /// <summary>
    /// The same-origin pattern: <c>/backend/{**rest}</c> to cluster 'api' with the prefix stripped,
    /// <c>X-Forwarded-Prefix</c> set and the prefix put back on Location and Set-Cookie paths;
    /// everything else to cluster 'web'.
    /// </summary>
    public static JsonObject Backend(OriginServer web, OriginServer api) => Backend((web.Name, web.Url), (api.Name, api.Url));

    /// <summary>The same, with the frontend and API origins given by id and address.</summary>
    public static JsonObject Backend((string Id, Uri Address) web, (string Id, Uri Address) api)
    {
        var config = Config(web);
        config["ReverseProxy"]!["Clusters"]!["web"] = config["ReverseProxy"]!["Clusters"]!["main"]!.DeepClone();
        config["ReverseProxy"]!["Clusters"]!.AsObject().Remove("main");
        config["ReverseProxy"]!["Clusters"]!["api"] = Config(api)["ReverseProxy"]!["Clusters"]!["main"]!.DeepClone();
        config["ReverseProxy"]!["Routes"] = new JsonObject
        {
            ["backend"] = new JsonObject
            {
                ["ClusterId"] = "api",
                ["Match"] = new JsonObject { ["Path"] = "/backend/{**rest}" },
                ["Transforms"] = new JsonArray
                {
                    new JsonObject { ["PathRemovePrefix"] = "/backend" },
                    // YARP's own X-Forwarded-Prefix is the request's PathBase (empty here), so it is turned off and the prefix set instead.
                    new JsonObject { ["X-Forwarded"] = "Set", ["Prefix"] = "Off" },
                    new JsonObject { ["RequestHeader"] = "X-Forwarded-Prefix", ["Set"] = "/backend" },
                    new JsonObject { ["ResponsePathPrefix"] = "/backend" },
                },
            },
            ["frontend"] = new JsonObject
            {
                ["ClusterId"] = "web",
                ["Match"] = new JsonObject { ["Path"] = "/{**catchall}" },
            },
        };
        return config;
    }

    /// <summary>A copy of the config whose cluster 'main' has exactly these destinations.</summary>
    public static JsonObject WithDestinations(JsonObject config, params OriginServer[] origins)
    {
        var copy = config.DeepClone().AsObject();
        copy["ReverseProxy"]!["Clusters"]!["main"]!["Destinations"] = Config(origins)["ReverseProxy"]!["Clusters"]!["main"]!["Destinations"]!.DeepClone();
        return copy;
    }

    /// <summary>Rewrites the file in place, as an editor's save does.</summary>
    public void Write(JsonObject config) => File.WriteAllText(Path, config.ToJsonString(Indented));

    public void WriteText(string text) => File.WriteAllText(Path, text);

    /// <summary>Writes a temp file beside it and renames it over the config, as atomic writers do.</summary>
    public void WriteByRename(JsonObject config)
    {
        var temp = Path + $".tmp{Interlocked.Increment(ref _generation)}";
        File.WriteAllText(temp, config.ToJsonString(Indented));
        File.Move(temp, Path, overwrite: true);
    }

    /// <summary>Points a symlink at a new target atomically (rename over it), as the kubelet swaps a ConfigMap's '..data'.</summary>
    public static void SwapSymlink(string link, string newTarget)
    {
        var temp = link + "_tmp";
        File.CreateSymbolicLink(temp, newTarget);
        if (rename(temp, link) != 0)
        {
            throw new IOException($"rename({temp}, {link}) failed: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
        }
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
    }

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "rename", SetLastError = true, StringMarshalling = System.Runtime.InteropServices.StringMarshalling.Utf8)]
    private static partial int rename(string from, string to);
}
