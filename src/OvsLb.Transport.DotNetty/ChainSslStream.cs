using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace OvsLb.Transport.DotNetty;

/// <summary>
/// The <see cref="SslStream"/> DotNetty.Handlers' TlsHandler runs the server handshake on, presenting our certificate with its
/// intermediates (<paramref name="context"/>, the same <see cref="SslStreamCertificateContext"/> the pipelines transport uses).
/// TlsHandler 0.7.6 calls <c>AuthenticateAsServerAsync(certificate, …)</c> with the bare certificate, which on Linux sends the
/// certificate alone (a switch whose CA file holds only the root then refuses a certificate issued by an intermediate); each
/// such overload is answered here with the options form carrying the context. The requirement of a client certificate, the
/// protocols and the revocation mode stay TlsHandler's settings; session resumption is off, as on the pipelines transport; the
/// switch's certificate goes to <paramref name="validate"/>.
/// </summary>
internal sealed class ChainSslStream(Stream inner, SslStreamCertificateContext context, RemoteCertificateValidationCallback validate)
    : SslStream(inner, leaveInnerStreamOpen: true, validate)
{
    public override Task AuthenticateAsServerAsync(X509Certificate serverCertificate) =>
        AuthenticateAsServerAsync(serverCertificate, false, SslProtocols.None, false);

    public override Task AuthenticateAsServerAsync(X509Certificate serverCertificate, bool clientCertificateRequired, bool checkCertificateRevocation) =>
        AuthenticateAsServerAsync(serverCertificate, clientCertificateRequired, SslProtocols.None, checkCertificateRevocation);

    public override Task AuthenticateAsServerAsync(X509Certificate serverCertificate, bool clientCertificateRequired, SslProtocols enabledSslProtocols,
        bool checkCertificateRevocation) =>
        AuthenticateAsServerAsync(new SslServerAuthenticationOptions
        {
            ServerCertificateContext = context,
            ClientCertificateRequired = clientCertificateRequired,
            EnabledSslProtocols = enabledSslProtocols,
            CertificateRevocationCheckMode = checkCertificateRevocation ? X509RevocationMode.Online : X509RevocationMode.NoCheck,
            AllowTlsResume = false, // as on the pipelines transport (see TlsCredentials.ServerContext)
        }, CancellationToken.None);
}
