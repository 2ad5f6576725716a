using Edge.Config.Model;
using Edge.Config.Reload;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Edge.Proxy.Tls;

/// <summary>
/// TLS termination and HTTP/2 on the public listener. Everything here is registered only when a
/// public listener is https://, so an edge without TLS runs exactly as before.
/// </summary>
public static class EdgeTls
{
    /// <summary>Registers the certificate store, its file watcher and the https policy when the listeners ask for TLS.</summary>
    public static void AddEdgeTls(this WebApplicationBuilder builder, EdgeOptions edge)
    {
        if (!HasHttps(edge))
        {
            return;
        }

        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.Services.AddSingleton<CertificateStore>();
        builder.Services.AddSingleton<HttpsPolicy>();
        builder.Services.AddHostedService<CertificateWatcher>();
    }

    /// <summary>Sets a listener's protocols from its URL's scheme: https = TLS with ALPN (h2, http/1.1), h2c = HTTP/2 with prior knowledge.</summary>
    public static void ConfigureListener(ListenOptions options, ListenerUrl url)
    {
        if (url.Scheme == ListenerUrl.H2c)
        {
            options.Protocols = HttpProtocols.Http2;
        }
        else if (url.IsHttps)
        {
            var store = options.ApplicationServices.GetRequiredService<CertificateStore>();
            options.Protocols = HttpProtocols.Http1AndHttp2;
            options.UseHttps(new TlsHandshakeCallbackOptions { OnConnection = store.OnConnection });
        }
    }

    /// <summary>Loads the certificates (fatal when they do not load), adds the redirect/HSTS middleware and follows config reloads.</summary>
    public static void UseEdgeTls(this WebApplication app, ConfigReloader reloader)
    {
        if (app.Services.GetService<CertificateStore>() is not { } store)
        {
            return;
        }

        if (!store.Apply(reloader.Current.Edge.Tls, "startup"))
        {
            throw new InvalidOperationException("The TLS certificates could not be loaded; see the errors above. Fix the files under Edge:Tls:Certificates and start again.");
        }

        var policy = app.Services.GetRequiredService<HttpsPolicy>();
        policy.Update(reloader.Current.Edge.Tls);
        reloader.Applied += (_, next) =>
        {
            store.Apply(next.Edge.Tls, "config reload");
            policy.Update(next.Edge.Tls);
        };

        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
            foreach (var address in addresses)
            {
                // Admin listeners are never https, so the first https address is the public one redirects point at.
                if (address.StartsWith("https://", StringComparison.OrdinalIgnoreCase) && Uri.TryCreate(address, UriKind.Absolute, out var uri))
                {
                    policy.BoundHttpsPort = uri.Port;
                    break;
                }
            }
        });
        app.Use(policy.Middleware);
    }

    private static bool HasHttps(EdgeOptions edge) => ListenerUrl.ParseList(edge.Listeners.Public).Urls.Any(u => u.IsHttps);
}
