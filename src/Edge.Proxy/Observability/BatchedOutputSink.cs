using System.Buffers;
using System.Text;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;

namespace Edge.Proxy.Observability;

/// <summary>
/// Writes log lines to a stream (stdout) in batches. A line is formatted on the thread that logs it
/// and appended to a buffer under a short lock; one writer thread wakes when the buffer stops being
/// empty, lets lines gather for <see cref="FlushInterval"/>, and writes them with one call. Under
/// load that is one wake-up and one write per interval instead of one per line, which is what a
/// per-event queue (Serilog.Sinks.Async) plus the console sink cost: a thread switch and a write
/// call for every request line. A stalled reader never stalls the proxy: past
/// <see cref="MaxPendingBytes"/> new lines are dropped, counted, and the count is reported once the
/// output moves again.
/// </summary>
internal sealed class BatchedOutputSink : ILogEventSink, IDisposable
{
    public static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(50);
    public const int MaxPendingBytes = 8 * 1024 * 1024;

    [ThreadStatic]
    private static StringWriter? t_writer;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_bytes;

    private readonly ITextFormatter _formatter;
    private readonly bool _utf8Json;
    private readonly Stream _output;
    private readonly Lock _gate = new();
    private readonly AutoResetEvent _wake = new(false);
    private readonly Thread _thread;
    private MemoryStream _pending = new();
    private MemoryStream _writing = new();
    private long _dropped;
    private volatile bool _stopping;

    public BatchedOutputSink(ITextFormatter formatter, Stream output)
    {
        _formatter = formatter;
        _utf8Json = formatter is EdgeJsonFormatter;
        _output = output;
        _thread = new Thread(Run) { IsBackground = true, Name = "Edge log writer" };
        _thread.Start();
    }

    /// <summary>Lines dropped because the output did not keep up.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public void Emit(LogEvent logEvent)
    {
        // A line is UTF-8 before the lock is taken: JSON lines are written as UTF-8 to begin
        // with, others are formatted as text and transcoded here.
        var bytes = LineBuffer();
        if (!_utf8Json || !EdgeJsonFormatter.TryFormat(logEvent, bytes))
        {
            var writer = t_writer ??= new StringWriter(new StringBuilder(512), System.Globalization.CultureInfo.InvariantCulture);
            var text = writer.GetStringBuilder().Clear();
            _formatter.Format(logEvent, writer);
            foreach (var chunk in text.GetChunks())
            {
                var span = bytes.GetSpan(Encoding.UTF8.GetMaxByteCount(chunk.Length));
                bytes.Advance(Encoding.UTF8.GetBytes(chunk.Span, span));
            }

            if (text.Capacity > MaxLineBuffer)
            {
                t_writer = null;
            }
        }

        Append(bytes);
    }

    /// <summary>
    /// Writes a request's line: with the JSON output straight as UTF-8 from its values, otherwise
    /// as the Serilog event it stands for.
    /// </summary>
    public void Emit(in RequestLine line)
    {
        if (_utf8Json)
        {
            var bytes = LineBuffer();
            if (EdgeJsonFormatter.TryWriteRequestLine(line, bytes))
            {
                Append(bytes);
                return;
            }
        }

        Emit(line.ToLogEvent());
    }

    private const int MaxLineBuffer = 64 * 1024;

    /// <summary>This thread's buffer for one line, emptied.</summary>
    private static ArrayBufferWriter<byte> LineBuffer()
    {
        var bytes = t_bytes ??= new ArrayBufferWriter<byte>(1024);
        bytes.ResetWrittenCount();
        return bytes;
    }

    private void Append(ArrayBufferWriter<byte> bytes)
    {
        Append(bytes.WrittenSpan);
        if (bytes.Capacity > MaxLineBuffer)
        {
            // One huge line (an exception with a deep stack) does not keep its buffer alive per thread.
            t_bytes = null;
        }
    }

    private void Append(ReadOnlySpan<byte> line)
    {
        bool wake;
        lock (_gate)
        {
            if (_pending.Length + line.Length > MaxPendingBytes)
            {
                _dropped++;
                return;
            }

            wake = _pending.Length == 0;
            _pending.Write(line);
        }

        if (wake)
        {
            _wake.Set();
        }
    }

    private void Run()
    {
        while (true)
        {
            _wake.WaitOne();
            var stopping = _stopping;
            if (!stopping)
            {
                // Let lines gather: one write for everything logged in the interval.
                Thread.Sleep(FlushInterval);
            }

            Flush();
            if (stopping)
            {
                // Dispose asked for this pass after setting the flag, so everything logged before it is out.
                return;
            }
        }
    }

    private void Flush()
    {
        long dropped;
        lock (_gate)
        {
            (_pending, _writing) = (_writing, _pending);
            dropped = _dropped;
            _dropped = 0;
        }

        try
        {
            if (_writing.Length > 0)
            {
                _output.Write(_writing.GetBuffer(), 0, (int)_writing.Length);
            }

            if (dropped > 0)
            {
                var note = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
                _formatter.Format(DroppedNote(dropped), note);
                var bytes = Encoding.UTF8.GetBytes(note.ToString());
                _output.Write(bytes, 0, bytes.Length);
            }

            _output.Flush();
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or NotSupportedException)
        {
            // stdout closed or broken: nothing else can carry the message, and the writer must live on.
        }
        finally
        {
            _writing.SetLength(0);
            if (_writing.Capacity > MaxPendingBytes / 4)
            {
                // A burst does not pin megabytes for the rest of the process's life.
                _writing = new MemoryStream();
            }
        }
    }

    private static LogEvent DroppedNote(long dropped) => new(
        DateTimeOffset.UtcNow,
        LogEventLevel.Warning,
        null,
        DroppedTemplate,
        [new LogEventProperty("Dropped", new ScalarValue(dropped)), new LogEventProperty("SourceContext", new ScalarValue("Edge.Logging"))]);

    private static readonly MessageTemplate DroppedTemplate =
        new Serilog.Parsing.MessageTemplateParser().Parse("{Dropped} log lines were dropped: the output did not keep up");

    public void Dispose()
    {
        _stopping = true;
        _wake.Set();
        _thread.Join(TimeSpan.FromSeconds(5));
        _wake.Dispose();
    }
}
