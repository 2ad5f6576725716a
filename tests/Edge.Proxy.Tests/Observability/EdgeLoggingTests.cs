using Edge.Config.Model;
using Edge.Proxy.Observability;
using Serilog.Events;

namespace Edge.Proxy.Tests.Observability;

public sealed class EdgeLoggingTests
{
    private static bool Enabled(EdgeLogging logging, string source, LogEventLevel level)
        => logging.Logger.ForContext(Serilog.Core.Constants.SourceContextPropertyName, source).IsEnabled(level);

    [Fact]
    public void HostingDiagnostics_IsOffAtEveryLevel_UnlessDebugIsAsked_AndAReloadSwitchesIt()
    {
        // The host opens a scope per request whenever this logger is enabled at Critical.
        using var logging = new EdgeLogging(new LoggingOptions { Level = "Information" });
        Assert.False(Enabled(logging, EdgeLogging.HostingDiagnostics, LogEventLevel.Fatal));
        Assert.True(Enabled(logging, "Microsoft.AspNetCore.Server.Kestrel", LogEventLevel.Warning));
        Assert.True(Enabled(logging, "Edge.Hosting", LogEventLevel.Information));

        logging.Apply(new LoggingOptions { Level = "Debug" });
        Assert.True(Enabled(logging, EdgeLogging.HostingDiagnostics, LogEventLevel.Debug));

        logging.Apply(new LoggingOptions { Level = "Warning" });
        Assert.False(Enabled(logging, EdgeLogging.HostingDiagnostics, LogEventLevel.Fatal));
    }
}
