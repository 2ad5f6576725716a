using Edge.Config.Model;

namespace Edge.Config.Validation;

/// <summary>Rules for the <c>Edge</c> section.</summary>
internal static class EdgeRules
{
    private static readonly string[] Formats = ["json", "text"];
    private static readonly string[] Levels = ["Verbose", "Trace", "Debug", "Information", "Warning", "Error", "Fatal", "Critical"];

    public static void Validate(EdgeOptions edge, List<ConfigError> errors)
    {
        var publicUrls = Listener("Public", edge.Listeners.Public, errors);
        var adminUrls = Listener("Admin", edge.Listeners.Admin, errors);
        foreach (var p in publicUrls)
        {
            foreach (var a in adminUrls.Where(a => a.Port == p.Port && a.Port != 0 && Overlaps(a, p)))
            {
                errors.Add(new ConfigError("Edge:Listeners:Admin",
                    $"Edge:Listeners: the admin listener '{a}' and the public listener '{p}' share port {a.Port}. The admin API must never be reachable through the public listener: give it its own port."));
            }
        }

        NonNegative("Edge:Shutdown:DrainDelay", edge.Shutdown.DrainDelay, errors);
        NonNegative("Edge:Shutdown:Timeout", edge.Shutdown.Timeout, errors);
        if (edge.Reload.PollInterval < TimeSpan.FromMilliseconds(50))
        {
            errors.Add(new ConfigError("Edge:Reload:PollInterval",
                $"Edge:Reload:PollInterval is '{edge.Reload.PollInterval}'; it must be at least 00:00:00.050 so the watcher does not spin. The default is 00:00:01."));
        }

        if (!Formats.Contains(edge.Logging.Format, StringComparer.OrdinalIgnoreCase))
        {
            errors.Add(new ConfigError("Edge:Logging:Format",
                $"Edge:Logging:Format is '{edge.Logging.Format}'; use 'json' (the default, one object per line) or 'text'."));
        }

        if (!Levels.Contains(edge.Logging.Level, StringComparer.OrdinalIgnoreCase))
        {
            var suggestion = DidYouMean.Suggest(edge.Logging.Level, Levels);
            var hint = suggestion is null ? string.Empty : $" Did you mean '{suggestion}'?";
            errors.Add(new ConfigError("Edge:Logging:Level",
                $"Edge:Logging:Level is '{edge.Logging.Level}', which is not a log level.{hint} Use one of: {string.Join(", ", Levels)}."));
        }

        RequestLogs(edge.Logging, errors);
        Tracing(edge.Tracing, errors);
        if (edge.Metrics is { OutboundHttp: false, OutboundHttpGauges: true })
        {
            errors.Add(new ConfigError("Edge:Metrics:OutboundHttpGauges",
                "Edge:Metrics:OutboundHttpGauges is true but Edge:Metrics:OutboundHttp is false, so there is no outbound HTTP meter to take the gauges from. Set OutboundHttp to true, or remove OutboundHttpGauges."));
        }
    }

    private static void RequestLogs(LoggingOptions logging, List<ConfigError> errors)
    {
        if (!Levels.Contains(logging.RequestLogLevel, StringComparer.OrdinalIgnoreCase))
        {
            errors.Add(new ConfigError("Edge:Logging:RequestLogLevel",
                $"Edge:Logging:RequestLogLevel is '{logging.RequestLogLevel}', which is not a log level. Use one of: {string.Join(", ", Levels)}."));
        }

        Share("Edge:Logging:RequestLogSampling", logging.RequestLogSampling, errors);
        foreach (var header in logging.RequestHeaders.Where(h => LoggingOptions.SecretHeaders.Concat(logging.RedactHeaders).Contains(h, StringComparer.OrdinalIgnoreCase)))
        {
            errors.Add(new ConfigError("Edge:Logging:RequestHeaders",
                $"Edge:Logging:RequestHeaders lists '{header}', which carries secrets and is never logged. Remove it."));
        }

        if (logging.ErrorLogBurst < 1)
        {
            errors.Add(new ConfigError("Edge:Logging:ErrorLogBurst", $"Edge:Logging:ErrorLogBurst is {logging.ErrorLogBurst}; it must be at least 1. The default is 5."));
        }

        if (logging.ErrorLogWindow <= TimeSpan.Zero)
        {
            errors.Add(new ConfigError("Edge:Logging:ErrorLogWindow", $"Edge:Logging:ErrorLogWindow is '{logging.ErrorLogWindow}'; it must be positive. The default is 00:00:10."));
        }
    }

    private static void Tracing(TracingOptions tracing, List<ConfigError> errors)
    {
        if (!string.IsNullOrEmpty(tracing.OtlpEndpoint)
            && (!Uri.TryCreate(tracing.OtlpEndpoint, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https")))
        {
            errors.Add(new ConfigError("Edge:Tracing:OtlpEndpoint",
                $"Edge:Tracing:OtlpEndpoint is '{tracing.OtlpEndpoint}'; write an absolute http:// or https:// URL, e.g. http://otel-collector:4317, or remove it to export nothing."));
        }

        if (tracing.OtlpProtocol is not ("grpc" or "http/protobuf"))
        {
            errors.Add(new ConfigError("Edge:Tracing:OtlpProtocol", $"Edge:Tracing:OtlpProtocol is '{tracing.OtlpProtocol}'; use 'grpc' (the default) or 'http/protobuf'."));
        }

        Share("Edge:Tracing:SamplingRatio", tracing.SamplingRatio, errors);
        if (string.IsNullOrWhiteSpace(tracing.ServiceName))
        {
            errors.Add(new ConfigError("Edge:Tracing:ServiceName", "Edge:Tracing:ServiceName is empty; name the service spans are reported under (default 'edge')."));
        }
    }

    private static void Share(string path, double value, List<ConfigError> errors)
    {
        if (double.IsNaN(value) || value < 0 || value > 1)
        {
            errors.Add(new ConfigError(path, $"{path} is {value}; it must be between 0 and 1 (a share: 0.1 = one in ten)."));
        }
    }

    private static List<ListenerUrl> Listener(string name, string value, List<ConfigError> errors)
    {
        var (urls, problems) = ListenerUrl.ParseList(value);
        foreach (var problem in problems)
        {
            errors.Add(new ConfigError($"Edge:Listeners:{name}", $"Edge:Listeners:{name}: {problem}."));
        }

        return urls;
    }

    private static bool Overlaps(ListenerUrl a, ListenerUrl b)
    {
        static bool Wild(ListenerUrl u) => u.Address is null && !u.IsLocalhost
            || (u.Address is { } ip && (ip.Equals(System.Net.IPAddress.Any) || ip.Equals(System.Net.IPAddress.IPv6Any)));
        return Wild(a) || Wild(b) || (a.IsLocalhost || b.IsLocalhost) || Equals(a.Address, b.Address);
    }

    private static void NonNegative(string key, TimeSpan value, List<ConfigError> errors)
    {
        if (value < TimeSpan.Zero)
        {
            errors.Add(new ConfigError(key, $"{key} is '{value}'; it must be zero or positive, such as '00:00:05'."));
        }
    }
}
