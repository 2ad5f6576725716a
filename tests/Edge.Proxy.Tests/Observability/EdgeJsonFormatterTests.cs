using System.Globalization;
using System.Text.Json.Nodes;
using Edge.Proxy.Observability;
using Serilog.Events;
using Serilog.Formatting.Json;
using Serilog.Parsing;

namespace Edge.Proxy.Tests.Observability;

public sealed class EdgeJsonFormatterTests
{
    private static readonly MessageTemplateParser Parser = new();
    private static readonly DateTimeOffset At = new(2026, 12, 2, 16, 20, 1, 234, TimeSpan.Zero);

    public static TheoryData<string, string> Values => new()
    {
        { "plain", "/api/orders" },
        { "quotes and backslashes", "a \"quoted\" \\path\\ \"" },
        { "control characters", "line\nbreak\r\ttab\f\b\u0001\u001f end" },
        { "non-ASCII", "é ü 日本 😀" },
        { "empty", "" },
    };

    /// <summary>The fast path prints what Serilog's own JsonFormatter prints, key for key and value for value.</summary>
    [Theory]
    [MemberData(nameof(Values))]
    public void RequestLikeEvent_SameJsonAsSerilogsFormatter(string name, string value)
    {
        _ = name;
        var logEvent = new LogEvent(At, LogEventLevel.Information, null,
            Parser.Parse("{Method} {Path} {Status} in {DurationMs} ms (route {Route}, bytes {BytesIn}, ok {Ok})"),
            [
                new("Method", new ScalarValue("GET")),
                new("Path", new ScalarValue(value)),
                new("Status", new ScalarValue(200)),
                new("DurationMs", new ScalarValue(0.1 + 0.2)),
                new("Route", new ScalarValue("r\"1")),
                new("BytesIn", new ScalarValue(null)),
                new("BytesOut", new ScalarValue(1234567890123L)),
                new("Ok", new ScalarValue(true)),
                new("SourceContext", new ScalarValue("Edge.Requests")),
            ]);

        Assert.True(EdgeJsonFormatter.IsSimple(logEvent));
        AssertSameJson(logEvent);
    }

    [Theory]
    [InlineData(LogEventLevel.Verbose)]
    [InlineData(LogEventLevel.Debug)]
    [InlineData(LogEventLevel.Warning)]
    [InlineData(LogEventLevel.Error)]
    [InlineData(LogEventLevel.Fatal)]
    public void EveryLevel_SameJsonAsSerilogsFormatter(LogEventLevel level)
        => AssertSameJson(new LogEvent(At, level, null, Parser.Parse("no properties, {Missing} one"), []));

    [Fact]
    public void TraceAndSpanIds_SameJsonAsSerilogsFormatter()
        => AssertSameJson(new LogEvent(At, LogEventLevel.Information, null, Parser.Parse("{A}"), [new("A", new ScalarValue(1))],
            System.Diagnostics.ActivityTraceId.CreateRandom(), System.Diagnostics.ActivitySpanId.CreateRandom()));

    [Fact]
    public void NotANumber_SameJsonAsSerilogsFormatter()
        => AssertSameJson(new LogEvent(At, LogEventLevel.Information, null, Parser.Parse("{A} {B}"),
            [new("A", new ScalarValue(double.NaN)), new("B", new ScalarValue(double.PositiveInfinity))]));

    public static TheoryData<string> Complex => ["exception", "format", "alignment", "structured", "other scalar"];

    /// <summary>Anything beyond plain scalars goes to Serilog's formatter, so it prints the same too.</summary>
    [Theory]
    [MemberData(nameof(Complex))]
    public void ComplexEvent_LeftToSerilogsFormatter_SameJson(string kind)
    {
        var logEvent = kind switch
        {
            "exception" => new LogEvent(At, LogEventLevel.Error, new InvalidOperationException("boom"), Parser.Parse("failed {X}"), [new("X", new ScalarValue(1))]),
            "format" => new LogEvent(At, LogEventLevel.Information, null, Parser.Parse("{X:0.00}"), [new("X", new ScalarValue(1.5))]),
            "alignment" => new LogEvent(At, LogEventLevel.Information, null, Parser.Parse("{X,8}"), [new("X", new ScalarValue("a"))]),
            "structured" => new LogEvent(At, LogEventLevel.Information, null, Parser.Parse("{X}"), [new("X", new SequenceValue([new ScalarValue(1)]))]),
            _ => new LogEvent(At, LogEventLevel.Information, null, Parser.Parse("{X}"), [new("X", new ScalarValue(TimeSpan.FromSeconds(2)))]),
        };

        Assert.False(EdgeJsonFormatter.IsSimple(logEvent));
        AssertSameJson(logEvent);
    }

    [Fact]
    public void Line_EndsWithOneNewline()
    {
        var text = Format(new EdgeJsonFormatter(), new LogEvent(At, LogEventLevel.Information, null, Parser.Parse("x"), []));
        Assert.EndsWith("}\n", text, StringComparison.Ordinal);
        Assert.Equal(1, text.Count(c => c == '\n'));
    }

    private static void AssertSameJson(LogEvent logEvent)
    {
        var expected = Format(new JsonFormatter(renderMessage: true), logEvent);
        var actual = Format(new EdgeJsonFormatter(), logEvent);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), JsonNode.Parse(actual)), $"expected {expected}\nactual   {actual}");
        Assert.Equal(expected.EndsWith('\n'), actual.EndsWith('\n'));
    }

    private static string Format(Serilog.Formatting.ITextFormatter formatter, LogEvent logEvent)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        formatter.Format(logEvent, writer);
        return writer.ToString();
    }
}

public sealed class RequestLineTests
{
    private static readonly DateTimeOffset At = new DateTimeOffset(2026, 12, 4, 19, 50, 1, 234, TimeSpan.Zero).AddTicks(5678);

    private static RequestLine Line(
        string method = "GET", string? path = "/api/orders", int status = 200, long micros = 1234,
        string route = "api", string cluster = "main", string destination = "a", long? bytesIn = null, long? bytesOut = 42,
        System.Net.IPAddress? client = null, string? traceIdentifier = null, string? rejection = null,
        IReadOnlyList<KeyValuePair<string, string>>? headers = null, LogEventLevel level = LogEventLevel.Information)
        => new(At, level, RequestLog.Settings.Parsed, method, path, status, micros, route, cluster, destination, bytesIn, bytesOut,
            client ?? System.Net.IPAddress.Loopback, System.Diagnostics.ActivityTraceId.CreateFromString("0af7651916cd43dd8448eb211c80319c"),
            traceIdentifier, rejection, headers);

    public static TheoryData<string> Cases => ["plain", "escapes", "edge answer", "headers", "nulls", "ipv6", "trace identifier", "warning", "slow"];

    private static RequestLine Case(string name) => name switch
    {
        "plain" => Line(),
        "escapes" => Line(method: "G\"ET", path: "/a \"quoted\" \\path\nline\u0001 é 日本 😀", route: "r\"1", cluster: "c\\2", destination: "d\t3"),
        "edge answer" => Line(status: 429, destination: "", rejection: "rate_limit", bytesOut: null),
        "headers" => Line(rejection: "concurrency", headers: [new("Header_User_Agent", "curl/8 \"x\""), new("Header_X_Tenant", "t1")]),
        "nulls" => Line(path: null, bytesIn: null, bytesOut: null),
        "ipv6" => Line(client: System.Net.IPAddress.Parse("::ffff:10.1.2.3"), bytesIn: 1234567890123L),
        "trace identifier" => Line(traceIdentifier: "0HN8:00000001"),
        "warning" => Line(status: 502, level: LogEventLevel.Warning, micros: 0),
        _ => Line(micros: 30_000_000_001),
    };

    /// <summary>The line written from its values is the line its Serilog event formats to: same bytes, and Serilog's own JSON.</summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void WrittenFromValues_SameBytesAsItsEvent_SameJsonAsSerilog(string name)
    {
        var line = Case(name);
        var direct = new System.Buffers.ArrayBufferWriter<byte>();
        Assert.True(EdgeJsonFormatter.TryWriteRequestLine(line, direct));
        var viaEvent = new System.Buffers.ArrayBufferWriter<byte>();
        Assert.True(EdgeJsonFormatter.TryFormat(line.ToLogEvent(), viaEvent));
        var text = System.Text.Encoding.UTF8.GetString(direct.WrittenSpan);
        Assert.Equal(System.Text.Encoding.UTF8.GetString(viaEvent.WrittenSpan), text);

        using var serilog = new StringWriter(CultureInfo.InvariantCulture);
        new JsonFormatter(renderMessage: true).Format(line.ToLogEvent(), serilog);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(serilog.ToString()), JsonNode.Parse(text)), $"serilog {serilog}\nours    {text}");
        Assert.EndsWith("}\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Properties_InTheirOrder_RejectionThenHeaders()
    {
        var line = Case("headers");
        var names = Enumerable.Range(0, line.FieldCount).Select(i => line[i].Name).ToArray();
        Assert.Equal([.. RequestLine.FixedNames, "Rejection", "Header_User_Agent", "Header_X_Tenant"], names);
        var properties = JsonNode.Parse(WriteDirect(line))!["Properties"]!.AsObject();
        Assert.Equal(names, properties.Select(p => p.Key).ToArray());
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", (string?)properties["TraceId"]);
        Assert.Equal("127.0.0.1", (string?)properties["ClientIp"]);
        Assert.Equal(1.234, (double)properties["DurationMs"]!);
    }

    /// <summary>Milliseconds printed from whole microseconds read exactly as the double us / 1000.0 prints.</summary>
    [Fact]
    public void Milliseconds_SameTextAsTheDouble()
    {
        var random = new Random(7);
        var values = new List<long> { 0, 1, 9, 10, 99, 100, 101, 999, 1000, 1001, 1010, 1100, 12_345, 999_999_999_999_999, 1_000_000_000_000_000, -1, -1500, long.MaxValue / 1000 };
        for (var i = 0; i < 20_000; i++)
        {
            values.Add(random.NextInt64(0, i % 2 == 0 ? 100_000_000 : 999_999_999_999_999));
        }

        Span<byte> buffer = stackalloc byte[64];
        foreach (var micros in values)
        {
            Assert.True(RequestLine.TryFormatMilliseconds(micros, buffer, out var written));
            Assert.Equal((micros / 1000.0).ToString("R", CultureInfo.InvariantCulture), System.Text.Encoding.ASCII.GetString(buffer[..written]));
        }
    }

    [Fact]
    public void Milliseconds_TooSmallABuffer_SaysSo()
    {
        Span<byte> buffer = stackalloc byte[4];
        Assert.False(RequestLine.TryFormatMilliseconds(12_345, buffer, out _));
        Assert.True(RequestLine.TryFormatMilliseconds(12_000, buffer, out var written));
        Assert.Equal("12", System.Text.Encoding.ASCII.GetString(buffer[..written]));
    }

    private static string WriteDirect(RequestLine line)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        Assert.True(EdgeJsonFormatter.TryWriteRequestLine(line, buffer));
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
