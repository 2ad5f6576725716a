using System.Net;
using Edge.Testing;

namespace Edge.FunctionalTests.Hostile;

/// <summary>
/// One edge in front of a <see cref="FramingOrigin"/> for a table of hostile requests: each row
/// sends its bytes on a fresh connection, then a plain request through the edge, and sees exactly
/// what the origin received in between, so a row can say "the origin got nothing" without sleeping.
/// </summary>
public sealed class FramedEdge : IAsyncLifetime, IDisposable
{
    private EdgeConfigFile? _file;
    private int _sentinels;

    public FramingOrigin Origin { get; private set; } = null!;

    public EdgeProcess Process { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Origin = FramingOrigin.Start();
        _file = new EdgeConfigFile(EdgeConfigFile.Config(("raw", Origin.Url)));
        Process = await EdgeProcess.StartAsync(_file.Path);
    }

    /// <summary>
    /// Sends the bytes, reads the answer until the edge closes (within 10 s), then proves the edge
    /// still serves with a plain request and returns every request the origin finished in between
    /// (whole or cut) and how many heads it received.
    /// </summary>
    public async Task<(string Response, bool Closed, IReadOnlyList<FramedRequest> Seen, int Heads)> ExchangeAsync(byte[] request)
    {
        var heads = Origin.Heads;
        var ended = Origin.Requests.Count;
        var (response, closed) = await RawHttp.ExchangeAsync(Process.PublicUrl, request, TimeSpan.FromSeconds(10));

        var sentinel = $"/sentinel-{Interlocked.Increment(ref _sentinels)}";
        using (var plain = await Process.Public.GetAsync(sentinel))
        {
            Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
        }

        // Every head the origin got has ended (whole or cut): nothing is still held open by the row.
        await Eventually.TrueAsync(() => Origin.Requests.Count - ended == Origin.Heads - heads, TimeSpan.FromSeconds(5), "every request the origin received to end");
        var seen = Origin.Requests.Skip(ended).Where(r => r.Line != $"GET {sentinel} HTTP/1.1").ToList();
        return (response, closed, seen, Origin.Heads - heads - 1);
    }

    public async Task DisposeAsync()
    {
        await Process.DisposeAsync();
        await Origin.DisposeAsync();
    }

    public void Dispose() => _file?.Dispose();
}
