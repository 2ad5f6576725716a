using System.Net.Security;
using System.Security.Cryptography;
using Edge.Config.Model;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Edge.Proxy.Tls;

/// <summary>
/// The certificates the https listeners serve. A reload (files changed, or a config reload) loads
/// every certificate again and swaps the whole set in one write; when any one fails (missing,
/// half-written, key of another certificate) the set in force keeps serving and the error is logged.
/// </summary>
public sealed partial class CertificateStore(TimeProvider timeProvider, ILogger<CertificateStore> logger)
{
    private static readonly List<SslApplicationProtocol> Alpn = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11];

    private readonly Lock _gate = new();
    private volatile CertificateSet? _set;
    private TlsOptions _options = new();
    private string? _attempted;
    private bool _attemptLoaded;

    /// <summary>The set in force; null before the first successful load.</summary>
    internal CertificateSet? Current => _set;

    /// <summary>Directories holding the certificate files now configured, for the watcher.</summary>
    public IReadOnlyCollection<string> Directories
    {
        get
        {
            lock (_gate)
            {
                return Paths(_options).Select(p => Path.GetDirectoryName(p) ?? "/").Distinct(StringComparer.Ordinal).ToList();
            }
        }
    }

    public TimeSpan CheckInterval
    {
        get
        {
            lock (_gate)
            {
                return _options.CheckInterval;
            }
        }
    }

    /// <summary>Kestrel's per-handshake callback: the certificate for the client's server name (SNI), with ALPN h2 and http/1.1.</summary>
    public ValueTask<SslServerAuthenticationOptions> OnConnection(TlsHandshakeCallbackContext context)
    {
        var set = _set ?? throw new InvalidOperationException("No TLS certificate is loaded.");
        return ValueTask.FromResult(new SslServerAuthenticationOptions
        {
            ServerCertificateContext = set.Select(context.ClientHelloInfo.ServerName),
            ApplicationProtocols = Alpn,
        });
    }

    /// <summary>Takes the certificates of a (new) config; loads them unless neither the config nor the files changed.</summary>
    /// <returns>False when they did not load; the set in force (if any) keeps serving.</returns>
    public bool Apply(TlsOptions options, string trigger)
    {
        lock (_gate)
        {
            _options = options;
            return Reload(trigger);
        }
    }

    /// <summary>Reloads when a certificate file's content changed since the last attempt.</summary>
    /// <returns>Whether the files as they are now loaded (false while a bad file is being served around).</returns>
    public bool CheckFiles(string trigger)
    {
        lock (_gate)
        {
            return Reload(trigger);
        }
    }

    private bool Reload(string trigger)
    {
        if (_options.Certificates.Count == 0)
        {
            _attempted = null;
            return true;
        }

        var fingerprints = Fingerprints(_options);
        var attempt = Describe(_options) + string.Concat(fingerprints.Select(f => $"|{f.Key}={f.Value}"));
        if (attempt == _attempted)
        {
            return _attemptLoaded;
        }

        _attempted = attempt;
        var next = CertificateSet.Load(_options, fingerprints, out var problems);
        _attemptLoaded = next is not null;
        if (next is null)
        {
            foreach (var (name, problem) in problems)
            {
                Log.NotLoaded(logger, name, trigger, problem);
            }

            return false;
        }

        var previous = _set;
        // Handshakes in progress may still hold the old contexts, so they are left to the GC rather than disposed.
        _set = next;
        var now = timeProvider.GetUtcNow();
        foreach (var entry in next.Entries)
        {
            if (previous?.Entries.Any(e => e.Name == entry.Name && e.Fingerprint == entry.Fingerprint && e.Options.CertificatePath == entry.Options.CertificatePath) == true)
            {
                continue;
            }

            var certificate = entry.Loaded.Certificate;
            var hosts = entry.Options.Hosts.Count == 0 ? "(default)" : string.Join(", ", entry.Options.Hosts);
            Log.Loaded(logger, entry.Name, trigger, certificate.Subject, certificate.SerialNumber, certificate.NotAfter.ToUniversalTime(), hosts);
            if (certificate.NotAfter.ToUniversalTime() < now.UtcDateTime)
            {
                Log.Expired(logger, entry.Name, certificate.NotAfter.ToUniversalTime(), entry.Options.CertificatePath);
            }
        }

        return true;
    }

    private static IEnumerable<string> Paths(TlsOptions options)
        => options.Certificates.Values.SelectMany(c => c.KeyPath is null ? [c.CertificatePath] : new[] { c.CertificatePath, c.KeyPath });

    private static string Describe(TlsOptions options)
        => string.Join(";", options.Certificates.OrderBy(c => c.Key, StringComparer.OrdinalIgnoreCase)
            .Select(c => $"{c.Key}:{c.Value.CertificatePath}:{c.Value.KeyPath}:{string.Join(",", c.Value.Hosts)}"));

    // Content hashes, not timestamps: a Kubernetes secret swap renames a symlink and keeps old mtimes.
    private static Dictionary<string, string> Fingerprints(TlsOptions options)
    {
        var fingerprints = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in Paths(options).Distinct(StringComparer.Ordinal))
        {
            try
            {
                fingerprints[path] = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                fingerprints[path] = "unreadable";
            }
        }

        return fingerprints;
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "TLS certificate {Name} loaded ({Trigger}): {Subject}, serial {SerialNumber}, expires {NotAfter:O}, hosts {Hosts}")]
        public static partial void Loaded(ILogger logger, string name, string trigger, string subject, string serialNumber, DateTime notAfter, string hosts);

        [LoggerMessage(2, LogLevel.Error, "TLS certificate {Name} was not reloaded ({Trigger}): {Problem}. The edge keeps serving the certificates it had.")]
        public static partial void NotLoaded(ILogger logger, string name, string trigger, string problem);

        [LoggerMessage(3, LogLevel.Warning, "TLS certificate {Name} expired at {NotAfter:O}; clients will refuse it. Renew {CertificatePath}.")]
        public static partial void Expired(ILogger logger, string name, DateTime notAfter, string certificatePath);
    }
}
