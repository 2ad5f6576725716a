using System.Text;
using Edge.Proxy.Observability;
using Serilog.Events;
using Serilog.Formatting.Display;
using Serilog.Parsing;

namespace Edge.Proxy.Tests.Observability;

public sealed class BatchedOutputSinkTests
{
    private static readonly MessageTemplateTextFormatter Lines = new("{Message}{NewLine}", System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void ManyThreads_EveryLineArrivesWholeAndInEachThreadsOrder()
    {
        var output = new MemoryStream();
        var sink = new BatchedOutputSink(Lines, output);
        Parallel.For(0, 8, thread =>
        {
            for (var i = 0; i < 2000; i++)
            {
                sink.Emit(Event($"thread {thread} line {i} é"));
            }
        });
        sink.Dispose();

        var lines = Encoding.UTF8.GetString(output.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(16000, lines.Length);
        for (var thread = 0; thread < 8; thread++)
        {
            var mine = lines.Where(l => l.StartsWith($"thread {thread} ", StringComparison.Ordinal)).ToList();
            Assert.Equal(Enumerable.Range(0, 2000).Select(i => $"thread {thread} line {i} é"), mine);
        }
    }

    /// <summary>A request line reaches a JSON output as its bytes, and a text output through its Serilog event.</summary>
    [Fact]
    public void RequestLine_JsonOutputWritesItsBytes_TextOutputItsRenderedEvent()
    {
        var line = new RequestLine(
            DateTimeOffset.UnixEpoch, LogEventLevel.Information, RequestLog.Settings.Parsed, "GET", "/a", 200, 1500, "api", "main", "a",
            null, 20, System.Net.IPAddress.Loopback, System.Diagnostics.ActivityTraceId.CreateRandom(), null, "rate_limit", null);

        var json = new MemoryStream();
        using (var sink = new BatchedOutputSink(new EdgeJsonFormatter(), json))
        {
            sink.Emit(line);
        }

        var expected = new System.Buffers.ArrayBufferWriter<byte>();
        Assert.True(EdgeJsonFormatter.TryWriteRequestLine(line, expected));
        Assert.Equal(expected.WrittenSpan.ToArray(), json.ToArray());

        var text = new MemoryStream();
        using (var sink = new BatchedOutputSink(Lines, text))
        {
            sink.Emit(line);
        }

        Assert.Equal("\"GET\" \"/a\" 200 in 1.5 ms (route \"api\", cluster \"main\", destination \"a\")\n", Encoding.UTF8.GetString(text.ToArray()));
    }

    [Fact]
    public async Task Lines_AreWrittenWithoutDispose_WithinAFewIntervals()
    {
        using var output = new StallingStream();
        output.Release();
        using var sink = new BatchedOutputSink(Lines, output);

        sink.Emit(Event("first"));

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (!output.Text.Contains("first\n", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, "the line was not written within 5 s");
            await Task.Delay(10);
        }
    }

    [Fact]
    public void StalledOutput_DropsPastTheBound_ReportsTheCount_NeverBlocksTheCaller()
    {
        using var output = new StallingStream();
        var sink = new BatchedOutputSink(Lines, output);
        var line = new string('x', 1000);

        // The writer thread is stuck in its first write; emitting must still return at once.
        sink.Emit(Event("stuck"));
        Assert.True(output.Entered.Wait(TimeSpan.FromSeconds(5)), "the writer never started writing");
        var started = System.Diagnostics.Stopwatch.StartNew();
        // Twice what the buffer holds (1001 bytes a line with its newline): about half is dropped.
        var lines = 2 * BatchedOutputSink.MaxPendingBytes / 1001;
        for (var i = 0; i < lines; i++)
        {
            sink.Emit(Event(line));
        }

        Assert.True(started.Elapsed < TimeSpan.FromSeconds(10), $"emitting took {started.Elapsed}");
        Assert.InRange(sink.Dropped, (lines / 2) - 20, (lines / 2) + 20);
        var dropped = sink.Dropped;

        output.Release();
        sink.Dispose();

        var text = output.Text;
        Assert.Contains($"{dropped} log lines were dropped", text, StringComparison.Ordinal);
        Assert.Equal(lines - dropped, text.Split('\n').Count(l => l == line));
    }

    /// <summary>JSON lines take the UTF-8 path, the rest the text path; both arrive as the UTF-8 of what Serilog's JsonFormatter prints.</summary>
    [Fact]
    public void JsonLines_SimpleAndComplex_ArriveAsTheUtf8OfSerilogsJson()
    {
        var output = new MemoryStream();
        var sink = new BatchedOutputSink(new EdgeJsonFormatter(), output);
        var simple = new LogEvent(DateTimeOffset.UtcNow, LogEventLevel.Information, null, new MessageTemplateParser().Parse("{Path} é \"{N}\""),
            [new("Path", new ScalarValue("/日本/😀\"q\"\n")), new("N", new ScalarValue(1.5))]);
        var complex = new LogEvent(DateTimeOffset.UtcNow, LogEventLevel.Error, new InvalidOperationException("ü"), new MessageTemplateParser().Parse("{X}"),
            [new("X", new SequenceValue([new ScalarValue("ü")]))]);
        Assert.True(EdgeJsonFormatter.IsSimple(simple));
        Assert.False(EdgeJsonFormatter.IsSimple(complex));

        sink.Emit(simple);
        sink.Emit(complex);
        sink.Dispose();

        var serilog = new Serilog.Formatting.Json.JsonFormatter(renderMessage: true);
        var expected = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
        serilog.Format(simple, expected);
        serilog.Format(complex, expected);
        var actual = Encoding.UTF8.GetString(output.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var wanted = expected.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, actual.Length);
        for (var i = 0; i < 2; i++)
        {
            Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(System.Text.Json.Nodes.JsonNode.Parse(wanted[i]), System.Text.Json.Nodes.JsonNode.Parse(actual[i])), $"expected {wanted[i]}\nactual   {actual[i]}");
        }
    }

    private static LogEvent Event(string text)
        => new(DateTimeOffset.UtcNow, LogEventLevel.Information, null, new MessageTemplate([new TextToken(text)]), []);

    /// <summary>Blocks every write until released, as a pipe nobody reads does; then records what is written.</summary>
    private sealed class StallingStream : Stream
    {
        private readonly ManualResetEventSlim _released = new();
        private readonly MemoryStream _written = new();

        public ManualResetEventSlim Entered { get; } = new();

        public string Text
        {
            get
            {
                lock (_written)
                {
                    return Encoding.UTF8.GetString(_written.ToArray());
                }
            }
        }

        public void Release() => _released.Set();

        public override void Write(byte[] buffer, int offset, int count)
        {
            Entered.Set();
            _released.Wait();
            lock (_written)
            {
                _written.Write(buffer, offset, count);
            }
        }

        public override void Flush()
        {
        }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => _written.Length;

        public override long Position { get => _written.Position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _released.Set();
                _released.Dispose();
                Entered.Dispose();
                _written.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
