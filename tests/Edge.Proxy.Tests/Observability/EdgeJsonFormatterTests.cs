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

public sealed class RequestLogPropertyCacheTests
{
    /// <summary>Clients choose methods: past the limit, values get fresh properties and the cache stops growing.</summary>
    [Fact]
    public void ManyDistinctValues_CacheStopsAtItsLimit_EveryPropertyStillCarriesItsValue()
    {
        var cache = new RequestLog.PropertyCache("Method");
        for (var i = 0; i < RequestLog.PropertyCache.Limit * 3; i++)
        {
            var property = cache.Get($"M{i}");
            Assert.Equal("Method", property.Name);
            Assert.Equal($"M{i}", ((ScalarValue)property.Value).Value);
        }

        Assert.Equal(RequestLog.PropertyCache.Limit, cache.Count);
        Assert.Same(cache.Get("M1"), cache.Get("M1"));
    }
}
