using System.Collections;

namespace Edge.Config.Sources;

/// <summary>
/// Environment variables that override config keys, with ASP.NET Core's convention: <c>__</c> is the
/// separator (<c>Edge__Listeners__Public</c> is <c>Edge:Listeners:Public</c>). Only the
/// <c>ReverseProxy</c> and <c>Edge</c> sections are read, so unrelated variables never leak in.
/// </summary>
public static class EnvironmentSource
{
    private static readonly string[] Sections = ["ReverseProxy", "Edge"];

    public static IReadOnlyDictionary<string, string> Current()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            result[(string)entry.Key] = entry.Value as string ?? string.Empty;
        }

        return result;
    }

    /// <summary>The config keys set by the environment, each with the variable that set it.</summary>
    public static IEnumerable<(string Key, string Value, string Variable)> Overrides(IReadOnlyDictionary<string, string> environment)
    {
        foreach (var (variable, value) in environment)
        {
            var key = variable.Replace("__", ":", StringComparison.Ordinal);
            foreach (var section in Sections)
            {
                if (key.StartsWith(section + ":", StringComparison.OrdinalIgnoreCase))
                {
                    yield return (key, value, variable);
                }
            }
        }
    }
}
