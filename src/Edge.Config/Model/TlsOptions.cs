namespace Edge.Config.Model;

/// <summary><c>Edge:Tls</c>: certificates for the public https listeners, the http → https redirect and HSTS.</summary>
public sealed class TlsOptions
{
    /// <summary>Certificates by name. The one without <see cref="TlsCertificateOptions.Hosts"/> is the default.</summary>
    public IReadOnlyDictionary<string, TlsCertificateOptions> Certificates { get; init; } = new Dictionary<string, TlsCertificateOptions>();

    /// <summary>Answer requests on the public cleartext listeners with a 308 to https.</summary>
    public bool RedirectHttp { get; init; }

    /// <summary>The port written in redirects; unset = the first public https listener's port (443 is left out of the URL).</summary>
    public int? HttpsPort { get; init; }

    /// <summary>How often the certificate files are checked for changes, besides file-system events.</summary>
    public TimeSpan CheckInterval { get; init; } = TimeSpan.FromSeconds(10);

    public HstsOptions Hsts { get; init; } = new();
}

/// <summary>One certificate: a PEM certificate (chain) and its PEM private key, and the host names it serves.</summary>
public sealed class TlsCertificateOptions
{
    /// <summary>PEM file: the server certificate first, then any intermediates (a "fullchain.pem").</summary>
    public string CertificatePath { get; init; } = string.Empty;

    /// <summary>PEM file with the unencrypted private key; unset = the key is in <see cref="CertificatePath"/>.</summary>
    public string? KeyPath { get; init; }

    /// <summary>TLS server names (SNI) this certificate answers: exact names or <c>*.example.com</c>. None = the default certificate.</summary>
    public IReadOnlyList<string> Hosts { get; init; } = [];
}

/// <summary><c>Edge:Tls:Hsts</c>: the <c>Strict-Transport-Security</c> header on https responses.</summary>
public sealed class HstsOptions
{
    public bool Enabled { get; init; }

    public TimeSpan MaxAge { get; init; } = TimeSpan.FromDays(365);

    public bool IncludeSubDomains { get; init; }

    public bool Preload { get; init; }
}
