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
        return (Status(response), response);
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

    /// <summary>
    /// Sends the bytes as given and reads until the server closes the connection or the deadline
    /// passes; a reset, even during the handshake, counts as closed. The answer is Latin-1 text, so every byte survives.
    /// </summary>
    public static async Task<(string Response, bool Closed)> ExchangeAsync(Uri server, byte[] request, TimeSpan deadline)
    {
        using var cts = new CancellationTokenSource(deadline);
        using var client = new TcpClient();
        var response = new StringBuilder();
        try
        {
            await client.ConnectAsync(server.Host, server.Port, cts.Token);
            var stream = client.GetStream();
            await stream.WriteAsync(request, cts.Token);
            var buffer = new byte[16 * 1024];
            while (true)
            {
                var read = await stream.ReadAsync(buffer, cts.Token);
                if (read == 0)
                {
                    return (response.ToString(), true);
                }

                response.Append(Encoding.Latin1.GetString(buffer, 0, read));
            }
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            return (response.ToString(), true);
        }
        catch (OperationCanceledException)
        {
            return (response.ToString(), false);
        }
    }

    /// <summary>The status code of the first response in the text, or 0 when there is none.</summary>
    public static int Status(string response)
    {
        var space = response.IndexOf(' ', StringComparison.Ordinal);
        return space > 0 && response.Length >= space + 4 && int.TryParse(response.AsSpan(space + 1, 3), out var code) ? code : 0;
    }
}
