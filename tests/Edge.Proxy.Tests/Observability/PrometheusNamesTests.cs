using Edge.Proxy.Observability;

namespace Edge.Proxy.Tests.Observability;

public sealed class PrometheusNamesTests
{
    [Theory]
    [InlineData("http.client.request.duration", "s", "Histogram", "http_client_request_duration_seconds")]
    [InlineData("kestrel.connection.duration", "s", "Histogram", "kestrel_connection_duration_seconds")]
    [InlineData("dotnet.gc.collections", "{collection}", "Counter", "dotnet_gc_collections_total")]
    [InlineData("dotnet.gc.heap.total_allocated", "By", "Counter", "dotnet_gc_heap_total_allocated_bytes_total")]
    [InlineData("dotnet.process.cpu.time", "s", "Counter", "dotnet_process_cpu_time_seconds_total")]
    [InlineData("dotnet.process.memory.working_set", "By", "Gauge", "dotnet_process_memory_working_set_bytes")]
    [InlineData("kestrel.queued_connections", "{connection}", "Gauge", "kestrel_queued_connections")]
    [InlineData("dotnet.timer.count", "{timer}", "Gauge", "dotnet_timer_count_value")]
    [InlineData("edge_requests_total", null, "Counter", "edge_requests_total")]
    [InlineData("edge_request_duration_seconds", "s", "Histogram", "edge_request_duration_seconds")]
    [InlineData("edge_inflight_requests", null, "Gauge", "edge_inflight_requests")]
    [InlineData("x_total", "s", "Counter", "x_seconds_total")]
    [InlineData("io.throughput", "By/s", "Gauge", "io_throughput_bytes_per_second")]
    [InlineData("cpu.utilization", "1", "Gauge", "cpu_utilization_ratio")]
    [InlineData("9lives", null, "Gauge", "_9lives")]
    [InlineData("a..b-c", "", "Gauge", "a_b_c")]
    public void Metric_OpenTelemetryNameAndUnit_PrometheusName(string name, string? unit, string kind, string expected)
    {
        Assert.Equal(expected, PrometheusNames.Metric(name, unit, Enum.Parse<MetricKind>(kind)));
    }

    [Theory]
    [InlineData("http.request.method", "http_request_method")]
    [InlineData("server.address", "server_address")]
    [InlineData("route", "route")]
    [InlineData("a:b", "a_b")]
    [InlineData("__reserved", "_reserved")]
    public void Label_AttributeKey_PrometheusLabelName(string key, string expected)
    {
        Assert.Equal(expected, PrometheusNames.Label(key));
    }
}
