using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Edge.Testing;

/// <summary>One request as a <see cref="FramingOrigin"/> parsed it off the wire.</summary>
/// <param name="Line">The request line, e.g. <c>POST /upload HTTP/1.1</c>.</param>
/// <param name="Head">The request line and headers as received.</param>
/// <param name="Body">The body bytes read (by Content-Length or chunked framing).</param>
/// <param name="Complete">Whether the whole body arrived; false when the connection ended mid-body.</param>
public sealed record FramedRequest(string Line, string Head, byte[] Body, bool Complete);

/// <summary>
/// A raw TCP origin that parses HTTP/1.1 framing itself (Content-Length and chunked bodies,
/// keep-alive), so a test sees exactly how many requests the edge sent on each connection and
/// where each one ended: what a request-smuggling test needs. It records a request as soon as its
/// head arrives and again when its body ends or is cut, and notices a response the edge stopped
/// reading. <c>GET /bytes/N</c> answers N bytes; anything else answers <c>ok</c>.
/// </summary>
public sealed class FramingOrigin : IAsyncDisposable
{
    private const int MaxRequestsPerConnection = 1000;
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private int _connections;
    private int _open;
    private int _heads;
    private int _responsesCut;

    private FramingOrigin()
    {
        _listener.Start();
        Url = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");
        _accepting = AcceptAsync();
    }

    public Uri Url { get; }

    /// <summary>Requests whose body has ended, whole or cut, in the order they ended.</summary>
    public ConcurrentQueue<FramedRequest> Requests { get; } = new();

    /// <summary>Request heads received, including those whose body is still arriving.</summary>
    public int Heads => Volatile.Read(ref _heads);

    /// <summary>Connections the edge opened.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Connections open now.</summary>
    public int OpenConnections => Volatile.Read(ref _open);

    /// <summary>Responses the edge stopped reading before their last byte (the connection closed under the write).</summary>
    public int ResponsesCut => Volatile.Read(ref _responsesCut);

    public static FramingOrigin Start() => new();

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

            Interlocked.Increment(ref _connections);
            Interlocked.Increment(ref _open);
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        var reader = new WireReader(client.GetStream(), _stop.Token);
        try
        {
            for (var i = 0; i < MaxRequestsPerConnection; i++)
            {
                var head = await ReadHeadAsync(reader);
                if (head is null)
                {
                    return;
                }

                Interlocked.Increment(ref _heads);
                var line = head[..head.IndexOf('\n', StringComparison.Ordinal)].TrimEnd('\r');
                var (body, complete) = await ReadBodyAsync(reader, head);
                Requests.Enqueue(new FramedRequest(line, head, body, complete));
                if (!complete)
                {
                    return;
                }

                if (!await AnswerAsync(client.GetStream(), line))
                {
                    Interlocked.Increment(ref _responsesCut);
                    return;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException)
        {
            // The edge went away or the origin is stopping.
        }
        finally
        {
            Interlocked.Decrement(ref _open);
        }
    }

    private static async Task<string?> ReadHeadAsync(WireReader reader)
    {
        var head = new StringBuilder();
        while (true)
        {
            var line = await reader.ReadLineAsync();
            if (line is null)
            {
                return null;
            }

            head.Append(line).Append("\r\n");
            if (line.Length == 0)
            {
                return head.Length == 2 ? null : head.ToString();
            }
        }
    }

    private static async Task<(byte[] Body, bool Complete)> ReadBodyAsync(WireReader reader, string head)
    {
        var body = new MemoryStream();
        if (Header(head, "Transfer-Encoding") is { } te && te.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            while (true)
            {
                var sizeLine = await reader.ReadLineAsync();
                if (sizeLine is null)
                {
                    return (body.ToArray(), false);
                }

                var size = int.Parse(sizeLine.Split(';')[0].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (size == 0)
                {
                    while (await reader.ReadLineAsync() is { Length: > 0 })
                    {
                        // Trailers are read and ignored.
                    }

                    return (body.ToArray(), true);
                }

                if (!await reader.CopyAsync(body, size) || await reader.ReadLineAsync() is null)
                {
                    return (body.ToArray(), false);
                }
            }
        }

        var length = Header(head, "Content-Length") is { } cl ? long.Parse(cl, CultureInfo.InvariantCulture) : 0;
        var complete = await reader.CopyAsync(body, length);
        return (body.ToArray(), complete);
    }

    private async Task<bool> AnswerAsync(NetworkStream stream, string line)
    {
        var target = line.Split(' ')[1];
        var size = target.StartsWith("/bytes/", StringComparison.Ordinal) ? long.Parse(target["/bytes/".Length..], CultureInfo.InvariantCulture) : 2;
        try
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {size}\r\nContent-Type: text/plain\r\n\r\n"), _stop.Token);
            if (size == 2 && !target.StartsWith("/bytes/", StringComparison.Ordinal))
            {
                await stream.WriteAsync("ok"u8.ToArray(), _stop.Token);
                return true;
            }

            var chunk = new byte[64 * 1024];
            Array.Fill(chunk, (byte)'x');
            for (var sent = 0L; sent < size; sent += chunk.Length)
            {
                await stream.WriteAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, size - sent)), _stop.Token);
            }

            return true;
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            return false;
        }
    }

    private static string? Header(string head, string name)
    {
        foreach (var line in head.Split("\r\n"))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line[..colon].Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return line[(colon + 1)..].Trim();
            }
        }

        return null;
    }

    /// <summary>Buffered reads of lines (ending in LF, CR dropped) and counted bytes off one connection.</summary>
    private sealed class WireReader(NetworkStream stream, CancellationToken stop)
    {
        private readonly byte[] _buffer = new byte[16 * 1024];
        private int _start;
        private int _end;

        public async Task<string?> ReadLineAsync()
        {
            var line = new StringBuilder();
            while (true)
            {
                if (_start == _end && !await FillAsync())
                {
                    return null;
                }

                var newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
                var stop = newline < 0 ? _end : newline;
                line.Append(Encoding.Latin1.GetString(_buffer, _start, stop - _start));
                _start = newline < 0 ? _end : newline + 1;
                if (newline >= 0)
                {
                    return line.ToString().TrimEnd('\r');
                }

                if (line.Length > 128 * 1024)
                {
                    throw new IOException("A line longer than 128 KB.");
                }
            }
        }

        public async Task<bool> CopyAsync(Stream into, long count)
        {
            while (count > 0)
            {
                if (_start == _end && !await FillAsync())
                {
                    return false;
                }

                var take = (int)Math.Min(count, _end - _start);
                into.Write(_buffer, _start, take);
                _start += take;
                count -= take;
            }

            return true;
        }

        /// <summary>False at the end of the stream, including an end by reset: a cut body is an answer, not an error.</summary>
        private async Task<bool> FillAsync()
        {
            _start = 0;
            try
            {
                _end = await stream.ReadAsync(_buffer, stop);
            }
            catch (Exception e) when (e is IOException or SocketException)
            {
                _end = 0;
            }

            return _end > 0;
        }
    }
}
