using Edge.Config.Model;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Formatting.Display;

namespace Edge.Proxy.Observability;

/// <summary>
/// Serilog to stdout: JSON lines by default (what container log collectors expect), or text.
/// The level is a switch, so a reload changes it without a restart.
/// </summary>
public sealed class EdgeLogging : IDisposable
{
    private readonly LoggingLevelSwitch _level = new();
    private readonly LoggingLevelSwitch _framework = new();
    private readonly LoggingLevelSwitch _hosting = new();
    private readonly RepeatedErrorFilter _repeated = new(TimeProvider.System);
    private readonly Logger _logger;
    private readonly BatchedOutputSink _sink;

    public EdgeLogging(LoggingOptions options)
    {
        Format = options.Format.ToLowerInvariant();
        Apply(options);
        var configuration = new LoggerConfiguration()
            .Filter.With(_repeated)
            .MinimumLevel.ControlledBy(_level)
            .MinimumLevel.Override("Microsoft", _framework)
            .MinimumLevel.Override(HostingDiagnostics, _hosting)
            .MinimumLevel.Override("System", _framework)
            .MinimumLevel.Override("Yarp", _framework)
            .Enrich.FromLogContext();
        // Lines are formatted where they are logged and written to stdout in batches by one thread;
        // a full buffer drops lines rather than stall the proxy behind a slow log collector.
        ITextFormatter formatter = Format == "text"
            ? new MessageTemplateTextFormatter("[{Timestamp:HH:mm:ss.fff} {Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}", System.Globalization.CultureInfo.InvariantCulture)
            : new EdgeJsonFormatter();
        _sink = new BatchedOutputSink(formatter, Console.OpenStandardOutput());
        _logger = configuration.WriteTo.Sink(_sink).CreateLogger();
    }

    /// <summary>
    /// ASP.NET Core's request start/finish logger. While it is enabled at any level the host opens
    /// a logging scope per request (an allocation and a log-context push each), so below Debug it
    /// is switched off entirely: its lines are Information and Debug, and the request log says more.
    /// </summary>
    internal const string HostingDiagnostics = "Microsoft.AspNetCore.Hosting.Diagnostics";

    /// <summary>Above <see cref="LogEventLevel.Fatal"/>: nothing passes.</summary>
    private const LogEventLevel Off = LogEventLevel.Fatal + 1;

    public Serilog.ILogger Logger => _logger;

    /// <summary>
    /// Writes a request line straight to the output. One line per request is the point, so the
    /// repeated-error filter (which would cut request lines at Warning and above to a few per
    /// window) does not apply, and nothing is enriched from the log context: the line carries
    /// everything it needs. The caller has checked <see cref="Logger"/> is enabled at its level.
    /// </summary>
    internal void WriteRequestLine(in RequestLine line) => _sink.Emit(line);

    public string Format { get; }

    /// <summary>Applies a level from config. The framework's and YARP's own chatter stays at Warning unless Debug is asked for.</summary>
    public void Apply(LoggingOptions options)
    {
        _level.MinimumLevel = ParseLevel(options.Level);
        var debugging = _level.MinimumLevel <= LogEventLevel.Debug;
        _framework.MinimumLevel = debugging ? _level.MinimumLevel : LogEventLevel.Warning;
        _hosting.MinimumLevel = debugging ? _level.MinimumLevel : Off;
        _repeated.Apply(options.ErrorLogBurst, options.ErrorLogWindow);
    }

    public static LogEventLevel ParseLevel(string level) => level.ToUpperInvariant() switch
    {
        "VERBOSE" or "TRACE" => LogEventLevel.Verbose,
        "DEBUG" => LogEventLevel.Debug,
        "WARNING" => LogEventLevel.Warning,
        "ERROR" => LogEventLevel.Error,
        "FATAL" or "CRITICAL" => LogEventLevel.Fatal,
        _ => LogEventLevel.Information,
    };

    public void Dispose() => _logger.Dispose();
}
