using System.Diagnostics;
using Edge.Config.Model;
using Microsoft.AspNetCore.Http.Features;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Edge.Proxy.Observability;

/// <summary>
/// W3C trace context for every proxied request. ASP.NET Core starts a request activity only when
/// someone listens, so the edge always listens: a request with <c>traceparent</c> continues that
/// trace (its <c>tracestate</c> and sampled flag kept), one without starts a new trace, and YARP's
/// client injects the edge's context into the request to the origin. Recording and export happen
/// only when <c>Edge:Tracing:OtlpEndpoint</c> is set (the OpenTelemetry SDK and its OTLP exporter);
/// otherwise activities carry ids and nothing else, which is all propagation needs.
/// </summary>
internal static class Tracing
{
    public const string ResponseHeader = "traceresponse";

    private static readonly string[] Sources = ["Microsoft.AspNetCore", "System.Net.Http"];

    /// <summary>Writes <c>traceresponse</c> (W3C Trace Context level 2) so a client can quote the trace id.</summary>
    public static readonly Func<object, Task> WriteTraceResponse = static state =>
    {
        var context = (HttpContext)state;
        if (context.Features.Get<IHttpActivityFeature>()?.Activity is { } activity && activity.TraceId != default)
        {
            context.Response.Headers[ResponseHeader] =
                $"00-{activity.TraceId.ToHexString()}-{activity.SpanId.ToHexString()}-{(activity.Recorded ? "01" : "00")}";
        }

        return Task.CompletedTask;
    };

    /// <summary>Starts listening (and exporting when configured); dispose at shutdown.</summary>
    public static IDisposable Start(TracingOptions options)
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == Sources[0],
            // Ids only, unless the client's own trace is sampled: then keep its flag for the origin.
            Sample = static (ref ActivityCreationOptions<ActivityContext> creation)
                => (creation.Parent.TraceFlags & ActivityTraceFlags.Recorded) != 0
                    ? ActivitySamplingResult.AllDataAndRecorded
                    : ActivitySamplingResult.PropagationData,
        };
        ActivitySource.AddActivityListener(listener);
        if (string.IsNullOrEmpty(options.OtlpEndpoint))
        {
            return listener;
        }

        var http = options.OtlpProtocol == "http/protobuf";
        var endpoint = new Uri(options.OtlpEndpoint);
        if (http && endpoint.AbsolutePath == "/")
        {
            endpoint = new Uri(endpoint, "/v1/traces");
        }

        var provider = Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(ResourceBuilder.CreateDefault().AddService(options.ServiceName))
            .AddSource(Sources)
            .SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(options.SamplingRatio)))
            .AddOtlpExporter(otlp =>
            {
                otlp.Endpoint = endpoint;
                otlp.Protocol = http ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
                otlp.BatchExportProcessorOptions.ScheduledDelayMilliseconds = 1000;
            })
            .Build();
        return new Both(listener, provider);
    }

    private sealed class Both(IDisposable first, IDisposable second) : IDisposable
    {
        public void Dispose()
        {
            second.Dispose();
            first.Dispose();
        }
    }
}
