using System.Buffers;
using System.Globalization;
using System.Text;
using Edge.Config.Model;
using Edge.Proxy.Errors;
using Edge.Proxy.Hosting;

namespace Edge.Proxy.Hygiene;

/// <summary>
/// Refuses a public request whose header names an origin could read differently from the edge,
/// with 400 before any route sees it. A name that is not an RFC 9110 token (a control character,
/// DEL, a byte above 0x7F, or a separator such as <c>( ) / [ ] { } " @ = ,</c>) is refused always:
/// Kestrel splits the line at the first ':' and passes such names on, and an origin that parses
/// headers its own way may drop, merge or split them. With <c>Edge:Security:RejectUnderscoreHeaders</c>
/// (the default) a '_' is refused too: CGI, PHP, WSGI and Rack map both '-' and '_' to '_', so
/// <c>X_Forwarded_For</c> would reach an application as the <c>X-Forwarded-For</c> the edge
/// replaces. nginx drops such headers silently; refusing says why. One vectorised scan per name.
/// </summary>
internal sealed class HeaderNamesMiddleware(RequestDelegate next)
{
    private const string TokenChars = "!#$%&'*+-.^`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    private static readonly SearchValues<char> Token = SearchValues.Create(TokenChars + "_");
    private static readonly SearchValues<char> TokenWithoutUnderscore = SearchValues.Create(TokenChars);

    private volatile SearchValues<char> _allowed = TokenWithoutUnderscore;

    public void Update(SecurityOptions options) => _allowed = options.RejectUnderscoreHeaders ? TokenWithoutUnderscore : Token;

    public Task InvokeAsync(HttpContext context)
    {
        var allowed = _allowed;
        foreach (var header in context.Request.Headers)
        {
            var name = header.Key;
            var at = name.AsSpan().IndexOfAnyExcept(allowed);
            if ((at >= 0 || name.Length == 0) && Listener.Of(context) == ListenerKind.Public)
            {
                return RefuseAsync(context, name, at);
            }
        }

        return next(context);
    }

    private static Task RefuseAsync(HttpContext context, string name, int at)
    {
        if (at >= 0 && name[at] == '_')
        {
            return Problem.WriteAsync(context, StatusCodes.Status400BadRequest, "Header name with underscore",
                $"The request header '{name}' has '_' in its name, which the edge refuses (Edge:Security:RejectUnderscoreHeaders) because applications may read it as '{name.Replace('_', '-')}'. Send it with '-' instead.");
        }

        var shown = Printable(name);
        var what = at < 0 ? "is empty" : $"has {Describe(name[at])} at position {at}";
        return Problem.WriteAsync(context, StatusCodes.Status400BadRequest, "Invalid header name",
            $"The request header name '{shown}' {what}; a header name must be a token (RFC 9110 section 5.1: letters, digits and !#$%&'*+-.^_`|~). Remove the header or fix its name.");
    }

    /// <summary>The name with control and non-ASCII characters as \uXXXX, so the answer shows what was sent without carrying it.</summary>
    internal static string Printable(string name)
    {
        var text = new StringBuilder(name.Length + 8);
        foreach (var c in name)
        {
            if (c is < ' ' or >= '\u007f')
            {
                text.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}");
            }
            else
            {
                text.Append(c);
            }
        }

        return text.ToString();
    }

    private static string Describe(char c) => c switch
    {
        < ' ' or '\u007f' => string.Create(CultureInfo.InvariantCulture, $"the control character U+{(int)c:X4}"),
        > '\u007f' => string.Create(CultureInfo.InvariantCulture, $"the non-ASCII character U+{(int)c:X4}"),
        _ => $"'{c}'",
    };
}
