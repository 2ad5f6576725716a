using System.Collections.Frozen;
using System.Globalization;
using System.Threading.RateLimiting;
using Edge.Config;
using Edge.Config.Model;

namespace Edge.Proxy.Admission;

/// <summary>
/// What the admission middleware enforces for one applied config: the rate-limit policy of each
/// route, the edge-wide concurrency limiter, and request body limits. Swapped whole on reload.
/// </summary>
internal sealed class AdmissionState
{
    public static readonly AdmissionState Empty = new(
        FrozenDictionary<string, RateLimitPolicy>.Empty, FrozenDictionary<string, RateLimitPolicy>.Empty, null, null, LimitsOptions.DefaultMaxRequestBodySize, FrozenDictionary<string, long>.Empty);

    public AdmissionState(
        FrozenDictionary<string, RateLimitPolicy> policies,
        FrozenDictionary<string, RateLimitPolicy> byRoute,
        ConcurrencyLimiter? shedder,
        LimitsOptions? shedderLimits,
        long maxRequestBodySize,
        FrozenDictionary<string, long> bodySizeByRoute)
    {
        Policies = policies;
        ByRoute = byRoute;
        Shedder = shedder;
        ShedderLimits = shedderLimits;
        MaxRequestBodySize = maxRequestBodySize;
        BodySizeByRoute = bodySizeByRoute;
    }

    /// <summary>Every policy by name, whether a route uses it or not (kept so a reload can reuse it).</summary>
    public FrozenDictionary<string, RateLimitPolicy> Policies { get; }

    /// <summary>Route id → the policy that limits it. Routes without one are absent.</summary>
    public FrozenDictionary<string, RateLimitPolicy> ByRoute { get; }

    /// <summary>The edge-wide limit on proxied requests in flight; null when <c>Edge:Limits:MaxConcurrentRequests</c> is unset.</summary>
    public ConcurrencyLimiter? Shedder { get; }

    public LimitsOptions? ShedderLimits { get; }

    public long MaxRequestBodySize { get; }

    /// <summary>Route id → the route's own body limit (<c>Metadata.MaxRequestBodySize</c>).</summary>
    public FrozenDictionary<string, long> BodySizeByRoute { get; }

    public long BodyLimitFor(string routeId)
        => BodySizeByRoute.Count != 0 && BodySizeByRoute.TryGetValue(routeId, out var own) ? own : MaxRequestBodySize;

    /// <summary>
    /// The state for <paramref name="snapshot"/>. A policy whose options did not change keeps its
    /// limiter (and so its clients' budgets), as does an unchanged concurrency limit; what is
    /// replaced is returned in <paramref name="retired"/> to be disposed once in-flight requests are done.
    /// </summary>
    public static AdmissionState Build(EdgeConfigSnapshot snapshot, AdmissionState previous, List<IDisposable> retired)
    {
        var edge = snapshot.Edge;
        var policies = new Dictionary<string, RateLimitPolicy>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, options) in edge.RateLimiting.Policies)
        {
            policies[name] = previous.Policies.TryGetValue(name, out var existing) && existing.Options == options
                ? existing
                : new RateLimitPolicy(name, options);
        }

        retired.AddRange(previous.Policies.Values.Where(p => !policies.ContainsValue(p)));

        var byRoute = new Dictionary<string, RateLimitPolicy>(StringComparer.OrdinalIgnoreCase);
        var bodySizes = new Dictionary<string, long>(StringComparer.OrdinalIgnoreCase);
        foreach (var route in snapshot.Routes)
        {
            if (edge.RateLimiting.PolicyFor(route) is { } name && policies.TryGetValue(name, out var policy))
            {
                byRoute[route.RouteId] = policy;
            }

            if (route.Metadata?.TryGetValue(ProxyDefaults.MaxRequestBodySizeKey, out var text) == true
                && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var bytes))
            {
                bodySizes[route.RouteId] = bytes;
            }
        }

        var limits = edge.Limits;
        ConcurrencyLimiter? shedder = null;
        if (limits.MaxConcurrentRequests is { } max)
        {
            shedder = previous.Shedder is { } kept && previous.ShedderLimits is { } was && was.MaxConcurrentRequests == max && was.MaxQueuedRequests == limits.MaxQueuedRequests
                ? kept
                : new ConcurrencyLimiter(new ConcurrencyLimiterOptions
                {
                    PermitLimit = max,
                    QueueLimit = limits.MaxQueuedRequests,
                    QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
                });
        }

        if (previous.Shedder is { } old && old != shedder)
        {
            retired.Add(old);
        }

        return new AdmissionState(
            policies.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase),
            byRoute.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase),
            shedder,
            shedder is null ? null : limits,
            limits.MaxRequestBodySize,
            bodySizes.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase));
    }
}
