using System.Net.Security;
using System.Net.Sockets;
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
    private readonly TlsCredentials _credentials;
    private readonly SslStreamCertificateContext _context;

    public TlsAccept(TlsCredentials credentials)
    {
        _credentials = credentials;
        _context = credentials.ServerContext; // our certificate and its intermediates, the same for every switch
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
        var check = new TlsPeerCheck(_credentials);
        SslStream? stream = null;
        try
        {
            var head = new byte[8];
            int n = await socket.ReceiveAsync(head, SocketFlags.Peek, deadline.Token).ConfigureAwait(false);
            if (n == 0) throw new TlsRefusedException(TlsRefusals.ClosedBeforeHandshake);
            if (head[0] != TlsRefusals.HandshakeRecord) throw new TlsRefusedException(TlsRefusals.NotTls(head.AsSpan(0, n)));
            stream = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false);
            await stream.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificateContext = _context,
                ClientCertificateRequired = true,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                AllowTlsResume = false, // see TlsCredentials.ServerContext: every connection's certificate is checked in full
                RemoteCertificateValidationCallback = check.Validate,
            }, deadline.Token).ConfigureAwait(false);
            if (check.Refusal is { } late) throw new TlsRefusedException(late); // never when the callback ran; defensive
            return stream;
        }
        catch (Exception e) when (e is not TlsRefusedException)
        {
            Dispose(stream, socket);
            if (e is OperationCanceledException && ct.IsCancellationRequested) throw;
            if (e is OperationCanceledException) throw new TlsRefusedException(TlsRefusals.NotFinishedWithin(timeout));
            // Whatever a peer's bytes make the TLS library throw ends this connection, never the accept loop or the controller's stop.
            throw new TlsRefusedException(check.Refusal ?? TlsRefusals.HandshakeFailed(e, _credentials), e);
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

}
