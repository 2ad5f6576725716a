using Edge.Config.Tests.TestSupport;

namespace Edge.Config.Tests.Validation;

public class WebSocketRulesTests
{
    [Fact]
    public async Task Accepts_Defaults()
    {
        var snapshot = TestConfig.AssertValid(await TestConfig.LoadWithAsync("{}"));

        Assert.Null(snapshot.Edge.WebSockets.IdleTimeout);
        Assert.True(snapshot.Edge.Security.RejectUnderscoreHeaders);
    }

    [Fact]
    public async Task Accepts_IdleTimeoutAndUnderscoreHeadersOff()
    {
        var snapshot = TestConfig.AssertValid(await TestConfig.LoadWithAsync("""
            { "Edge": { "WebSockets": { "IdleTimeout": "00:05:00" }, "Security": { "RejectUnderscoreHeaders": false } } }
            """));

        Assert.Equal(TimeSpan.FromMinutes(5), snapshot.Edge.WebSockets.IdleTimeout);
        Assert.False(snapshot.Edge.Security.RejectUnderscoreHeaders);
    }

    [Theory]
    [InlineData("""{ "WebSockets": { "IdleTimeout": "00:00:00" } }""", "Edge:WebSockets:IdleTimeout is '00:00:00'", "at least 00:00:00.100")]
    [InlineData("""{ "WebSockets": { "IdleTimeout": "-00:00:01" } }""", "Edge:WebSockets:IdleTimeout is '-00:00:01'", "ActivityTimeout")]
    [InlineData("""{ "WebSockets": { "IdleTimout": "00:00:10" } }""", "unknown key 'WebSockets:IdleTimout'", "Did you mean 'IdleTimeout'?")]
    [InlineData("""{ "Security": { "RejectUnderscoreHeaders": "sometimes" } }""", "'Security:RejectUnderscoreHeaders' is 'sometimes'", "not a boolean")]
    public async Task Rejects_BadSetting(string edge, params string[] expected)
    {
        var result = await TestConfig.LoadWithAsync($$"""{ "Edge": {{edge}} }""");

        TestConfig.AssertError(result, expected);
    }
}
