using System.Globalization;
using System.Net;
using Edge.Config.Model;
using Yarp.ReverseProxy.Configuration;

namespace Edge.Config.Validation;

/// <summary>Rules for <c>Edge:RateLimiting</c>, <c>Edge:Limits</c>, <c>Edge:ForwardedHeaders</c> and the routes that use them.</summary>
internal static class LimitsRules
{
    private const string Policies = "Edge:RateLimiting:Policies";

    public static void Validate(EdgeOptions edge, IReadOnlyList<RouteConfig> routes, List<ConfigError> errors)
    {
        var rateLimiting = edge.RateLimiting;
        foreach (var (name, policy) in rateLimiting.Policies)
        {
            Policy($"{Policies}:{name}", name, policy, errors);
        }

        var known = rateLimiting.Policies.Keys.ToList();
        if (!string.IsNullOrEmpty(rateLimiting.DefaultPolicy))
        {
            Reference("Edge:RateLimiting:DefaultPolicy", "Edge:RateLimiting:DefaultPolicy", rateLimiting.DefaultPolicy, known, errors);
        }

        foreach (var route in routes)
        {
            string? own = null;
            if (route.Metadata?.TryGetValue(ProxyDefaults.RateLimiterPolicyKey, out own) == true
                && !string.IsNullOrEmpty(own)
                && !string.Equals(own, RateLimitingOptions.Default, StringComparison.OrdinalIgnoreCase)
                && !string.Equals(own, RateLimitingOptions.Disable, StringComparison.OrdinalIgnoreCase))
            {
                Reference($"ReverseProxy:Routes:{route.RouteId}:RateLimiterPolicy", $"Route '{route.RouteId}' has RateLimiterPolicy", own, known, errors);
            }

            if (route.Metadata?.TryGetValue(ProxyDefaults.MaxRequestBodySizeKey, out var size) == true
                && (!long.TryParse(size, NumberStyles.None, CultureInfo.InvariantCulture, out var bytes) || bytes < 0))
            {
                errors.Add(new ConfigError($"ReverseProxy:Routes:{route.RouteId}:Metadata:{ProxyDefaults.MaxRequestBodySizeKey}",
                    $"Route '{route.RouteId}' has Metadata.MaxRequestBodySize '{size}'; it must be a whole number of bytes (0 or more), e.g. \"1048576\"."));
            }
        }

        var limits = edge.Limits;
        AtLeast("Edge:Limits:MaxConcurrentRequests", limits.MaxConcurrentRequests, 1, "Remove it for no limit.", errors);
        AtLeast("Edge:Limits:MaxQueuedRequests", limits.MaxQueuedRequests, 0, "0 (the default) refuses at once.", errors);
        if (limits.MaxRequestBodySize < 0)
        {
            errors.Add(new ConfigError("Edge:Limits:MaxRequestBodySize",
                $"Edge:Limits:MaxRequestBodySize is {limits.MaxRequestBodySize}; it must be 0 or more bytes. The default is {LimitsOptions.DefaultMaxRequestBodySize}."));
        }

        AtLeast("Edge:Limits:MaxConcurrentConnections", limits.MaxConcurrentConnections, 1, "The default is 10000.", errors);
        AtLeast("Edge:Limits:MaxRequestHeadersTotalSize", limits.MaxRequestHeadersTotalSize, 1024, "The default is 32768.", errors);
        AtLeast("Edge:Limits:MaxRequestHeaderCount", limits.MaxRequestHeaderCount, 1, "The default is 100.", errors);
        AtLeast("Edge:Limits:MaxRequestLineSize", limits.MaxRequestLineSize, 256, "The default is 8192.", errors);
        if (limits.RequestHeadersTimeout <= TimeSpan.Zero)
        {
            errors.Add(new ConfigError("Edge:Limits:RequestHeadersTimeout",
                $"Edge:Limits:RequestHeadersTimeout is '{limits.RequestHeadersTimeout}'; it must be positive. The default is 00:00:30."));
        }

        if (limits.KeepAliveTimeout <= TimeSpan.Zero)
        {
            errors.Add(new ConfigError("Edge:Limits:KeepAliveTimeout",
                $"Edge:Limits:KeepAliveTimeout is '{limits.KeepAliveTimeout}'; it must be positive. The default is 00:01:15."));
        }

        DataRate("Edge:Limits:MinRequestBodyDataRate", limits.MinRequestBodyDataRate, limits.MinRequestBodyDataRateGracePeriod, errors);
        DataRate("Edge:Limits:MinResponseDataRate", limits.MinResponseDataRate, limits.MinResponseDataRateGracePeriod, errors);
        AtLeast("Edge:Limits:Http2:MaxStreamsPerConnection", limits.Http2.MaxStreamsPerConnection, 1, "The default is 100.", errors);
        AtLeast("Edge:Limits:Http2:MaxRequestHeaderFieldSize", limits.Http2.MaxRequestHeaderFieldSize, 1024, "The default is 16384.", errors);

        var forwarded = edge.ForwardedHeaders;
        for (var i = 0; i < forwarded.KnownProxies.Count; i++)
        {
            if (!StrictAddress(forwarded.KnownProxies[i]))
            {
                errors.Add(new ConfigError($"Edge:ForwardedHeaders:KnownProxies:{i}",
                    $"Edge:ForwardedHeaders:KnownProxies[{i}] is '{forwarded.KnownProxies[i]}', which is not an IP address. Write one address per entry, e.g. \"10.0.0.5\"; use KnownNetworks for ranges."));
            }
        }

        for (var i = 0; i < forwarded.KnownNetworks.Count; i++)
        {
            if (!IPNetwork.TryParse(forwarded.KnownNetworks[i], out _))
            {
                errors.Add(new ConfigError($"Edge:ForwardedHeaders:KnownNetworks:{i}",
                    $"Edge:ForwardedHeaders:KnownNetworks[{i}] is '{forwarded.KnownNetworks[i]}', which is not a CIDR range. Write e.g. \"10.0.0.0/8\" (a full address, a slash and the prefix length)."));
            }
        }
    }

    /// <summary>
    /// A full IPv4 dotted quad or an IPv6 address. IPAddress.TryParse also takes shorthand such as
    /// "10" (0.0.0.10) or "10.0.5" (10.0.0.5), so a typo would trust the wrong address.
    /// </summary>
    internal static bool StrictAddress(string text)
    {
        if (!IPAddress.TryParse(text, out var address))
        {
            return false;
        }

        return address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
            || (text.Split('.') is { Length: 4 } parts && parts.All(p => p.Length is > 0 and <= 3 && p.All(char.IsAsciiDigit)));
    }

    private static void Policy(string path, string name, RateLimitPolicyOptions policy, List<ConfigError> errors)
    {
        if (policy.Kind is not { } kind)
        {
            errors.Add(new ConfigError($"{path}:Kind",
                $"Rate-limit policy '{name}' has no Kind. Set 'Kind' to one of: {string.Join(", ", Enum.GetNames<RateLimitKind>())}."));
            return;
        }

        void Required(string key, object? value)
        {
            if (value is null)
            {
                errors.Add(new ConfigError($"{path}:{key}", $"Rate-limit policy '{name}' ({kind}) needs '{key}'."));
            }
        }

        void Unused(string key, object? value)
        {
            if (value is not null)
            {
                errors.Add(new ConfigError($"{path}:{key}", $"Rate-limit policy '{name}' ({kind}) does not use '{key}'; remove it (it would be ignored)."));
            }
        }

        // Which of the library's options each kind needs; the others would be ignored, so they are refused.
        string[] needs = kind switch
        {
            RateLimitKind.FixedWindow => [nameof(policy.PermitLimit), nameof(policy.Window)],
            RateLimitKind.SlidingWindow => [nameof(policy.PermitLimit), nameof(policy.Window), nameof(policy.SegmentsPerWindow)],
            RateLimitKind.TokenBucket => [nameof(policy.TokenLimit), nameof(policy.TokensPerPeriod), nameof(policy.ReplenishmentPeriod)],
            _ => [nameof(policy.PermitLimit)],
        };
        (string Key, object? Value)[] options =
        [
            (nameof(policy.PermitLimit), policy.PermitLimit),
            (nameof(policy.Window), policy.Window),
            (nameof(policy.SegmentsPerWindow), policy.SegmentsPerWindow),
            (nameof(policy.TokenLimit), policy.TokenLimit),
            (nameof(policy.TokensPerPeriod), policy.TokensPerPeriod),
            (nameof(policy.ReplenishmentPeriod), policy.ReplenishmentPeriod),
        ];
        foreach (var (key, value) in options)
        {
            if (needs.Contains(key))
            {
                Required(key, value);
            }
            else
            {
                Unused(key, value);
            }
        }

        AtLeast($"{path}:PermitLimit", policy.PermitLimit, 1, string.Empty, errors);
        AtLeast($"{path}:TokenLimit", policy.TokenLimit, 1, string.Empty, errors);
        AtLeast($"{path}:TokensPerPeriod", policy.TokensPerPeriod, 1, string.Empty, errors);
        AtLeast($"{path}:SegmentsPerWindow", policy.SegmentsPerWindow, 1, string.Empty, errors);
        AtLeast($"{path}:QueueLimit", policy.QueueLimit, 0, "0 (the default) refuses at once.", errors);
        AtLeast($"{path}:AnonymousPermitLimit", policy.AnonymousPermitLimit, 1, "Remove it to give anonymous requests the policy's own limit.", errors);
        foreach (var (key, span) in new[] { (nameof(policy.Window), policy.Window), (nameof(policy.ReplenishmentPeriod), policy.ReplenishmentPeriod) })
        {
            if (span is { } value && value <= TimeSpan.Zero)
            {
                errors.Add(new ConfigError($"{path}:{key}", $"Rate-limit policy '{name}' has {key} '{value}'; it must be positive, e.g. \"00:00:10\"."));
            }
        }

        if (policy is { Kind: RateLimitKind.SlidingWindow, Window: { } window, SegmentsPerWindow: > 0 and var segments } && window > TimeSpan.Zero && window.Ticks / segments < TimeSpan.TicksPerMillisecond)
        {
            errors.Add(new ConfigError($"{path}:SegmentsPerWindow", $"Rate-limit policy '{name}' splits a {window} window into {segments} segments of under 1 ms; use fewer segments."));
        }

        var partition = PartitionKey.Parse(policy.PartitionBy);
        if (partition is null)
        {
            errors.Add(new ConfigError($"{path}:PartitionBy",
                $"Rate-limit policy '{name}' has PartitionBy '{policy.PartitionBy}'. Use ClientIp (the default), Header:<name> (e.g. Header:X-Api-Key), Route or Global."));
        }
        else if (policy.AnonymousPermitLimit is not null && partition.Kind != PartitionKind.Header)
        {
            errors.Add(new ConfigError($"{path}:AnonymousPermitLimit",
                $"Rate-limit policy '{name}' sets AnonymousPermitLimit, which only applies with PartitionBy Header:<name> (requests without the header); remove it."));
        }
    }

    private static void Reference(string path, string owner, string name, List<string> known, List<ConfigError> errors)
    {
        if (known.Contains(name, StringComparer.OrdinalIgnoreCase))
        {
            return;
        }

        var suggestion = DidYouMean.Suggest(name, known);
        var hint = suggestion is null ? string.Empty : $" Did you mean '{suggestion}'?";
        var knownText = known.Count == 0 ? "none are defined" : string.Join(", ", known.Select(k => $"'{k}'"));
        errors.Add(new ConfigError(path,
            $"{owner} '{name}', which is not defined under {Policies}.{hint} Known policies: {knownText}. Define it there, or use 'Disable' for no limit."));
    }

    /// <summary>Kestrel's own bounds for a MinDataRate: a positive rate, and a grace period longer than its 1 s heartbeat.</summary>
    private static void DataRate(string path, double bytesPerSecond, TimeSpan gracePeriod, List<ConfigError> errors)
    {
        if (!(bytesPerSecond > 0) || double.IsInfinity(bytesPerSecond))
        {
            errors.Add(new ConfigError(path,
                $"{path} is {bytesPerSecond.ToString(CultureInfo.InvariantCulture)}; it must be a positive number of bytes per second. The default is 240."));
        }

        if (gracePeriod <= TimeSpan.FromSeconds(1))
        {
            errors.Add(new ConfigError($"{path}GracePeriod",
                $"{path}GracePeriod is '{gracePeriod}'; it must be longer than 1 second (Kestrel checks rates once a second), e.g. \"00:00:02\". The default is 00:00:05."));
        }
    }

    private static void AtLeast(string path, int? value, int minimum, string advice, List<ConfigError> errors)
    {
        if (value is { } v && v < minimum)
        {
            errors.Add(new ConfigError(path, $"{path} is {v}; it must be at least {minimum}. {advice}".TrimEnd()));
        }
    }
}
