namespace Edge.Testing;

/// <summary>The checkout the tests were built from, for tests of files that ship beside the code (deploy/, config/).</summary>
public static class Repository
{
    public static string Root { get; } = Find();

    public static string PathOf(string relative) => Path.Combine(Root, relative);

    private static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Edge.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No Edge.sln above {AppContext.BaseDirectory}.");
    }
}
