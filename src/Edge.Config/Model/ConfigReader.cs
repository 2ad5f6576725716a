using System.Globalization;
using System.Reflection;
using Edge.Config.Validation;
using Microsoft.Extensions.Configuration;

namespace Edge.Config.Model;

/// <summary>
/// Reads a config section into a typed object (YARP's records or Edge's options), driven by the
/// type's public settable properties. Unlike the framework binder it never stops at the first
/// problem and never ignores a key: every unknown key (with a did-you-mean) and every value that
/// does not convert is collected as an error naming its owner.
/// </summary>
internal sealed class ConfigReader(List<ConfigError> errors, Func<string, string> describeSource)
{
    private static readonly string[] BoolValues = ["true", "false"];

    /// <summary>Properties that come from the section's key rather than from a child key.</summary>
    public HashSet<(Type Type, string Name)> KeyProperties { get; } = [];

    public T Read<T>(IConfigurationSection section, string owner)
        where T : class, new()
        => (T?)ReadValue(typeof(T), section, owner, section.Path) ?? new T();

    private object? ReadValue(Type type, IConfigurationSection section, string owner, string basePath)
    {
        var valueType = Nullable.GetUnderlyingType(type) ?? type;
        if (IsLeaf(valueType))
        {
            return ReadLeaf(valueType, section, owner, basePath);
        }

        var hasChildren = section.GetChildren().Any();
        if (!hasChildren)
        {
            if (!string.IsNullOrEmpty(section.Value))
            {
                Fail(section, owner, basePath, $"is '{section.Value}', but it holds {Describe(type)}, not a single value.");
                return null;
            }

            // "Steps": [] is a list with nothing in it, not a missing key, so a rule can refuse it.
            return type.IsArray ? Array.CreateInstance(type.GetElementType()!, 0)
                : TryGetGeneric(type, typeof(IReadOnlyList<>), out var items) || TryGetGeneric(type, typeof(IList<>), out items)
                    ? Activator.CreateInstance(typeof(List<>).MakeGenericType(items[0]))
                    : null;
        }

        if (TryGetGeneric(type, typeof(IReadOnlyDictionary<,>), out var args) || TryGetGeneric(type, typeof(IDictionary<,>), out args))
        {
            return ReadDictionary(args[1], section, owner, basePath);
        }

        if (type.IsArray)
        {
            return ReadList(type.GetElementType()!, section, owner, basePath, asArray: true);
        }

        if (TryGetGeneric(type, typeof(IReadOnlyList<>), out args) || TryGetGeneric(type, typeof(IList<>), out args))
        {
            return ReadList(args[0], section, owner, basePath, asArray: false);
        }

        return ReadObject(type, section, owner, basePath);
    }

    private object ReadObject(Type type, IConfigurationSection section, string owner, string basePath)
    {
        var instance = Activator.CreateInstance(type)!;
        var properties = SettableProperties(type);
        foreach (var child in section.GetChildren())
        {
            var property = properties.FirstOrDefault(p => string.Equals(p.Name, child.Key, StringComparison.OrdinalIgnoreCase));
            if (property is null)
            {
                var names = properties.Select(p => p.Name).ToArray();
                var suggestion = DidYouMean.Suggest(child.Key, names);
                var hint = suggestion is null ? string.Empty : $" Did you mean '{suggestion}'?";
                Fail(child, owner, basePath, $".{hint} Known keys here: {string.Join(", ", names)}.", "unknown key ");
                continue;
            }

            var value = ReadValue(property.PropertyType, child, owner, basePath);
            if (value is not null)
            {
                property.SetValue(instance, value);
            }
        }

        return instance;
    }

    private object ReadDictionary(Type valueType, IConfigurationSection section, string owner, string basePath)
    {
        var dictionary = (System.Collections.IDictionary)Activator.CreateInstance(
            typeof(Dictionary<,>).MakeGenericType(typeof(string), valueType), StringComparer.OrdinalIgnoreCase)!;
        foreach (var child in section.GetChildren())
        {
            var value = ReadValue(valueType, child, owner, basePath);
            if (value is not null)
            {
                dictionary[child.Key] = value;
            }
            else if (!IsLeaf(Nullable.GetUnderlyingType(valueType) ?? valueType) && string.IsNullOrEmpty(child.Value) && !child.GetChildren().Any())
            {
                Fail(child, owner, basePath, "is empty or null. Remove it, or give it its keys.");
            }
        }

        return dictionary;
    }

    private object? ReadList(Type itemType, IConfigurationSection section, string owner, string basePath, bool asArray)
    {
        var list = (System.Collections.IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(itemType))!;
        foreach (var child in section.GetChildren().OrderBy(c => int.TryParse(c.Key, out var i) ? i : int.MaxValue))
        {
            if (!int.TryParse(child.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                Fail(child, owner, basePath, $": '{Relative(section.Path, basePath)}' is a list, so its entries have no names. Write it as a JSON array.", "unknown key ");
                continue;
            }

            var value = ReadValue(itemType, child, owner, basePath);
            if (value is not null)
            {
                list.Add(value);
            }
        }

        if (!asArray)
        {
            return list;
        }

        var array = Array.CreateInstance(itemType, list.Count);
        list.CopyTo(array, 0);
        return array;
    }

    private object? ReadLeaf(Type type, IConfigurationSection section, string owner, string basePath)
    {
        var children = section.GetChildren().ToList();
        if (children.Count > 0)
        {
            // A flags enum may be written as a list of names, as YARP's docs do for SslProtocols.
            if (type.IsEnum && type.IsDefined(typeof(FlagsAttribute)) && children.All(c => c.Value is not null && !c.GetChildren().Any()))
            {
                return ReadLeaf(type, string.Join(",", children.Select(c => c.Value)), section, owner, basePath);
            }

            Fail(section, owner, basePath, $"holds an object or list, but it takes a single value ({Describe(type)}).");
            return null;
        }

        return section.Value is null ? null : ReadLeaf(type, section.Value, section, owner, basePath);
    }

    private object? ReadLeaf(Type type, string raw, IConfigurationSection section, string owner, string basePath)
    {
        if (type == typeof(string))
        {
            return raw;
        }

        var value = raw.Trim();
        object? result = null;
        if (type == typeof(bool))
        {
            result = bool.TryParse(value, out var b) ? b : null;
        }
        else if (type == typeof(int))
        {
            result = int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i : null;
        }
        else if (type == typeof(long))
        {
            result = long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) ? l : null;
        }
        else if (type == typeof(double))
        {
            result = double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : null;
        }
        else if (type == typeof(TimeSpan))
        {
            result = TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out var t) ? t : null;
        }
        else if (type == typeof(Version))
        {
            // YARP's docs write HTTP versions as "1.1" and "2"; Version needs a minor part.
            result = Version.TryParse(value.Contains('.', StringComparison.Ordinal) ? value : value + ".0", out var v) ? v : null;
        }
        else if (type == typeof(Uri))
        {
            result = Uri.TryCreate(value, UriKind.Absolute, out var u) ? u : null;
        }
        else if (type.IsEnum)
        {
            result = ParseEnum(type, value);
        }

        if (result is null)
        {
            Fail(section, owner, basePath, $"is '{raw}', which is not {Describe(type)}.");
        }

        return result;
    }

    private static object? ParseEnum(Type type, string value)
    {
        var parts = value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0 || (parts.Length > 1 && !type.IsDefined(typeof(FlagsAttribute))))
        {
            return null;
        }

        long combined = 0;
        foreach (var part in parts)
        {
            // Names only: a number would parse but says nothing to the next reader of the file.
            var name = Enum.GetNames(type).FirstOrDefault(n => string.Equals(n, part, StringComparison.OrdinalIgnoreCase));
            if (name is null)
            {
                return null;
            }

            combined |= Convert.ToInt64(Enum.Parse(type, name), CultureInfo.InvariantCulture);
        }

        return Enum.ToObject(type, combined);
    }

    private List<PropertyInfo> SettableProperties(Type type)
        => type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.SetMethod is { IsPublic: true } && p.GetIndexParameters().Length == 0 && !KeyProperties.Contains((type, p.Name)))
            .ToList();

    private static bool IsLeaf(Type type)
        => type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(TimeSpan)
           || type == typeof(Version) || type == typeof(Uri) || type == typeof(decimal);

    private static bool TryGetGeneric(Type type, Type definition, out Type[] arguments)
    {
        if (type.IsGenericType && type.GetGenericTypeDefinition() == definition)
        {
            arguments = type.GetGenericArguments();
            return true;
        }

        var match = type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == definition);
        arguments = match?.GetGenericArguments() ?? [];
        return match is not null && !type.IsInterface && type != typeof(string);
    }

    private static string Describe(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(bool))
        {
            return $"a boolean ({string.Join(" or ", BoolValues)})";
        }

        if (type == typeof(int) || type == typeof(long))
        {
            return "a whole number";
        }

        if (type == typeof(double))
        {
            return "a number";
        }

        if (type == typeof(TimeSpan))
        {
            return "a TimeSpan: write 'hh:mm:ss' such as '00:00:30', or 'd.hh:mm:ss'";
        }

        if (type == typeof(Version))
        {
            return "an HTTP version such as '1.1' or '2'";
        }

        if (type == typeof(Uri))
        {
            return "an absolute URL such as 'http://10.0.0.1:8080/'";
        }

        if (type.IsEnum)
        {
            return $"one of: {string.Join(", ", Enum.GetNames(type))}";
        }

        if (TryGetGeneric(type, typeof(IReadOnlyDictionary<,>), out _) || TryGetGeneric(type, typeof(IDictionary<,>), out _))
        {
            return "an object of named entries";
        }

        if (type.IsArray || TryGetGeneric(type, typeof(IReadOnlyList<>), out _) || TryGetGeneric(type, typeof(IList<>), out _))
        {
            return "a list";
        }

        return $"an object with keys {string.Join(", ", type.GetProperties().Where(p => p.SetMethod is { IsPublic: true }).Select(p => p.Name))}";
    }

    /// <summary>Records "Owner: [what]'path' problem", where a problem starting with punctuation follows the path directly.</summary>
    private void Fail(IConfigurationSection section, string owner, string basePath, string problem, string what = "")
    {
        var separator = problem.Length > 0 && char.IsPunctuation(problem[0]) ? string.Empty : " ";
        errors.Add(new ConfigError(section.Path,
            $"{owner}: {what}'{Relative(section.Path, basePath)}'{separator}{problem}{describeSource(section.Path)}"));
    }

    private static string Relative(string path, string basePath)
        => path.Length > basePath.Length && path.StartsWith(basePath, StringComparison.OrdinalIgnoreCase)
            ? path[(basePath.Length + 1)..]
            : path;
}
