using System.Collections.Frozen;
using System.Diagnostics;
using System.Text;
using Edge.Config.Model;
using Serilog.Events;

namespace Edge.Proxy.Observability;

/// <summary>
/// One structured line per proxied request: route, cluster, destination, method, path (no query
/// string unless asked, and then with secret values replaced), status, duration, declared bytes
/// in and out, client address, trace id and the reason the edge refused it, if it did. Settings
/// are swapped whole on reload. Credentials (Authorization, Proxy-Authorization, Cookie,
/// Set-Cookie and the configured <c>RedactHeaders</c>) are never read into a log event.
/// </summary>
internal sealed class RequestLog(EdgeLogging logging)
{
    private const string LineTemplate =
        "{Method} {Path} {Status} in {DurationMs} ms (route {Route}, cluster {Cluster}, destination {Destination})";

    private static readonly object RejectionKey = new();

    private volatile Settings _settings = Settings.From(new LoggingOptions());

    public void Apply(LoggingOptions options) => _settings = Settings.From(options);

    /// <summary>Marks a request the edge refused, so its line says why.</summary>
    public static void MarkRejected(HttpContext context, string reason) => context.Items[RejectionKey] = reason;

    public void Write(HttpContext context, string route, string cluster, string destination, int status, double seconds)
    {
        var settings = _settings;
        if (!settings.Enabled || !logging.Logger.IsEnabled(settings.Level))
        {
            return;
        }

        string? rejection = null;
        if (context.Items.Count != 0 && context.Items.TryGetValue(RejectionKey, out var reason))
        {
            rejection = reason as string;
        }

        if (settings.Sampling < 1 && status < 500 && rejection is null && Random.Shared.NextDouble() >= settings.Sampling)
        {
            return;
        }

        var request = context.Request;
        var count = Fixed + (rejection is null ? 0 : 1) + settings.Headers.Count;
        var properties = new LogEventProperty[count];
        properties[0] = Names.Method.Get(request.Method);
        properties[1] = new("Path", new ScalarValue(settings.IncludeQueryString && request.QueryString.HasValue ? request.Path.Value + Redact(request.QueryString.Value!, settings) : request.Path.Value));
        properties[2] = Status(status);
        properties[3] = new("DurationMs", new ScalarValue(Math.Round(seconds * 1000, 3)));
        properties[4] = Names.Route.Get(route);
        properties[5] = Names.Cluster.Get(cluster);
        properties[6] = Names.Destination.Get(destination);
        properties[7] = request.ContentLength is { } bytesIn ? new("BytesIn", new ScalarValue(bytesIn)) : NoBytesIn;
        properties[8] = context.Response.ContentLength is { } bytesOut ? new("BytesOut", new ScalarValue(bytesOut)) : NoBytesOut;
        properties[9] = new("ClientIp", new ScalarValue(context.Connection.RemoteIpAddress?.ToString()));
        properties[10] = new("TraceId", new ScalarValue(Activity.Current is { } activity && activity.TraceId != default ? activity.TraceId.ToHexString() : context.TraceIdentifier));
        properties[11] = SourceContext;
        var next = Fixed;
        if (rejection is not null)
        {
            properties[next++] = Names.Rejection.Get(rejection);
        }

        foreach (var (header, property) in settings.Headers)
        {
            if (request.Headers.TryGetValue(header, out var value))
            {
                properties[next++] = new LogEventProperty(property, new ScalarValue(value.ToString()));
            }
        }

        if (next < properties.Length)
        {
            // A configured header the request did not carry: its property is left out, not null.
            Array.Resize(ref properties, next);
        }

        logging.WriteRequestLine(new LogEvent(DateTimeOffset.UtcNow, settings.Level, null, settings.Template, properties));
    }

    /// <summary>Properties always present, in this order: Method to SourceContext.</summary>
    private const int Fixed = 12;

    private static readonly LogEventProperty SourceContext = new("SourceContext", new ScalarValue("Edge.Requests"));
    private static readonly LogEventProperty NoBytesIn = new("BytesIn", new ScalarValue(null));
    private static readonly LogEventProperty NoBytesOut = new("BytesOut", new ScalarValue(null));
    private static readonly LogEventProperty[] Statuses = new LogEventProperty[600];

    private static LogEventProperty Status(int status)
    {
        if ((uint)status >= (uint)Statuses.Length)
        {
            return new LogEventProperty("Status", new ScalarValue(status));
        }

        // A benign race: two threads may both create the same immutable property.
        return Statuses[status] ??= new LogEventProperty("Status", new ScalarValue(status));
    }

    /// <summary>
    /// Reused properties for values from a small set: config ids, methods, rejection reasons. A
    /// property is immutable, so one instance serves every line with that value. Clients choose
    /// methods, so each cache stops growing at <see cref="PropertyCache.Limit"/> entries and then
    /// creates properties per line.
    /// </summary>
    private static class Names
    {
        public static readonly PropertyCache Method = new("Method");
        public static readonly PropertyCache Route = new("Route");
        public static readonly PropertyCache Cluster = new("Cluster");
        public static readonly PropertyCache Destination = new("Destination");
        public static readonly PropertyCache Rejection = new("Rejection");
    }

    internal sealed class PropertyCache(string name)
    {
        public const int Limit = 256;

        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, LogEventProperty> _values = new(StringComparer.Ordinal);

        public int Count => _values.Count;

        public LogEventProperty Get(string value)
        {
            if (_values.TryGetValue(value, out var property))
            {
                return property;
            }

            property = new LogEventProperty(name, new ScalarValue(value));
            return _values.Count < Limit ? _values.GetOrAdd(value, property) : property;
        }
    }

    /// <summary>The query string with the values of secret keys replaced.</summary>
    internal static string Redact(string query, Settings settings)
    {
        if (settings.RedactQueryKeys.Count == 0)
        {
            return query;
        }

        var result = new StringBuilder(query.Length);
        var pairs = query.TrimStart('?').Split('&');
        for (var i = 0; i < pairs.Length; i++)
        {
            result.Append(i == 0 ? '?' : '&');
            var pair = pairs[i];
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Uri.UnescapeDataString(equals < 0 ? pair : pair[..equals]);
            result.Append(equals >= 0 && settings.RedactQueryKeys.Contains(key) ? pair[..equals] + "=REDACTED" : pair);
        }

        return result.ToString();
    }

    internal sealed record Settings(
        bool Enabled,
        LogEventLevel Level,
        double Sampling,
        bool IncludeQueryString,
        FrozenSet<string> RedactQueryKeys,
        IReadOnlyList<(string Header, string Property)> Headers,
        Serilog.Events.MessageTemplate Template)
    {
        private static readonly Serilog.Events.MessageTemplate Parsed = new Serilog.Parsing.MessageTemplateParser().Parse(LineTemplate);

        public static Settings From(LoggingOptions options)
        {
            var secrets = LoggingOptions.SecretHeaders.Concat(options.RedactHeaders).ToHashSet(StringComparer.OrdinalIgnoreCase);
            var headers = options.RequestHeaders
                .Where(h => !secrets.Contains(h))
                .Select(h => (h, "Header_" + new string(h.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray())))
                .ToList();
            return new Settings(
                options.RequestLogs,
                EdgeLogging.ParseLevel(options.RequestLogLevel),
                options.RequestLogSampling,
                options.IncludeQueryString,
                options.RedactQueryKeys.ToFrozenSet(StringComparer.OrdinalIgnoreCase),
                headers,
                Parsed);
        }
    }
}
