using System.Net;
using System.Net.Sockets;
using OvsLb.OpenFlow.Messages;

namespace OvsLb.Runtime.Transport;

/// <summary>
/// Writes the controller's OFPT_HELLO to a just-accepted socket, synchronously and before anything else
/// is built for the connection (<see cref="SwitchConnection"/>'s pipe and queue, the session, log scopes);
/// the session records it as its first sent message instead of sending one itself.
/// <para>
/// Why: Open vSwitch (3.1, unchanged through 3.7) runs the handshake of its connection to a controller
/// from <c>ofservice_run()</c> in <c>ofproto/connmgr.c</c> (<c>rconn_run()</c>, then <c>vconn_connect()</c>
/// in <c>lib/vconn.c</c>), but <c>ofservice_wait()</c> registers nothing for that connection: only once the
/// HELLO exchange is done does it get an <c>ofconn</c>, whose <c>ofconn_wait()</c> polls the socket. So
/// ovs-vswitchd sends its HELLO right after connecting and does not wake when ours arrives; it reads it
/// on whatever wakes its main loop next. After <c>ovs-vsctl set-controller</c> that is within a few ms,
/// otherwise a periodic timer (~500 ms). A fresh controller process used to take 35–110 ms (JIT of the
/// session's path) to send its first HELLO, so a bridge connecting to it usually waited ~0.5 s to be
/// identified; written here, after <see cref="WarmUpAsync"/> at start, it leaves 0.3–2 ms after the switch's SYN.
/// README.md ("What the controller does") has the figures.
/// </para>
/// </summary>
internal sealed class EarlyHello
{
    private readonly HelloMessage _hello = HelloMessage.Offering();

    /// <summary>
    /// Writes a HELLO offering OpenFlow 1.3, xid 1 (the session's requests continue from 2), to
    /// <paramref name="socket"/> and returns it. Throws <see cref="SocketException"/> when the peer is already gone.
    /// <para>
    /// A small fixed xid keeps every byte of the HELLO below 0x80: Mininet's <c>RemoteController</c> probes
    /// a controller with <c>telnet</c> and decodes what it prints as UTF-8, so a HELLO sent at accept with a
    /// random xid crashed the topology whenever an xid byte was not valid UTF-8 (seen in the lab tests).
    /// </para>
    /// </summary>
    public HelloMessage Send(Socket socket)
    {
        var hello = _hello with { Xid = 1 };
        Span<byte> bytes = stackalloc byte[hello.WireLength];
        int length = OfpEncoder.Write(hello, bytes);
        // 16 bytes into the empty send buffer of a new connection: this does not block, and a
        // blocking-mode socket (an accepted one is) sends all of them.
        socket.Send(bytes[..length], SocketFlags.None);
        return hello;
    }

    /// <summary>
    /// The same HELLO written to a just-connected stream (an in-memory connection, see <see cref="InMemoryTransport"/>)
    /// with one synchronous write; throws <see cref="IOException"/> when the peer is already gone.
    /// </summary>
    public HelloMessage Send(Stream stream)
    {
        var hello = _hello with { Xid = 1 };
        Span<byte> bytes = stackalloc byte[hello.WireLength];
        int length = OfpEncoder.Write(hello, bytes);
        stream.Write(bytes[..length]);
        return hello;
    }

    /// <summary>
    /// The same HELLO written to <paramref name="stream"/>: on an <c>ssl:</c> listener, right after the TLS handshake
    /// (<see cref="TlsAccept"/>), before the connection is built. Throws <see cref="IOException"/> when the peer is gone.
    /// </summary>
    public async Task<HelloMessage> SendAsync(Stream stream, CancellationToken ct)
    {
        var hello = _hello with { Xid = 1 };
        await stream.WriteAsync(OfpEncoder.ToArray(hello), ct).ConfigureAwait(false);
        await stream.FlushAsync(ct).ConfigureAwait(false);
        return hello;
    }

    /// <summary>
    /// Accepts one loopback connection of its own on a private listener, as the accept loop does, and greets
    /// it, so that the first switch's accept and <see cref="Send(Socket)"/> run code that is already compiled. Only
    /// speed is at stake: the caller ignores a failure (e.g. a namespace whose loopback is down).
    /// </summary>
    public async Task WarmUpAsync(CancellationToken ct)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var accepted = listener.AcceptAsync(ct);
        await client.ConnectAsync(listener.LocalEndPoint!, ct).ConfigureAwait(false);
        using var server = await accepted.ConfigureAwait(false);
        Send(server);
        await client.ReceiveAsync(new byte[64], SocketFlags.None, ct).ConfigureAwait(false);
    }
}
