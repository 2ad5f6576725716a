using System.Net.Sockets;
using System.Text;

namespace Edge.Testing;

/// <summary>
/// Sends bytes exactly as written over a real socket, for requests an HTTP client would
/// normalise (encoded paths, odd Host headers, malformed framing).
/// </summary>
public static class RawHttp
{
    /// <summary>Sends "METHOD TARGET HTTP/1.1" with the given Host and Connection: close; returns the status code and the whole response text.</summary>
    public static async Task<(int Status, string Response)> SendAsync(Uri server, string method, string target, string host, TimeSpan? timeout = null)
    {
        var request = $"{method} {target} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        var response = await SendRawAsync(server, request, timeout);
        var space = response.IndexOf(' ', StringComparison.Ordinal);
        var status = space > 0 && response.Length >= space + 4 && int.TryParse(response.AsSpan(space + 1, 3), out var code) ? code : 0;
        return (status, response);
    }

    public static async Task<string> SendRawAsync(Uri server, string request, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        using var client = new TcpClient();
        await client.ConnectAsync(server.Host, server.Port, cts.Token);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request), cts.Token);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return await reader.ReadToEndAsync(cts.Token);
    }
}
