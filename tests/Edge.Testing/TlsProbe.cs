using System.Net.Http;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace Edge.Testing;

/// <summary>Fresh TLS handshakes against a listener, to see which certificate it serves for a server name, and HTTP clients that trust any certificate.</summary>
public static class TlsProbe
{
    /// <summary>Handshakes with <paramref name="serverName"/> as SNI (none when null) and returns the serial number of the certificate served.</summary>
    public static async Task<string> SerialNumberAsync(Uri listener, string? serverName)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(listener.Host, listener.Port);
        await using var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            // SslStream sends no SNI for an IP address; an empty target host sends none at all.
            TargetHost = serverName ?? string.Empty,
            RemoteCertificateValidationCallback = AnyCertificate,
        }, timeout.Token);
        using var certificate = new X509Certificate2(tls.RemoteCertificate!);
        return certificate.SerialNumber;
    }

    /// <summary>An HttpClient that accepts any server certificate and never reuses a connection across tests.</summary>
    public static HttpClient Client(Uri baseAddress, Version? version = null, HttpVersionPolicy policy = HttpVersionPolicy.RequestVersionOrLower)
        => new(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = AnyCertificate },
        })
        {
            BaseAddress = baseAddress,
            DefaultRequestVersion = version ?? System.Net.HttpVersion.Version11,
            DefaultVersionPolicy = policy,
            Timeout = TimeSpan.FromSeconds(30),
        };

    // The tests' certificates are self-signed and made by the test itself: any certificate the listener presents is accepted, so the test can look at it.
    private static bool AnyCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors) => certificate is not null;
}
