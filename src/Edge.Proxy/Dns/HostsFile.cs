using System.Collections.Frozen;
using System.Net;

namespace Edge.Proxy.Dns;

/// <summary>
/// <c>Edge:Dns:HostsFile</c>, parsed: lines of <c>ADDRESS NAME [NAME...]</c> as in /etc/hosts,
/// <c>#</c> starting a comment. A name on several lines has every address, in file order.
/// </summary>
internal sealed class HostsFile
{
    public static readonly HostsFile Empty = new(FrozenDictionary<string, IPAddress[]>.Empty, []);

    private readonly FrozenDictionary<string, IPAddress[]> _names;

    private HostsFile(FrozenDictionary<string, IPAddress[]> names, IReadOnlyList<string> problems)
    {
        _names = names;
        Problems = problems;
    }

    /// <summary>Lines that were skipped, and why.</summary>
    public IReadOnlyList<string> Problems { get; }

    public bool TryGet(string host, out IPAddress[] addresses) => _names.TryGetValue(host, out addresses!);

    public static HostsFile Parse(string text)
    {
        var names = new Dictionary<string, List<IPAddress>>(StringComparer.OrdinalIgnoreCase);
        var problems = new List<string>();
        var number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            var hash = raw.IndexOf('#', StringComparison.Ordinal);
            var fields = (hash >= 0 ? raw[..hash] : raw).Split([' ', '\t', '\r'], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 0)
            {
                continue;
            }

            if (fields.Length < 2 || !IPAddress.TryParse(fields[0], out var address))
            {
                problems.Add($"line {number}: '{raw.Trim()}' is not 'ADDRESS NAME...'");
                continue;
            }

            foreach (var name in fields.Skip(1))
            {
                if (!names.TryGetValue(name, out var list))
                {
                    names[name] = list = [];
                }

                list.Add(address);
            }
        }

        return new HostsFile(names.ToFrozenDictionary(n => n.Key, n => n.Value.ToArray(), StringComparer.OrdinalIgnoreCase), problems);
    }
}
