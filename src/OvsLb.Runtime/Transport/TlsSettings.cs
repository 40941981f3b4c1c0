using System.Globalization;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OvsLb.Runtime.Transport;

/// <summary>
/// The <c>Controller:Tls</c> settings of <c>ssl:</c> listeners: PEM files as <c>ovs-pki</c> writes them
/// (<c>ovs-pki req+sign ctl controller</c> gives <c>ctl-privkey.pem</c> and <c>ctl-cert.pem</c>; the switches'
/// CA is <c>switchca/cacert.pem</c> under the PKI directory). Mutual authentication as <c>ovs-vsctl set-ssl</c>
/// expects: the controller presents <see cref="Certificate"/>, and requires every switch to present a
/// certificate issued by <see cref="CaCertificate"/> (and, when set, to be <see cref="SwitchCertificate"/>).
/// </summary>
public sealed class TlsSettings
{
    public const string Section = "Controller:Tls";

    /// <summary>The controller's private key (PEM: <c>PRIVATE KEY</c>, <c>RSA PRIVATE KEY</c> or <c>EC PRIVATE KEY</c>, unencrypted).</summary>
    public string? PrivateKey { get; set; }

    /// <summary>The controller's certificate (PEM; text around the PEM block, as ovs-pki writes it, is ignored; more certificates after the first are sent as its chain).</summary>
    public string? Certificate { get; set; }

    /// <summary>The CA certificate(s) switch certificates must be issued by (PEM), e.g. ovs-pki's <c>switchca/cacert.pem</c>.</summary>
    public string? CaCertificate { get; set; }

    /// <summary>Optional pin: only this switch certificate is accepted: a PEM file, or its SHA-256 fingerprint in hex (colons allowed).</summary>
    public string? SwitchCertificate { get; set; }

    /// <summary>Whether any of the settings is given.</summary>
    public bool Configured => !string.IsNullOrWhiteSpace(PrivateKey) || !string.IsNullOrWhiteSpace(Certificate)
        || !string.IsNullOrWhiteSpace(CaCertificate) || !string.IsNullOrWhiteSpace(SwitchCertificate);

    /// <summary>
    /// Reads and checks the files; each problem is added to <paramref name="errors"/> naming the setting and the file
    /// (<c>Controller:Tls:PrivateKey: '/etc/ovslb/ctl-privkey.pem' is not the private key of Controller:Tls:Certificate '...'</c>).
    /// Null when there is any problem.
    /// </summary>
    internal TlsCredentials? Load(List<string> errors)
    {
        int before = errors.Count;
        foreach (var (name, value) in new[] { ("PrivateKey", PrivateKey), ("Certificate", Certificate), ("CaCertificate", CaCertificate) })
        {
            if (string.IsNullOrWhiteSpace(value)) errors.Add($"{Section}:{name}: not set (an ssl: listener needs {Section}:PrivateKey, {Section}:Certificate and {Section}:CaCertificate)");
        }
        if (errors.Count > before) return null;

        var certs = ReadCertificates("Certificate", Certificate!, errors);
        var cas = ReadCertificates("CaCertificate", CaCertificate!, errors);
        var keyText = ReadText("PrivateKey", PrivateKey!, errors);
        var pin = SwitchCertificate is { Length: > 0 } p ? ReadPin(p, errors) : null;
        if (certs is null || cas is null || keyText is null || errors.Count > before) return null;

        var withKey = AttachKey(certs[0], keyText, errors);
        if (withKey is null) return null;
        var now = DateTime.Now;
        if (withKey.NotAfter < now) errors.Add($"{Section}:Certificate: '{Certificate}' expired on {withKey.NotAfter.ToString("u", CultureInfo.InvariantCulture)} (switches refuse it)");
        else if (withKey.NotBefore > now) errors.Add($"{Section}:Certificate: '{Certificate}' is not valid before {withKey.NotBefore.ToString("u", CultureInfo.InvariantCulture)} (switches refuse it)");
        if (errors.Count > before) return null;
        var chain = new X509Certificate2Collection();
        for (int i = 1; i < certs.Count; i++) chain.Add(certs[i]);
        return new TlsCredentials(withKey, chain, cas, pin, CaCertificate!);
    }

    /// <summary><see cref="Load"/> for a transport binding an <c>ssl:</c> listener: its problems (already refused by <see cref="ControllerOptions.Validate"/>
    /// unless a file changed since) throw <see cref="ArgumentException"/> as the settings check words them.</summary>
    internal TlsCredentials LoadOrThrow()
    {
        var errors = new List<string>();
        return Load(errors) ?? throw new ArgumentException("invalid controller settings:\n  " + string.Join("\n  ", errors));
    }

    private static string? ReadText(string name, string path, List<string> errors)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            errors.Add($"{Section}:{name}: cannot read '{path}': {e.Message}");
            return null;
        }
    }

    private static X509Certificate2Collection? ReadCertificates(string name, string path, List<string> errors)
    {
        if (ReadText(name, path, errors) is not { } text) return null;
        var certs = new X509Certificate2Collection();
        try
        {
            certs.ImportFromPem(text);
        }
        catch (CryptographicException e)
        {
            errors.Add($"{Section}:{name}: '{path}' holds a CERTIFICATE block that does not decode: {e.Message}");
            return null;
        }
        if (certs.Count == 0)
        {
            errors.Add($"{Section}:{name}: '{path}' holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
            return null;
        }
        return certs;
    }

    /// <summary>The certificate with its private key; an error naming both files when the key is unreadable or not the certificate's.</summary>
    private X509Certificate2? AttachKey(X509Certificate2 cert, string keyText, List<string> errors)
    {
        using var rsaPublic = cert.GetRSAPublicKey();
        using var ecPublic = rsaPublic is null ? cert.GetECDsaPublicKey() : null;
        if (rsaPublic is null && ecPublic is null)
        {
            errors.Add($"{Section}:Certificate: '{Certificate}' has a {cert.PublicKey.Oid.FriendlyName ?? cert.PublicKey.Oid.Value} key; only RSA (ovs-pki's default) and ECDSA keys are supported");
            return null;
        }
        string kind = rsaPublic is not null ? "RSA" : "ECDSA";
        using AsymmetricAlgorithm key = rsaPublic is not null ? RSA.Create() : ECDsa.Create();
        try
        {
            key.ImportFromPem(keyText);
        }
        catch (ArgumentException e)
        {
            errors.Add(keyText.Contains("ENCRYPTED", StringComparison.Ordinal)
                ? $"{Section}:PrivateKey: '{PrivateKey}' is encrypted; give the unencrypted key, as ovs-pki writes it"
                : $"{Section}:PrivateKey: '{PrivateKey}' holds no {kind} private key in PEM, as {Section}:Certificate '{Certificate}' needs ({e.Message})");
            return null;
        }
        catch (CryptographicException e)
        {
            errors.Add($"{Section}:PrivateKey: '{PrivateKey}' does not decode: {e.Message}");
            return null;
        }
        try
        {
            return key is RSA rsa ? cert.CopyWithPrivateKey(rsa) : cert.CopyWithPrivateKey((ECDsa)key);
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            errors.Add($"{Section}:PrivateKey: '{PrivateKey}' is not the private key of {Section}:Certificate '{Certificate}' ({cert.Subject})");
            return null;
        }
    }

    /// <summary>SHA-256 of the pinned certificate: 64 hex digits (colons allowed, as <c>openssl x509 -fingerprint -sha256</c> prints them), or a PEM file.</summary>
    private static byte[]? ReadPin(string value, List<string> errors)
    {
        var hex = value.Replace(":", "", StringComparison.Ordinal).Trim();
        if (hex.Length == 64 && hex.All(char.IsAsciiHexDigit)) return Convert.FromHexString(hex);
        var certs = ReadCertificates("SwitchCertificate", value, errors);
        return certs is null ? null : SHA256.HashData(certs[0].RawData);
    }
}

/// <summary>What <see cref="TlsSettings.Load"/> read: the controller's certificate with its key, its chain, the switches' CA(s), the optional pin.</summary>
internal sealed record TlsCredentials(X509Certificate2 Certificate, X509Certificate2Collection Chain, X509Certificate2Collection SwitchCas, byte[]? SwitchPinSha256, string CaPath)
{
    /// <summary>
    /// What both transports present in the handshake: <see cref="Certificate"/> followed by the intermediates of <see cref="Chain"/>
    /// (the certificates after the first in <c>Controller:Tls:Certificate</c>), so a switch whose CA file holds only the root
    /// accepts a controller certificate issued by an intermediate. Built once, offline (no download of missing intermediates).
    /// Both transports also turn TLS session resumption off: a resumed session gives the certificate check the switch's
    /// certificate without the intermediates it sent in the full handshake, so the same switch would be refused on its next
    /// connection; and each connection's certificate (and pin) is checked in full, at the cost of a full handshake per
    /// (long-lived) connection.
    /// </summary>
    public SslStreamCertificateContext ServerContext => field ??= SslStreamCertificateContext.Create(Certificate, Chain, offline: true);
}
