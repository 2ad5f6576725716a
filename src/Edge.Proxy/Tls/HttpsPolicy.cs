using System.Globalization;
using System.Text;
using Edge.Config.Model;
using Edge.Proxy.Hosting;

namespace Edge.Proxy.Tls;

/// <summary>
/// The redirect of cleartext requests to https (<c>Edge:Tls:RedirectHttp</c>) and the
/// <c>Strict-Transport-Security</c> header on https responses (<c>Edge:Tls:Hsts</c>), on the public
/// listener only. Registered only when the edge has an https listener; both follow config reloads.
/// </summary>
public sealed class HttpsPolicy
{
    private const string AcmeChallenge = "/.well-known/acme-challenge/";

    private volatile Settings _settings = new(false, null, null);
    private int _boundHttpsPort;

    /// <summary>The port the first public https listener got (known once Kestrel has bound it).</summary>
    public int BoundHttpsPort
    {
        get => Volatile.Read(ref _boundHttpsPort);
        set => Volatile.Write(ref _boundHttpsPort, value);
    }

    public void Update(TlsOptions tls)
    {
        string? hsts = null;
        if (tls.Hsts.Enabled)
        {
            var header = new StringBuilder("max-age=").Append(((long)tls.Hsts.MaxAge.TotalSeconds).ToString(CultureInfo.InvariantCulture));
            if (tls.Hsts.IncludeSubDomains)
            {
                header.Append("; includeSubDomains");
            }

            if (tls.Hsts.Preload)
            {
                header.Append("; preload");
            }

            hsts = header.ToString();
        }

        _settings = new Settings(tls.RedirectHttp, tls.HttpsPort, hsts);
    }

    public RequestDelegate Middleware(RequestDelegate next) => context =>
    {
        var settings = _settings;
        if (context.Request.IsHttps)
        {
            if (settings.Hsts is not null && Listener.Of(context) == ListenerKind.Public)
            {
                // At response start, so the edge's policy replaces any an origin sent instead of joining it.
                context.Response.OnStarting(static state =>
                {
                    var (response, value) = ((HttpResponse, string))state;
                    response.Headers.StrictTransportSecurity = value;
                    return Task.CompletedTask;
                }, (context.Response, settings.Hsts));
            }

            return next(context);
        }

        if (!settings.Redirect || Listener.Of(context) != ListenerKind.Public || !context.Request.Host.HasValue
            // Let's Encrypt's http-01 challenge must reach its origin over plain http.
            || context.Request.Path.StartsWithSegments(AcmeChallenge.TrimEnd('/'), StringComparison.OrdinalIgnoreCase))
        {
            return next(context);
        }

        var port = settings.HttpsPort ?? BoundHttpsPort;
        var authority = port is 443 or 0 ? context.Request.Host.Host : $"{context.Request.Host.Host}:{port.ToString(CultureInfo.InvariantCulture)}";
        context.Response.StatusCode = StatusCodes.Status308PermanentRedirect;
        context.Response.Headers.Location = $"https://{authority}{context.Request.PathBase}{context.Request.Path}{context.Request.QueryString}";
        return Task.CompletedTask;
    };

    private sealed record Settings(bool Redirect, int? HttpsPort, string? Hsts);
}
