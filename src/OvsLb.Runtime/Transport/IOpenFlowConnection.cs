using System.Net;
using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.Runtime.Transport;

/// <summary>
/// One OpenFlow connection to a switch as the runtime sees it, whatever carries the bytes: the session
/// (<see cref="Session.SwitchSession"/>) and everything above it use only this, so a transport is a
/// matter of the listener that builds the connection (<see cref="ITransport"/>), not of the session.
/// <para>
/// Contract every implementation keeps: messages are framed and decoded by the project's codec
/// (<see cref="OfpFramer"/>, <see cref="OfpDecoder"/>, <see cref="OfpEncoder"/>), a first message that is not
/// OFPT_HELLO closes the connection at once, output never grows without bound (a peer that stops reading
/// is cut off after <see cref="ControllerOptions.SendStallTimeout"/>), and the first close reason recorded
/// is the one reported.
/// </para>
/// </summary>
public interface IOpenFlowConnection : IAsyncDisposable
{
    /// <summary>The peer's address: an <see cref="IPEndPoint"/> for TCP, a path for a Unix domain socket, a name in memory.</summary>
    EndPoint? Peer { get; }

    /// <summary>The peer's IP address and port; null when the peer has none.</summary>
    IPEndPoint? Remote => Peer as IPEndPoint;

    /// <summary>Cancelled when the connection closes for any reason; readable after disposal too (then cancelled).</summary>
    CancellationToken Closed { get; }

    /// <summary>Completes with the reason once the connection has closed.</summary>
    Task<CloseReason> Completion { get; }

    /// <summary>Milliseconds since the last complete message arrived (drives the echo keepalive).</summary>
    long MillisecondsSinceReceive { get; }

    /// <summary>
    /// The transport's own idle detection, which then drives the echo keepalive (the DotNetty pipeline's <c>IdleStateHandler</c>);
    /// null when the session times the keepalive itself from <see cref="MillisecondsSinceReceive"/>.
    /// </summary>
    IIdleEvents? Idle => null;

    long MessagesIn { get; }
    long MessagesOut { get; }

    /// <summary>Bytes queued or being written and not yet handed to the transport.</summary>
    long QueuedBytes { get; }

    /// <summary>Queues a message without waiting. Returns false once the connection is closed.</summary>
    bool Send(OfpMessage message);

    /// <summary>
    /// Queues a reply to a request the peer sent; called from the receive loop, it waits while the
    /// output is backlogged, so a peer that floods requests without reading the replies is slowed down
    /// and, if nothing is written for <see cref="ControllerOptions.SendStallTimeout"/>, closed.
    /// </summary>
    ValueTask SendReplyAsync(OfpMessage reply);

    /// <summary>
    /// Runs the connection until it closes: each decoded message goes to <paramref name="handle"/> (the next is
    /// read only once it returns), each frame the codec cannot decode to <paramref name="onDecodeError"/> with
    /// its bytes, and queued messages are written. Completes when receiving and sending have both stopped.
    /// </summary>
    Task RunAsync(Func<OfpMessage, ValueTask> handle, Func<OfpProtocolException, ReadOnlyMemory<byte>, ValueTask> onDecodeError);

    /// <summary>Records why the connection is about to end before its last messages are queued; the first reason recorded wins.</summary>
    void ClosingFor(CloseReason reason);

    /// <summary>Sends what is queued (best effort, within <paramref name="timeout"/>) and closes with <paramref name="reason"/>.</summary>
    Task FlushAndCloseAsync(CloseReason reason, TimeSpan timeout);

    /// <summary>Closes at once; a reason recorded by <see cref="ClosingFor"/> wins over <paramref name="reason"/>.</summary>
    void Close(CloseReason reason);
}
