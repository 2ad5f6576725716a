using System.Text;

namespace Edge.Proxy.Observability;

/// <summary>
/// Turns OpenTelemetry instrument names, units and attribute keys into Prometheus names the way
/// OpenTelemetry's Prometheus compatibility rules do: characters Prometheus does not allow become
/// <c>_</c> (<c>http.client.request.duration</c> to <c>http_client_request_duration</c>), the
/// unit becomes a suffix (<c>s</c> to <c>_seconds</c>, <c>By</c> to <c>_bytes</c>; annotations
/// such as <c>{connection}</c> are dropped), and counters end in <c>_total</c>. A gauge whose
/// name would end in <c>_count</c>, <c>_sum</c> or <c>_bucket</c> gets <c>_value</c> appended
/// (<c>dotnet.timer.count</c> to <c>dotnet_timer_count_value</c>). A name that already has its
/// suffixes (the edge's own) comes out unchanged.
/// </summary>
internal static class PrometheusNames
{
    private const string Total = "_total";
    private static readonly string[] HistogramSuffixes = ["_count", "_sum", "_bucket"];

    public static string Metric(string name, string? unit, MetricKind kind)
    {
        var result = Sanitize(name, allowColon: true);
        if (kind == MetricKind.Counter && result.EndsWith(Total, StringComparison.Ordinal) && result.Length > Total.Length)
        {
            result = result[..^Total.Length];
        }

        var suffix = UnitSuffix(unit, kind);
        if (suffix.Length > 0 && !result.EndsWith("_" + suffix, StringComparison.Ordinal))
        {
            result += "_" + suffix;
        }

        if (kind == MetricKind.Counter)
        {
            return result + Total;
        }

        // Prometheus keeps these suffixes for histogram series: a gauge such as dotnet.timer.count
        // would read as part of a histogram named dotnet_timer.
        return kind == MetricKind.Gauge && HistogramSuffixes.Any(s => result.EndsWith(s, StringComparison.Ordinal)) ? result + "_value" : result;
    }

    public static string Label(string key) => Sanitize(key, allowColon: false);

    /// <summary>The unit as Prometheus spells it in a name: <c>s</c> is <c>seconds</c>, <c>By/s</c> is <c>bytes_per_second</c>, <c>{request}</c> is nothing.</summary>
    public static string UnitSuffix(string? unit, MetricKind kind)
    {
        if (string.IsNullOrWhiteSpace(unit))
        {
            return string.Empty;
        }

        var plain = new StringBuilder(unit.Length);
        var depth = 0;
        foreach (var c in unit)
        {
            depth += c == '{' ? 1 : c == '}' ? -1 : 0;
            if (depth == 0 && c != '}')
            {
                plain.Append(c);
            }
        }

        var text = plain.ToString().Trim();
        if (text == "1")
        {
            return kind == MetricKind.Gauge ? "ratio" : string.Empty;
        }

        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            return Word(text);
        }

        var per = text[(slash + 1)..] switch
        {
            "s" => "second",
            "min" => "minute",
            "h" => "hour",
            "d" => "day",
            var other => Word(other),
        };
        var of = Word(text[..slash]);
        return per.Length == 0 ? of : of.Length == 0 ? "per_" + per : of + "_per_" + per;
    }

    private static string Word(string unit) => unit switch
    {
        "d" => "days",
        "h" => "hours",
        "min" => "minutes",
        "s" => "seconds",
        "ms" => "milliseconds",
        "us" => "microseconds",
        "ns" => "nanoseconds",
        "By" => "bytes",
        "KiBy" => "kibibytes",
        "MiBy" => "mebibytes",
        "GiBy" => "gibibytes",
        "KBy" => "kilobytes",
        "MBy" => "megabytes",
        "GBy" => "gigabytes",
        "bit" => "bits",
        "Hz" => "hertz",
        "%" => "percent",
        _ => Sanitize(unit, allowColon: false).Trim('_'),
    };

    /// <summary>Anything outside <c>[a-zA-Z0-9_]</c> (and <c>:</c> in metric names) becomes <c>_</c>; runs of <c>_</c> become one; no leading digit.</summary>
    private static string Sanitize(string name, bool allowColon)
    {
        var text = new StringBuilder(name.Length + 1);
        foreach (var c in name)
        {
            var ok = char.IsAsciiLetterOrDigit(c) || c == '_' || (allowColon && c == ':');
            var next = ok ? c : '_';
            if (next == '_' && text.Length > 0 && text[^1] == '_')
            {
                continue;
            }

            text.Append(next);
        }

        if (text.Length == 0 || char.IsAsciiDigit(text[0]))
        {
            text.Insert(0, '_');
        }

        return text.ToString();
    }
}
