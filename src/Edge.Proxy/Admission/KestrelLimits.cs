using Edge.Config.Model;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Edge.Proxy.Admission;

/// <summary>
/// <c>Edge:Limits</c> as Kestrel enforces it. Header, request-line and header-timeout limits are
/// Kestrel's own (431, 414, 408 before the app runs), as are the minimum body and response data
/// rates and the HTTP/2 stream and header-field limits; all are read at startup. The connection
/// limit is the edge's: Kestrel's <c>MaxConcurrentConnections</c> would count the admin listener
/// too, and a flood on the public port must never lock operators out, so the public listeners
/// count their connections here, against a limit a reload can change.
/// </summary>
internal sealed class KestrelLimits(LimitsOptions startup)
{
    private int _connections;
    private volatile int _maxConnections = startup.MaxConcurrentConnections;

    /// <summary>The body limit Kestrel applies by itself; other limits are set per request.</summary>
    public long MaxRequestBodySize { get; } = startup.MaxRequestBodySize;

    public LimitsOptions Startup { get; } = startup;

    public int OpenConnections => Volatile.Read(ref _connections);

    public void Apply(KestrelServerOptions kestrel)
    {
        var limits = kestrel.Limits;
        limits.MaxRequestBodySize = Startup.MaxRequestBodySize;
        limits.MaxRequestHeadersTotalSize = Startup.MaxRequestHeadersTotalSize;
        limits.MaxRequestHeaderCount = Startup.MaxRequestHeaderCount;
        limits.MaxRequestLineSize = Startup.MaxRequestLineSize;
        limits.RequestHeadersTimeout = Startup.RequestHeadersTimeout;
        limits.KeepAliveTimeout = Startup.KeepAliveTimeout;
        limits.MinRequestBodyDataRate = new MinDataRate(Startup.MinRequestBodyDataRate, Startup.MinRequestBodyDataRateGracePeriod);
        limits.MinResponseDataRate = new MinDataRate(Startup.MinResponseDataRate, Startup.MinResponseDataRateGracePeriod);
        limits.Http2.MaxStreamsPerConnection = Startup.Http2.MaxStreamsPerConnection;
        limits.Http2.MaxRequestHeaderFieldSize = Startup.Http2.MaxRequestHeaderFieldSize;
    }

    public void Update(LimitsOptions limits) => _maxConnections = limits.MaxConcurrentConnections;

    /// <summary>Counts a public listener's connections; one over the limit is closed before a byte is read.</summary>
    public void LimitConnections(ListenOptions listener) => listener.Use(next => connection =>
    {
        if (Interlocked.Increment(ref _connections) > _maxConnections)
        {
            Interlocked.Decrement(ref _connections);
            connection.Abort(new ConnectionAbortedException("Edge:Limits:MaxConcurrentConnections reached."));
            return Task.CompletedTask;
        }

        return CountedAsync(next, connection);
    });

    private async Task CountedAsync(ConnectionDelegate next, ConnectionContext connection)
    {
        try
        {
            await next(connection).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _connections);
        }
    }
}
