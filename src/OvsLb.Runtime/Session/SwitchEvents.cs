using OvsLb.OpenFlow.Messages;
using OvsLb.Runtime.Transport;
using OvsLb.State;

namespace OvsLb.Runtime.Session;

/// <summary>
/// The application's policy: the desired flows and groups for a switch. Implementations are pure
/// (no I/O); <see cref="Changed"/> tells the runtime to reconcile every connected switch again.
/// </summary>
public interface IDesiredStateProvider
{
    SwitchState GetDesiredState(SwitchInfo sw);

    /// <summary>The desired state given what the switch has installed (read back on connect); by default
    /// the installed state is not needed.</summary>
    SwitchState GetDesiredState(SwitchInfo sw, SwitchState installed) => GetDesiredState(sw);

    event EventHandler? Changed;
}

/// <summary>A provider with a fixed state for every switch (tests, tools); <see cref="Set"/> changes it.</summary>
public sealed class StaticDesiredState(SwitchState state) : IDesiredStateProvider
{
    private SwitchState _state = state;

    public SwitchState GetDesiredState(SwitchInfo sw) => _state;

    public event EventHandler? Changed;

    public void Set(SwitchState state)
    {
        _state = state;
        Changed?.Invoke(this, EventArgs.Empty);
    }
}

/// <summary>
/// Switch events for the application. Handlers run on the connection's receive loop: a PACKET_IN's
/// data aliases the receive buffer and is valid only until the handler's task completes
/// (<see cref="OvsLb.OpenFlow.Wire.Bytes.Copy"/> it to keep it).
/// </summary>
public interface ISwitchEvents
{
    ValueTask OnReadyAsync(SwitchSession session) => ValueTask.CompletedTask;
    void OnDisconnected(SwitchSession session, CloseReason reason) { }
    ValueTask OnPortStatusAsync(SwitchSession session, PortStatus status) => ValueTask.CompletedTask;
    ValueTask OnPacketInAsync(SwitchSession session, PacketIn packetIn) => ValueTask.CompletedTask;
    ValueTask OnFlowRemovedAsync(SwitchSession session, FlowRemoved removed) => ValueTask.CompletedTask;
}

/// <summary>No-op events.</summary>
public sealed class NoSwitchEvents : ISwitchEvents
{
    public static readonly NoSwitchEvents Instance = new();
}
