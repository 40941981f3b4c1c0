using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using OvsLb.OpenFlow.Messages;

namespace OvsLb.Runtime.Transport;

/// <summary>
/// What carries OpenFlow between the controller and its switches: it binds listeners, and each listener
/// accepts connections already greeted with our HELLO. <see cref="SwitchServer"/> picks one from
/// <see cref="ControllerOptions.Transport"/> (<see cref="Transports.Create"/>); tests may hand it another
/// (<see cref="InMemoryTransport"/>).
/// </summary>
public interface ITransport
{
    /// <summary>The name <see cref="ControllerOptions.Transport"/> selects it by.</summary>
    string Name { get; }

    /// <summary>Binds one listener to <paramref name="endpoint"/>, a <c>Controller:Listen</c> entry.</summary>
    ITransportListener Bind(string endpoint, ControllerOptions options);

    /// <summary>
    /// Runs the accept-and-greet path once, so the first switch's accept runs compiled code (see
    /// <see cref="EarlyHello.WarmUpAsync"/>). Only speed is at stake: the caller ignores a failure.
    /// </summary>
    Task WarmUpAsync(CancellationToken ct);
}

/// <summary>One bound listener of an <see cref="ITransport"/>.</summary>
public interface ITransportListener : IAsyncDisposable
{
    /// <summary>The endpoint actually bound (port 0 becomes the chosen port).</summary>
    EndPoint LocalEndpoint { get; }

    /// <summary>
    /// For an <c>ssl:</c> listener, the CA file switch certificates must chain to (<c>Controller:Tls:CaCertificate</c>, for the
    /// log); null for a plain one.
    /// </summary>
    string? TlsCaCertificate => null;

    /// <summary>
    /// Waits for the next switch, writes our OFPT_HELLO to it before anything slower is built for the
    /// connection (see <see cref="EarlyHello"/>), and returns the connection with that HELLO.
    /// Throws <see cref="PeerGoneException"/> when the peer left before the HELLO could be written,
    /// <see cref="PeerRefusedException"/> when the transport refused the peer before its session (a failed TLS handshake),
    /// <see cref="AcceptFailedException"/> when accepting failed but the listener goes on, and
    /// <see cref="OperationCanceledException"/> or <see cref="ObjectDisposedException"/> once stopped.
    /// </summary>
    ValueTask<AcceptedConnection> AcceptAsync(CancellationToken ct);
}

/// <summary>
/// A connection just accepted, and the HELLO already written on it (the session's first sent message); <paramref name="Tls"/>
/// says how it is secured when it came through an <c>ssl:</c> listener.
/// </summary>
public sealed record AcceptedConnection(IOpenFlowConnection Connection, HelloMessage Hello, TlsSession? Tls = null);

/// <summary>What the TLS handshake of an <c>ssl:</c> connection agreed on, for the log; <paramref name="HandshakeMilliseconds"/> from accept to its end.</summary>
public sealed record TlsSession(SslProtocols Protocol, TlsCipherSuite Cipher, string? SwitchSubject, long HandshakeMilliseconds);

/// <summary>Accepting one connection failed; the listener accepts the next.</summary>
public sealed class AcceptFailedException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The transport refused a just-accepted peer before its OpenFlow session started (an <c>ssl:</c> listener: the TLS handshake
/// failed, timed out, or the peer is not a TLS peer); it is closed. <see cref="Exception.Message"/> says why.
/// </summary>
public sealed class PeerRefusedException(EndPoint? remote, string message, Exception? inner = null) : Exception(message, inner)
{
    public EndPoint? Remote { get; } = remote;
}

/// <summary>The peer of a just-accepted connection was gone before our HELLO could be written; it is closed.</summary>
public sealed class PeerGoneException(EndPoint? remote, string message, Exception? inner = null) : Exception(message, inner)
{
    public EndPoint? Remote { get; } = remote;
}
