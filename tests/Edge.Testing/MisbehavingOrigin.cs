using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Edge.Testing;

/// <summary>The ways an origin can fail an edge, one per <see cref="MisbehavingOrigin"/>.</summary>
public enum Misbehaviour
{
    /// <summary>Nothing listens on the port: every connection is refused.</summary>
    RefusesConnections,

    /// <summary>Accepts the connection, reads the request, never answers.</summary>
    NeverAnswers,

    /// <summary>Sends a status line and headers promising a body, then nothing.</summary>
    HeadersThenStalls,

    /// <summary>Sends headers, then the body one byte per second.</summary>
    TricklesBody,

    /// <summary>Answers with a line that is not an HTTP status line.</summary>
    GarbageStatusLine,

    /// <summary>Answers with both Content-Length and Transfer-Encoding: chunked, and a body that fits neither.</summary>
    ConflictingFraming,

    /// <summary>Streams a 500 MB body.</summary>
    HugeBody,

    /// <summary>Sends headers and part of the body, then resets the connection (RST).</summary>
    ResetsMidBody,

    /// <summary>A destination whose host name cannot be resolved.</summary>
    UnresolvableHost,

    /// <summary>A listener whose accept queue is full, so a new connection's handshake never completes.</summary>
    ConnectionHangs,
}

/// <summary>
/// A raw TCP origin on a loopback port that misbehaves in one chosen way, for testing that the
/// edge survives it. Counts the connections it accepted.
/// </summary>
public sealed class MisbehavingOrigin : IAsyncDisposable
{
    public const long HugeBodyBytes = 500L * 1024 * 1024;

    private readonly TcpListener? _listener;
    private readonly List<Socket> _fillers = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting = Task.CompletedTask;
    private int _connections;

    private MisbehavingOrigin(Misbehaviour mode)
    {
        Mode = mode;
        switch (mode)
        {
            case Misbehaviour.UnresolvableHost:
                Url = new Uri("http://edge-test-origin.invalid:8080/");
                break;
            case Misbehaviour.RefusesConnections:
                var probe = new TcpListener(IPAddress.Loopback, 0);
                probe.Start();
                Url = new Uri($"http://127.0.0.1:{((IPEndPoint)probe.LocalEndpoint).Port}/");
                probe.Stop();
                break;
            case Misbehaviour.ConnectionHangs:
                // Never accepted, backlog of one: once the queue holds its few connections, the
                // kernel drops further SYNs and a connect waits until the client gives up.
                _listener = new TcpListener(IPAddress.Loopback, 0);
                _listener.Start(1);
                Url = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");
                FillAcceptQueue();
                break;
            default:
                _listener = new TcpListener(IPAddress.Loopback, 0);
                _listener.Start();
                Url = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");
                _accepting = AcceptLoopAsync();
                break;
        }
    }

    public Misbehaviour Mode { get; }

    public Uri Url { get; }

    public int Connections => Volatile.Read(ref _connections);

    public static MisbehavingOrigin Start(Misbehaviour mode) => new(mode);

    public async ValueTask DisposeAsync()
    {
        foreach (var filler in _fillers)
        {
            filler.Dispose();
        }

        await _stop.CancelAsync();
        _listener?.Stop();
        try
        {
            await _accepting;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopping is the point.
        }

        _stop.Dispose();
    }

    private void FillAcceptQueue()
    {
        // Non-blocking connects polled with a timeout: no thread-pool continuation is involved, so a
        // busy pool cannot make a completed handshake look like a dropped SYN. A connect that has
        // not completed within two seconds (past the first SYN retransmission) is one the kernel
        // keeps dropping: the queue is full.
        for (var i = 0; i < 16; i++)
        {
            var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { Blocking = false };
            _fillers.Add(filler);
            try
            {
                filler.Connect(IPAddress.Loopback, Url.Port);
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress)
            {
                if (!filler.Poll(TimeSpan.FromSeconds(2), SelectMode.SelectWrite))
                {
                    return;
                }
            }
        }

        throw new InvalidOperationException("The accept queue did not fill: connections kept completing.");
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener!.AcceptTcpClientAsync(_stop.Token);
            Interlocked.Increment(ref _connections);
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        var token = _stop.Token;
        try
        {
            using (client)
            {
                var stream = client.GetStream();
                await ReadRequestHeadAsync(stream, token);
                switch (Mode)
                {
                    case Misbehaviour.NeverAnswers:
                        await Task.Delay(Timeout.Infinite, token);
                        break;
                    case Misbehaviour.HeadersThenStalls:
                        await WriteAsync(stream, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nContent-Type: text/plain\r\n\r\n", token);
                        await Task.Delay(Timeout.Infinite, token);
                        break;
                    case Misbehaviour.TricklesBody:
                        await WriteAsync(stream, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nContent-Type: text/plain\r\n\r\n", token);
                        for (var i = 0; i < 100; i++)
                        {
                            await WriteAsync(stream, "x", token);
                            await Task.Delay(1000, token);
                        }

                        break;
                    case Misbehaviour.GarbageStatusLine:
                        await WriteAsync(stream, "HTCPCP/9.9 I'm a teapot, really\r\nwhat: ever\r\n\r\n", token);
                        break;
                    case Misbehaviour.ConflictingFraming:
                        await WriteAsync(stream, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\nhello", token);
                        await Task.Delay(Timeout.Infinite, token);
                        break;
                    case Misbehaviour.HugeBody:
                        await WriteAsync(stream, $"HTTP/1.1 200 OK\r\nContent-Length: {HugeBodyBytes}\r\nContent-Type: application/octet-stream\r\n\r\n", token);
                        var block = new byte[64 * 1024];
                        for (long sent = 0; sent < HugeBodyBytes; sent += block.Length)
                        {
                            await stream.WriteAsync(block, token);
                        }

                        break;
                    case Misbehaviour.ResetsMidBody:
                        await WriteAsync(stream, "HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\nContent-Type: application/octet-stream\r\n\r\n", token);
                        await stream.WriteAsync(new byte[64 * 1024], token);
                        await stream.FlushAsync(token);
                        await Task.Delay(200, token);
                        client.Client.LingerState = new LingerOption(true, 0);
                        client.Client.Close();
                        break;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            // The edge hung up, or the test is over.
        }
    }

    private static async Task ReadRequestHeadAsync(NetworkStream stream, CancellationToken token)
    {
        var buffer = new byte[8192];
        var seen = new StringBuilder();
        while (!seen.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var read = await stream.ReadAsync(buffer, token);
            if (read == 0)
            {
                return;
            }

            seen.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }
    }

    private static async Task WriteAsync(NetworkStream stream, string text, CancellationToken token)
    {
        await stream.WriteAsync(Encoding.ASCII.GetBytes(text), token);
        await stream.FlushAsync(token);
    }
}
