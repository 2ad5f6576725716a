using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Edge.Proxy.Hosting;

/// <summary>Which listener a connection arrived on. Set per connection by Kestrel, not by anything the client sends.</summary>
public enum ListenerKind
{
    Public,
    Admin,
}

public static class Listener
{
    private static readonly object Key = new();

    /// <summary>Marks every connection accepted on these listen options with its listener.</summary>
    public static void Tag(ListenOptions options, ListenerKind kind)
        => options.Use(next => connection =>
        {
            connection.Items[Key] = kind;
            return next(connection);
        });

    /// <summary>The listener the request's connection was accepted on; untagged connections count as public.</summary>
    public static ListenerKind Of(HttpContext context)
        => context.Features.Get<IConnectionItemsFeature>()?.Items.TryGetValue(Key, out var kind) == true && kind is ListenerKind k
            ? k
            : ListenerKind.Public;
}
