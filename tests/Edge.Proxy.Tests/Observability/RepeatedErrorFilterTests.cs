using Edge.Config.Model;
using Edge.Proxy.Observability;
using Edge.Proxy.Tests.TestSupport;
using Serilog.Events;
using Serilog.Parsing;

namespace Edge.Proxy.Tests.Observability;

public sealed class RepeatedErrorFilterTests
{
    private static readonly MessageTemplateParser Parser = new();

    private static LogEvent Event(LogEventLevel level, string template, string source = "Yarp.Forwarder", Exception? exception = null)
        => new(DateTimeOffset.UtcNow, level, exception, Parser.Parse(template), [new LogEventProperty("SourceContext", new ScalarValue(source))]);

    [Fact]
    public void SameWarning_PassesBurstTimesPerWindow_ThenTheNextWindowReportsHowManyWereHeldBack()
    {
        var time = new ManualTimeProvider();
        var filter = new RepeatedErrorFilter(time);
        filter.Apply(3, TimeSpan.FromSeconds(10));

        var passed = Enumerable.Range(0, 100).Count(_ => filter.IsEnabled(Event(LogEventLevel.Warning, "Origin {Name} failed")));
        Assert.Equal(3, passed);

        time.Advance(TimeSpan.FromSeconds(10));
        var next = Event(LogEventLevel.Warning, "Origin {Name} failed");
        Assert.True(filter.IsEnabled(next));
        Assert.Equal(97, ((ScalarValue)next.Properties["Suppressed"]).Value);
        var after = Event(LogEventLevel.Warning, "Origin {Name} failed");
        Assert.True(filter.IsEnabled(after));
        Assert.False(after.Properties.ContainsKey("Suppressed"));
    }

    [Fact]
    public void DifferentMessagesSourcesAndExceptions_HaveTheirOwnBudgets()
    {
        var filter = new RepeatedErrorFilter(new ManualTimeProvider());
        filter.Apply(1, TimeSpan.FromMinutes(1));

        Assert.True(filter.IsEnabled(Event(LogEventLevel.Error, "A {X}")));
        Assert.False(filter.IsEnabled(Event(LogEventLevel.Error, "A {X}")));
        Assert.True(filter.IsEnabled(Event(LogEventLevel.Error, "B {X}")));
        Assert.True(filter.IsEnabled(Event(LogEventLevel.Error, "A {X}", source: "Edge.Other")));
        Assert.True(filter.IsEnabled(Event(LogEventLevel.Error, "A {X}", exception: new TimeoutException())));
    }

    [Fact]
    public void InformationAndBelow_AreNeverHeldBack()
    {
        var filter = new RepeatedErrorFilter(new ManualTimeProvider());
        filter.Apply(1, TimeSpan.FromMinutes(1));
        Assert.All(Enumerable.Range(0, 50), _ => Assert.True(filter.IsEnabled(Event(LogEventLevel.Information, "Request {Path}"))));
    }

    [Fact]
    public void ManyDistinctMessages_TheTableStaysBounded_AndStillFilters()
    {
        var time = new ManualTimeProvider();
        var filter = new RepeatedErrorFilter(time);
        filter.Apply(1, TimeSpan.FromSeconds(10));
        for (var i = 0; i < RepeatedErrorFilter.MaxKeys * 3; i++)
        {
            Assert.True(filter.IsEnabled(Event(LogEventLevel.Warning, $"distinct {i}")));
        }

        Assert.True(filter.IsEnabled(Event(LogEventLevel.Warning, "again")));
        Assert.False(filter.IsEnabled(Event(LogEventLevel.Warning, "again")));
    }

    [Theory]
    [InlineData("?q=shoes&token=abc", "?q=shoes&token=REDACTED")]
    [InlineData("?TOKEN=abc&x=1", "?TOKEN=REDACTED&x=1")]
    [InlineData("?access%5Ftoken=abc", "?access%5Ftoken=REDACTED")]
    [InlineData("?token", "?token")]
    [InlineData("?a=1&b=2", "?a=1&b=2")]
    public void QueryString_SecretValuesAreReplaced(string query, string expected)
        => Assert.Equal(expected, RequestLog.Redact(query, RequestLog.Settings.From(new LoggingOptions())));
}
