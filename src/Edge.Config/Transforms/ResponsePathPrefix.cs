using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Edge.Config.Transforms;

/// <summary>
/// The response half of the same-origin <c>/backend</c> pattern: a route that strips a prefix
/// before the API sees the path puts it back on what the API answers, so the browser stays under
/// it. <c>{ "ResponsePathPrefix": "/backend" }</c> rewrites <c>Location</c> and <c>Set-Cookie</c>
/// paths; <c>"Rewrite": "Location"</c> or <c>"Set-Cookie"</c> limits it to one of them. Like
/// nginx's <c>proxy_redirect</c> and <c>proxy_cookie_path</c>.
/// </summary>
public sealed class ResponsePathPrefixTransformFactory : ITransformFactory
{
    public const string Key = "ResponsePathPrefix";
    private const string RewriteKey = "Rewrite";

    public bool Validate(TransformRouteValidationContext context, IReadOnlyDictionary<string, string> transformValues)
    {
        if (!transformValues.TryGetValue(Key, out var prefix))
        {
            return false;
        }

        if (ParsePrefix(prefix) is { } problem)
        {
            context.Errors.Add(new ArgumentException($"Transform '{Key}' has '{prefix}': {problem}"));
        }

        foreach (var key in transformValues.Keys.Where(k => k != Key && k != RewriteKey))
        {
            context.Errors.Add(new ArgumentException($"Transform '{Key}' has an unknown key '{key}'; its keys are '{Key}' and '{RewriteKey}'."));
        }

        if (transformValues.TryGetValue(RewriteKey, out var rewrite) && ParseRewrite(rewrite) is null)
        {
            context.Errors.Add(new ArgumentException(
                $"Transform '{Key}' has '{RewriteKey}: {rewrite}'; write 'Location', 'Set-Cookie' or 'Location,Set-Cookie' (the default)."));
        }

        return true;
    }

    public bool Build(TransformBuilderContext context, IReadOnlyDictionary<string, string> transformValues)
    {
        if (!transformValues.TryGetValue(Key, out var prefix))
        {
            return false;
        }

        var (location, cookies) = transformValues.TryGetValue(RewriteKey, out var rewrite)
            ? ParseRewrite(rewrite) ?? throw new ArgumentException($"Transform '{Key}' has a bad '{RewriteKey}' value '{rewrite}'.")
            : (true, true);
        context.ResponseTransforms.Add(new ResponsePathPrefixTransform(prefix, location, cookies));
        return true;
    }

    private static string? ParsePrefix(string prefix)
    {
        if (prefix.Length < 2 || prefix[0] != '/' || prefix[^1] == '/')
        {
            return "a prefix starts with '/' and does not end with one, such as '/backend'.";
        }

        return prefix.AsSpan().IndexOfAny("?#%\\ ") >= 0 ? "a prefix is a plain path, without '?', '#', '%', '\\' or spaces." : null;
    }

    private static (bool Location, bool Cookies)? ParseRewrite(string value)
    {
        var (location, cookies) = (false, false);
        foreach (var part in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (part.Equals("Location", StringComparison.OrdinalIgnoreCase))
            {
                location = true;
            }
            else if (part.Equals("Set-Cookie", StringComparison.OrdinalIgnoreCase))
            {
                cookies = true;
            }
            else
            {
                return null;
            }
        }

        return location || cookies ? (location, cookies) : null;
    }
}

/// <summary>Puts <see cref="Prefix"/> back on the paths in an origin's <c>Location</c> and <c>Set-Cookie</c> headers.</summary>
public sealed class ResponsePathPrefixTransform(string prefix, bool location, bool cookies) : ResponseTransform
{
    public string Prefix { get; } = prefix;

    public override ValueTask ApplyAsync(ResponseTransformContext context)
    {
        if (context.ProxyResponse is not { } proxied)
        {
            return ValueTask.CompletedTask;
        }

        var request = context.HttpContext.Request;
        if (location)
        {
            var value = TakeHeader(context, HeaderNames.Location);
            if (!StringValues.IsNullOrEmpty(value))
            {
                var destination = proxied.RequestMessage?.RequestUri?.Authority;
                var originHost = proxied.RequestMessage?.Headers.Host ?? request.Host.Value;
                SetHeader(context, HeaderNames.Location,
                    RewriteLocation(value.ToString(), Prefix, destination, originHost, request.Scheme, request.Host.Value ?? string.Empty));
            }
        }

        if (cookies)
        {
            var values = TakeHeader(context, HeaderNames.SetCookie);
            if (values.Count > 0)
            {
                var rewritten = new string?[values.Count];
                for (var i = 0; i < values.Count; i++)
                {
                    rewritten[i] = RewriteSetCookie(values[i] ?? string.Empty, Prefix);
                }

                SetHeader(context, HeaderNames.SetCookie, new StringValues(rewritten));
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// A path-absolute <c>Location</c> (<c>/login</c>) gets the prefix. An absolute URL gets it when
    /// it points at the origin that answered (then it also takes the public scheme and host) or at
    /// the host the origin was asked for. A path already under the prefix (an origin that honours
    /// <c>X-Forwarded-Prefix</c>), a relative reference and any other host are left alone.
    /// </summary>
    public static string RewriteLocation(string value, string prefix, string? destinationAuthority, string? originHost, string publicScheme, string publicHost)
    {
        if (value.StartsWith('/') && !value.StartsWith("//", StringComparison.Ordinal))
        {
            return UnderPrefix(value, prefix) ? value : prefix + value;
        }

        var schemeEnd = value.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd <= 0 || !(value.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || value.StartsWith("https://", StringComparison.OrdinalIgnoreCase)))
        {
            return value;
        }

        var authorityStart = schemeEnd + 3;
        var authorityEnd = value.AsSpan(authorityStart).IndexOfAny("/?#");
        authorityEnd = authorityEnd < 0 ? value.Length : authorityStart + authorityEnd;
        var authority = value[authorityStart..authorityEnd];
        var rest = value[authorityEnd..];
        var path = rest.Length == 0 || rest[0] != '/' ? "/" + rest : rest;
        if (UnderPrefix(path, prefix))
        {
            return value;
        }

        if (destinationAuthority is not null && authority.Equals(destinationAuthority, StringComparison.OrdinalIgnoreCase))
        {
            return $"{publicScheme}://{publicHost}{prefix}{path}";
        }

        if (originHost is not null && authority.Equals(originHost, StringComparison.OrdinalIgnoreCase))
        {
            return $"{value[..authorityEnd]}{prefix}{path}";
        }

        return value;
    }

    /// <summary><c>Path=/x</c> becomes <c>Path=/backend/x</c> and <c>Path=/</c> becomes <c>Path=/backend</c>; a cookie without a path is left to the browser's default, which is already under the prefix.</summary>
    public static string RewriteSetCookie(string value, string prefix)
    {
        var start = 0;
        while (start < value.Length)
        {
            var end = value.IndexOf(';', start);
            end = end < 0 ? value.Length : end;
            var attribute = value.AsSpan(start, end - start);
            var trimmed = attribute.TrimStart();
            if (start > 0 && trimmed.StartsWith("path", StringComparison.OrdinalIgnoreCase))
            {
                var afterName = trimmed[4..].TrimStart();
                if (afterName.StartsWith('='))
                {
                    var path = afterName[1..].Trim().ToString();
                    if (path.StartsWith('/') && !UnderPrefix(path, prefix))
                    {
                        var replaced = path == "/" ? prefix : prefix + path;
                        var leading = attribute.Length - trimmed.Length;
                        return string.Concat(value.AsSpan(0, start + leading), "Path=", replaced, value.AsSpan(end));
                    }

                    return value;
                }
            }

            start = end + 1;
        }

        return value;
    }

    private static bool UnderPrefix(string path, string prefix)
        => path.StartsWith(prefix, StringComparison.Ordinal) && (path.Length == prefix.Length || path[prefix.Length] is '/' or '?' or '#');
}
