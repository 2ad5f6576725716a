using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Edge.Config.Model;
using Edge.Proxy.Tests.TestSupport;
using Edge.Proxy.Tls;
using Microsoft.Extensions.Logging;

namespace Edge.Proxy.Tests.Tls;

public sealed class CertificateStoreTests : IDisposable
{
    private const int Loaded = 1;
    private const int NotLoaded = 2;
    private const int Expired = 3;

    private readonly string _folder = Directory.CreateTempSubdirectory("edge-tls-").FullName;
    private readonly RecordingLogger<CertificateStore> _log = new();

    [Fact]
    public void Select_ByServerName_ExactThenWildcardThenDefault()
    {
        var www = Write("www", "www.example.com");
        var api = Write("api", "api.example.com");
        var fallback = Write("fallback", "fallback.test");
        var store = Store();

        Assert.True(store.Apply(Options(("www", ["www.example.com"]), ("api", ["*.api.example.com", "api.example.com"]), ("fallback", [])), "startup"));

        var set = store.Current!;
        Assert.Equal(www, Serial(set, "www.example.com"));
        Assert.Equal(www, Serial(set, "WWW.EXAMPLE.COM"));
        Assert.Equal(api, Serial(set, "api.example.com"));
        Assert.Equal(api, Serial(set, "v2.api.example.com"));
        Assert.Equal(fallback, Serial(set, "a.v2.api.example.com"));
        Assert.Equal(fallback, Serial(set, "example.com"));
        Assert.Equal(fallback, Serial(set, null));
        Assert.Equal(3, _log.Count(Loaded));
    }

    [Fact]
    public void Select_EveryCertificateHasHosts_FirstByNameIsTheDefault()
    {
        var alpha = Write("alpha", "alpha.test");
        Write("beta", "beta.test");
        var store = Store();

        store.Apply(Options(("beta", ["beta.test"]), ("alpha", ["alpha.test"])), "startup");

        Assert.Equal(alpha, Serial(store.Current!, "unknown.test"));
    }

    [Fact]
    public void CheckFiles_KeyOfAnotherCertificate_KeepsServingOldOne_LogsOnce_ThenSwapsWhenFixed()
    {
        var old = Write("main", "main.test");
        var store = Store();
        var options = Options(("main", []));
        store.Apply(options, "startup");

        // The new certificate arrives before its key.
        var renewedKeyFile = Path.Combine(_folder, "renewed.key");
        var renewed = WritePem(Path.Combine(_folder, "main.crt"), renewedKeyFile, "main.test");

        Assert.False(store.CheckFiles("file change"));
        Assert.False(store.CheckFiles("periodic check"));
        Assert.Equal(old, Serial(store.Current!, null));
        var error = Assert.Single(_log.Entries, e => e.EventId == NotLoaded);
        Assert.Equal(LogLevel.Error, error.Level);
        Assert.Contains("does not match the certificate", error.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(_folder, "main.key"), error.Message, StringComparison.Ordinal);

        File.Copy(renewedKeyFile, Path.Combine(_folder, "main.key"), overwrite: true);

        Assert.True(store.CheckFiles("file change"));
        Assert.Equal(renewed, Serial(store.Current!, null));
        Assert.Equal(2, _log.Count(Loaded));
        Assert.Contains(_log.Entries, e => e.EventId == Loaded && e.Message.Contains(renewed, StringComparison.Ordinal) && e.Message.Contains("file change", StringComparison.Ordinal));
    }

    [Fact]
    public void CheckFiles_NothingChanged_DoesNotReload()
    {
        Write("main", "main.test");
        var store = Store();
        store.Apply(Options(("main", [])), "startup");

        Assert.True(store.CheckFiles("periodic check"));
        Assert.True(store.Apply(Options(("main", [])), "config reload"));

        Assert.Equal(1, _log.Count(Loaded));
    }

    [Fact]
    public void Apply_ConfigMovesAHost_SwapsWithoutFileChange()
    {
        var a = Write("a", "a.test");
        var b = Write("b", "b.test");
        var store = Store();
        store.Apply(Options(("a", ["shop.test"]), ("b", [])), "startup");
        Assert.Equal(a, Serial(store.Current!, "shop.test"));

        Assert.True(store.Apply(Options(("a", []), ("b", ["shop.test"])), "config reload"));

        Assert.Equal(b, Serial(store.Current!, "shop.test"));
    }

    [Fact]
    public void Apply_ExpiredCertificate_LoadsAndWarns()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=old.test", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-10), DateTimeOffset.UtcNow.AddDays(-1));
        File.WriteAllText(Path.Combine(_folder, "main.crt"), certificate.ExportCertificatePem());
        File.WriteAllText(Path.Combine(_folder, "main.key"), key.ExportPkcs8PrivateKeyPem());
        var store = Store();

        Assert.True(store.Apply(Options(("main", [])), "startup"));

        Assert.Equal(LogLevel.Warning, Assert.Single(_log.Entries, e => e.EventId == Expired).Level);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private CertificateStore Store() => new(TimeProvider.System, _log);

    private TlsOptions Options(params (string Name, string[] Hosts)[] certificates) => new()
    {
        Certificates = certificates.ToDictionary(
            c => c.Name,
            c => new TlsCertificateOptions { CertificatePath = Path.Combine(_folder, c.Name + ".crt"), KeyPath = Path.Combine(_folder, c.Name + ".key"), Hosts = c.Hosts }),
    };

    private static string Serial(CertificateSet set, string? serverName) => set.Select(serverName).TargetCertificate.SerialNumber;

    private string Write(string name, string dnsName) => WritePem(Path.Combine(_folder, name + ".crt"), Path.Combine(_folder, name + ".key"), dnsName);

    private static string WritePem(string certificatePath, string keyPath, string dnsName)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={dnsName}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return certificate.SerialNumber;
    }
}
