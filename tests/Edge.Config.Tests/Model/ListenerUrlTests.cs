using System.Net;
using Edge.Config.Model;

namespace Edge.Config.Tests.Model;

public class ListenerUrlTests
{
    [Theory]
    [InlineData("http://0.0.0.0:8080", "0.0.0.0", 8080)]
    [InlineData("http://127.0.0.1:9901", "127.0.0.1", 9901)]
    [InlineData("http://[::]:80", "[::]", 80)]
    [InlineData("http://[::1]:0", "[::1]", 0)]
    [InlineData("http://[::1]:80", "[::1]", 80)]
    [InlineData("http://[fe80::1]:8080", "[fe80::1]", 8080)]
    [InlineData("http://localhost:5000", "localhost", 5000)]
    [InlineData("http://*:80", "*", 80)]
    [InlineData("http://+:80", "+", 80)]
    [InlineData("HTTP://127.0.0.1:65535/", "127.0.0.1", 65535)]
    public void TryParse_ValidUrl_ReturnsHostAndPort(string value, string host, int port)
    {
        var ok = ListenerUrl.TryParse(value, out var url, out var problem);

        Assert.True(ok, problem);
        Assert.Equal(string.Empty, problem);
        Assert.Equal("http", url.Scheme);
        Assert.Equal(host, url.Host);
        Assert.Equal(port, url.Port);
        Assert.Equal($"http://{host}:{port}", url.ToString());
    }

    [Theory]
    [InlineData("https://0.0.0.0:8443", "https", "https://0.0.0.0:8443", true)]
    [InlineData("HTTPS://[::]:443/", "https", "https://[::]:443", true)]
    [InlineData("h2c://127.0.0.1:0", "h2c", "h2c://127.0.0.1:0", false)]
    public void TryParse_HttpsAndH2c_KeepTheirScheme(string value, string scheme, string text, bool isHttps)
    {
        var ok = ListenerUrl.TryParse(value, out var url, out var problem);

        Assert.True(ok, problem);
        Assert.Equal(scheme, url.Scheme);
        Assert.Equal(isHttps, url.IsHttps);
        Assert.Equal(text, url.ToString());
    }

    [Theory]
    [InlineData("wss://0.0.0.0:8443", "'wss://0.0.0.0:8443'", "not an http URL", "https://", "h2c://")]
    [InlineData("https://0.0.0.0", "'https://0.0.0.0'", "no port", "'https://ADDRESS:PORT'")]
    [InlineData("0.0.0.0:8080", "'0.0.0.0:8080'", "not an http URL")]
    [InlineData("ftp://0.0.0.0:21", "'ftp://0.0.0.0:21'", "not an http URL")]
    [InlineData("http://0.0.0.0", "'http://0.0.0.0'", "no port")]
    [InlineData("http://[::1]", "'http://[::1]'", "no port")]
    [InlineData("http://0.0.0.0:8080/edge", "'http://0.0.0.0:8080/edge'", "has a path")]
    [InlineData("http://0.0.0.0:65536", "'http://0.0.0.0:65536'", "port '65536'")]
    [InlineData("http://0.0.0.0:http", "'http://0.0.0.0:http'", "port 'http'")]
    [InlineData("http://0.0.0.0:-1", "'http://0.0.0.0:-1'", "port '-1'")]
    [InlineData("http://0.0.0.0:", "'http://0.0.0.0:'", "port ''")]
    [InlineData("http://example.com:80", "'http://example.com:80'", "host 'example.com'")]
    [InlineData("http://10.0.0.300:80", "'http://10.0.0.300:80'", "host '10.0.0.300'")]
    // Without brackets the last ':' could belong to the address or start the port.
    [InlineData("http://::1:80", "'http://::1:80'", "without brackets", "'http://[::1]:PORT'")]
    [InlineData("http://fe80::1:8080", "'http://fe80::1:8080'", "without brackets")]
    [InlineData("http://[::1:80", "'http://[::1:80'", "without brackets")]
    public void TryParse_InvalidUrl_SaysWhy(string value, params string[] expected)
    {
        var ok = ListenerUrl.TryParse(value, out _, out var problem);

        Assert.False(ok);
        foreach (var part in expected)
        {
            Assert.Contains(part, problem, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void TryParse_Addresses_ResolveToBindableAddress()
    {
        Assert.True(ListenerUrl.TryParse("http://0.0.0.0:1", out var any, out _));
        Assert.True(ListenerUrl.TryParse("http://[::1]:1", out var loopback6, out _));
        Assert.True(ListenerUrl.TryParse("http://localhost:1", out var localhost, out _));
        Assert.True(ListenerUrl.TryParse("http://*:1", out var wildcard, out _));

        Assert.Equal(IPAddress.Any, any.Address);
        Assert.Equal(IPAddress.IPv6Loopback, loopback6.Address);
        Assert.Null(localhost.Address);
        Assert.True(localhost.IsLocalhost);
        Assert.Null(wildcard.Address);
        Assert.False(wildcard.IsLocalhost);
    }

    [Fact]
    public void ParseList_SeveralUrls_ReturnsEachInOrder()
    {
        var (urls, problems) = ListenerUrl.ParseList(" http://0.0.0.0:8080 ; http://[::]:8080;;http://localhost:8081 ");

        Assert.Empty(problems);
        Assert.Equal(["http://0.0.0.0:8080", "http://[::]:8080", "http://localhost:8081"], urls.Select(u => u.ToString()));
    }

    [Fact]
    public void ParseList_SomeBad_ReturnsGoodOnesAndEveryProblem()
    {
        var (urls, problems) = ListenerUrl.ParseList("http://0.0.0.0:8080;ftp://0.0.0.0:8443;http://0.0.0.0");

        Assert.Equal("http://0.0.0.0:8080", Assert.Single(urls).ToString());
        Assert.Equal(2, problems.Count);
        Assert.Contains("'ftp://0.0.0.0:8443'", problems[0], StringComparison.Ordinal);
        Assert.Contains("'http://0.0.0.0'", problems[1], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(";;")]
    public void ParseList_Nothing_ReportsNoUrl(string value)
    {
        var (urls, problems) = ListenerUrl.ParseList(value);

        Assert.Empty(urls);
        Assert.Contains("no URL is given", Assert.Single(problems), StringComparison.Ordinal);
    }
}
