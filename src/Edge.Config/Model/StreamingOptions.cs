namespace Edge.Config.Model;

/// <summary><c>Edge:WebSockets</c>: upgraded connections (HTTP/1.1 Upgrade and HTTP/2 extended CONNECT).</summary>
public sealed class WebSocketOptions
{
    /// <summary>
    /// How long an upgraded connection may carry no bytes in either direction before the edge closes it,
    /// on clusters that do not set their own <c>HttpRequest:ActivityTimeout</c>. Unset: the cluster's
    /// ActivityTimeout (YARP's default, 100 s) applies, as it does to every other request.
    /// </summary>
    public TimeSpan? IdleTimeout { get; init; }
}
