using Edge.Config.Tests.TestSupport;

namespace Edge.Config.Tests.Validation;

public sealed class ObservabilityRulesTests
{
    [Fact]
    public async Task Defaults_RequestLogsOn_NoExport()
    {
        var snapshot = TestConfig.AssertValid(await TestConfig.LoadWithAsync("{}"));
        Assert.True(snapshot.Edge.Logging.RequestLogs);
        Assert.Equal(1, snapshot.Edge.Logging.RequestLogSampling);
        Assert.False(snapshot.Edge.Logging.IncludeQueryString);
        Assert.Contains("token", snapshot.Edge.Logging.RedactQueryKeys);
        Assert.Null(snapshot.Edge.Tracing.OtlpEndpoint);
    }

    [Fact]
    public async Task ValidSettings_Load()
    {
        var snapshot = TestConfig.AssertValid(await TestConfig.LoadWithAsync("""
            { "Edge": {
                "Logging": { "RequestLogs": false, "RequestLogLevel": "Debug", "RequestLogSampling": 0.25, "IncludeQueryString": true,
                             "RedactQueryKeys": ["sid"], "RequestHeaders": ["User-Agent"], "RedactHeaders": ["X-Token"], "ErrorLogBurst": 3, "ErrorLogWindow": "00:01:00" },
                "Tracing": { "OtlpEndpoint": "http://collector:4318", "OtlpProtocol": "http/protobuf", "SamplingRatio": 0.1, "ServiceName": "front" } } }
            """));
        Assert.Equal(0.25, snapshot.Edge.Logging.RequestLogSampling);
        Assert.Equal(["sid"], snapshot.Edge.Logging.RedactQueryKeys);
        Assert.Equal("http://collector:4318", snapshot.Edge.Tracing.OtlpEndpoint);
    }

    [Theory]
    [InlineData("""{ "Logging": { "RequestLogSampling": 1.5 } }""", "Edge:Logging:RequestLogSampling is 1.5; it must be between 0 and 1")]
    [InlineData("""{ "Logging": { "RequestLogSampling": -0.1 } }""", "Edge:Logging:RequestLogSampling is -0.1")]
    [InlineData("""{ "Logging": { "RequestLogLevel": "Loud" } }""", "Edge:Logging:RequestLogLevel is 'Loud', which is not a log level")]
    [InlineData("""{ "Logging": { "RequestHeaders": ["authorization"] } }""", "lists 'authorization', which carries secrets and is never logged")]
    [InlineData("""{ "Logging": { "RequestHeaders": ["X-Api-Key"] } }""", "lists 'X-Api-Key', which carries secrets")]
    [InlineData("""{ "Logging": { "ErrorLogBurst": 0 } }""", "Edge:Logging:ErrorLogBurst is 0; it must be at least 1")]
    [InlineData("""{ "Logging": { "ErrorLogWindow": "00:00:00" } }""", "Edge:Logging:ErrorLogWindow is '00:00:00'; it must be positive")]
    [InlineData("""{ "Tracing": { "OtlpEndpoint": "collector:4317" } }""", "Edge:Tracing:OtlpEndpoint is 'collector:4317'; write an absolute http:// or https:// URL")]
    [InlineData("""{ "Tracing": { "OtlpEndpoint": "ftp://collector" } }""", "Edge:Tracing:OtlpEndpoint is 'ftp://collector'")]
    [InlineData("""{ "Tracing": { "OtlpProtocol": "http" } }""", "Edge:Tracing:OtlpProtocol is 'http'; use 'grpc'")]
    [InlineData("""{ "Tracing": { "SamplingRatio": 2 } }""", "Edge:Tracing:SamplingRatio is 2")]
    [InlineData("""{ "Tracing": { "ServiceName": " " } }""", "Edge:Tracing:ServiceName is empty")]
    [InlineData("""{ "Tracing": { "OtlpEndpont": "http://x" } }""", "Did you mean 'OtlpEndpoint'?")]
    [InlineData("""{ "Metrics": { "OutboundHttp": false, "OutboundHttpGauges": true } }""", "Edge:Metrics:OutboundHttpGauges is true but Edge:Metrics:OutboundHttp is false")]
    public async Task BadSettings_AreRefused_WithAMessageThatSaysHowToFixThem(string edge, string expected)
        => TestConfig.AssertError(await TestConfig.LoadWithAsync($$"""{ "Edge": {{edge}} }"""), expected);
}
