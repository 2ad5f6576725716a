using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Formatting.Json;
using Serilog.Parsing;

namespace Edge.Proxy.Observability;

/// <summary>
/// The JSON line of Serilog's <see cref="JsonFormatter"/> with its rendered message (Timestamp,
/// Level, MessageTemplate, RenderedMessage, TraceId, SpanId, Properties), written straight as
/// UTF-8 for the events that make up nearly all of a busy edge's output: one per request, whose
/// properties are plain strings and numbers and whose template has no formats or alignment. A
/// template's escaped text is worked out once. Any other event (structured values, formats, an
/// exception) goes to <see cref="JsonFormatter"/> itself, so both paths print the same JSON.
/// </summary>
internal sealed class EdgeJsonFormatter : ITextFormatter
{
    private static readonly SearchValues<char> NeedsEscape = SearchValues.Create(
        string.Concat(Enumerable.Range(0, 32).Select(c => (char)c)) + "\"\\");

    private static readonly ConditionalWeakTable<MessageTemplate, Template> Templates = [];

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    private readonly JsonFormatter _fallback = new(renderMessage: true);

    public void Format(LogEvent logEvent, TextWriter output)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        if (TryFormat(logEvent, buffer))
        {
            output.Write(Encoding.UTF8.GetString(buffer.WrittenSpan));
        }
        else
        {
            _fallback.Format(logEvent, output);
        }
    }

    /// <summary>
    /// Appends the event's JSON line as UTF-8, if it is one the fast path takes
    /// (<see cref="IsSimple"/>); otherwise writes nothing and returns false.
    /// </summary>
    public static bool TryFormat(LogEvent logEvent, IBufferWriter<byte> output)
    {
        var template = Compiled(logEvent.MessageTemplate);
        if (!template.Simple || !IsSimpleValues(logEvent))
        {
            return false;
        }

        var w = new Utf8(output);
        WriteHead(logEvent.Timestamp, logEvent.Level, template, ref w);
        foreach (var part in template.Parts)
        {
            if (part.Text is { } text)
            {
                w.Raw(text);
            }
            else if (logEvent.Properties.TryGetValue(part.Property!, out var value))
            {
                WriteRendered(((ScalarValue)value).Value, ref w);
            }
            else
            {
                w.Raw(part.Missing!);
            }
        }

        w.Raw("\""u8);
        if (logEvent.TraceId is { } traceId)
        {
            w.Raw(",\"TraceId\":\""u8);
            w.Raw(traceId.ToHexString());
            w.Raw("\""u8);
        }

        if (logEvent.SpanId is { } spanId)
        {
            w.Raw(",\"SpanId\":\""u8);
            w.Raw(spanId.ToHexString());
            w.Raw("\""u8);
        }

        if (logEvent.Properties.Count != 0)
        {
            w.Raw(",\"Properties\":{"u8);
            var first = true;
            foreach (var (name, value) in logEvent.Properties)
            {
                w.Raw(first ? "\""u8 : ",\""u8);
                first = false;
                w.Escaped(name);
                w.Raw("\":"u8);
                WriteJson(((ScalarValue)value).Value, ref w);
            }

            w.Raw("}"u8);
        }

        w.Raw("}\n"u8);
        return true;
    }

    /// <summary>
    /// Appends a request's line as UTF-8: byte for byte what <see cref="TryFormat"/> writes for
    /// <see cref="RequestLine.ToLogEvent"/>, without making the event. False (and nothing written)
    /// for a template with formats or alignment.
    /// </summary>
    public static bool TryWriteRequestLine(in RequestLine line, IBufferWriter<byte> output)
    {
        var template = Compiled(line.Template);
        if (!template.Simple)
        {
            return false;
        }

        var w = new Utf8(output);
        WriteHead(line.Timestamp, line.Level, template, ref w);
        var count = line.FieldCount;
        foreach (var part in template.Parts)
        {
            if (part.Text is { } text)
            {
                w.Raw(text);
            }
            else if (FindField(line, part, count) is { } index)
            {
                WriteField(line, line[index], rendered: true, ref w);
            }
            else
            {
                w.Raw(part.Missing!);
            }
        }

        w.Raw("\",\"Properties\":{"u8);
        for (var i = 0; i < count; i++)
        {
            var field = line[i];
            if (i < FixedPrefixes.Length)
            {
                w.Raw(FixedPrefixes[i]);
            }
            else
            {
                w.Raw(",\""u8);
                w.Escaped(field.Name);
                w.Raw("\":"u8);
            }

            WriteField(line, field, rendered: false, ref w);
        }

        w.Raw("}}\n"u8);
        return true;
    }

    /// <summary>A line's start, up to the opening quote of its rendered message.</summary>
    private static void WriteHead(DateTimeOffset timestamp, LogEventLevel level, Template template, ref Utf8 w)
    {
        w.Raw("{\"Timestamp\":\""u8);
        w.Formatted(timestamp, "o");
        w.Raw("\",\"Level\":\""u8);
        w.Raw(LevelName(level));
        w.Raw("\",\"MessageTemplate\":\""u8);
        w.Raw(template.EscapedText);
        w.Raw("\",\"RenderedMessage\":\""u8);
    }

    /// <summary>Each fixed property's <c>"Name":</c> (after a comma but the first), escaped once.</summary>
    private static readonly byte[][] FixedPrefixes = [.. RequestLine.FixedNames.Select((name, i) =>
        Encoding.UTF8.GetBytes((i == 0 ? "\"" : ",\"") + name + "\":"))];

    private static int? FindField(in RequestLine line, Part part, int count)
    {
        if (part.LineField >= 0)
        {
            return part.LineField;
        }

        for (var i = RequestLine.FixedNames.Length; i < count; i++)
        {
            if (line[i].Name == part.Property)
            {
                return i;
            }
        }

        return null;
    }

    /// <summary>A request line's value: as JSON, or as Serilog renders it in the message (strings quoted) and then escaped.</summary>
    private static void WriteField(in RequestLine line, RequestLine.Field field, bool rendered, ref Utf8 w)
    {
        var quote = rendered ? "\\\""u8 : "\""u8;
        switch (field.Kind)
        {
            case RequestLine.FieldKind.Text:
                w.Raw(quote);
                w.Escaped(field.Text!, quoteEscaped: rendered);
                w.Raw(quote);
                break;
            case RequestLine.FieldKind.Integer:
                w.Formatted(field.Number, default);
                break;
            case RequestLine.FieldKind.Milliseconds:
                w.Milliseconds(field.Number);
                break;
            case RequestLine.FieldKind.Address:
                // An address's text has nothing to escape.
                w.Raw(quote);
                w.Formatted(line.ClientIp!, default);
                w.Raw(quote);
                break;
            case RequestLine.FieldKind.TraceId:
                w.Raw(quote);
                w.TraceId(line.TraceId);
                w.Raw(quote);
                break;
            default:
                w.Raw("null"u8);
                break;
        }
    }

    /// <summary>No exception, plain scalar values only, and property tokens without format or alignment.</summary>
    internal static bool IsSimple(LogEvent logEvent)
        => Compiled(logEvent.MessageTemplate).Simple && IsSimpleValues(logEvent);

    private static Template Compiled(MessageTemplate template) => Templates.GetValue(template, static t => new Template(t));

    private static bool IsSimpleValues(LogEvent logEvent)
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

        return true;
    }

    private static ReadOnlySpan<byte> LevelName(LogEventLevel level) => level switch
    {
        LogEventLevel.Verbose => "Verbose"u8,
        LogEventLevel.Debug => "Debug"u8,
        LogEventLevel.Information => "Information"u8,
        LogEventLevel.Warning => "Warning"u8,
        LogEventLevel.Error => "Error"u8,
        _ => "Fatal"u8,
    };

    /// <summary>A value as JSON: strings quoted and escaped, numbers in invariant round-trip form.</summary>
    private static void WriteJson(object? value, ref Utf8 w)
    {
        switch (value)
        {
            case null:
                w.Raw("null"u8);
                break;
            case string text:
                w.Raw("\""u8);
                w.Escaped(text);
                w.Raw("\""u8);
                break;
            case bool flag:
                w.Raw(flag ? "true"u8 : "false"u8);
                break;
            default:
                WriteNumber(value, ref w);
                break;
        }
    }

    /// <summary>A value as Serilog renders it inside a message (strings in quotes), then escaped for JSON.</summary>
    private static void WriteRendered(object? value, ref Utf8 w)
    {
        switch (value)
        {
            case null:
                w.Raw("null"u8);
                break;
            case string text:
                // Serilog quotes a string property and escapes its quotes; JSON then escapes both.
                w.Raw("\\\""u8);
                w.Escaped(text, quoteEscaped: true);
                w.Raw("\\\""u8);
                break;
            case bool flag:
                w.Raw(flag ? "True"u8 : "False"u8);
                break;
            case double number when !double.IsFinite(number):
                w.Escaped(Convert.ToString(number, CultureInfo.InvariantCulture));
                break;
            default:
                WriteNumber(value, ref w);
                break;
        }
    }

    private static void WriteNumber(object value, ref Utf8 w)
    {
        switch (value)
        {
            case int number:
                w.Formatted(number, default);
                break;
            case long number:
                w.Formatted(number, default);
                break;
            case double number when double.IsFinite(number):
                w.Formatted(number, "R");
                break;
            default:
                // NaN and infinities are no JSON numbers; Serilog writes them as strings.
                w.Raw("\""u8);
                w.Escaped(Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty);
                w.Raw("\""u8);
                break;
        }
    }

    /// <summary>JSON string escaping of <paramref name="text"/> into UTF-8 (see <see cref="Utf8.Escaped"/>).</summary>
    private static byte[] EscapedUtf8(string text, bool quoteEscaped = false)
    {
        var buffer = new ArrayBufferWriter<byte>(text.Length + 16);
        var w = new Utf8(buffer);
        w.Escaped(text, quoteEscaped);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>A template's JSON-escaped text and its message parts, worked out once per template.</summary>
    private sealed class Template
    {
        public Template(MessageTemplate template)
        {
            EscapedText = EscapedUtf8(template.Text);
            var parts = new List<Part>();
            foreach (var token in template.Tokens)
            {
                if (token is TextToken text)
                {
                    parts.Add(new Part(EscapedUtf8(text.Text), null, null, -1));
                }
                else
                {
                    var property = (PropertyToken)token;
                    Simple &= property.Format is null && property.Alignment is null;
                    // Serilog renders a missing property as the token itself.
                    parts.Add(new Part(null, property.PropertyName, EscapedUtf8(property.ToString()), Array.IndexOf(RequestLine.FixedNames, property.PropertyName)));
                }
            }

            Parts = [.. parts];
        }

        public bool Simple { get; } = true;

        public byte[] EscapedText { get; }

        public Part[] Parts { get; }
    }

    /// <param name="LineField">The property's index among <see cref="RequestLine.FixedNames"/>, or -1.</param>
    private sealed record Part(byte[]? Text, string? Property, byte[]? Missing, int LineField);

    /// <summary>Appends UTF-8 to a buffer writer.</summary>
    private readonly ref struct Utf8(IBufferWriter<byte> output)
    {
        public void Raw(ReadOnlySpan<byte> bytes)
        {
            bytes.CopyTo(output.GetSpan(bytes.Length));
            output.Advance(bytes.Length);
        }

        /// <summary>Plain ASCII or any text with nothing to escape.</summary>
        public void Raw(ReadOnlySpan<char> chars)
        {
            var span = output.GetSpan(Encoding.UTF8.GetMaxByteCount(chars.Length));
            output.Advance(Encoding.UTF8.GetBytes(chars, span));
        }

        public void Formatted<T>(T value, ReadOnlySpan<char> format)
            where T : IUtf8SpanFormattable
        {
            // 64 bytes hold every value written here; a larger buffer is asked for should one not fit.
            for (var size = 64; ; size *= 2)
            {
                if (value.TryFormat(output.GetSpan(size), out var written, format, CultureInfo.InvariantCulture))
                {
                    output.Advance(written);
                    return;
                }
            }
        }

        public void Milliseconds(long microseconds)
        {
            for (var size = 32; ; size *= 2)
            {
                if (RequestLine.TryFormatMilliseconds(microseconds, output.GetSpan(size), out var written))
                {
                    output.Advance(written);
                    return;
                }
            }
        }

        /// <summary>The 32 lowercase hex digits of a trace id.</summary>
        public void TraceId(System.Diagnostics.ActivityTraceId traceId)
        {
            Span<byte> id = stackalloc byte[16];
            traceId.CopyTo(id);
            Convert.TryToHexStringLower(id, output.GetSpan(32), out var written);
            output.Advance(written);
        }

        /// <summary>
        /// JSON string escaping: quote, backslash and control characters. With
        /// <paramref name="quoteEscaped"/> a quote is first escaped as Serilog's message rendering
        /// does (<c>\"</c>), and that is then escaped for JSON (<c>\\\"</c>).
        /// </summary>
        public void Escaped(ReadOnlySpan<char> text, bool quoteEscaped = false)
        {
            while (true)
            {
                var next = text.IndexOfAny(NeedsEscape);
                if (next < 0)
                {
                    Raw(text);
                    return;
                }

                Raw(text[..next]);
                var c = text[next];
                text = text[(next + 1)..];
                switch (c)
                {
                    case '"':
                        Raw(quoteEscaped ? "\\\\\\\""u8 : "\\\""u8);
                        break;
                    case '\\':
                        Raw("\\\\"u8);
                        break;
                    case '\n':
                        Raw("\\n"u8);
                        break;
                    case '\r':
                        Raw("\\r"u8);
                        break;
                    case '\t':
                        Raw("\\t"u8);
                        break;
                    case '\f':
                        Raw("\\f"u8);
                        break;
                    case '\b':
                        Raw("\\b"u8);
                        break;
                    default:
                        Raw("\\u00"u8);
                        Formatted((byte)c, "x2");
                        break;
                }
            }
        }
    }
}
