using System.Diagnostics;
using System.Globalization;
using System.Net;
using Serilog.Events;

namespace Edge.Proxy.Observability;

/// <summary>
/// One request's log line as plain values. The JSON output writes it straight as UTF-8
/// (<see cref="EdgeJsonFormatter.TryWriteRequestLine"/>), with no Serilog event, property or boxed
/// value made per request; the text output formats <see cref="ToLogEvent"/>. Both print the same
/// properties in the same order: <see cref="FixedNames"/>, then <c>Rejection</c> if the edge
/// refused the request, then the configured request headers it carried.
/// </summary>
internal readonly record struct RequestLine(
    DateTimeOffset Timestamp,
    LogEventLevel Level,
    MessageTemplate Template,
    string Method,
    string? Path,
    int Status,
    long DurationMicroseconds,
    string Route,
    string Cluster,
    string Destination,
    long? BytesIn,
    long? BytesOut,
    IPAddress? ClientIp,
    ActivityTraceId TraceId,
    string? TraceIdentifier,
    string? Rejection,
    IReadOnlyList<KeyValuePair<string, string>>? Headers)
{
    public const string SourceContextValue = "Edge.Requests";

    /// <summary>The properties every line has, in their order.</summary>
    public static readonly string[] FixedNames =
        ["Method", "Path", "Status", "DurationMs", "Route", "Cluster", "Destination", "BytesIn", "BytesOut", "ClientIp", "TraceId", "SourceContext"];

    public int FieldCount => FixedNames.Length + (Rejection is null ? 0 : 1) + (Headers?.Count ?? 0);

    /// <summary>Property <paramref name="index"/> (0 to <see cref="FieldCount"/> - 1).</summary>
    public Field this[int index] => index switch
    {
        0 => Field.OfText(FixedNames[0], Method),
        1 => Field.OfText(FixedNames[1], Path),
        2 => new Field(FixedNames[2], FieldKind.Integer, null, Status),
        3 => new Field(FixedNames[3], FieldKind.Milliseconds, null, DurationMicroseconds),
        4 => Field.OfText(FixedNames[4], Route),
        5 => Field.OfText(FixedNames[5], Cluster),
        6 => Field.OfText(FixedNames[6], Destination),
        7 => Field.OfInteger(FixedNames[7], BytesIn),
        8 => Field.OfInteger(FixedNames[8], BytesOut),
        9 => new Field(FixedNames[9], ClientIp is null ? FieldKind.Null : FieldKind.Address, null, 0),
        10 => TraceIdentifier is null ? new Field(FixedNames[10], FieldKind.TraceId, null, 0) : Field.OfText(FixedNames[10], TraceIdentifier),
        11 => Field.OfText(FixedNames[11], SourceContextValue),
        12 when Rejection is not null => Field.OfText("Rejection", Rejection),
        _ => Header(index - FixedNames.Length - (Rejection is null ? 0 : 1)),
    };

    private Field Header(int index)
    {
        var (name, value) = Headers![index];
        return Field.OfText(name, value);
    }

    /// <summary>The duration in milliseconds, to the microsecond, as the number the line prints.</summary>
    public double DurationMs => DurationMicroseconds / 1000.0;

    /// <summary>The same line as a Serilog event, for formatters other than the JSON one.</summary>
    public LogEvent ToLogEvent()
    {
        var properties = new LogEventProperty[FieldCount];
        for (var i = 0; i < properties.Length; i++)
        {
            var field = this[i];
            properties[i] = new LogEventProperty(field.Name, new ScalarValue(field.Kind switch
            {
                FieldKind.Text => field.Text,
                FieldKind.Integer when i == 2 => Status,
                FieldKind.Integer => field.Number,
                FieldKind.Milliseconds => DurationMs,
                FieldKind.Address => ClientIp!.ToString(),
                FieldKind.TraceId => TraceId.ToHexString(),
                _ => null,
            }));
        }

        return new LogEvent(Timestamp, Level, null, Template, properties);
    }

    internal enum FieldKind
    {
        Null,
        Text,
        Integer,
        Milliseconds,
        Address,
        TraceId,
    }

    /// <summary>A property's name and value; <see cref="FieldKind.Address"/> and <see cref="FieldKind.TraceId"/> are read from the line.</summary>
    internal readonly record struct Field(string Name, FieldKind Kind, string? Text, long Number)
    {
        public static Field OfText(string name, string? text) => new(name, text is null ? FieldKind.Null : FieldKind.Text, text, 0);

        public static Field OfInteger(string name, long? number) => new(name, number is null ? FieldKind.Null : FieldKind.Integer, null, number ?? 0);
    }

    /// <summary>Milliseconds from microseconds as the shortest round-trip text of the double <c>us / 1000.0</c>, without making the double.</summary>
    public static bool TryFormatMilliseconds(long microseconds, Span<byte> destination, out int written)
    {
        written = 0;
        if (microseconds is < 0 or >= 1_000_000_000_000_000)
        {
            // Past 15 digits a double no longer holds every microsecond (and no clock gives a
            // negative duration): the double's own text is then the one to print.
            return (microseconds / 1000.0).TryFormat(destination, out written, "R", CultureInfo.InvariantCulture);
        }

        if (!(microseconds / 1000).TryFormat(destination, out written, default, CultureInfo.InvariantCulture))
        {
            return false;
        }

        var fraction = (int)(microseconds % 1000);
        if (fraction == 0)
        {
            return true;
        }

        // Trailing zeros dropped: .5, .25, .125.
        var digits = 3;
        while (fraction % 10 == 0)
        {
            fraction /= 10;
            digits--;
        }

        if (destination.Length < written + 1 + digits)
        {
            return false;
        }

        destination[written++] = (byte)'.';
        for (var i = digits - 1; i >= 0; i--)
        {
            destination[written + i] = (byte)('0' + (fraction % 10));
            fraction /= 10;
        }

        written += digits;
        return true;
    }
}
