using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OvsLb.Runtime.Transport;

/// <summary>
/// The check of one switch's certificate in an <c>ssl:</c> handshake, on either transport (an <see cref="SslStream"/>'s
/// <see cref="RemoteCertificateValidationCallback"/>): a certificate is required; it must chain to <c>Controller:Tls:CaCertificate</c>
/// (an <see cref="X509Chain"/> with <see cref="X509ChainTrustMode.CustomRootTrust"/>: no system store, no revocation, no downloads) and,
/// when pinned, be the pinned one. <see cref="Refusal"/> says why it was refused. One instance per handshake.
/// </summary>
internal sealed class TlsPeerCheck(TlsCredentials credentials)
{
    public string? Refusal { get; private set; }

    public bool Validate(object sender, X509Certificate? certificate, X509Chain? sent, SslPolicyErrors errors)
    {
        if (certificate is null)
        {
            Refusal = "TLS: the peer sent no certificate (a switch needs ovs-vsctl set-ssl with a key and a certificate issued by " +
                $"{TlsSettings.Section}:CaCertificate '{credentials.CaPath}')";
            return false;
        }
        var leaf = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(credentials.SwitchCas);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        // Intermediates the switch sent with its certificate.
        if (sent is not null) chain.ChainPolicy.ExtraStore.AddRange(sent.ChainPolicy.ExtraStore);
        if (!chain.Build(leaf))
        {
            var status = string.Join(", ", chain.ChainStatus.Select(s => s.Status).Distinct());
            bool otherCa = chain.ChainStatus.Any(s => s.Status is X509ChainStatusFlags.PartialChain or X509ChainStatusFlags.UntrustedRoot);
            Refusal = otherCa
                ? $"TLS: switch certificate '{leaf.Subject}' is not issued by {TlsSettings.Section}:CaCertificate '{credentials.CaPath}' (its issuer: '{leaf.Issuer}'; {status})"
                : $"TLS: switch certificate '{leaf.Subject}' refused: {status}";
            return false;
        }
        if (credentials.SwitchPinSha256 is { } pin)
        {
            var got = SHA256.HashData(leaf.RawData);
            if (!CryptographicOperations.FixedTimeEquals(got, pin))
            {
                Refusal = $"TLS: switch certificate '{leaf.Subject}' (SHA-256 {Convert.ToHexString(got).ToLowerInvariant()}) is not the one pinned by {TlsSettings.Section}:SwitchCertificate";
                return false;
            }
        }
        return true;
    }
}
