using System.Globalization;
using System.Text;

namespace Edge.Proxy.Observability;

/// <summary>The three Prometheus metric types the edge exposes.</summary>
internal enum MetricKind
{
    Counter,
    Gauge,
    Histogram,
}

/// <summary>One metric family: a name, its type and help, and one sample (series) per label set.</summary>
internal sealed record MetricFamily(string Name, MetricKind Kind, string Help, IReadOnlyList<MetricSample> Samples);

/// <summary>
/// One series. Counters and gauges use <see cref="Value"/>; histograms use <see cref="Histogram"/>.
/// Labels are in any order; the writer sorts them.
/// </summary>
internal sealed record MetricSample(IReadOnlyList<KeyValuePair<string, string>> Labels, double Value, HistogramData? Histogram = null);

/// <summary>
/// A histogram's state. <see cref="Counts"/> holds one count per bucket, not cumulative:
/// <c>Counts[i]</c> observations fell in (<c>Bounds[i-1]</c>, <c>Bounds[i]</c>], and the last one,
/// <c>Counts[Bounds.Count]</c>, above the last bound. The total count is their sum, so the
/// <c>+Inf</c> bucket and <c>_count</c> agree by construction.
/// </summary>
internal sealed record HistogramData(IReadOnlyList<double> Bounds, IReadOnlyList<long> Counts, double Sum);

/// <summary>
/// Writes the Prometheus text exposition format 0.0.4: one <c># HELP</c> and <c># TYPE</c> per
/// family, families by name, series by their sorted labels, histograms as cumulative
/// <c>_bucket{le=...}</c> ending with <c>le="+Inf"</c>, then <c>_sum</c> and <c>_count</c>.
/// The same state always gives the same text.
/// </summary>
internal static class PrometheusText
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    public static string Write(IEnumerable<MetricFamily> families)
    {
        var text = new StringBuilder(16 * 1024);
        Write(text, families);
        return text.ToString();
    }

    public static void Write(StringBuilder text, IEnumerable<MetricFamily> families)
    {
        foreach (var family in families.OrderBy(f => f.Name, StringComparer.Ordinal))
        {
            text.Append("# HELP ").Append(family.Name).Append(' ');
            AppendEscaped(text, family.Help, escapeQuotes: false);
            text.Append('\n');
            text.Append("# TYPE ").Append(family.Name).Append(' ').Append(TypeName(family.Kind)).Append('\n');

            var samples = family.Samples
                .Select(s => (Labels: s.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).ToArray(), Sample: s))
                .OrderBy(s => s.Labels, LabelSetComparer.Instance);
            foreach (var (labels, sample) in samples)
            {
                if (family.Kind == MetricKind.Histogram && sample.Histogram is { } histogram)
                {
                    AppendHistogram(text, family.Name, labels, histogram);
                }
                else
                {
                    AppendSample(text, family.Name, labels, null, sample.Value);
                }
            }
        }
    }

    /// <summary>A label value as it goes between the quotes: backslash, double quote and newline escaped.</summary>
    public static string EscapeLabelValue(string value)
    {
        var text = new StringBuilder(value.Length + 8);
        AppendEscaped(text, value, escapeQuotes: true);
        return text.ToString();
    }

    /// <summary>A sample value or a bucket bound: shortest round-trip form, <c>+Inf</c>, <c>-Inf</c> or <c>NaN</c>.</summary>
    public static string FormatValue(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        double.NaN => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    private static void AppendHistogram(StringBuilder text, string name, KeyValuePair<string, string>[] labels, HistogramData histogram)
    {
        var bucket = name + "_bucket";
        long cumulative = 0;
        for (var i = 0; i < histogram.Bounds.Count; i++)
        {
            cumulative += histogram.Counts[i];
            AppendSample(text, bucket, labels, FormatValue(histogram.Bounds[i]), cumulative);
        }

        cumulative += histogram.Counts[histogram.Bounds.Count];
        AppendSample(text, bucket, labels, "+Inf", cumulative);
        AppendSample(text, name + "_sum", labels, null, histogram.Sum);
        AppendSample(text, name + "_count", labels, null, cumulative);
    }

    private static void AppendSample(StringBuilder text, string name, KeyValuePair<string, string>[] labels, string? le, double value)
    {
        text.Append(name);
        if (labels.Length > 0 || le is not null)
        {
            text.Append('{');
            var first = true;
            foreach (var (key, labelValue) in labels)
            {
                if (!first)
                {
                    text.Append(',');
                }

                first = false;
                text.Append(key).Append("=\"");
                AppendEscaped(text, labelValue, escapeQuotes: true);
                text.Append('"');
            }

            if (le is not null)
            {
                text.Append(first ? string.Empty : ",").Append("le=\"").Append(le).Append('"');
            }

            text.Append('}');
        }

        text.Append(' ').Append(FormatValue(value)).Append('\n');
    }

    // HELP text escapes backslash and newline; label values also escape the double quote.
    private static void AppendEscaped(StringBuilder text, string value, bool escapeQuotes)
    {
        foreach (var c in value)
        {
            switch (c)
            {
                case '\\':
                    text.Append("\\\\");
                    break;
                case '\n':
                    text.Append("\\n");
                    break;
                case '"' when escapeQuotes:
                    text.Append("\\\"");
                    break;
                default:
                    text.Append(c);
                    break;
            }
        }
    }

    private static string TypeName(MetricKind kind) => kind switch
    {
        MetricKind.Counter => "counter",
        MetricKind.Gauge => "gauge",
        _ => "histogram",
    };

    /// <summary>Orders label sets by each label's name, then value, ordinally.</summary>
    private sealed class LabelSetComparer : IComparer<KeyValuePair<string, string>[]>
    {
        public static readonly LabelSetComparer Instance = new();

        public int Compare(KeyValuePair<string, string>[]? x, KeyValuePair<string, string>[]? y)
        {
            x ??= [];
            y ??= [];
            for (var i = 0; i < Math.Min(x.Length, y.Length); i++)
            {
                var byName = string.CompareOrdinal(x[i].Key, y[i].Key);
                if (byName != 0)
                {
                    return byName;
                }

                var byValue = string.CompareOrdinal(x[i].Value, y[i].Value);
                if (byValue != 0)
                {
                    return byValue;
                }
            }

            return x.Length.CompareTo(y.Length);
        }
    }
}
