using Edge.Proxy.Hygiene;

namespace Edge.Proxy.Tests.Hygiene;

public class HopByHopTransformTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("keep-alive")]
    [InlineData("Keep-Alive, Upgrade")]
    [InlineData("close")]
    [InlineData(" , ,")]
    public void Nominated_OnlyConnectionOptions_IsNull(string? value)
        => Assert.Null(HopByHopTransform.Nominated(value));

    [Theory]
    [InlineData("X-Secret", new[] { "X-Secret" })]
    [InlineData("keep-alive, X-A ,x-b,close", new[] { "X-A", "x-b" })]
    [InlineData("Host, X-Forwarded-For, x-forwarded-proto, X-Real", new[] { "X-Real" })]
    public void Nominated_HeaderNames_ExceptTheEdgesOwn(string value, string[] expected)
        => Assert.Equal(expected, HopByHopTransform.Nominated(value));
}
