namespace OvsLb.Runtime.Transport;

/// <summary>
/// Idle detection a transport does itself, offered to the session through <see cref="IOpenFlowConnection.Idle"/> so that the echo
/// keepalive has one clock, not two: the DotNetty transport's channel pipeline has an <c>IdleStateHandler</c> (as Netty-based
/// controllers do), whose reader-idle events the session turns into ECHO_REQUESTs and, when nothing answers, into the close.
/// A transport without one leaves <see cref="IOpenFlowConnection.Idle"/> null and the session times the keepalive from
/// <see cref="IOpenFlowConnection.MillisecondsSinceReceive"/>.
/// </summary>
public interface IIdleEvents
{
    /// <summary>
    /// The silence that raises an event: no complete message received for this long (<see cref="ControllerOptions.EchoInterval"/>).
    /// </summary>
    TimeSpan ReaderIdleTime { get; }

    /// <summary>
    /// Delivers the idle events from now on (called once, by the session, when its handshake has finished):
    /// <paramref name="onIdle"/>(<c>true</c>) after <see cref="ReaderIdleTime"/> without a complete message, then
    /// <paramref name="onIdle"/>(<c>false</c>) after each further <see cref="ReaderIdleTime"/> of the same silence. A message
    /// received starts the count again. Events raised before this call are dropped.
    /// </summary>
    void Start(Action<bool> onIdle);
}
