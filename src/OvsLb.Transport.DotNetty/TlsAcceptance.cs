using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using DotNetty.Buffers;
using DotNetty.Codecs;
using DotNetty.Common.Concurrency;
using DotNetty.Handlers.Tls;
using DotNetty.Transport.Channels;
using OvsLb.OpenFlow.Messages;
using OvsLb.Runtime.Transport;

namespace OvsLb.Transport.DotNetty;

/// <summary>
/// The server side of one <c>ssl:</c> channel of the "dotnetty" transport, as OVS's <c>set-ssl</c> expects of a controller:
/// DotNetty.Handlers' <see cref="TlsHandler"/> in server mode presents our certificate and requires the switch's, which the
/// runtime's <see cref="TlsPeerCheck"/> validates (the same check as the pipelines transport's: CA chain with custom root trust,
/// optional pin). Around it, two handlers of ours:
/// <list type="bullet">
/// <item><see cref="FirstBytes"/>, before the TLS handler: a peer whose first byte is not a TLS handshake record (a switch whose
/// target is <c>tcp:</c> sends its OpenFlow HELLO) is refused at once, worded as on the pipelines transport (<see cref="TlsRefusals"/>).</item>
/// <item><see cref="Gate"/>, after it: on the handshake's completion event, our HELLO is written and the connection handed to the
/// listener; on its failure the peer is refused, with the certificate check's reason when it has one.</item>
/// </list>
/// A peer whose handshake is not finished within the handshake timeout is refused and closed. Each channel reports exactly once.
/// </summary>
internal sealed class TlsAcceptance
{
    private readonly IChannel _channel;
    private readonly TlsCredentials _credentials;
    private readonly TlsPeerCheck _check;
    private readonly DotNettyConnection _connection;
    private readonly HelloMessage _hello;
    private readonly Action<AcceptedConnection?, Exception?> _report;
    private readonly long _acceptedAt = Environment.TickCount64;
    private readonly IScheduledTask _timeout;
    private SslStream? _ssl;
    private int _reported;

    /// <summary>
    /// Adds the TLS handlers in front of <paramref name="channel"/>'s pipeline (whose OpenFlow handlers end with <paramref name="connection"/>)
    /// and starts the handshake timer. <paramref name="report"/> gets the greeted connection or the refusal, once.
    /// </summary>
    public TlsAcceptance(IChannel channel, TlsCredentials credentials, DotNettyConnection connection, HelloMessage hello, TimeSpan timeout,
        Action<AcceptedConnection?, Exception?> report)
    {
        _channel = channel;
        _credentials = credentials;
        _check = new TlsPeerCheck(credentials);
        _connection = connection;
        _hello = hello;
        _report = report;
        // Client certificate required: TlsHandler's server mode asks for it, the check refuses a peer that sends none. No revocation
        // check (as on the pipelines transport); the protocol versions are the system's (TLS 1.2 and 1.3).
        var settings = new ServerTlsSettings(credentials.Certificate, negotiateClientCertificate: true, checkCertificateRevocation: false, SslProtocols.None);
        // The stream presents our certificate with its intermediates (ChainSslStream), as the pipelines transport does.
        var tls = new TlsHandler(stream => _ssl = new ChainSslStream(stream, credentials.ServerContext, _check.Validate), settings);
        channel.Pipeline.AddFirst("tls-gate", new Gate(this));
        channel.Pipeline.AddFirst("tls", tls);
        channel.Pipeline.AddFirst(RecordsName, NewRecordSplitter());
        channel.Pipeline.AddFirst("tls-first-bytes", new FirstBytes(this));
        _timeout = channel.EventLoop.Schedule(() => Refuse(TlsRefusals.NotFinishedWithin(timeout)), timeout);
    }

    private EndPoint? Remote => _connection.Peer;

    private const string RecordsName = "tls-records";

    /// <summary>
    /// Until the handshake is done, the TLS handler gets one TLS record per read (length at offset 3 of the 5-byte header).
    /// TlsHandler 0.7.6 fails with a NullReferenceException when, in one read, a record completes the handshake and another
    /// record follows it (a TLS 1.3 switch's Finished and its first OpenFlow message, read together): when the handshake's
    /// completion runs inside that read, its flush of the records held during the handshake releases the read's input, and
    /// the next record of the same read is then fed to nothing. One record per read leaves no next record. Removed after the
    /// handshake (<see cref="Accept"/>): from then on, reads go to the TLS handler whole.
    /// </summary>
    private static LengthFieldBasedFrameDecoder NewRecordSplitter() =>
        new(maxFrameLength: TlsRecordHeader + MaxTlsRecordBody, lengthFieldOffset: 3, lengthFieldLength: 2, lengthAdjustment: 0, initialBytesToStrip: 0);

    /// <summary>A TLS record's header, and the largest body a record may have (2^14 plus 2048 of expansion, RFC 5246 §6.2.3).</summary>
    private const int TlsRecordHeader = 5, MaxTlsRecordBody = (1 << 14) + 2048;

    /// <summary>Refuses the peer with <paramref name="why"/> and closes it, unless the channel has reported already.</summary>
    private void Refuse(string why, Exception? inner = null)
    {
        if (Interlocked.Exchange(ref _reported, 1) != 0) return;
        _timeout.Cancel();
        _report(null, new PeerRefusedException(Remote, why, inner));
        _ = _channel.CloseAsync();
    }

    /// <summary>The handshake succeeded: our HELLO right after it, then the connection with what the handshake agreed on.</summary>
    private void Accept()
    {
        if (Interlocked.Exchange(ref _reported, 1) != 0) return;
        _timeout.Cancel();
        var ssl = _ssl!;
        var session = new TlsSession(ssl.SslProtocol, ssl.NegotiatedCipherSuite, ssl.RemoteCertificate?.Subject, Environment.TickCount64 - _acceptedAt);
        // Not from inside this event (the TLS handler is mid-read): the splitter hands what it holds on when removed.
        _channel.EventLoop.Execute(() =>
        {
            if (_channel.Pipeline.Get(RecordsName) is { } splitter) _channel.Pipeline.Remove(splitter);
        });
        _ = _channel.WriteAndFlushAsync(_hello);
        _report(new AcceptedConnection(_connection, _hello, session), null);
    }

    /// <summary>Before the TLS handler: refuses a peer whose first byte is not a TLS handshake record, then steps aside.</summary>
    private sealed class FirstBytes(TlsAcceptance owner) : ChannelHandlerAdapter
    {
        public override void ChannelRead(IChannelHandlerContext context, object message)
        {
            if (message is IByteBuffer bytes && bytes.IsReadable() && bytes.GetByte(bytes.ReaderIndex) != TlsRefusals.HandshakeRecord)
            {
                // As many bytes as the pipelines transport peeks at.
                var head = new byte[Math.Min(8, bytes.ReadableBytes)];
                bytes.GetBytes(bytes.ReaderIndex, head);
                bytes.Release();
                owner.Refuse(TlsRefusals.NotTls(head));
                return;
            }
            context.Channel.Pipeline.Remove(this);
            context.FireChannelRead(message);
        }

        /// <summary>Still here: the peer left before sending a byte.</summary>
        public override void ChannelInactive(IChannelHandlerContext context)
        {
            owner.Refuse(TlsRefusals.ClosedBeforeHandshake);
            context.FireChannelInactive();
        }
    }

    /// <summary>After the TLS handler: turns its handshake-completion event into the connection or the refusal.</summary>
    private sealed class Gate(TlsAcceptance owner) : ChannelHandlerAdapter
    {
        public override void UserEventTriggered(IChannelHandlerContext context, object evt)
        {
            if (evt is TlsHandshakeCompletionEvent done)
            {
                if (done.IsSuccessful)
                {
                    context.Channel.Pipeline.Remove(this);
                    owner.Accept();
                }
                else
                {
                    owner.Refuse(owner._check.Refusal ?? TlsRefusals.HandshakeFailed(done.Exception, owner._credentials), done.Exception);
                }
                return;
            }
            context.FireUserEventTriggered(evt);
        }

        /// <summary>Before the handshake's end, a failure of the TLS handler (its completion event follows with the reason): not the session's to see.</summary>
        public override void ExceptionCaught(IChannelHandlerContext context, Exception exception)
        {
            if (Volatile.Read(ref owner._reported) == 0) return;
            context.FireExceptionCaught(exception);
        }
    }
}
