using Edge.Config.LoadBalancing;
using Edge.Config.Transforms;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.LoadBalancing;

namespace Edge.Config;

/// <summary>The services YARP's validation and forwarding rely on, registered the same way for the host, for `edge validate` and for tests.</summary>
public static class YarpServices
{
    public static IReverseProxyBuilder AddEdgeProxyServices(this IServiceCollection services)
    {
        services.AddRequestTimeouts();
        services.AddAuthorization();
        services.AddCors();
        // Affinity cookies are protected with in-memory keys: no key files to manage or leak,
        // at the price that a restart ends 'Cookie'-policy affinity (ArrCookie is unaffected).
        services.AddDataProtection().UseEphemeralDataProtectionProvider();
        // Edge's own policy: YARP's validator accepts only names registered here.
        services.TryAddSingleton<WeightedClusters>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ILoadBalancingPolicy, WeightedLoadBalancingPolicy>());
        return services.AddReverseProxy().AddTransformFactory<ResponsePathPrefixTransformFactory>();
    }

    /// <summary>YARP's validator outside the host: used before the host exists (startup) and by `edge validate`.</summary>
    public static IConfigValidator CreateStandaloneValidator()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddRouting();
        services.AddEdgeProxyServices();
        return services.BuildServiceProvider().GetRequiredService<IConfigValidator>();
    }
}
