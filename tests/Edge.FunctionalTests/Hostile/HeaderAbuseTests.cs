using System.Text;
using Edge.Testing;
using Xunit.Abstractions;

namespace Edge.FunctionalTests.Hostile;

/// <summary>
/// Request heads built to exhaust or confuse: too many headers, a huge header, a huge request line,
/// header names that are not tokens. Limits at their defaults: 100 headers, 32 KB of headers,
/// an 8 KB request line, underscores refused.
/// </summary>
public sealed class HeaderAbuseTests(FramedEdge edge, ITestOutputHelper output) : IClassFixture<FramedEdge>
{
    public static TheoryData<string, string, int> Heads => new()
    {
        { "200 headers", string.Concat(Enumerable.Range(0, 200).Select(i => $"X-H{i}: v\r\n")), 431 },
        { "a 64 KB header", $"X-Big: {new string('b', 64 * 1024)}\r\n", 431 },
        { "underscore", "X_Forwarded_For: 6.6.6.6\r\n", 400 },
        { "SOH in name", "X-\u0001A: v\r\n", 400 },
        { "DEL in name", "X-\u007fA: v\r\n", 400 },
        { "NUL in name", "X-\u0000A: v\r\n", 400 },
        { "tab in name", "X-\tA: v\r\n", 400 },
        { "space before colon", "X-A : v\r\n", 400 },
        { "non-ASCII in name", "X-\u00e9: v\r\n", 400 },
        { "parentheses", "X(A): v\r\n", 400 },
        { "at sign", "X@A: v\r\n", 400 },
        { "slash", "X/A: v\r\n", 400 },
        { "brackets", "X[A]: v\r\n", 400 },
        { "braces", "X{A}: v\r\n", 400 },
        { "quote", "X\"A: v\r\n", 400 },
        { "equals", "X=A: v\r\n", 400 },
        { "comma", "X,A: v\r\n", 400 },
        { "semicolon", "X;A: v\r\n", 400 },
        { "question mark", "X?A: v\r\n", 400 },
        { "backslash", "X\\A: v\r\n", 400 },
        { "empty name", ": v\r\n", 400 },
    };

    [Theory]
    [MemberData(nameof(Heads))]
    public async Task AbusiveHead_IsRefused_AndTheOriginReceivesNothing(string row, string headers, int expected)
    {
        var request = Encoding.Latin1.GetBytes($"GET /abuse HTTP/1.1\r\nHost: edge\r\n{headers}Connection: close\r\n\r\n");

        var (response, closed, seen, heads) = await edge.ExchangeAsync(request);

        output.WriteLine($"{row}: {Describe(response)}");
        Assert.Equal(expected, RawHttp.Status(response));
        Assert.True(closed, $"{row}: the edge kept the connection open.");
        AssertEmptyOrProblem(response);
        Assert.Equal(0, heads);
        Assert.Empty(seen);
    }

    /// <summary>A 16 KB request line against the default 8 KB limit: 414, nothing forwarded.</summary>
    [Fact]
    public async Task RequestLine16KB_Gets414_AndTheOriginReceivesNothing()
    {
        var request = Encoding.ASCII.GetBytes($"GET /{new string('a', 16 * 1024)} HTTP/1.1\r\nHost: edge\r\nConnection: close\r\n\r\n");

        var (response, closed, seen, heads) = await edge.ExchangeAsync(request);

        Assert.Equal(414, RawHttp.Status(response));
        Assert.True(closed);
        Assert.Equal(0, heads);
        Assert.Empty(seen);
    }

    /// <summary>What the edge answered: Kestrel's refusals carry no body, the edge's own are problem+json.</summary>
    internal static string Describe(string response)
    {
        var status = RawHttp.Status(response);
        return status == 0 ? "no answer" : $"{status}, {(response.Contains("application/problem+json", StringComparison.Ordinal) ? "problem+json from the edge" : "empty body from Kestrel")}";
    }

    private static void AssertEmptyOrProblem(string response)
    {
        var split = response.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        Assert.True(split > 0, response);
        if (split + 4 < response.Length)
        {
            Assert.Contains("Content-Type: application/problem+json", response, StringComparison.OrdinalIgnoreCase);
        }
    }
}
