using System.Globalization;
using System.Text;

namespace Edge.Testing;

/// <summary>One sample line of a Prometheus text exposition.</summary>
public sealed record PrometheusSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>
/// A scrape of the edge's <c>/metrics</c>, parsed the way Prometheus reads the text format 0.0.4
/// (escaped label values included), plus <c>promtool check metrics</c> for a second opinion.
/// </summary>
public sealed class PrometheusScrape
{
    private PrometheusScrape(string text, string? contentType, List<PrometheusSample> samples, List<(string Kind, string Family, string Text)> comments)
    {
        Text = text;
        ContentType = contentType;
        Samples = samples;
        Comments = comments;
    }

    public string Text { get; }

    public string? ContentType { get; }

    public IReadOnlyList<PrometheusSample> Samples { get; }

    /// <summary>Every <c># HELP</c> and <c># TYPE</c> line: its kind, the family it names, and the rest of the line.</summary>
    public IReadOnlyList<(string Kind, string Family, string Text)> Comments { get; }

    public static async Task<PrometheusScrape> FetchAsync(HttpClient admin)
    {
        using var response = await admin.GetAsync("/metrics");
        response.EnsureSuccessStatusCode();
        var text = await response.Content.ReadAsStringAsync();
        return Parse(text, response.Content.Headers.ContentType?.ToString());
    }

    /// <summary>The family's <c># TYPE</c>, or null when it has none.</summary>
    public string? TypeOf(string family)
        => Comments.Where(c => c.Kind == "TYPE" && c.Family == family).Select(c => c.Text).FirstOrDefault();

    /// <summary>The samples of this exact name (for a histogram: <c>x_bucket</c>, <c>x_sum</c>, <c>x_count</c>).</summary>
    public IEnumerable<PrometheusSample> Series(string name) => Samples.Where(s => s.Name == name);

    /// <summary>The value of the one sample with this name and exactly these labels, or null when there is none.</summary>
    public double? Value(string name, params (string Name, string Value)[] labels)
    {
        var matches = Series(name).Where(s => s.Labels.Count == labels.Length && labels.All(l => s.Labels.TryGetValue(l.Name, out var v) && v == l.Value)).ToList();
        return matches.Count switch
        {
            0 => null,
            1 => matches[0].Value,
            _ => throw new InvalidOperationException($"{matches.Count} samples of {name} have the labels {string.Join(",", labels)}."),
        };
    }

    public static PrometheusScrape Parse(string text, string? contentType = null)
    {
        var samples = new List<PrometheusSample>();
        var comments = new List<(string, string, string)>();
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0)
            {
                continue;
            }

            if (line.StartsWith("# HELP ", StringComparison.Ordinal) || line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ', 4);
                comments.Add((parts[1], parts[2], parts.Length > 3 ? parts[3] : string.Empty));
                continue;
            }

            if (line.StartsWith('#'))
            {
                continue;
            }

            samples.Add(ParseSample(line));
        }

        return new PrometheusScrape(text, contentType, samples, comments);
    }

    /// <summary>Runs <c>promtool check metrics</c> on the text.</summary>
    public Task<(int ExitCode, string Output)> PromtoolCheckAsync() => Promtool.RunAsync(["check", "metrics"], Text);

    private static PrometheusSample ParseSample(string line)
    {
        var i = 0;
        while (i < line.Length && line[i] != '{' && line[i] != ' ')
        {
            i++;
        }

        var name = line[..i];
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (line[i] != '}')
            {
                var equals = line.IndexOf('=', i);
                var label = line[i..equals];
                i = equals + 1;
                if (line[i] != '"')
                {
                    throw new FormatException($"Label {label} has no opening quote: {line}");
                }

                i++;
                var value = new StringBuilder();
                while (line[i] != '"')
                {
                    if (line[i] == '\\')
                    {
                        i++;
                        value.Append(line[i] switch
                        {
                            'n' => '\n',
                            '\\' => '\\',
                            '"' => '"',
                            var other => throw new FormatException($"Bad escape \\{other} in {line}"),
                        });
                    }
                    else
                    {
                        value.Append(line[i]);
                    }

                    i++;
                }

                if (!labels.TryAdd(label, value.ToString()))
                {
                    throw new FormatException($"Label {label} appears twice: {line}");
                }

                i++;
                if (line[i] == ',')
                {
                    i++;
                }
            }

            i++;
        }

        var number = line[(i + 1)..].Split(' ')[0];
        var parsed = number switch
        {
            "+Inf" => double.PositiveInfinity,
            "-Inf" => double.NegativeInfinity,
            "NaN" => double.NaN,
            _ => double.Parse(number, NumberStyles.Float, CultureInfo.InvariantCulture),
        };
        return new PrometheusSample(name, labels, parsed);
    }
}
