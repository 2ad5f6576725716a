using System.Net;
using System.Runtime.InteropServices;
using Edge.Config;
using Edge.Config.Model;
using Edge.Config.Reload;
using Edge.Config.Sources;
using Edge.Proxy.Observability;

namespace Edge.Proxy.Hosting;

/// <summary>What each `edge` command does; Program.cs only parses the command line.</summary>
public static class Commands
{
    /// <summary>`edge [--config PATH]`: run the proxy until SIGTERM/SIGINT. Exit 1 on an invalid config.</summary>
    public static async Task<int> RunAsync(string? configPath, Func<WebApplication, Task>? beforeRun = null)
    {
        var environment = EnvironmentSource.Current();
        var source = ConfigSource.Resolve(configPath, environment, Directory.GetCurrentDirectory());
        var loader = new EdgeConfigLoader(YarpServices.CreateStandaloneValidator(), TimeProvider.System);
        var result = await loader.LoadAsync(source, environment).ConfigureAwait(false);
        if (result.Snapshot is not { } initial)
        {
            PrintErrors(source, result);
            return 1;
        }

        using var logging = new EdgeLogging(initial.Edge.Logging);
        await using var app = EdgeHost.Build(initial, source, logging, EnvironmentSource.Current);
        var reloader = app.Services.GetRequiredService<ConfigReloader>();
        using var hangup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            context.Cancel = true;
            _ = reloader.ReloadAsync("SIGHUP");
        });

        if (beforeRun is not null)
        {
            await beforeRun(app).ConfigureAwait(false);
        }

        try
        {
            await app.RunAsync().ConfigureAwait(false);
        }
        catch (IOException ex) when (ex.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
        {
            Console.Error.WriteLine($"edge: cannot listen: {ex.Message} Change Edge:Listeners or stop what holds the port.");
            return 1;
        }

        return 0;
    }

    /// <summary>`edge validate --config PATH`: like `nginx -t`.</summary>
    public static async Task<int> ValidateAsync(string? configPath)
    {
        var environment = EnvironmentSource.Current();
        var source = ConfigSource.Resolve(configPath, environment, Directory.GetCurrentDirectory());
        var loader = new EdgeConfigLoader(YarpServices.CreateStandaloneValidator(), TimeProvider.System);
        var result = await loader.LoadAsync(source, environment).ConfigureAwait(false);
        if (result.Snapshot is not { } snapshot)
        {
            PrintErrors(source, result);
            return 1;
        }

        Console.Out.WriteLine($"edge: config {source.Name} is valid: version {snapshot.Version}, {snapshot.Routes.Count} routes, {snapshot.Clusters.Count} clusters.");
        return 0;
    }

    /// <summary>`edge healthcheck`: asks the local admin listener's /healthz; for Docker's HEALTHCHECK.</summary>
    public static async Task<int> HealthcheckAsync(string? url)
    {
        url ??= AdminUrl();
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        try
        {
            using var response = await client.GetAsync(new Uri(new Uri(url), "/healthz")).ConfigureAwait(false);
            Console.Out.WriteLine($"edge: {url}/healthz answered {(int)response.StatusCode}");
            return response.StatusCode == HttpStatusCode.OK ? 0 : 1;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            Console.Error.WriteLine($"edge: {url}/healthz failed: {ex.Message}");
            return 1;
        }
    }

    /// <summary>The admin URL to probe, from the environment's override or the default; wildcards become loopback.</summary>
    private static string AdminUrl()
    {
        var configured = Environment.GetEnvironmentVariable("Edge__Listeners__Admin") ?? ListenerOptions.DefaultAdmin;
        var first = ListenerUrl.ParseList(configured).Urls.FirstOrDefault() ?? ListenerUrl.ParseList(ListenerOptions.DefaultAdmin).Urls[0];
        var host = first.Address is { } ip && !ip.Equals(IPAddress.Any) && !ip.Equals(IPAddress.IPv6Any) ? first.Host : "127.0.0.1";
        return $"http://{host}:{first.Port}";
    }

    private static void PrintErrors(ConfigSource source, LoadResult result)
    {
        Console.Error.WriteLine($"edge: config {source.Name} is invalid ({result.Errors.Count} error{(result.Errors.Count == 1 ? string.Empty : "s")}):");
        foreach (var error in result.Errors)
        {
            Console.Error.WriteLine($"  - {error.Message}");
        }
    }
}
