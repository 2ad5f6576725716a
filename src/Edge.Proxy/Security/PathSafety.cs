using System.Buffers;
using Edge.Config.Model;
using Edge.Proxy.Errors;

namespace Edge.Proxy.Security;

/// <summary>
/// Refuses paths an origin could read differently from the edge. Kestrel has already decoded the
/// path and removed <c>.</c> and <c>..</c> segments, so routing sees the real path; what is left to
/// fear is what an origin decodes or splits again: <c>%2F</c> (kept encoded by Kestrel), a backslash
/// (a separator on Windows servers), a percent sign left after decoding (double encoding), control
/// characters and dot segments hidden behind path parameters (<c>..;/</c>, which Tomcat reads as
/// <c>..</c>). One vectorised scan per request; nothing at all when turned off.
/// </summary>
internal sealed partial class PathSafety(RequestDelegate next, ILogger<PathSafety> logger)
{
    private static readonly SearchValues<char> Suspicious = SearchValues.Create(
        "\\%;\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u0009\u000A\u000B\u000C\u000D\u000E\u000F"
        + "\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001A\u001B\u001C\u001D\u001E\u001F\u007F");

    private volatile bool _enabled = true;

    public void Update(SecurityOptions options) => _enabled = options.RejectAmbiguousPaths;

    public Task InvokeAsync(HttpContext context)
    {
        if (!_enabled || Check(context.Request.Path.Value) is not { } reason)
        {
            return next(context);
        }

        Log.Refused(logger, reason);
        return Problem.WriteAsync(context, StatusCodes.Status400BadRequest, "Ambiguous path",
            $"The request path contains {reason}, which an origin could read differently from the edge. Send the path plainly encoded.");
    }

    /// <summary>Why the decoded path is ambiguous, or null when it is not.</summary>
    public static string? Check(string? path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return null;
        }

        var span = path.AsSpan();
        var from = 0;
        while (from < span.Length)
        {
            var found = span[from..].IndexOfAny(Suspicious);
            if (found < 0)
            {
                return null;
            }

            var at = from + found;
            switch (span[at])
            {
                case '\\':
                    return "a backslash";
                case '%':
                    return "a percent sign after decoding (an encoded slash, double encoding or bytes that are not UTF-8)";
                case ';':
                    var segment = span[(span[..at].LastIndexOf('/') + 1)..at];
                    if (segment is "." or "..")
                    {
                        return "a dot segment with parameters";
                    }

                    break;
                default:
                    return "a control character";
            }

            from = at + 1;
        }

        return null;
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Debug, "Refused a request: its path contains {Reason}")]
        public static partial void Refused(ILogger logger, string reason);
    }
}
