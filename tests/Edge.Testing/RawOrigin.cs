using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Edge.Testing;

/// <summary>
/// A raw TCP origin on a loopback port that records each request's head exactly as the edge sent it
/// and answers every request with the same bytes, for headers an HTTP stack would add, hide or
/// normalise. Requests must have no body; each connection is closed after its answer.
/// </summary>
public sealed class RawOrigin : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly string _response;
    private readonly Task _accepting;

    private RawOrigin(string response)
    {
        _response = response;
        _listener.Start();
        Url = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");
        _accepting = AcceptAsync();
    }

    public Uri Url { get; }

    /// <summary>Each request's line and headers, as received.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>Answers every request with <paramref name="response"/>, written as it is.</summary>
    public static RawOrigin Start(string response) => new(response);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = AnswerAsync(client);
        }
    }

    private async Task AnswerAsync(TcpClient client)
    {
        using var _ = client;
        try
        {
            var stream = client.GetStream();
            var head = new StringBuilder();
            var buffer = new byte[8192];
            while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                var read = await stream.ReadAsync(buffer, _stop.Token);
                if (read == 0)
                {
                    return;
                }

                head.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }

            Requests.Enqueue(head.ToString());
            await stream.WriteAsync(Encoding.ASCII.GetBytes(_response), _stop.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException)
        {
            // The edge went away or the origin is stopping.
        }
    }
}
