using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Edge.Config.Tls;

/// <summary>A server certificate with a private key SslStream can use, and the intermediates sent with it.</summary>
public sealed class ServerCertificate(X509Certificate2 certificate, X509Certificate2Collection intermediates) : IDisposable
{
    public X509Certificate2 Certificate { get; } = certificate;

    public X509Certificate2Collection Intermediates { get; } = intermediates;

    public void Dispose()
    {
        Certificate.Dispose();
        foreach (var intermediate in Intermediates)
        {
            intermediate.Dispose();
        }
    }
}

/// <summary>What is wrong with a certificate's files: the key (CertificatePath or KeyPath) and a message saying how to fix it.</summary>
public sealed record PemProblem(string Key, string Message);

/// <summary>
/// Loads a certificate and its private key from PEM files, telling apart every way they can be
/// wrong (missing, unreadable, not PEM, encrypted key, key of another certificate) so the error
/// says which file to fix and how.
/// </summary>
public static class PemCertificate
{
    private const string RsaOid = "1.2.840.113549.1.1.1";
    private const string EcOid = "1.2.840.10045.2.1";
    private static readonly string[] KeyLabels = ["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY"];

    public static ServerCertificate? TryLoad(string certificatePath, string? keyPath, out PemProblem? problem)
    {
        problem = null;
        if (!TryRead("CertificatePath", certificatePath, "the PEM certificate file (the server certificate first, then its intermediates)", out var certificateText, ref problem))
        {
            return null;
        }

        var chain = new X509Certificate2Collection();
        try
        {
            chain.ImportFromPem(certificateText);
        }
        catch (CryptographicException ex)
        {
            problem = new PemProblem("CertificatePath", $"CertificatePath '{certificatePath}' holds a malformed PEM certificate ({ex.Message.TrimEnd('.')}); write the certificate as '-----BEGIN CERTIFICATE-----' blocks, the server certificate first");
            return null;
        }

        if (chain.Count == 0)
        {
            problem = new PemProblem("CertificatePath", $"CertificatePath '{certificatePath}' holds no PEM certificate; it must contain a '-----BEGIN CERTIFICATE-----' block, the server certificate first");
            return null;
        }

        var leaf = chain[0];
        var intermediates = new X509Certificate2Collection();
        for (var i = 1; i < chain.Count; i++)
        {
            intermediates.Add(chain[i]);
        }

        var withKey = AttachKey(leaf, certificatePath, keyPath, certificateText, ref problem);
        leaf.Dispose();
        if (withKey is null)
        {
            foreach (var intermediate in intermediates)
            {
                intermediate.Dispose();
            }

            return null;
        }

        return new ServerCertificate(withKey, intermediates);
    }

    private static X509Certificate2? AttachKey(X509Certificate2 leaf, string certificatePath, string? keyPath, string certificateText, ref PemProblem? problem)
    {
        var keyText = certificateText;
        if (keyPath is not null
            && !TryRead("KeyPath", keyPath, $"the PEM private key of the certificate in '{certificatePath}', or remove KeyPath if that file holds the key", out keyText, ref problem))
        {
            return null;
        }

        var keyKey = keyPath is null ? "CertificatePath" : "KeyPath";
        var keyFile = keyPath ?? certificatePath;
        if (FindKey(keyText) is not var (label, pem))
        {
            problem = keyPath is null
                ? new PemProblem("KeyPath", $"CertificatePath '{certificatePath}' holds no private key and KeyPath is not set; set KeyPath to the certificate's PEM private key file, such as '/etc/edge/tls.key'")
                : new PemProblem("KeyPath", $"KeyPath '{keyPath}' holds no PEM private key; it must contain a '-----BEGIN PRIVATE KEY-----' (or RSA/EC PRIVATE KEY) block");
            return null;
        }

        if (label == "ENCRYPTED PRIVATE KEY")
        {
            problem = new PemProblem(keyKey, $"{keyKey} '{keyFile}' holds an encrypted private key, which Edge cannot read; store it unencrypted, readable by the edge's user only (openssl pkey -in KEY -out KEY.plain)");
            return null;
        }

        var mismatch = new PemProblem(keyKey,
            $"{keyKey} '{keyFile}' holds a private key that does not match the certificate in '{certificatePath}' ({leaf.Subject}, serial {leaf.SerialNumber}); use the key issued with this certificate, or the certificate issued for this key");
        try
        {
            switch (leaf.GetKeyAlgorithm())
            {
                case RsaOid:
                    {
                        using var rsa = RSA.Create();
                        rsa.ImportFromPem(pem);
                        return Usable(leaf.CopyWithPrivateKey(rsa));
                    }

                case EcOid:
                    {
                        using var ecdsa = ECDsa.Create();
                        ecdsa.ImportFromPem(pem);
                        return Usable(leaf.CopyWithPrivateKey(ecdsa));
                    }

                default:
                    problem = new PemProblem("CertificatePath", $"CertificatePath '{certificatePath}' holds a certificate whose key type ({leaf.GetKeyAlgorithm()}) Edge does not support; use an RSA or ECDSA certificate");
                    return null;
            }
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            // A key of another type, or of another certificate: either way, not this certificate's key.
            problem = mismatch;
            return null;
        }
    }

    // On Linux a key imported from PEM is ephemeral; a PKCS#12 round trip gives one SslStream can always use.
    private static X509Certificate2 Usable(X509Certificate2 certificate)
    {
        using (certificate)
        {
            return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), password: null);
        }
    }

    private static (string Label, string Pem)? FindKey(string text)
    {
        var rest = text.AsSpan();
        var offset = 0;
        while (PemEncoding.TryFind(rest, out var fields))
        {
            var label = rest[fields.Label].ToString();
            if (KeyLabels.Contains(label, StringComparer.Ordinal))
            {
                return (label, text.Substring(offset + fields.Location.Start.Value, fields.Location.End.Value - fields.Location.Start.Value));
            }

            var end = fields.Location.End.Value;
            offset += end;
            rest = rest[end..];
        }

        return null;
    }

    private static bool TryRead(string key, string path, string what, out string text, ref PemProblem? problem)
    {
        text = string.Empty;
        if (!File.Exists(path))
        {
            problem = new PemProblem(key, $"{key} '{path}' does not exist; point it at {what}");
            return false;
        }

        try
        {
            text = File.ReadAllText(path);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            problem = new PemProblem(key, $"{key} '{path}' could not be read ({ex.Message.TrimEnd('.')}); check that the edge's user can read it");
            return false;
        }
    }
}
