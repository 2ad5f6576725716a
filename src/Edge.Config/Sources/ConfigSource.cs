namespace Edge.Config.Sources;

/// <summary>
/// Where the config file comes from: <c>--config PATH</c>, else <c>EDGE_CONFIG</c>, else
/// <c>./edge.json</c>, else the default config embedded in the program (the demo).
/// </summary>
public sealed class ConfigSource
{
    public const string EnvironmentVariable = "EDGE_CONFIG";
    public const string DefaultFileName = "edge.json";
    private const string EmbeddedName = "Edge.DefaultConfig.json";

    private ConfigSource(string? path) => Path = path;

    /// <summary>The file's full path, or null for the embedded default config.</summary>
    public string? Path { get; }

    public string Name => Path ?? "embedded default config";

    public static ConfigSource Embedded { get; } = new(null);

    public static ConfigSource File(string path) => new(System.IO.Path.GetFullPath(path));

    public static ConfigSource Resolve(string? commandLinePath, IReadOnlyDictionary<string, string> environment, string currentDirectory)
    {
        if (!string.IsNullOrWhiteSpace(commandLinePath))
        {
            return File(System.IO.Path.Combine(currentDirectory, commandLinePath));
        }

        if (environment.TryGetValue(EnvironmentVariable, out var fromEnvironment) && !string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return File(System.IO.Path.Combine(currentDirectory, fromEnvironment));
        }

        var local = System.IO.Path.Combine(currentDirectory, DefaultFileName);
        return System.IO.File.Exists(local) ? File(local) : Embedded;
    }

    /// <summary>Reads the whole file (following symlinks, so a ConfigMap swap is seen), or null when it is missing.</summary>
    public async Task<byte[]?> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (Path is null)
        {
            return ReadEmbedded();
        }

        try
        {
            return await System.IO.File.ReadAllBytesAsync(Path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    public static byte[] ReadEmbedded()
    {
        using var stream = typeof(ConfigSource).Assembly.GetManifestResourceStream(EmbeddedName)
            ?? throw new InvalidOperationException($"The embedded resource '{EmbeddedName}' is missing from the build.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
