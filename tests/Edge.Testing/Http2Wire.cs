using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace Edge.Testing;

/// <summary>
/// A tiny hand-written HTTP/2 client over cleartext (prior knowledge), for frames no well-behaved
/// client sends: streams opened and reset at once, more streams than allowed, header blocks larger
/// than any limit. Requests are HEADERS frames whose fields are HPACK literals without indexing,
/// so nothing depends on a dynamic table. A background reader counts what the server answers.
/// </summary>
public sealed class Http2Wire : IAsyncDisposable
{
    public const byte Data = 0x0, Headers = 0x1, RstStream = 0x3, Settings = 0x4, Ping = 0x6, GoAway = 0x7, Continuation = 0x9;
    public const byte EndStream = 0x1, EndHeaders = 0x4, Ack = 0x1;
    public const int Cancel = 0x8, RefusedStream = 0x7;

    private static readonly byte[] Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray();
    private readonly TcpClient _client;
    private readonly NetworkStream _stream;
    private readonly SemaphoreSlim _writing = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _reading;
    private readonly string _authority;
    private int _responses;
    private int _resets;
    private int _refused;
    private int _pingAcks;
    private int _nextStream = 1;

    private Http2Wire(TcpClient client, string authority)
    {
        _client = client;
        _stream = client.GetStream();
        _authority = authority;
        _reading = ReadAsync();
    }

    /// <summary>HEADERS frames the server sent (one per response started).</summary>
    public int Responses => Volatile.Read(ref _responses);

    /// <summary>RST_STREAM frames the server sent, and how many of them said REFUSED_STREAM.</summary>
    public int Resets => Volatile.Read(ref _resets);

    public int Refused => Volatile.Read(ref _refused);

    /// <summary>PING acknowledgements the server sent: it has read every frame written before that PING.</summary>
    public int PingAcks => Volatile.Read(ref _pingAcks);

    /// <summary>The server's GOAWAY error code, once it sent one.</summary>
    public int? GoAwayError { get; private set; }

    /// <summary>The server's SETTINGS_MAX_CONCURRENT_STREAMS, once its SETTINGS arrived.</summary>
    public int? MaxConcurrentStreams { get; private set; }

    /// <summary>Completes when the server closed the connection (or reset it).</summary>
    public Task Closed => _closed.Task;

    /// <summary>Connects, sends the preface and an empty SETTINGS frame.</summary>
    public static async Task<Http2Wire> ConnectAsync(Uri server)
    {
        var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(server.Host, server.Port);
        var wire = new Http2Wire(client, server.Authority);
        var hello = new MemoryStream();
        hello.Write(Preface);
        WriteFrame(hello, Settings, 0, 0, []);
        await wire.SendAsync(hello.ToArray());
        return wire;
    }

    /// <summary>The id the next <see cref="Request"/> will use (odd, increasing).</summary>
    public int NextStreamId => _nextStream;

    /// <summary>Appends a GET (HEADERS with END_HEADERS|END_STREAM) on a new stream to <paramref name="into"/>; returns its id.</summary>
    public int Request(MemoryStream into, string path, params (string Name, string Value)[] headers)
    {
        var id = _nextStream;
        _nextStream += 2;
        WriteFrame(into, Http2Wire.Headers, EndHeaders | EndStream, id, HeaderBlock(path, headers));
        return id;
    }

    /// <summary>The HPACK block of a GET: indexed :method and :scheme, literal :path, :authority and headers.</summary>
    public byte[] HeaderBlock(string path, params (string Name, string Value)[] headers)
    {
        var block = new MemoryStream();
        block.WriteByte(0x82); // :method GET (static index 2)
        block.WriteByte(0x86); // :scheme http (static index 6)
        LiteralIndexedName(block, 4, path); // :path
        LiteralIndexedName(block, 1, _authority); // :authority
        block.Write(Literals(headers));
        return block.ToArray();
    }

    /// <summary>Header fields as HPACK literals without indexing (new names), e.g. for CONTINUATION frames.</summary>
    public static byte[] Literals(params (string Name, string Value)[] headers)
    {
        var block = new MemoryStream();
        foreach (var (name, value) in headers)
        {
            block.WriteByte(0x00); // literal without indexing, new name
            HpackString(block, name);
            HpackString(block, value);
        }

        return block.ToArray();
    }

    /// <summary>Takes a stream id without sending anything, for callers that write their own HEADERS frames.</summary>
    public int TakeStreamId()
    {
        var id = _nextStream;
        _nextStream += 2;
        return id;
    }

    public static void RstStreamFrame(MemoryStream into, int streamId, int errorCode)
    {
        var payload = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(payload, errorCode);
        WriteFrame(into, RstStream, 0, streamId, payload);
    }

    public static void WriteFrame(MemoryStream into, byte type, byte flags, int streamId, ReadOnlySpan<byte> payload)
    {
        Span<byte> header = stackalloc byte[9];
        header[0] = (byte)(payload.Length >> 16);
        header[1] = (byte)(payload.Length >> 8);
        header[2] = (byte)payload.Length;
        header[3] = type;
        header[4] = flags;
        BinaryPrimitives.WriteInt32BigEndian(header[5..], streamId & 0x7FFFFFFF);
        into.Write(header);
        into.Write(payload);
    }

    /// <summary>Writes bytes; false when the server has closed the connection.</summary>
    public async Task<bool> SendAsync(byte[] bytes)
    {
        await _writing.WaitAsync();
        try
        {
            await _stream.WriteAsync(bytes);
            return true;
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            return false;
        }
        finally
        {
            _writing.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _client.Dispose();
        await _reading;
        _stop.Dispose();
        _writing.Dispose();
    }

    private static void LiteralIndexedName(MemoryStream block, int index, string value)
    {
        block.WriteByte((byte)index); // literal without indexing, indexed name (4-bit prefix; index < 15)
        HpackString(block, value);
    }

    private static void HpackString(MemoryStream block, string text)
    {
        var bytes = Encoding.ASCII.GetBytes(text);
        HpackInteger(block, 0x00, 7, bytes.Length);
        block.Write(bytes);
    }

    private static void HpackInteger(MemoryStream block, byte firstBits, int prefixBits, int value)
    {
        var max = (1 << prefixBits) - 1;
        if (value < max)
        {
            block.WriteByte((byte)(firstBits | value));
            return;
        }

        block.WriteByte((byte)(firstBits | max));
        value -= max;
        while (value >= 128)
        {
            block.WriteByte((byte)((value % 128) + 128));
            value /= 128;
        }

        block.WriteByte((byte)value);
    }

    private async Task ReadAsync()
    {
        var header = new byte[9];
        try
        {
            while (true)
            {
                await _stream.ReadExactlyAsync(header, _stop.Token);
                var length = (header[0] << 16) | (header[1] << 8) | header[2];
                var payload = new byte[length];
                await _stream.ReadExactlyAsync(payload, _stop.Token);
                switch (header[3])
                {
                    case Headers:
                        Interlocked.Increment(ref _responses);
                        break;
                    case RstStream:
                        Interlocked.Increment(ref _resets);
                        if (BinaryPrimitives.ReadInt32BigEndian(payload) == RefusedStream)
                        {
                            Interlocked.Increment(ref _refused);
                        }

                        break;
                    case Ping when (header[4] & Ack) != 0:
                        Interlocked.Increment(ref _pingAcks);
                        break;
                    case GoAway:
                        GoAwayError = BinaryPrimitives.ReadInt32BigEndian(payload.AsSpan(4));
                        break;
                    case Settings when (header[4] & Ack) == 0:
                        for (var i = 0; i + 6 <= payload.Length; i += 6)
                        {
                            if (BinaryPrimitives.ReadUInt16BigEndian(payload.AsSpan(i)) == 0x3)
                            {
                                MaxConcurrentStreams = BinaryPrimitives.ReadInt32BigEndian(payload.AsSpan(i + 2));
                            }
                        }

                        var ack = new MemoryStream();
                        WriteFrame(ack, Settings, Ack, 0, []);
                        await SendAsync(ack.ToArray());
                        break;
                }
            }
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            _closed.TrySetResult();
        }
    }
}
