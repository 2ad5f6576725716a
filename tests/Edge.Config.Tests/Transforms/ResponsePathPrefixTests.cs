using Edge.Config.Transforms;

namespace Edge.Config.Tests.Transforms;

public sealed class ResponsePathPrefixTests
{
    private const string Destination = "10.0.0.5:8080";
    private const string OriginHost = "www.example.com";

    [Theory]
    [InlineData("/login", "/backend/login")]
    [InlineData("/", "/backend/")]
    [InlineData("/login?next=/home#top", "/backend/login?next=/home#top")]
    [InlineData("/backend", "/backend")]
    [InlineData("/backend/login", "/backend/login")]
    [InlineData("/backend?x=1", "/backend?x=1")]
    [InlineData("/backendish", "/backend/backendish")]
    [InlineData("//cdn.example.com/x", "//cdn.example.com/x")]
    [InlineData("next", "next")]
    [InlineData("../up", "../up")]
    [InlineData("http://10.0.0.5:8080/login", "https://www.example.com/backend/login")]
    [InlineData("http://10.0.0.5:8080", "https://www.example.com/backend/")]
    [InlineData("http://10.0.0.5:8080?q=1", "https://www.example.com/backend/?q=1")]
    [InlineData("HTTP://10.0.0.5:8080/a", "https://www.example.com/backend/a")]
    [InlineData("http://www.example.com/login", "http://www.example.com/backend/login")]
    [InlineData("https://WWW.example.com/a/b", "https://WWW.example.com/backend/a/b")]
    [InlineData("https://www.example.com/backend/a", "https://www.example.com/backend/a")]
    [InlineData("https://id.example.com/login", "https://id.example.com/login")]
    [InlineData("http://10.0.0.5:9090/login", "http://10.0.0.5:9090/login")]
    [InlineData("ftp://10.0.0.5:8080/x", "ftp://10.0.0.5:8080/x")]
    [InlineData("mailto:ops@example.com", "mailto:ops@example.com")]
    public void RewriteLocation(string location, string expected)
        => Assert.Equal(expected, ResponsePathPrefixTransform.RewriteLocation(location, "/backend", Destination, OriginHost, "https", "www.example.com"));

    [Theory]
    [InlineData("sid=1; Path=/", "sid=1; Path=/backend")]
    [InlineData("sid=1; Path=/api; HttpOnly", "sid=1; Path=/backend/api; HttpOnly")]
    [InlineData("sid=1;path=/api", "sid=1;Path=/backend/api")]
    [InlineData("sid=1; PATH = /x ; Secure", "sid=1; Path=/backend/x; Secure")]
    [InlineData("sid=1; Path=/backend", "sid=1; Path=/backend")]
    [InlineData("sid=1; Path=/backend/x", "sid=1; Path=/backend/x")]
    [InlineData("sid=1", "sid=1")]
    [InlineData("sid=1; HttpOnly", "sid=1; HttpOnly")]
    [InlineData("sid=1; Path=relative", "sid=1; Path=relative")]
    [InlineData("path=/value-not-attribute; Secure", "path=/value-not-attribute; Secure")]
    [InlineData("sid=1; Pathology=/x", "sid=1; Pathology=/x")]
    public void RewriteSetCookie(string cookie, string expected)
        => Assert.Equal(expected, ResponsePathPrefixTransform.RewriteSetCookie(cookie, "/backend"));
}
