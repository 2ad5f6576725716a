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

    private volatile Settings _settings = Settings.From(new LoggingOptions());

    public void Apply(LoggingOptions options) => _settings = Settings.From(options);

    /// <summary>Marks a request the edge refused, so its line says why.</summary>
    public static void MarkRejected(HttpContext context, string reason) => context.Features.Set(new Rejected(reason));

    /// <summary>
    /// A feature rather than an <c>Items</c> entry: reading <c>HttpContext.Items</c> makes its
    /// dictionary, and every line asks; an absent feature costs a look and nothing else.
    /// </summary>
    private sealed record Rejected(string Reason);

    public void Write(HttpContext context, string route, string cluster, string destination, int status, double seconds)
    {
        var settings = _settings;
        if (!settings.Enabled || !logging.Logger.IsEnabled(settings.Level))
        {
            return;
        }

        var rejection = context.Features.Get<Rejected>()?.Reason;

        if (settings.Sampling < 1 && status < 500 && rejection is null && Random.Shared.NextDouble() >= settings.Sampling)
        {
            return;
        }

        var request = context.Request;
        List<KeyValuePair<string, string>>? headers = null;
        foreach (var (header, property) in settings.Headers)
        {
            if (request.Headers.TryGetValue(header, out var value))
            {
                // A configured header the request did not carry is left out, not null.
                (headers ??= []).Add(new(property, value.ToString()));
            }
        }

        var traceId = Activity.Current?.TraceId ?? default;
        logging.WriteRequestLine(new RequestLine(
            DateTimeOffset.UtcNow,
            settings.Level,
            settings.Template,
            request.Method,
            settings.IncludeQueryString && request.QueryString.HasValue ? request.Path.Value + Redact(request.QueryString.Value!, settings) : request.Path.Value,
            status,
            (long)Math.Round(seconds * 1_000_000),
            route,
            cluster,
            destination,
            request.ContentLength,
            context.Response.ContentLength,
            context.Connection.RemoteIpAddress,
            traceId,
            traceId == default ? context.TraceIdentifier : null,
            rejection,
            headers));
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
        internal static readonly Serilog.Events.MessageTemplate Parsed = new Serilog.Parsing.MessageTemplateParser().Parse(LineTemplate);

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
