using Edge.Config.Model;

namespace Edge.Config.Validation;

/// <summary>Rules for <c>Edge:WebSockets</c>.</summary>
internal static class WebSocketRules
{
    public static void Validate(WebSocketOptions webSockets, List<ConfigError> errors)
    {
        if (webSockets.IdleTimeout is { } idle && idle < TimeSpan.FromMilliseconds(100))
        {
            errors.Add(new ConfigError("Edge:WebSockets:IdleTimeout",
                $"Edge:WebSockets:IdleTimeout is '{idle}'; it must be at least 00:00:00.100, e.g. '00:05:00'. Remove the key to use each cluster's HttpRequest:ActivityTimeout (YARP's default, 100 s)."));
        }
    }
}
