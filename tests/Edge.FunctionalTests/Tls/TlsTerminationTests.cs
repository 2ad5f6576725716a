using System.Net;
using System.Text.Json.Nodes;
using Edge.Testing;

namespace Edge.FunctionalTests.Tls;

public sealed class TlsTerminationTests
{
    [Fact]
    public async Task HttpsListener_Http2Client_SeesH2EndToEnd()
    {
        await using var origin = await OriginServer.StartAsync("a");
        using var file = new EdgeConfigFile(EdgeConfigFile.Config(origin));
        var certificates = Certificates(file);
        certificates.Write("main", "localhost");
        file.Write(WithTls(EdgeConfigFile.Config(origin), "https://127.0.0.1:0", certificates.Entry("main")));
        await using var edge = await EdgeProcess.StartAsync(file.Path);
        using var h2 = TlsProbe.Client(edge.PublicUrlOf("https"), HttpVersion.Version20, HttpVersionPolicy.RequestVersionExact);
        using var h1 = TlsProbe.Client(edge.PublicUrlOf("https"), HttpVersion.Version11, HttpVersionPolicy.RequestVersionExact);

        using var overH2 = await h2.GetAsync("/two");
        using var overH1 = await h1.GetAsync("/one");

        Assert.Equal(HttpStatusCode.OK, overH2.StatusCode);
        Assert.Equal(HttpVersion.Version20, overH2.Version);
        Assert.Equal("a", await overH2.Content.ReadAsStringAsync());
        Assert.Equal(HttpVersion.Version11, overH1.Version);
        Assert.Equal("a", await overH1.Content.ReadAsStringAsync());
        Assert.Equal(["/two", "/one"], origin.Paths);
    }

    [Fact]
    public async Task Sni_TwoHostNames_EachGetsItsCertificate_OthersTheDefault()
    {
        await using var origin = await OriginServer.StartAsync("a");
        using var file = new EdgeConfigFile(EdgeConfigFile.Config(origin));
        var certificates = Certificates(file);
        var www = certificates.Write("www", "www.example.test");
        var api = certificates.Write("api", "api.example.test", "*.api.example.test");
        var fallback = certificates.Write("fallback", "fallback.test");
        var config = WithTls(EdgeConfigFile.Config(origin), "https://127.0.0.1:0",
            certificates.Entry("www", "www.example.test"), certificates.Entry("api", "api.example.test", "*.api.example.test"), certificates.Entry("fallback"));
        file.Write(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);
        var https = edge.PublicUrlOf("https");

        Assert.Equal(www, await TlsProbe.SerialNumberAsync(https, "www.example.test"));
        Assert.Equal(www, await TlsProbe.SerialNumberAsync(https, "WWW.Example.Test"));
        Assert.Equal(api, await TlsProbe.SerialNumberAsync(https, "api.example.test"));
        Assert.Equal(api, await TlsProbe.SerialNumberAsync(https, "eu.api.example.test"));
        Assert.Equal(fallback, await TlsProbe.SerialNumberAsync(https, "deep.eu.api.example.test"));
        Assert.Equal(fallback, await TlsProbe.SerialNumberAsync(https, "other.test"));
        Assert.Equal(fallback, await TlsProbe.SerialNumberAsync(https, serverName: null));
    }

    [Fact]
    public async Task CertificateFilesReplaced_NewSerialServedWithoutRestart()
    {
        await using var origin = await OriginServer.StartAsync("a");
        using var file = new EdgeConfigFile(EdgeConfigFile.Config(origin));
        var certificates = Certificates(file);
        var old = certificates.Write("main", "localhost");
        var config = WithTls(EdgeConfigFile.Config(origin), "https://127.0.0.1:0", certificates.Entry("main"));
        // Long enough that only the file watcher, not the periodic check, can pick the change up in time.
        config["Edge"]!["Tls"]!["CheckInterval"] = "00:05:00";
        file.Write(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);
        var https = edge.PublicUrlOf("https");
        var pid = edge.ProcessId;
        Assert.Equal(old, await TlsProbe.SerialNumberAsync(https, "localhost"));

        var renewed = certificates.Write("main", "localhost");

        await Eventually.TrueAsync(async () => await TlsProbe.SerialNumberAsync(https, "localhost") == renewed, TimeSpan.FromSeconds(15), "the renewed certificate to be served");
        Assert.NotEqual(old, renewed);
        Assert.Equal(pid, edge.ProcessId);
        Assert.False(edge.HasExited);
        await edge.WaitForLogAsync(renewed);
        using var client = TlsProbe.Client(https);
        Assert.Equal("a", await client.GetStringAsync("/"));
    }

    [Fact]
    public async Task CertificateReplacedBeforeItsKey_KeepsServingOldOne_ThenSwapsWhenKeyArrives()
    {
        await using var origin = await OriginServer.StartAsync("a");
        using var file = new EdgeConfigFile(EdgeConfigFile.Config(origin));
        var certificates = Certificates(file);
        var old = certificates.Write("main", "localhost");
        var config = WithTls(EdgeConfigFile.Config(origin), "https://127.0.0.1:0", certificates.Entry("main"));
        config["Edge"]!["Tls"]!["CheckInterval"] = "00:00:00.500";
        file.Write(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);
        var https = edge.PublicUrlOf("https");

        // A renewal caught half-way: the new certificate is in place, its key is not yet.
        var staging = Path.Combine(file.Directory, "staging");
        Directory.CreateDirectory(staging);
        var renewed = TestCertificate.WritePem(Path.Combine(staging, "new.crt"), Path.Combine(staging, "new.key"), "localhost");
        File.Copy(Path.Combine(staging, "new.crt"), certificates.CertificatePath("main"), overwrite: true);

        await Eventually.TrueAsync(() => edge.Logged("does not match the certificate"), TimeSpan.FromSeconds(15), "the mismatched key to be reported");
        Assert.Equal(old, await TlsProbe.SerialNumberAsync(https, "localhost"));
        Assert.False(edge.HasExited);

        File.Copy(Path.Combine(staging, "new.key"), certificates.KeyPath("main"), overwrite: true);

        await Eventually.TrueAsync(async () => await TlsProbe.SerialNumberAsync(https, "localhost") == renewed, TimeSpan.FromSeconds(15), "the renewed certificate to be served");
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("mismatched")]
    public async Task BadKey_ValidateAndStartup_Exit1NamingTheFileAndTheFix(string how)
    {
        using var file = new EdgeConfigFile(EdgeConfigFile.Config(Array.Empty<OriginServer>()));
        var certificates = Certificates(file);
        certificates.Write("main", "localhost");
        certificates.Write("other", "localhost");
        var keyPath = certificates.KeyPath("main");
        if (how == "missing")
        {
            File.Delete(keyPath);
        }
        else
        {
            File.Copy(certificates.KeyPath("other"), keyPath, overwrite: true);
        }

        var config = WithTls(EdgeConfigFile.Config((Id: "x", Address: new Uri("http://127.0.0.1:1/"))), "https://127.0.0.1:0", certificates.Entry("main"));
        file.Write(config);
        string[] expected = how == "missing"
            ? [$"Edge:Tls:Certificates:main: KeyPath '{keyPath}' does not exist", "point it at the PEM private key"]
            : [$"Edge:Tls:Certificates:main: KeyPath '{keyPath}' holds a private key that does not match the certificate in '{certificates.CertificatePath("main")}'", "use the key issued with this certificate"];

        var (validateExit, validateOutput) = await EdgeProcess.RunAsync(["validate", "--config", file.Path]);
        var (startExit, startOutput) = await EdgeProcess.RunAsync(["--config", file.Path]);

        Assert.Equal(1, validateExit);
        Assert.Equal(1, startExit);
        foreach (var part in expected)
        {
            Assert.Contains(part, validateOutput, StringComparison.Ordinal);
            Assert.Contains(part, startOutput, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task RedirectAndHsts_Enabled_CleartextGets308ToHttpsPort_HttpsGetsHsts()
    {
        await using var origin = await OriginServer.StartAsync("a");
        using var file = new EdgeConfigFile(EdgeConfigFile.Config(origin));
        var certificates = Certificates(file);
        certificates.Write("main", "localhost");
        var config = WithTls(EdgeConfigFile.Config(origin), "http://127.0.0.1:0;https://127.0.0.1:0", certificates.Entry("main"));
        config["Edge"]!["Tls"]!["RedirectHttp"] = true;
        config["Edge"]!["Tls"]!["Hsts"] = new JsonObject { ["Enabled"] = true, ["MaxAge"] = "1.00:00:00", ["IncludeSubDomains"] = true };
        file.Write(config);
        await using var edge = await EdgeProcess.StartAsync(file.Path);
        var https = edge.PublicUrlOf("https");
        using var cleartext = TlsProbe.Client(edge.PublicUrlOf("http"));
        using var secure = TlsProbe.Client(https);

        using var redirected = await cleartext.PostAsync("/shop/cart?item=7", new StringContent("x"));
        using var acme = await cleartext.GetAsync("/.well-known/acme-challenge/token-1");
        using var served = await secure.GetAsync("/shop/cart?item=7");
        using var admin = await edge.Admin.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.PermanentRedirect, redirected.StatusCode);
        Assert.Equal($"https://127.0.0.1:{https.Port}/shop/cart?item=7", redirected.Headers.Location!.ToString());
        Assert.False(redirected.Headers.Contains("Strict-Transport-Security"));
        Assert.Equal(HttpStatusCode.OK, acme.StatusCode);
        Assert.False(acme.Headers.Contains("Strict-Transport-Security"));
        Assert.Equal(["/.well-known/acme-challenge/token-1", "/shop/cart?item=7"], origin.Paths);
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Equal("max-age=86400; includeSubDomains", string.Join(",", served.Headers.GetValues("Strict-Transport-Security")));
        Assert.Equal(HttpStatusCode.OK, admin.StatusCode);
        Assert.False(admin.Headers.Contains("Strict-Transport-Security"));
    }

    [Fact]
    public async Task RedirectAndHsts_Default_CleartextServed_NoHsts()
    {
        await using var origin = await OriginServer.StartAsync("a");
        using var file = new EdgeConfigFile(EdgeConfigFile.Config(origin));
        var certificates = Certificates(file);
        certificates.Write("main", "localhost");
        file.Write(WithTls(EdgeConfigFile.Config(origin), "http://127.0.0.1:0;https://127.0.0.1:0", certificates.Entry("main")));
        await using var edge = await EdgeProcess.StartAsync(file.Path);
        using var cleartext = TlsProbe.Client(edge.PublicUrlOf("http"));
        using var secure = TlsProbe.Client(edge.PublicUrlOf("https"));

        using var plain = await cleartext.GetAsync("/");
        using var tls = await secure.GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
        Assert.Equal(HttpStatusCode.OK, tls.StatusCode);
        Assert.False(tls.Headers.Contains("Strict-Transport-Security"));
    }

    [Fact]
    public async Task ConfigReload_AddsCertificateForHostAndTurnsRedirectOn_WithoutRestart()
    {
        await using var origin = await OriginServer.StartAsync("a");
        using var file = new EdgeConfigFile(EdgeConfigFile.Config(origin));
        var certificates = Certificates(file);
        var main = certificates.Write("main", "localhost");
        var shop = certificates.Write("shop", "shop.example.test");
        file.Write(WithTls(EdgeConfigFile.Config(origin), "http://127.0.0.1:0;https://127.0.0.1:0", certificates.Entry("main")));
        await using var edge = await EdgeProcess.StartAsync(file.Path);
        var https = edge.PublicUrlOf("https");
        using var cleartext = TlsProbe.Client(edge.PublicUrlOf("http"));
        Assert.Equal(main, await TlsProbe.SerialNumberAsync(https, "shop.example.test"));

        var config = WithTls(EdgeConfigFile.Config(origin), "http://127.0.0.1:0;https://127.0.0.1:0", certificates.Entry("main"), certificates.Entry("shop", "shop.example.test"));
        config["Edge"]!["Tls"]!["RedirectHttp"] = true;
        file.WriteByRename(config);

        await Eventually.TrueAsync(async () => await TlsProbe.SerialNumberAsync(https, "shop.example.test") == shop, TimeSpan.FromSeconds(15), "the new certificate to be served for its host");
        using var redirected = await cleartext.GetAsync("/");
        Assert.Equal(HttpStatusCode.PermanentRedirect, redirected.StatusCode);
        Assert.Equal(main, await TlsProbe.SerialNumberAsync(https, "localhost"));
    }

    /// <summary>The config with these public listeners and <c>Edge:Tls:Certificates</c>.</summary>
    internal static JsonObject WithTls(JsonObject config, string publicListeners, params (string Name, JsonObject Entry)[] certificates)
    {
        config["Edge"]!["Listeners"]!["Public"] = publicListeners;
        var entries = new JsonObject();
        foreach (var (name, entry) in certificates)
        {
            entries[name] = entry;
        }

        config["Edge"]!["Tls"] = new JsonObject { ["Certificates"] = entries };
        return config;
    }

    internal static CertificateFolder Certificates(EdgeConfigFile file) => new(Path.Combine(file.Directory, "tls"));

    /// <summary>PEM certificate and key files by name in one folder.</summary>
    internal sealed class CertificateFolder
    {
        private readonly string _folder;

        public CertificateFolder(string folder)
        {
            _folder = folder;
            Directory.CreateDirectory(folder);
        }

        public string CertificatePath(string name) => Path.Combine(_folder, name + ".crt");

        public string KeyPath(string name) => Path.Combine(_folder, name + ".key");

        /// <summary>Writes (or overwrites) a new certificate and key; returns its serial number.</summary>
        public string Write(string name, params string[] dnsNames) => TestCertificate.WritePem(CertificatePath(name), KeyPath(name), dnsNames);

        public (string Name, JsonObject Entry) Entry(string name, params string[] hosts)
        {
            var entry = new JsonObject { ["CertificatePath"] = CertificatePath(name), ["KeyPath"] = KeyPath(name) };
            if (hosts.Length > 0)
            {
                entry["Hosts"] = new JsonArray(hosts.Select(h => (JsonNode)JsonValue.Create(h)).ToArray());
            }

            return (name, entry);
        }
    }
}
