using System.Globalization;
using Microsoft.Extensions.Primitives;

namespace Edge.Config.LoadBalancing;

/// <summary>
/// A client's place in a canary cluster: a number in [0, <see cref="Range"/>) that stays the
/// same across requests. The client is on the canary side while its ticket is below the
/// canary's share, so raising the share only moves clients from stable to canary. Read without
/// allocating: the Cookie header is scanned in place.
/// </summary>
public static class ClientTicket
{
    public const int Range = 10_000;

    public const string Always = "always";
    public const string Never = "never";

    /// <summary>The ticket of a sticky header's value (a user id, say): the same on every edge instance and after restarts.</summary>
    public static int FromHeader(string value)
    {
        // FNV-1a over the UTF-16 code units: stable across processes, unlike string.GetHashCode.
        var hash = 2166136261u;
        foreach (var c in value)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return (int)(hash % Range);
    }

    /// <summary>A ticket written in a cookie, or -1 when the text is not one.</summary>
    public static int Parse(ReadOnlySpan<char> text)
        => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var ticket) && ticket < Range ? ticket : -1;

    /// <summary>What a force header or cookie asks for: true for <c>always</c>, false for <c>never</c>, null for anything else.</summary>
    public static bool? Force(ReadOnlySpan<char> value)
        => value.Equals(Always, StringComparison.OrdinalIgnoreCase) ? true
            : value.Equals(Never, StringComparison.OrdinalIgnoreCase) ? false
            : null;

    /// <summary>
    /// Reads the force cookie and the ticket cookie from the request's Cookie headers in one pass:
    /// <paramref name="force"/> as <see cref="Force"/> says, <paramref name="ticket"/> -1 when there is none.
    /// </summary>
    public static void ReadCookies(StringValues cookieHeaders, string forceName, string ticketName, out bool? force, out int ticket)
    {
        force = null;
        ticket = -1;
        foreach (var header in cookieHeaders)
        {
            var rest = header.AsSpan();
            while (!rest.IsEmpty)
            {
                var end = rest.IndexOf(';');
                var pair = (end < 0 ? rest : rest[..end]).Trim(' ');
                rest = end < 0 ? default : rest[(end + 1)..];
                var equals = pair.IndexOf('=');
                if (equals <= 0)
                {
                    continue;
                }

                var name = pair[..equals].TrimEnd(' ');
                var value = pair[(equals + 1)..].Trim(' ').Trim('"');
                if (force is null && name.Equals(forceName, StringComparison.Ordinal))
                {
                    force = Force(value);
                }
                else if (ticket < 0 && name.Equals(ticketName, StringComparison.Ordinal))
                {
                    ticket = Parse(value);
                }
            }
        }
    }
}
