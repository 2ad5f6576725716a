using System.Globalization;
using System.Text.Json;
using Edge.Config.Validation;

namespace Edge.Config.Sources;

/// <summary>
/// Turns a JSON document (comments and trailing commas allowed) into configuration keys
/// (<c>A:B:0:C</c>). Unlike the framework's JSON provider it reports every duplicate key
/// instead of stopping at the first, and says where a syntax error is.
/// </summary>
internal static class JsonFlattener
{
    private static readonly JsonDocumentOptions Options = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    public static Dictionary<string, string?> Flatten(ReadOnlyMemory<byte> json, string sourceName, List<ConfigError> errors)
    {
        var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, Options);
        }
        catch (JsonException ex)
        {
            var line = ex.LineNumber is long l ? (l + 1).ToString(CultureInfo.InvariantCulture) : "?";
            var column = ex.BytePositionInLine is long c ? (c + 1).ToString(CultureInfo.InvariantCulture) : "?";
            errors.Add(new ConfigError(sourceName,
                $"{sourceName} is not valid JSON at line {line}, column {column}: {FirstSentence(ex.Message)} Fix the syntax; comments and trailing commas are allowed."));
            return data;
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                errors.Add(new ConfigError(sourceName,
                    $"{sourceName} must hold a JSON object at its top level, with 'ReverseProxy' and 'Edge' sections; it holds a {document.RootElement.ValueKind}."));
                return data;
            }

            Visit(document.RootElement, prefix: null, data, sourceName, errors);
        }

        return data;
    }

    private static void Visit(JsonElement element, string? prefix, Dictionary<string, string?> data, string sourceName, List<ConfigError> errors)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object or JsonValueKind.Array when prefix is not null && IsEmpty(element):
                // Kept as a key, as the framework's provider does, so "Destinations": {} and
                // "Routess": {} are seen (as empty, or as unknown) rather than vanishing.
                data[prefix] = null;
                break;
            case JsonValueKind.Object:
                var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
                foreach (var property in element.EnumerateObject())
                {
                    var key = prefix is null ? property.Name : prefix + ":" + property.Name;
                    if (!seen.Add(property.Name))
                    {
                        errors.Add(new ConfigError(key,
                            $"{sourceName}: '{key}' is defined more than once (keys are case-insensitive). Keep one definition; a duplicate would silently replace the other."));
                        continue;
                    }

                    Visit(property.Value, key, data, sourceName, errors);
                }

                break;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    Visit(item, prefix + ":" + index.ToString(CultureInfo.InvariantCulture), data, sourceName, errors);
                    index++;
                }

                break;
            case JsonValueKind.String:
                data[prefix!] = element.GetString();
                break;
            case JsonValueKind.Null:
                data[prefix!] = null;
                break;
            default:
                data[prefix!] = element.GetRawText();
                break;
        }
    }

    private static bool IsEmpty(JsonElement element)
        => element.ValueKind == JsonValueKind.Object ? !element.EnumerateObject().Any() : element.GetArrayLength() == 0;

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return end < 0 ? message : message[..(end + 1)];
    }
}
