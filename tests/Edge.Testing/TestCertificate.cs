using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Edge.Testing;

/// <summary>Self-signed certificates: for https origins on loopback (the edge under test accepts them with YARP's DangerousAcceptAnyServerCertificate), and as PEM files for the edge's own https listener.</summary>
public static class TestCertificate
{
    public static X509Certificate2 Create(params string[] dnsNames)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={dnsNames[0]}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        foreach (var name in dnsNames)
        {
            names.AddDnsName(name);
        }

        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        // A PFX round trip gives a certificate whose private key SslStream can use on every platform.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), password: null);
    }

    /// <summary>Writes a new self-signed certificate and its key as PEM files, as certbot or cert-manager do; returns its serial number.</summary>
    public static string WritePem(string certificatePath, string keyPath, params string[] dnsNames)
    {
        using var certificate = Create(dnsNames);
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        using var key = certificate.GetRSAPrivateKey()!;
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return certificate.SerialNumber;
    }
}
