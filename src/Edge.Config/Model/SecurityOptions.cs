namespace Edge.Config.Model;

/// <summary><c>Edge:Security</c>: what the edge refuses before any route sees the request.</summary>
public sealed class SecurityOptions
{
    /// <summary>
    /// Answer 400 to a path an origin could read differently from the edge: a backslash (raw or
    /// <c>%5C</c>), an encoded slash (<c>%2F</c>), a percent sign left after decoding (double encoding
    /// such as <c>%252e</c>, or bytes that are not UTF-8), a control character, or a dot segment with
    /// parameters (<c>..;</c>). On by default; an API that puts encoded slashes in its paths turns it off.
    /// </summary>
    public bool RejectAmbiguousPaths { get; init; } = true;

    /// <summary>
    /// Answer 400 to a request with a header whose name contains '_', so <c>X_Forwarded_For</c> cannot
    /// reach an origin (CGI, PHP, WSGI and Rack read it as <c>X-Forwarded-For</c>).
    /// </summary>
    public bool RejectUnderscoreHeaders { get; init; } = true;
}
