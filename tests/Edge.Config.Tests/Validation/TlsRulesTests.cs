using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Edge.Config.Tests.TestSupport;

namespace Edge.Config.Tests.Validation;

public sealed class TlsRulesTests(TlsRulesTests.PemFiles files) : IClassFixture<TlsRulesTests.PemFiles>
{
    private const string Https = """ "Listeners": { "Public": "http://0.0.0.0:8080;https://0.0.0.0:8443" } """;

    [Fact]
    public async Task Accepts_HttpsListenerWithCertificates_ReadsEveryKey()
    {
        var snapshot = TestConfig.AssertValid(await TestConfig.LoadWithAsync(files.Fill($$"""
            { "Edge": { {{Https}}, "Tls": {
                "Certificates": {
                  "www": { "CertificatePath": "{dir}/rsa.crt", "KeyPath": "{dir}/rsa.key", "Hosts": ["www.example.com", "*.example.com"] },
                  "fallback": { "CertificatePath": "{dir}/combined.pem" },
                  "ec": { "CertificatePath": "{dir}/ec.crt", "KeyPath": "{dir}/ec.key", "Hosts": ["ec.example.net"] }
                },
                "RedirectHttp": true, "HttpsPort": 443, "CheckInterval": "00:00:30",
                "Hsts": { "Enabled": true, "MaxAge": "730.00:00:00", "IncludeSubDomains": true, "Preload": true } } } }
            """)));

        var tls = snapshot.Edge.Tls;
        Assert.Equal(["*.example.com", "www.example.com"], tls.Certificates["www"].Hosts.Order());
        Assert.Null(tls.Certificates["fallback"].KeyPath);
        Assert.True(tls.RedirectHttp);
        Assert.Equal(443, tls.HttpsPort);
        Assert.Equal(TimeSpan.FromSeconds(30), tls.CheckInterval);
        Assert.True(tls.Hsts is { Enabled: true, IncludeSubDomains: true, Preload: true });
        Assert.Equal(TimeSpan.FromDays(730), tls.Hsts.MaxAge);
    }

    [Fact]
    public async Task Accepts_Defaults_NoTls()
    {
        var tls = TestConfig.AssertValid(await TestConfig.LoadWithAsync("{}")).Edge.Tls;

        Assert.Empty(tls.Certificates);
        Assert.False(tls.RedirectHttp);
        Assert.Null(tls.HttpsPort);
        Assert.Equal(TimeSpan.FromSeconds(10), tls.CheckInterval);
        Assert.False(tls.Hsts.Enabled);
        Assert.Equal(TimeSpan.FromDays(365), tls.Hsts.MaxAge);
    }

    [Theory]
    [InlineData("""{ "CertificatePath": "{dir}/nope.crt", "KeyPath": "{dir}/rsa.key" }""",
        "Edge:Tls:Certificates:main: CertificatePath '{dir}/nope.crt' does not exist", "point it at the PEM certificate file")]
    [InlineData("""{ "CertificatePath": "{dir}/rsa.crt", "KeyPath": "{dir}/nope.key" }""",
        "Edge:Tls:Certificates:main: KeyPath '{dir}/nope.key' does not exist", "point it at the PEM private key of the certificate in '{dir}/rsa.crt'")]
    [InlineData("""{ "CertificatePath": "{dir}/rsa.crt", "KeyPath": "{dir}/other.key" }""",
        "Edge:Tls:Certificates:main: KeyPath '{dir}/other.key' holds a private key that does not match the certificate in '{dir}/rsa.crt'", "CN=rsa.example.com", "use the key issued with this certificate")]
    [InlineData("""{ "CertificatePath": "{dir}/rsa.crt", "KeyPath": "{dir}/ec.key" }""",
        "KeyPath '{dir}/ec.key' holds a private key that does not match")]
    [InlineData("""{ "CertificatePath": "{dir}/rsa.crt", "KeyPath": "{dir}/encrypted.key" }""",
        "KeyPath '{dir}/encrypted.key' holds an encrypted private key", "store it unencrypted")]
    [InlineData("""{ "CertificatePath": "{dir}/garbage.txt", "KeyPath": "{dir}/rsa.key" }""",
        "CertificatePath '{dir}/garbage.txt' holds no PEM certificate", "-----BEGIN CERTIFICATE-----")]
    [InlineData("""{ "CertificatePath": "{dir}/rsa.crt", "KeyPath": "{dir}/rsa.crt" }""",
        "KeyPath '{dir}/rsa.crt' holds no PEM private key")]
    [InlineData("""{ "CertificatePath": "{dir}/rsa.crt" }""",
        "CertificatePath '{dir}/rsa.crt' holds no private key and KeyPath is not set", "set KeyPath")]
    [InlineData("""{ "KeyPath": "{dir}/rsa.key" }""",
        "Edge:Tls:Certificates:main: CertificatePath is not set")]
    [InlineData("""{ "CertificatePath": "tls/rsa.crt", "KeyPath": "{dir}/rsa.key" }""",
        "Edge:Tls:Certificates:main: CertificatePath 'tls/rsa.crt' is not an absolute path")]
    [InlineData("""{ "CertificatePath": "{dir}/rsa.crt", "KeyPath": "{dir}/rsa.key", "Hosts": ["https://www.example.com"] }""",
        "Edge:Tls:Certificates:main: Hosts lists 'https://www.example.com', which is not a host name")]
    [InlineData("""{ "CertificatePath": "{dir}/rsa.crt", "KeyPath": "{dir}/rsa.key", "Hosts": ["www.*.example.com"] }""",
        "Hosts lists 'www.*.example.com', which is not a host name", "'*' only as the whole first label")]
    [InlineData("""{ "CertificatePath": "{dir}/rsa.crt", "KeyPath": "{dir}/rsa.key", "Host": ["www.example.com"] }""",
        "unknown key 'Tls:Certificates:main:Host'", "Did you mean 'Hosts'?")]
    public async Task Rejects_BadCertificate(string certificate, params string[] expected)
    {
        var result = await TestConfig.LoadWithAsync(files.Fill($$"""{ "Edge": { {{Https}}, "Tls": { "Certificates": { "main": {{certificate}} } } } }"""));

        TestConfig.AssertError(result, expected.Select(files.Fill).ToArray());
    }

    [Theory]
    // Two certificates claiming one name, or both being the default.
    [InlineData("""{ "Certificates": { "a": { "CertificatePath": "{dir}/rsa.crt", "KeyPath": "{dir}/rsa.key", "Hosts": ["www.example.com"] }, "b": { "CertificatePath": "{dir}/ec.crt", "KeyPath": "{dir}/ec.key", "Hosts": ["WWW.example.com"] } } }""",
        Https, "Edge:Tls:Certificates:b: Hosts lists 'WWW.example.com', which certificate 'a' already serves")]
    [InlineData("""{ "Certificates": { "a": { "CertificatePath": "{dir}/rsa.crt", "KeyPath": "{dir}/rsa.key" }, "b": { "CertificatePath": "{dir}/ec.crt", "KeyPath": "{dir}/ec.key" } } }""",
        Https, "Edge:Tls:Certificates: 'a', 'b' all have no Hosts")]
    [InlineData("""{ "RedirectHttp": true }""", "", "Edge:Tls:RedirectHttp is true, but Edge:Listeners:Public has no https:// listener")]
    [InlineData("""{ "Hsts": { "Enabled": true } }""", "", "Edge:Tls:Hsts:Enabled is true, but Edge:Listeners:Public has no https:// listener")]
    [InlineData("""{ "Certificates": { "a": { "CertificatePath": "{dir}/rsa.crt", "KeyPath": "{dir}/rsa.key" } }, "Hsts": { "Enabled": true, "Preload": true } }""",
        Https, "Edge:Tls:Hsts:Preload is true", "IncludeSubDomains")]
    [InlineData("""{ "Certificates": { "a": { "CertificatePath": "{dir}/rsa.crt", "KeyPath": "{dir}/rsa.key" } }, "Hsts": { "Enabled": true, "MaxAge": "-00:00:01" } }""",
        Https, "Edge:Tls:Hsts:MaxAge is '-00:00:01'")]
    [InlineData("""{ "HttpsPort": 0 }""", "", "Edge:Tls:HttpsPort is 0")]
    [InlineData("""{ "CheckInterval": "00:00:00" }""", "", "Edge:Tls:CheckInterval is '00:00:00'", "at least 00:00:00.100")]
    [InlineData("""{ "RedirectHtpp": true }""", "", "unknown key 'Tls:RedirectHtpp'", "Did you mean 'RedirectHttp'?")]
    [InlineData("{}", """ "Listeners": { "Admin": "https://127.0.0.1:9901" } """, "Edge:Listeners:Admin: 'https://127.0.0.1:9901' asks for https", "plain http only")]
    [InlineData("{}", """ "Listeners": { "Admin": "h2c://127.0.0.1:9901" } """, "Edge:Listeners:Admin: 'h2c://127.0.0.1:9901' asks for h2c")]
    public async Task Rejects_BadTlsSetting(string tls, string listeners, params string[] expected)
    {
        var listenersPart = listeners.Length == 0 ? string.Empty : listeners + ",";
        var result = await TestConfig.LoadWithAsync(files.Fill($$"""{ "Edge": { {{listenersPart}} "Tls": {{tls}} } }"""));

        TestConfig.AssertError(result, expected);
    }

    /// <summary>PEM files made once for the class: an RSA and an ECDSA certificate with keys, a stranger's key, an encrypted key, a combined PEM, and a file that is not PEM.</summary>
    public sealed class PemFiles : IDisposable
    {
        private readonly TempDirectory _directory = new();

        public PemFiles()
        {
            using var rsa = RSA.Create(2048);
            using var rsaCertificate = SelfSigned(new CertificateRequest("CN=rsa.example.com", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
            using var other = RSA.Create(2048);
            using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            using var ecCertificate = SelfSigned(new CertificateRequest("CN=ec.example.com", ec, HashAlgorithmName.SHA256));
            Write("rsa.crt", rsaCertificate.ExportCertificatePem());
            Write("rsa.key", rsa.ExportPkcs8PrivateKeyPem());
            Write("other.key", other.ExportRSAPrivateKeyPem());
            Write("ec.crt", ecCertificate.ExportCertificatePem());
            Write("ec.key", ec.ExportECPrivateKeyPem());
            Write("encrypted.key", rsa.ExportEncryptedPkcs8PrivateKeyPem("secret", new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 1000)));
            Write("combined.pem", rsaCertificate.ExportCertificatePem() + "\n" + rsa.ExportPkcs8PrivateKeyPem());
            Write("garbage.txt", "not a certificate\n");
        }

        /// <summary>Replaces {dir} with the folder's path (JSON-escaped paths are plain on Linux).</summary>
        public string Fill(string text) => text.Replace("{dir}", _directory.Path, StringComparison.Ordinal);

        public void Dispose() => _directory.Dispose();

        private static X509Certificate2 SelfSigned(CertificateRequest request)
            => request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));

        private void Write(string name, string text) => File.WriteAllText(_directory.File(name), text);
    }
}
