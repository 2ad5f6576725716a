using System.Net;
using System.Text.Json;
using Edge.Testing;

namespace Edge.FunctionalTests.Hosting;

/// <summary>
/// The README's first command, `edge demo`: the embedded default config with its origins on their
/// fixed loopback ports (8080 public, 9901 admin, 5100, 5201, 5202), answering as the README shows.
/// </summary>
public sealed class DemoTests
{
    [Fact]
    public async Task Demo_ServesTheFrontendAndTheApiUnderBackend()
    {
        await using var edge = await EdgeProcess.StartAsync(["demo"]);
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, UseCookies = false })
        {
            BaseAddress = new Uri("http://127.0.0.1:8080/"),
        };

        var page = await client.GetStringAsync("/");
        Assert.Contains("/backend/api/hello", page, StringComparison.Ordinal);

        var origins = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            using var hello = JsonDocument.Parse(await client.GetStringAsync("/backend/api/hello"));
            Assert.Equal("/api/hello", hello.RootElement.GetProperty("path").GetString());
            Assert.Equal("/backend", hello.RootElement.GetProperty("forwardedPrefix").GetString());
            origins.Add(hello.RootElement.GetProperty("origin").GetString()!);
        }

        Assert.Equal(["api-1", "api-2"], origins.Order());

        using var login = await client.PostAsync("/backend/api/login", content: null);
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        Assert.Equal("/backend/api/hello", login.Headers.Location!.OriginalString);
        Assert.Equal("session=demo; Path=/backend/api; HttpOnly", Assert.Single(login.Headers.GetValues("Set-Cookie")));

        using var admin = await edge.Admin.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, admin.StatusCode);
    }
}
