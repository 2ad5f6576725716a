using System.Text;
using Edge.Testing;
using Xunit.Abstractions;

namespace Edge.FunctionalTests.Hostile;

/// <summary>What the edge must do with an ambiguous or broken request framing.</summary>
public enum Framing
{
    /// <summary>400 (or a close) before anything is forwarded: the origin gets nothing.</summary>
    Refused,

    /// <summary>The body's chunk syntax breaks after the head was forwarded: 400 or a close, and the origin's request is cut, never completed.</summary>
    RefusedMidBody,

    /// <summary>Served once, with the edge's own framing towards the origin; the body is what the client's chunked framing says.</summary>
    Normalised,
}

/// <summary>
/// Request smuggling: each row is one request whose framing a front end and a back end could read
/// differently. Whatever the row, the origin never sees a second request where the client sent one
/// (the <c>GET /smuggled</c> inside the bytes), never sees both Content-Length and Transfer-Encoding,
/// and the edge closes the client connection afterwards.
/// </summary>
public sealed class SmugglingTests(FramedEdge edge, ITestOutputHelper output) : IClassFixture<FramedEdge>
{
    private const string Smuggled = "GET /smuggled HTTP/1.1\r\nHost: edge\r\n\r\n";

    /// <summary>Row name, the headers after Host (<c>{length}</c> is the body's length), the body, the outcome, and for Normalised the body the origin must get.</summary>
    public static TheoryData<string, string, string, Framing, string> Rows => new()
    {
        { "CL and TE: chunked (CL.TE)", "Content-Length: {length}\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n" + Smuggled, Framing.Normalised, "" },
        { "TE: chunked and a short CL (TE.CL)", "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n", "8\r\nSMUGGLED\r\n0\r\n\r\n", Framing.Normalised, "SMUGGLED" },
        { "two differing Content-Length", "Content-Length: 5\r\nContent-Length: {length}\r\n", "hello" + Smuggled, Framing.Refused, "" },
        { "Content-Length list", "Content-Length: 5, {length}\r\n", "hello" + Smuggled, Framing.Refused, "" },
        // RFC 9112 section 6.3 calls "+5" invalid framing (400); Kestrel reads it as 5. The edge forwards
        // its own "Content-Length: 5", so no origin sees the odd value: normalised, not refused.
        { "Content-Length with a plus sign", "Content-Length: +{length}\r\nConnection: close\r\n", "hello", Framing.Normalised, "hello" },
        { "Content-Length in hex", "Content-Length: 0x5\r\n", "hello", Framing.Refused, "" },
        { "TE: chunked, chunked", "Transfer-Encoding: chunked, chunked\r\nConnection: close\r\n", "5\r\nhello\r\n0\r\n\r\n", Framing.Normalised, "hello" },
        { "space before the colon", "Transfer-Encoding : chunked\r\nContent-Length: {length}\r\n", "0\r\n\r\n" + Smuggled, Framing.Refused, "" },
        { "TE: xchunked", "Transfer-Encoding: xchunked\r\n", "5\r\nhello\r\n0\r\n\r\n" + Smuggled, Framing.Refused, "" },
        { "TE: chunked then identity", "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n", "0\r\n\r\n" + Smuggled, Framing.Refused, "" },
        { "chunked in a second TE header", "Transfer-Encoding: identity\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n", "5\r\nhello\r\n0\r\n\r\n", Framing.Normalised, "hello" },
        { "TE with a tab", "Transfer-Encoding:\tchunked\r\nConnection: close\r\n", "5\r\nhello\r\n0\r\n\r\n", Framing.Normalised, "hello" },
        { "TE value folded (obs-fold)", "Transfer-Encoding:\r\n chunked\r\nContent-Length: {length}\r\n", "0\r\n\r\n" + Smuggled, Framing.Refused, "" },
        { "TE with a vertical tab", "Transfer-Encoding: \u000bchunked\r\nContent-Length: {length}\r\n", "0\r\n\r\n" + Smuggled, Framing.Refused, "" },
        { "TE quoted", "Transfer-Encoding: \"chunked\"\r\nContent-Length: {length}\r\n", "0\r\n\r\n" + Smuggled, Framing.Refused, "" },
        { "CR alone in a header value", "X-A: a\rTransfer-Encoding: chunked\r\nContent-Length: {length}\r\n", "0\r\n\r\n" + Smuggled, Framing.Refused, "" },
        { "lone LF in a chunk extension (CVE-2025-55315)", "Transfer-Encoding: chunked\r\n", "2;\nxx\r\n45\r\n0\r\n\r\n" + Smuggled, Framing.RefusedMidBody, "" },
        { "lone LF after a chunk size", "Transfer-Encoding: chunked\r\n", "5\nhello\r\n0\r\n\r\n" + Smuggled, Framing.RefusedMidBody, "" },
        { "chunk size not hex", "Transfer-Encoding: chunked\r\n", "zz\r\nhello\r\n0\r\n\r\n" + Smuggled, Framing.RefusedMidBody, "" },
        { "chunk size overflowing 64 bits", "Transfer-Encoding: chunked\r\n", "10000000000000005\r\nhello\r\n0\r\n\r\n" + Smuggled, Framing.RefusedMidBody, "" },
        { "negative chunk size", "Transfer-Encoding: chunked\r\n", "-5\r\nhello\r\n0\r\n\r\n" + Smuggled, Framing.RefusedMidBody, "" },
        { "chunk longer than its size", "Transfer-Encoding: chunked\r\n", "3\r\nhello\r\n0\r\n\r\n" + Smuggled, Framing.RefusedMidBody, "" },
        { "GET with a body holding a request", "Content-Length: {length}\r\nConnection: close\r\n", Smuggled, Framing.Normalised, Smuggled },
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task AmbiguousFraming_OriginNeverSeesASecondRequest(string row, string headers, string body, Framing outcome, string expectedBody)
    {
        var method = row.StartsWith("GET", StringComparison.Ordinal) ? "GET" : "POST";
        var head = $"{method} /framing HTTP/1.1\r\nHost: edge\r\n{headers.Replace("{length}", body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)}\r\n";

        var (response, closed, seen, heads) = await edge.ExchangeAsync(Encoding.Latin1.GetBytes(head + body));

        output.WriteLine($"{row}: {HeaderAbuseTests.Describe(response)}; the origin got {heads} head(s): {string.Join(" | ", seen.Select(r => $"{r.Line} body {r.Body.Length} B complete {r.Complete}"))}");
        Assert.True(closed, $"{row}: the edge kept the connection open after: {response}");
        Assert.DoesNotContain(seen, r => r.Line.Contains("smuggled", StringComparison.Ordinal));
        Assert.True(heads <= 1, $"{row}: the origin received {heads} requests.");
        Assert.All(seen, AssertOneFraming);
        var status = RawHttp.Status(response);
        switch (outcome)
        {
            case Framing.Refused:
                Assert.Equal(400, status);
                Assert.Equal(0, heads);
                break;
            case Framing.RefusedMidBody:
                Assert.True(status is 400 or 0, $"{row}: answered {status}.");
                Assert.DoesNotContain(seen, r => r.Complete);
                break;
            case Framing.Normalised:
                Assert.Equal(200, status);
                Assert.Equal(1, CountOf(response, "HTTP/1.1 "));
                var one = Assert.Single(seen);
                Assert.True(one.Complete);
                Assert.Equal(expectedBody, Encoding.Latin1.GetString(one.Body));
                break;
        }
    }

    private static void AssertOneFraming(FramedRequest request)
    {
        var lines = request.Head.Split("\r\n");
        var lengths = lines.Where(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)).ToList();
        var encodings = lines.Where(l => l.StartsWith("Transfer-Encoding:", StringComparison.OrdinalIgnoreCase)).ToList();
        Assert.True(lengths.Count + encodings.Count <= 1, $"The origin got framing headers: {request.Head}");
        Assert.All(lengths, l => Assert.Matches("^Content-Length: [0-9]+$", l));
        Assert.All(encodings, e => Assert.Equal("Transfer-Encoding: chunked", e, ignoreCase: true));
    }

    private static int CountOf(string text, string what)
    {
        var count = 0;
        for (var i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + what.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
