using System.Globalization;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Formatting.Json;
using Serilog.Parsing;

namespace Edge.Proxy.Observability;

/// <summary>
/// The JSON line of Serilog's <see cref="JsonFormatter"/> with its rendered message (Timestamp,
/// Level, MessageTemplate, RenderedMessage, TraceId, SpanId, Properties), written without the
/// intermediate strings and the per-value dispatch for the events that make up nearly all of a
/// busy edge's output: one per request, whose properties are plain strings and numbers and whose
/// template has no formats or alignment. Any other event (structured values, formats, an
/// exception) goes to <see cref="JsonFormatter"/> itself, so both paths print the same JSON.
/// </summary>
internal sealed class EdgeJsonFormatter : ITextFormatter
{
    private readonly JsonFormatter _fallback = new(renderMessage: true);

    public void Format(LogEvent logEvent, TextWriter output)
    {
        if (!IsSimple(logEvent))
        {
            _fallback.Format(logEvent, output);
            return;
        }

        Span<char> scratch = stackalloc char[64];
        output.Write("{\"Timestamp\":\"");
        logEvent.Timestamp.TryFormat(scratch, out var written, "o", CultureInfo.InvariantCulture);
        output.Write(scratch[..written]);
        output.Write("\",\"Level\":\"");
        output.Write(LevelName(logEvent.Level));
        output.Write("\",\"MessageTemplate\":\"");
        WriteEscaped(logEvent.MessageTemplate.Text, output);
        output.Write("\",\"RenderedMessage\":\"");
        foreach (var token in logEvent.MessageTemplate.Tokens)
        {
            if (token is TextToken text)
            {
                WriteEscaped(text.Text, output);
            }
            else if (logEvent.Properties.TryGetValue(((PropertyToken)token).PropertyName, out var value))
            {
                WriteRendered(((ScalarValue)value).Value, output, scratch);
            }
            else
            {
                // Serilog renders a missing property as the token itself.
                WriteEscaped(token.ToString() ?? string.Empty, output);
            }
        }

        output.Write('"');
        if (logEvent.TraceId is { } traceId)
        {
            output.Write(",\"TraceId\":\"");
            output.Write(traceId.ToHexString());
            output.Write('"');
        }

        if (logEvent.SpanId is { } spanId)
        {
            output.Write(",\"SpanId\":\"");
            output.Write(spanId.ToHexString());
            output.Write('"');
        }

        if (logEvent.Properties.Count != 0)
        {
            output.Write(",\"Properties\":{");
            var first = true;
            foreach (var (name, value) in logEvent.Properties)
            {
                if (!first)
                {
                    output.Write(',');
                }

                first = false;
                output.Write('"');
                WriteEscaped(name, output);
                output.Write("\":");
                WriteJson(((ScalarValue)value).Value, output, scratch);
            }

            output.Write('}');
        }

        output.Write('}');
        output.Write('\n');
    }

    /// <summary>No exception, plain scalar values only, and property tokens without format or alignment.</summary>
    internal static bool IsSimple(LogEvent logEvent)
    {
        if (logEvent.Exception is not null)
        {
            return false;
        }

        foreach (var value in logEvent.Properties.Values)
        {
            if (value is not ScalarValue { Value: null or string or int or long or double or bool })
            {
                return false;
            }
        }

        foreach (var token in logEvent.MessageTemplate.Tokens)
        {
            if (token is PropertyToken { Format: not null } or PropertyToken { Alignment: not null })
            {
                return false;
            }
        }

        return true;
    }

    private static string LevelName(LogEventLevel level) => level switch
    {
        LogEventLevel.Verbose => "Verbose",
        LogEventLevel.Debug => "Debug",
        LogEventLevel.Information => "Information",
        LogEventLevel.Warning => "Warning",
        LogEventLevel.Error => "Error",
        _ => "Fatal",
    };

    /// <summary>A value as JSON: strings quoted and escaped, numbers in invariant round-trip form.</summary>
    private static void WriteJson(object? value, TextWriter output, Span<char> scratch)
    {
        switch (value)
        {
            case null:
                output.Write("null");
                break;
            case string text:
                output.Write('"');
                WriteEscaped(text, output);
                output.Write('"');
                break;
            case bool flag:
                output.Write(flag ? "true" : "false");
                break;
            default:
                WriteNumber(value, output, scratch);
                break;
        }
    }

    /// <summary>A value as Serilog renders it inside a message (strings in quotes), then escaped for JSON.</summary>
    private static void WriteRendered(object? value, TextWriter output, Span<char> scratch)
    {
        switch (value)
        {
            case null:
                output.Write("null");
                break;
            case string text:
                // Serilog quotes a string property and escapes its quotes; JSON then escapes both.
                output.Write("\\\"");
                WriteEscaped(text, output, quoteEscaped: true);
                output.Write("\\\"");
                break;
            case bool flag:
                output.Write(flag ? "True" : "False");
                break;
            case double number when !double.IsFinite(number):
                output.Write(Convert.ToString(number, CultureInfo.InvariantCulture));
                break;
            default:
                WriteNumber(value, output, scratch);
                break;
        }
    }

    private static void WriteNumber(object value, TextWriter output, Span<char> scratch)
    {
        var ok = value switch
        {
            int number => number.TryFormat(scratch, out var n, default, CultureInfo.InvariantCulture) ? n : -1,
            long number => number.TryFormat(scratch, out var n, default, CultureInfo.InvariantCulture) ? n : -1,
            double number when double.IsFinite(number) => number.TryFormat(scratch, out var n, "R", CultureInfo.InvariantCulture) ? n : -1,
            double number => -2,
            _ => -1,
        };
        if (ok >= 0)
        {
            output.Write(scratch[..ok]);
        }
        else
        {
            // NaN and infinities are no JSON numbers; Serilog writes them as strings.
            output.Write('"');
            output.Write(Convert.ToString(value, CultureInfo.InvariantCulture));
            output.Write('"');
        }
    }

    /// <summary>
    /// JSON string escaping: quote, backslash and control characters. With
    /// <paramref name="quoteEscaped"/> a quote is first escaped as Serilog's message rendering
    /// does (<c>\"</c>), and that is then escaped for JSON (<c>\\\"</c>).
    /// </summary>
    internal static void WriteEscaped(string text, TextWriter output, bool quoteEscaped = false)
    {
        var span = text.AsSpan();
        var clean = 0;
        for (var i = 0; i < span.Length; i++)
        {
            var c = span[i];
            if (c >= ' ' && c != '"' && c != '\\')
            {
                continue;
            }

            output.Write(span[clean..i]);
            clean = i + 1;
            switch (c)
            {
                case '"':
                    output.Write(quoteEscaped ? "\\\\\\\"" : "\\\"");
                    break;
                case '\\':
                    output.Write("\\\\");
                    break;
                case '\n':
                    output.Write("\\n");
                    break;
                case '\r':
                    output.Write("\\r");
                    break;
                case '\t':
                    output.Write("\\t");
                    break;
                case '\f':
                    output.Write("\\f");
                    break;
                case '\b':
                    output.Write("\\b");
                    break;
                default:
                    output.Write("\\u");
                    output.Write(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    break;
            }
        }

        output.Write(span[clean..]);
    }
}
