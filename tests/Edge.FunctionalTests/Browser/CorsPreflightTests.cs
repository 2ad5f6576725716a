using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Edge.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Edge.FunctionalTests.Browser;

/// <summary>
/// A real browser (Debian's headless Chromium) loads a page from the frontend through the edge and
/// makes non-simple calls (PUT with JSON) to the API: through <c>/backend</c> on the page's own
/// origin, then on another origin (<c>api.localhost</c>, through the same edge, the API allowing
/// CORS). The API origin counts the OPTIONS preflights it receives.
/// </summary>
public sealed class CorsPreflightTests(ITestOutputHelper output)
{
    private const int Calls = 20;

    private const string Page = """
        <!doctype html>
        <html><head><meta charset="utf-8"><title>calls</title></head><body><script>
        (async () => {
          const query = new URLSearchParams(location.search);
          const base = query.get('api');
          const timings = [];
          let failures = 0;
          for (let i = 0; i < Number(query.get('n')); i++) {
            const start = performance.now();
            try {
              const response = await fetch(base + '/items/' + i, {
                method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ i }) });
              await response.text();
              if (!response.ok) failures++;
            } catch (e) {
              failures++;
            }
            timings.push(performance.now() - start);
          }
          await fetch('/report', { method: 'POST', body: JSON.stringify({ timings, failures }) });
        })();
        </script></body></html>
        """;

    [Fact]
    public async Task SameOriginBackend_SendsNoPreflight_CrossOriginSendsOnePerCall()
    {
        var reports = new ConcurrentQueue<Report>();
        await using var web = await StartAsync(app =>
        {
            app.MapGet("/page.html", () => Results.Content(Page, "text/html; charset=utf-8"));
            app.MapPost("/report", async (HttpContext context) =>
            {
                reports.Enqueue((await JsonSerializer.DeserializeAsync<Report>(context.Request.Body, JsonSerializerOptions.Web))!);
                return Results.NoContent();
            });
        });
        var apiRequests = new ConcurrentQueue<string>();
        await using var api = await StartAsync(app => app.Run(context =>
        {
            apiRequests.Enqueue($"{context.Request.Method} {context.Request.Path}");
            var origin = context.Request.Headers.Origin.ToString();
            if (origin.Length > 0)
            {
                // The API allows the site's origin; no preflight caching, as many APIs answer.
                context.Response.Headers.AccessControlAllowOrigin = origin;
                context.Response.Headers.AccessControlMaxAge = "0";
            }

            if (HttpMethods.IsOptions(context.Request.Method))
            {
                context.Response.Headers.AccessControlAllowMethods = "PUT";
                context.Response.Headers.AccessControlAllowHeaders = "content-type";
                context.Response.StatusCode = StatusCodes.Status204NoContent;
                return Task.CompletedTask;
            }

            return context.Response.WriteAsJsonAsync(new { path = context.Request.Path.Value });
        }));

        var config = EdgeConfigFile.Backend(("web", web.Url), ("api", api.Url));
        // The API's own host name on the same edge: another origin for the browser.
        config["ReverseProxy"]!["Routes"]!["api-host"] = new JsonObject
        {
            ["ClusterId"] = "api",
            ["Order"] = -1,
            ["Match"] = new JsonObject { ["Hosts"] = new JsonArray("api.localhost"), ["Path"] = "/{**rest}" },
        };
        using var file = new EdgeConfigFile(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);
        var port = edge.PublicUrl.Port.ToString(CultureInfo.InvariantCulture);

        var same = await RunPageAsync(new Uri($"http://www.localhost:{port}/page.html?n={Calls}&api=/backend"), reports);
        var sameRequests = Drain(apiRequests);
        var cross = await RunPageAsync(new Uri($"http://www.localhost:{port}/page.html?n={Calls}&api=http://api.localhost:{port}"), reports);
        var crossRequests = Drain(apiRequests);

        output.WriteLine($"same-origin /backend: {Count(sameRequests, "PUT")} PUT, {Count(sameRequests, "OPTIONS")} OPTIONS; {same}");
        output.WriteLine($"cross-origin:         {Count(crossRequests, "PUT")} PUT, {Count(crossRequests, "OPTIONS")} OPTIONS; {cross}");
        Assert.Equal(0, same.Failures);
        Assert.Equal(0, cross.Failures);
        Assert.Equal(Calls, Count(sameRequests, "PUT"));
        Assert.Equal(0, Count(sameRequests, "OPTIONS"));
        Assert.Equal(Calls, Count(crossRequests, "PUT"));
        Assert.Equal(Calls, Count(crossRequests, "OPTIONS"));
        // Each preflight precedes its own call.
        for (var i = 0; i < Calls; i++)
        {
            var options = crossRequests.IndexOf($"OPTIONS /items/{i}");
            Assert.InRange(options, 0, crossRequests.IndexOf($"PUT /items/{i}") - 1);
        }
    }

    private static async Task<Report> RunPageAsync(Uri page, ConcurrentQueue<Report> reports)
    {
        var before = reports.Count;
        await using (Chromium.Open(page))
        {
            await Eventually.TrueAsync(() => reports.Count > before, TimeSpan.FromSeconds(60), $"the page {page} to report its calls");
        }

        return reports.ElementAt(before);
    }

    private static List<string> Drain(ConcurrentQueue<string> queue)
    {
        var items = new List<string>();
        while (queue.TryDequeue(out var item))
        {
            items.Add(item);
        }

        return items;
    }

    private static int Count(List<string> requests, string method) => requests.Count(r => r.StartsWith(method + " ", StringComparison.Ordinal));

    private static async Task<Origin> StartAsync(Action<WebApplication> map)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new Origin(app, new Uri(address + "/"));
    }

    private sealed record Origin(WebApplication App, Uri Url) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => App.DisposeAsync();
    }

    private sealed record Report(double[] Timings, int Failures)
    {
        public override string ToString()
        {
            var sorted = Timings.Order().ToArray();
            return string.Create(CultureInfo.InvariantCulture,
                $"per call: median {sorted[sorted.Length / 2]:F1} ms, first {Timings[0]:F1} ms, total {Timings.Sum():F1} ms");
        }
    }
}
