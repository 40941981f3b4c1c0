using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OvsLb.OpenFlow.Messages;

namespace OvsLb.Runtime.Transport;

/// <summary>An <c>ssl:</c> connection that ends before its OpenFlow session starts (a peer refused in the TLS handshake, or gone before our HELLO); <see cref="Exception.Message"/> says why, naming the certificate's subject when there is one.</summary>
public sealed class TlsRefusedException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The server side of an <c>ssl:</c> listener: turns an accepted socket into an authenticated <see cref="SslStream"/>,
/// as OVS's <c>set-ssl</c> expects of a controller. We present our certificate and require the switch's, which must
/// chain to the configured CA (an <see cref="X509Chain"/> with <see cref="X509ChainTrustMode.CustomRootTrust"/>: no system
/// store, no revocation, no downloads) and, when pinned, be the pinned one. A peer that does not start with a TLS
/// record (a switch whose target is <c>tcp:</c> sends its OpenFlow HELLO) is refused at its first bytes; a silent one
/// when the handshake timeout ends.
/// </summary>
internal sealed class TlsAccept
{
    /// <summary>The first byte of every TLS handshake: a record of content type handshake (22).</summary>
    private const byte HandshakeRecord = 0x16;

    private readonly TlsCredentials _credentials;
    private readonly SslStreamCertificateContext _context;

    public TlsAccept(TlsCredentials credentials)
    {
        _credentials = credentials;
        // Built once: the chain we send is the same for every switch. offline: no download of missing intermediates.
        _context = SslStreamCertificateContext.Create(credentials.Certificate, credentials.Chain, offline: true);
    }

    /// <summary>Where switch certificates must chain to, for the log (the setting's file).</summary>
    public string CaPath => _credentials.CaPath;

    /// <summary>
    /// Runs the TLS handshake on <paramref name="socket"/> (which it then owns) within <paramref name="timeout"/>. Returns the
    /// authenticated stream, or throws <see cref="TlsRefusedException"/> with the socket closed; <see cref="OperationCanceledException"/>
    /// when <paramref name="ct"/> (the controller stopping) ends it.
    /// </summary>
    public async Task<SslStream> AuthenticateAsync(Socket socket, TimeSpan timeout, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        var check = new PeerCheck(_credentials);
        SslStream? stream = null;
        try
        {
            var head = new byte[8];
            int n = await socket.ReceiveAsync(head, SocketFlags.Peek, deadline.Token).ConfigureAwait(false);
            if (n == 0) throw new TlsRefusedException("peer closed the connection before the TLS handshake");
            if (head[0] != HandshakeRecord) throw new TlsRefusedException(NotTls(head.AsSpan(0, n)));
            stream = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false);
            await stream.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificateContext = _context,
                ClientCertificateRequired = true,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                RemoteCertificateValidationCallback = check.Validate,
            }, deadline.Token).ConfigureAwait(false);
            if (check.Refusal is { } late) throw new TlsRefusedException(late); // never when the callback ran; defensive
            return stream;
        }
        catch (Exception e) when (e is not TlsRefusedException)
        {
            Dispose(stream, socket);
            if (e is OperationCanceledException && ct.IsCancellationRequested) throw;
            if (e is OperationCanceledException) throw new TlsRefusedException($"TLS handshake not finished within {timeout.TotalSeconds:0.#}s");
            if (check.Refusal is { } why) throw new TlsRefusedException(why, e);
            // AuthenticationException, IOException, SocketException mostly; whatever else a peer's bytes make the TLS
            // library throw ends this connection the same way, never the accept loop or the controller's stop.
            throw new TlsRefusedException($"TLS handshake failed: {(e is AuthenticationException or IOException or SocketException ? "" : e.GetType().Name + ": ")}{Describe(e)}", e);
        }
        catch (TlsRefusedException)
        {
            Dispose(stream, socket);
            throw;
        }
    }

    /// <summary>An authenticated connection on which our HELLO is written; <see cref="HandshakeMilliseconds"/> from accept to the end of the TLS handshake.</summary>
    public sealed record Greeted(SslStream Stream, HelloMessage Hello, long HandshakeMilliseconds);

    /// <summary>
    /// <see cref="AuthenticateAsync"/>, then our HELLO right after the TLS handshake (<see cref="EarlyHello.SendAsync"/>): what the
    /// accept path of an <c>ssl:</c> listener does before building the connection. Throws as <see cref="AuthenticateAsync"/>,
    /// and <see cref="TlsRefusedException"/> when the peer is gone before the HELLO is written.
    /// </summary>
    public async Task<Greeted> AcceptAsync(Socket socket, EarlyHello earlyHello, TimeSpan timeout, CancellationToken ct)
    {
        long acceptedAt = Environment.TickCount64;
        var stream = await AuthenticateAsync(socket, timeout, ct).ConfigureAwait(false);
        long handshake = Environment.TickCount64 - acceptedAt;
        try
        {
            return new Greeted(stream, await earlyHello.SendAsync(stream, ct).ConfigureAwait(false), handshake);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            if (e is OperationCanceledException) throw;
            throw new TlsRefusedException($"sending OFPT_HELLO failed: {e.Message}", e);
        }
    }

    private static void Dispose(SslStream? stream, Socket socket)
    {
        if (stream is not null) stream.Dispose();
        else socket.Dispose();
    }

    /// <summary>
    /// The exception's message with its inner ones (OpenSSL's reason, e.g. "tlsv1 alert unknown ca", is in an inner one),
    /// and what to check when the switch refused our certificate.
    /// </summary>
    private string Describe(Exception e)
    {
        var parts = new List<string>();
        for (var x = e; x is not null; x = x.InnerException)
        {
            if (!parts.Contains(x.Message) && !x.Message.Contains("see inner exception", StringComparison.Ordinal)) parts.Add(x.Message);
        }
        string text = string.Join(": ", parts);
        // The switch's alert: it does not trust the certificate we presented.
        if (text.Contains("alert unknown ca", StringComparison.Ordinal) || text.Contains("alert bad certificate", StringComparison.Ordinal)
            || text.Contains("alert certificate unknown", StringComparison.Ordinal))
        {
            text += $" (the switch refused our certificate '{_credentials.Certificate.Subject}': the CA certificate of its set-ssl must be the one that issued it, ovs-pki's controllerca/cacert.pem)";
        }
        return text;
    }

    private static string NotTls(ReadOnlySpan<byte> head)
    {
        string hex = Convert.ToHexString(head).ToLowerInvariant();
        // OpenFlow's header: version 1..6, then type 0 (OFPT_HELLO) for the first message.
        bool openFlow = head.Length >= 2 && head[0] is >= 1 and <= 6 && head[1] == 0;
        return openFlow
            ? $"not a TLS peer: plain OpenFlow on an ssl: listener (first bytes {hex}, an OFPT_HELLO); is the switch's target tcp: instead of ssl:?"
            : $"not a TLS peer: first bytes {hex} are not a TLS handshake record";
    }

    /// <summary>The check of one switch's certificate; <see cref="Refusal"/> says why it was refused.</summary>
    private sealed class PeerCheck(TlsCredentials credentials)
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
}
