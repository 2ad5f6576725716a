using Edge.Config.Model;

namespace Edge.Config.Validation;

/// <summary>Rules for <c>Edge:Dns</c>.</summary>
internal static class DnsRules
{
    public static void Validate(DnsOptions dns, List<ConfigError> errors)
    {
        if (dns.RefreshPeriod < TimeSpan.FromMilliseconds(100))
        {
            errors.Add(new ConfigError("Edge:Dns:RefreshPeriod",
                $"Edge:Dns:RefreshPeriod is '{dns.RefreshPeriod}'; it must be at least 00:00:00.100 so lookups do not spin. The default is 00:00:30."));
        }

        if (dns.PooledConnectionLifetime <= TimeSpan.Zero)
        {
            errors.Add(new ConfigError("Edge:Dns:PooledConnectionLifetime",
                $"Edge:Dns:PooledConnectionLifetime is '{dns.PooledConnectionLifetime}'; it must be positive. The default is 00:00:30."));
        }

        if (dns.HostsFile is { } hosts)
        {
            if (!Path.IsPathFullyQualified(hosts))
            {
                errors.Add(new ConfigError("Edge:Dns:HostsFile",
                    $"Edge:Dns:HostsFile is '{hosts}'; write an absolute path, such as '/etc/edge/hosts', so it does not depend on the working directory."));
            }
            else if (!File.Exists(hosts))
            {
                errors.Add(new ConfigError("Edge:Dns:HostsFile",
                    $"Edge:Dns:HostsFile is '{hosts}', which does not exist. Create it (lines of 'ADDRESS NAME...', as in /etc/hosts), or remove the key to resolve names with DNS only."));
            }
        }
    }
}
