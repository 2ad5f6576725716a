using Edge.Config.Model;
using Edge.Config.Tls;

namespace Edge.Config.Validation;

/// <summary>Rules for <c>Edge:Tls</c> and for the listeners that need it: every certificate is loaded, so a bad one fails here, not at the first handshake.</summary>
internal static class TlsRules
{
    public static void Validate(EdgeOptions edge, List<ConfigError> errors)
    {
        var tls = edge.Tls;
        var publicUrls = ListenerUrl.ParseList(edge.Listeners.Public).Urls;
        var https = publicUrls.FirstOrDefault(u => u.IsHttps);
        foreach (var admin in ListenerUrl.ParseList(edge.Listeners.Admin).Urls.Where(u => u.Scheme != ListenerUrl.Http))
        {
            errors.Add(new ConfigError("Edge:Listeners:Admin",
                $"Edge:Listeners:Admin: '{admin}' asks for {admin.Scheme}; the admin listener speaks plain http only. Write it as 'http://{admin.Host}:{admin.Port}' and keep it on loopback or a private network."));
        }

        if (https is not null && tls.Certificates.Count == 0)
        {
            errors.Add(new ConfigError("Edge:Listeners:Public",
                $"Edge:Listeners:Public: '{https}' needs a certificate, and Edge:Tls:Certificates has none. Add one, such as Edge:Tls:Certificates:main with CertificatePath and KeyPath (PEM files)."));
        }

        Certificates(tls, errors);

        if (tls.RedirectHttp && https is null)
        {
            errors.Add(new ConfigError("Edge:Tls:RedirectHttp",
                "Edge:Tls:RedirectHttp is true, but Edge:Listeners:Public has no https:// listener to redirect to. Add one, such as 'https://0.0.0.0:8443', or set RedirectHttp to false."));
        }

        if (tls.HttpsPort is { } port && (port < 1 || port > 65535))
        {
            errors.Add(new ConfigError("Edge:Tls:HttpsPort",
                $"Edge:Tls:HttpsPort is {port}; it must be a port from 1 to 65535, or be removed to use the https listener's own port."));
        }

        if (tls.CheckInterval < TimeSpan.FromMilliseconds(100))
        {
            errors.Add(new ConfigError("Edge:Tls:CheckInterval",
                $"Edge:Tls:CheckInterval is '{tls.CheckInterval}'; it must be at least 00:00:00.100 so the check does not spin. The default is 00:00:10."));
        }

        Hsts(tls.Hsts, https is not null, errors);
    }

    private static void Certificates(TlsOptions tls, List<ConfigError> errors)
    {
        var owners = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var defaults = new List<string>();
        foreach (var (name, certificate) in tls.Certificates)
        {
            var owner = $"Edge:Tls:Certificates:{name}";
            if (certificate.Hosts.Count == 0)
            {
                defaults.Add(name);
            }

            foreach (var host in certificate.Hosts)
            {
                if (!IsHostPattern(host))
                {
                    errors.Add(new ConfigError($"{owner}:Hosts",
                        $"{owner}: Hosts lists '{host}', which is not a host name. Write names such as 'www.example.com' or '*.example.com' (no scheme, port or path; '*' only as the whole first label)."));
                }
                else if (!owners.TryAdd(host, name))
                {
                    errors.Add(new ConfigError($"{owner}:Hosts",
                        $"{owner}: Hosts lists '{host}', which certificate '{owners[host]}' already serves. A name picks one certificate: remove it from one of them."));
                }
            }

            if (string.IsNullOrWhiteSpace(certificate.CertificatePath))
            {
                errors.Add(new ConfigError($"{owner}:CertificatePath",
                    $"{owner}: CertificatePath is not set; point it at the PEM certificate file, such as '/etc/edge/tls.crt'."));
                continue;
            }

            if (!Absolute(owner, "CertificatePath", certificate.CertificatePath, errors) | (certificate.KeyPath is { } key && !Absolute(owner, "KeyPath", key, errors)))
            {
                continue;
            }

            using var loaded = PemCertificate.TryLoad(certificate.CertificatePath, certificate.KeyPath, out var problem);
            if (problem is not null)
            {
                errors.Add(new ConfigError($"{owner}:{problem.Key}", $"{owner}: {problem.Message}."));
            }
        }

        if (defaults.Count > 1)
        {
            errors.Add(new ConfigError("Edge:Tls:Certificates",
                $"Edge:Tls:Certificates: {string.Join(", ", defaults.Select(d => $"'{d}'"))} all have no Hosts, so each would be the default certificate. Give all but one of them the Hosts they serve."));
        }
    }

    private static void Hsts(HstsOptions hsts, bool hasHttps, List<ConfigError> errors)
    {
        if (!hsts.Enabled)
        {
            return;
        }

        if (!hasHttps)
        {
            errors.Add(new ConfigError("Edge:Tls:Hsts:Enabled",
                "Edge:Tls:Hsts:Enabled is true, but Edge:Listeners:Public has no https:// listener, and the header is only sent over https. Add an https listener, or disable HSTS."));
        }

        if (hsts.MaxAge < TimeSpan.Zero)
        {
            errors.Add(new ConfigError("Edge:Tls:Hsts:MaxAge",
                $"Edge:Tls:Hsts:MaxAge is '{hsts.MaxAge}'; it must be zero (tells browsers to forget the policy) or positive, such as '365.00:00:00'."));
        }

        if (hsts.Preload && (!hsts.IncludeSubDomains || hsts.MaxAge < TimeSpan.FromDays(365)))
        {
            errors.Add(new ConfigError("Edge:Tls:Hsts:Preload",
                "Edge:Tls:Hsts:Preload is true; browsers' preload lists require IncludeSubDomains true and a MaxAge of at least 365.00:00:00. Set both, or set Preload to false."));
        }
    }

    private static bool Absolute(string owner, string key, string path, List<ConfigError> errors)
    {
        if (Path.IsPathFullyQualified(path))
        {
            return true;
        }

        errors.Add(new ConfigError($"{owner}:{key}",
            $"{owner}: {key} '{path}' is not an absolute path; write one such as '/etc/edge/tls.{(key == "KeyPath" ? "key" : "crt")}', so it does not depend on the working directory."));
        return false;
    }

    private static bool IsHostPattern(string host)
    {
        var name = host.StartsWith("*.", StringComparison.Ordinal) ? host[2..] : host;
        return name.Length > 0 && !name.Contains('*', StringComparison.Ordinal) && Uri.CheckHostName(name) == UriHostNameType.Dns;
    }
}
