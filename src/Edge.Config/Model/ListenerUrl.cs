using System.Globalization;
using System.Net;

namespace Edge.Config.Model;

/// <summary>One parsed listener URL, such as <c>http://0.0.0.0:8080</c>, <c>https://[::]:8443</c> or <c>h2c://127.0.0.1:0</c>.</summary>
public sealed record ListenerUrl(string Scheme, string Host, int Port)
{
    /// <summary>HTTP/1.1 in cleartext.</summary>
    public const string Http = "http";

    /// <summary>TLS with ALPN: HTTP/2 or HTTP/1.1, as the client prefers.</summary>
    public const string Https = "https";

    /// <summary>HTTP/2 in cleartext with prior knowledge, and nothing else (Kestrel cannot offer both on one cleartext port).</summary>
    public const string H2c = "h2c";

    public bool IsHttps => Scheme == Https;

    /// <summary>The address to bind, or null for "localhost" (both loopbacks) and "*"/"+" (every address).</summary>
    public IPAddress? Address => IPAddress.TryParse(Host.Trim('[', ']'), out var ip) ? ip : null;

    public bool IsLocalhost => string.Equals(Host, "localhost", StringComparison.OrdinalIgnoreCase);

    public override string ToString() => $"{Scheme}://{Host}:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Parses a ';'-separated list; returns the URLs and, for each bad one, why.</summary>
    public static (List<ListenerUrl> Urls, List<string> Problems) ParseList(string value)
    {
        var urls = new List<ListenerUrl>();
        var problems = new List<string>();
        foreach (var part in value.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (TryParse(part, out var url, out var problem))
            {
                urls.Add(url);
            }
            else
            {
                problems.Add(problem);
            }
        }

        if (urls.Count == 0 && problems.Count == 0)
        {
            problems.Add("no URL is given; write one such as 'http://0.0.0.0:8080'");
        }

        return (urls, problems);
    }

    public static bool TryParse(string value, out ListenerUrl url, out string problem)
    {
        url = null!;
        var schemeEnd = value.IndexOf("://", StringComparison.Ordinal);
        var scheme = schemeEnd < 0 ? string.Empty : value[..schemeEnd].ToLowerInvariant();
        if (scheme is not (Http or Https or H2c))
        {
            problem = $"'{value}' is not an http URL; write it as 'http://ADDRESS:PORT', such as 'http://0.0.0.0:8080' (or https:// for TLS, h2c:// for cleartext HTTP/2)";
            return false;
        }

        var rest = value[(schemeEnd + 3)..].TrimEnd('/');
        if (rest.Contains('/', StringComparison.Ordinal))
        {
            problem = $"'{value}' has a path; a listener URL is only '{scheme}://ADDRESS:PORT'";
            return false;
        }

        var colon = rest.LastIndexOf(':');
        if (colon <= 0 || rest.EndsWith(']'))
        {
            problem = $"'{value}' has no port; write it as '{scheme}://ADDRESS:PORT', such as '{scheme}://0.0.0.0:8080'";
            return false;
        }

        var host = rest[..colon];
        if (host.Contains(':', StringComparison.Ordinal) && !(host.StartsWith('[') && host.EndsWith(']')))
        {
            problem = $"'{value}' has an IPv6 address without brackets; write it as '{scheme}://[::1]:PORT'";
            return false;
        }

        if (!int.TryParse(rest[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
        {
            problem = $"'{value}' has port '{rest[(colon + 1)..]}'; a port is a number from 0 to 65535 (0 picks a free one)";
            return false;
        }

        var wildcard = host is "*" or "+";
        if (!wildcard && !string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase) && !IPAddress.TryParse(host.Trim('[', ']'), out _))
        {
            problem = $"'{value}' has host '{host}'; a listener binds an IP address ('0.0.0.0', '127.0.0.1', '[::]'), 'localhost' or '*'";
            return false;
        }

        url = new ListenerUrl(scheme, host, port);
        problem = string.Empty;
        return true;
    }
}
