using OvsLb.OpenFlow.Messages;
using OvsLb.Runtime.Transport;
using OvsLb.State;

namespace OvsLb.Runtime.Session;

/// <summary>
/// Switch events for the application. Handlers run on the connection's receive loop: a PACKET_IN's
/// data aliases the receive buffer and is valid only until the handler's task completes
/// (<see cref="OvsLb.OpenFlow.Wire.Bytes.Copy"/> it to keep it). The switch comes as an
/// <see cref="ISwitchHandle"/> (identity, ports, PACKET_OUT), not the session: reconciling and the
/// connection stay the runtime's.
/// </summary>
public interface ISwitchEvents
{
    /// <summary>The handshake and the first reconcile (if this instance may write) are done.</summary>
    ValueTask OnReadyAsync(ISwitchHandle sw) => ValueTask.CompletedTask;
    void OnDisconnected(ISwitchHandle sw, CloseReason reason) { }
    ValueTask OnPortStatusAsync(ISwitchHandle sw, PortStatus status) => ValueTask.CompletedTask;
    ValueTask OnPacketInAsync(ISwitchHandle sw, PacketIn packetIn) => ValueTask.CompletedTask;
    ValueTask OnFlowRemovedAsync(ISwitchHandle sw, FlowRemoved removed) => ValueTask.CompletedTask;
}

/// <summary>No-op events.</summary>
public sealed class NoSwitchEvents : ISwitchEvents
{
    public static readonly NoSwitchEvents Instance = new();
}
