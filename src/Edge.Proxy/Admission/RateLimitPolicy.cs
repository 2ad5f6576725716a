using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Threading.RateLimiting;
using Edge.Config.Model;

namespace Edge.Proxy.Admission;

/// <summary>
/// One named policy at run time: a System.Threading.RateLimiting partitioned limiter (the
/// algorithms are that library's) plus what a 429 says about it. Built once per distinct set of
/// options; a reload that leaves the options alone keeps the same instance, so budgets carry on.
/// </summary>
internal sealed class RateLimitPolicy : IDisposable
{
    /// <summary>The key of the one partition shared by requests without the partition header (header values cannot hold NUL).</summary>
    private const string Anonymous = "\0anonymous";
    private const string GlobalKey = "\0global";

    private readonly PartitionedRateLimiter<HttpContext> _limiter;

    public RateLimitPolicy(string name, RateLimitPolicyOptions options)
    {
        Name = name;
        Options = options;
        var partition = PartitionKey.Parse(options.PartitionBy) ?? throw new ArgumentException($"PartitionBy '{options.PartitionBy}' was not validated.", nameof(options));
        var limit = options.Kind == RateLimitKind.TokenBucket ? options.TokenLimit!.Value : options.PermitLimit!.Value;
        // Factories and partitioners are made once here, so acquiring allocates no delegates.
        var create = LimiterFactory(limit);
        Func<string, RateLimiter> regular = _ => create();
        var anonymous = regular;
        if (options.AnonymousPermitLimit is { } own)
        {
            var createAnonymous = LimiterFactory(own);
            anonymous = _ => createAnonymous();
        }

        Func<IPAddress, RateLimiter> perAddress = _ => create();
        var header = partition.Header;
        _limiter = partition.Kind switch
        {
            PartitionKind.ClientIp => PartitionedRateLimiter.Create<HttpContext, IPAddress>(
                context => RateLimitPartition.Get(ClientAddress(context), perAddress)),
            PartitionKind.Header => PartitionedRateLimiter.Create<HttpContext, string>(context =>
            {
                var value = context.Request.Headers[header!].ToString();
                return value.Length == 0 ? RateLimitPartition.Get(Anonymous, anonymous) : RateLimitPartition.Get(value, regular);
            }),
            PartitionKind.Route => PartitionedRateLimiter.Create<HttpContext, string>(
                context => RateLimitPartition.Get(context.GetReverseProxyFeature().Route.Config.RouteId, regular)),
            _ => PartitionedRateLimiter.Create<HttpContext, string>(_ => RateLimitPartition.Get(GlobalKey, regular)),
        };

        PolicyHeader = Quote(name) + ";q=" + limit.ToString(CultureInfo.InvariantCulture)
            + (QuotaWindow is { } window ? ";w=" + Seconds(window).ToString(CultureInfo.InvariantCulture) : string.Empty);
    }

    public string Name { get; }

    public RateLimitPolicyOptions Options { get; }

    /// <summary>The <c>RateLimit-Policy</c> header value (draft-ietf-httpapi-ratelimit-headers): name, quota and window.</summary>
    public string PolicyHeader { get; }

    /// <summary>The window a quota is counted over; none for a concurrency limit.</summary>
    private TimeSpan? QuotaWindow => Options.Kind switch
    {
        RateLimitKind.FixedWindow or RateLimitKind.SlidingWindow => Options.Window,
        // The time a drained bucket takes to fill again.
        RateLimitKind.TokenBucket => Options.ReplenishmentPeriod!.Value * Math.Ceiling((double)Options.TokenLimit!.Value / Options.TokensPerPeriod!.Value),
        _ => null,
    };

    /// <summary>What a refused client is told to wait when the limiter does not say (a concurrency limit).</summary>
    public TimeSpan FallbackRetryAfter => QuotaWindow ?? TimeSpan.FromSeconds(1);

    public RateLimitLease AttemptAcquire(HttpContext context) => _limiter.AttemptAcquire(context);

    public ValueTask<RateLimitLease> AcquireAsync(HttpContext context, CancellationToken cancellationToken) => _limiter.AcquireAsync(context, 1, cancellationToken);

    public bool Queues => Options.QueueLimit > 0;

    public void Dispose() => _limiter.Dispose();

    /// <summary>The client's address; IPv6 clients are grouped by their /64, which one subscriber usually holds whole.</summary>
    internal static IPAddress ClientAddress(HttpContext context)
    {
        var address = context.Connection.RemoteIpAddress ?? IPAddress.None;
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes);
    }

    /// <summary>
    /// A factory of one partition's limiter. Replenishment is left to the partitioned limiter's own
    /// heartbeat (AutoReplenishment off), as ASP.NET Core's partition helpers do, so partitions own no timers.
    /// </summary>
    private Func<RateLimiter> LimiterFactory(int limit)
    {
        var o = Options;
        return o.Kind switch
        {
            RateLimitKind.FixedWindow => () => new FixedWindowRateLimiter(new FixedWindowRateLimiterOptions
            {
                PermitLimit = limit,
                Window = o.Window!.Value,
                QueueLimit = o.QueueLimit,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
                AutoReplenishment = false,
            }),
            RateLimitKind.SlidingWindow => () => new SlidingWindowRateLimiter(new SlidingWindowRateLimiterOptions
            {
                PermitLimit = limit,
                Window = o.Window!.Value,
                SegmentsPerWindow = o.SegmentsPerWindow!.Value,
                QueueLimit = o.QueueLimit,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
                AutoReplenishment = false,
            }),
            RateLimitKind.TokenBucket => () => new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
            {
                TokenLimit = limit,
                TokensPerPeriod = Math.Min(o.TokensPerPeriod!.Value, limit),
                ReplenishmentPeriod = o.ReplenishmentPeriod!.Value,
                QueueLimit = o.QueueLimit,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
                AutoReplenishment = false,
            }),
            _ => () => new ConcurrencyLimiter(new ConcurrencyLimiterOptions
            {
                PermitLimit = limit,
                QueueLimit = o.QueueLimit,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            }),
        };
    }

    internal static int Seconds(TimeSpan span) => Math.Max(1, (int)Math.Ceiling(span.TotalSeconds));

    private static string Quote(string name) => "\"" + name.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    /// <summary>The <c>RateLimit</c> header value for a refused request: nothing left, reset after <paramref name="retryAfter"/>.</summary>
    public string ExhaustedHeader(TimeSpan retryAfter) => Quote(Name) + ";r=0;t=" + Seconds(retryAfter).ToString(CultureInfo.InvariantCulture);
}
