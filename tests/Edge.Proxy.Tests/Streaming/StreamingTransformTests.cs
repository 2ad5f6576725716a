using System.Net;
using Edge.Proxy.Streaming;
using Microsoft.AspNetCore.Http;

namespace Edge.Proxy.Tests.Streaming;

public class StreamingTransformTests
{
    [Theory]
    [InlineData(HttpStatusCode.SwitchingProtocols, "GET", null, true)]
    [InlineData(HttpStatusCode.OK, "CONNECT", null, true)]
    [InlineData(HttpStatusCode.BadRequest, "CONNECT", null, false)]
    [InlineData(HttpStatusCode.OK, "GET", "text/event-stream", true)]
    [InlineData(HttpStatusCode.OK, "GET", "Text/Event-Stream; charset=utf-8", true)]
    [InlineData(HttpStatusCode.OK, "GET", "application/json", false)]
    [InlineData(HttpStatusCode.OK, "GET", null, false)]
    public void IsStream_UpgradesAndEventStreams(HttpStatusCode status, string method, string? contentType, bool expected)
    {
        var context = new DefaultHttpContext();
        context.Response.ContentType = contentType;
        using var request = new HttpRequestMessage(new HttpMethod(method), "http://origin/");
        using var response = new HttpResponseMessage(status) { RequestMessage = request };

        Assert.Equal(expected, StreamingTransform.IsStream(context, response));
    }
}
