using System.Net.Security;
using Edge.Config.Model;
using Edge.Config.Tls;

namespace Edge.Proxy.Tls;

/// <summary>
/// The certificates in force, immutable: swapped whole, so a handshake sees either the old set or
/// the new one. Selection by SNI: an exact host name, else its <c>*.parent</c> wildcard, else the default.
/// </summary>
internal sealed class CertificateSet
{
    private readonly Dictionary<string, SslStreamCertificateContext> _byHost;
    private readonly SslStreamCertificateContext _default;

    private CertificateSet(IReadOnlyList<Entry> entries)
    {
        Entries = entries;
        _byHost = new Dictionary<string, SslStreamCertificateContext>(StringComparer.OrdinalIgnoreCase);
        foreach (var entry in entries)
        {
            foreach (var host in entry.Options.Hosts)
            {
                _byHost[host] = entry.Context;
            }
        }

        // The one without Hosts, else the first by name: what clients without SNI or with an unknown name get.
        _default = (entries.FirstOrDefault(e => e.Options.Hosts.Count == 0) ?? entries[0]).Context;
    }

    public IReadOnlyList<Entry> Entries { get; }

    /// <summary>Loads every certificate of the options; null and every problem when one fails, so a partial set never serves.</summary>
    public static CertificateSet? Load(TlsOptions options, IReadOnlyDictionary<string, string> fingerprints, out List<(string Name, string Problem)> problems)
    {
        problems = [];
        var entries = new List<Entry>();
        foreach (var (name, certificate) in options.Certificates.OrderBy(c => c.Key, StringComparer.OrdinalIgnoreCase))
        {
            var loaded = PemCertificate.TryLoad(certificate.CertificatePath, certificate.KeyPath, out var problem);
            if (loaded is null)
            {
                problems.Add((name, problem?.Message ?? "could not be loaded"));
                continue;
            }

            var context = SslStreamCertificateContext.Create(loaded.Certificate, loaded.Intermediates, offline: true);
            entries.Add(new Entry(name, certificate, loaded, context, Fingerprint(fingerprints, certificate)));
        }

        return problems.Count == 0 && entries.Count > 0 ? new CertificateSet(entries) : null;
    }

    public SslStreamCertificateContext Select(string? serverName)
    {
        if (string.IsNullOrEmpty(serverName))
        {
            return _default;
        }

        if (_byHost.TryGetValue(serverName, out var exact))
        {
            return exact;
        }

        var dot = serverName.IndexOf('.', StringComparison.Ordinal);
        return dot > 0 && _byHost.TryGetValue(string.Concat("*", serverName.AsSpan(dot)), out var wildcard) ? wildcard : _default;
    }

    private static string Fingerprint(IReadOnlyDictionary<string, string> fingerprints, TlsCertificateOptions certificate)
        => fingerprints.GetValueOrDefault(certificate.CertificatePath, string.Empty) + "/"
           + (certificate.KeyPath is null ? string.Empty : fingerprints.GetValueOrDefault(certificate.KeyPath, string.Empty));

    /// <param name="Fingerprint">The content hashes of its files when it was loaded, to tell which certificates a reload changed.</param>
    internal sealed record Entry(string Name, TlsCertificateOptions Options, ServerCertificate Loaded, SslStreamCertificateContext Context, string Fingerprint);
}
