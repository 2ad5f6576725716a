using Edge.Proxy.Hosting;

namespace Edge.Proxy.Demo;

/// <summary>
/// `edge demo`: a frontend and two API instances on loopback, the origins the embedded default
/// config points at, started next to the edge so a fresh clone shows it working at once.
/// </summary>
public static class DemoOrigins
{
    private const string Page = """
        <!doctype html>
        <html><head><meta charset="utf-8"><title>Edge demo</title></head>
        <body>
          <h1>Edge demo: frontend</h1>
          <p>This page came from the frontend origin through the edge. It calls the API on the same origin:</p>
          <pre id="api">calling /backend/api/hello ...</pre>
          <script>
            fetch('/backend/api/hello', { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: '{}' })
              .then(r => r.text()).then(t => document.getElementById('api').textContent = t);
          </script>
        </body></html>
        """;

    /// <summary>The kinds of origin <c>edge origin --kind</c> accepts.</summary>
    public static readonly IReadOnlyList<string> Kinds = ["frontend", "api"];

    /// <summary>
    /// `edge origin`: one demo origin on its own, listening on every address (for a container in a
    /// compose file, where each origin runs the same image). Runs until SIGTERM/SIGINT.
    /// </summary>
    public static async Task<int> RunOneAsync(string kind, string name, int port)
    {
        if (!Kinds.Contains(kind))
        {
            Console.Error.WriteLine($"edge origin: unknown kind '{kind}'. Known kinds: {string.Join(", ", Kinds.Select(k => $"'{k}'"))}.");
            return 1;
        }

        await using var app = kind == "api" ? Api(name, port, System.Net.IPAddress.Any) : Frontend(port, System.Net.IPAddress.Any, name);
        try
        {
            await app.StartAsync().ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            Console.Error.WriteLine($"edge origin: cannot listen on port {port}: {ex.Message}");
            return 1;
        }

        var addresses = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()?.Addresses ?? [];
        Console.Out.WriteLine($"edge origin: {name} ({kind}) listening on {string.Join(' ', addresses)}");
        await app.WaitForShutdownAsync().ConfigureAwait(false);
        return 0;
    }

    public static async Task<int> RunWithEdgeAsync(string? configPath)
    {
        if (Environment.GetEnvironmentVariable("Edge__Logging__Format") is null)
        {
            Environment.SetEnvironmentVariable("Edge__Logging__Format", "text");
        }

        var origins = new[]
        {
            Frontend(5100, System.Net.IPAddress.Loopback, "frontend"),
            Api("api-1", 5201, System.Net.IPAddress.Loopback),
            Api("api-2", 5202, System.Net.IPAddress.Loopback),
        };
        try
        {
            foreach (var origin in origins)
            {
                await origin.StartAsync().ConfigureAwait(false);
            }
        }
        catch (IOException ex)
        {
            Console.Error.WriteLine($"edge demo: cannot start the demo origins (ports 5100, 5201, 5202): {ex.Message}");
            return 1;
        }

        try
        {
            return await Commands.RunAsync(configPath, app =>
            {
                app.Lifetime.ApplicationStarted.Register(() => Console.Error.WriteLine("""

                    Edge demo is up. Try:
                      curl -i http://localhost:8080/                    # the frontend, through the edge
                      curl -i http://localhost:8080/backend/api/hello   # the API (two instances, round robin)
                      curl -i http://localhost:8080/backend/api/hello
                      curl -i -X POST http://localhost:8080/backend/api/login # Location and cookie path stay under /backend
                      curl http://127.0.0.1:9901/admin/config           # admin listener (loopback only)
                    Ctrl+C drains and stops.

                    """));
                return Task.CompletedTask;
            }).ConfigureAwait(false);
        }
        finally
        {
            foreach (var origin in origins)
            {
                await origin.StopAsync().ConfigureAwait(false);
                await origin.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static WebApplication Frontend(int port, System.Net.IPAddress address, string name)
    {
        var app = Origin(port, address);
        app.MapGet("/", () => Results.Content(Page, "text/html; charset=utf-8"));
        app.MapGet("/healthz", () => Results.Text("ok\n"));
        app.MapFallback((HttpContext context) => Results.Text($"{name}: {context.Request.Path}\n"));
        return app;
    }

    private static WebApplication Api(string name, int port, System.Net.IPAddress address)
    {
        var app = Origin(port, address);
        app.MapGet("/healthz", () => Results.Text("ok\n"));
        app.Map("/api/hello", (HttpContext context) => Results.Json(new
        {
            message = "hello from the API",
            origin = name,
            method = context.Request.Method,
            path = context.Request.Path.Value,
            forwardedPrefix = context.Request.Headers["X-Forwarded-Prefix"].ToString(),
        }));
        // Answers as if the API were at the root; the edge puts /backend back on both headers.
        app.MapPost("/api/login", (HttpContext context) =>
        {
            context.Response.Headers.SetCookie = "session=demo; Path=/api; HttpOnly";
            return Results.Redirect("/api/hello");
        });
        app.MapFallback((HttpContext context) => Results.Json(new { origin = name, path = context.Request.Path.Value }, statusCode: 404));
        return app;
    }

    private static WebApplication Origin(int port, System.Net.IPAddress address)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.Sources.Clear();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(address, port));
        return builder.Build();
    }
}
