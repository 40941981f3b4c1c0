using OvsLb.OpenFlow.Messages;

namespace OvsLb.Runtime.Session;

/// <summary>
/// What an application may see and do of a connected switch: who it is, its ports, and sending it a
/// PACKET_OUT. Switch events and the commit notification hand this out instead of the session, so the
/// application cannot reconcile, change roles or close connections behind the runtime's back.
/// Implemented by <see cref="SwitchSession"/>.
/// </summary>
public interface ISwitchHandle
{
    ulong DatapathId { get; }

    /// <summary>The datapath id as OVS prints it: 16 hex digits.</summary>
    string DatapathIdText { get; }

    /// <summary>The bridge's name (its LOCAL port's), if the switch reported one.</summary>
    string? BridgeName { get; }

    /// <summary>Port number → description; replaced as a whole on every port change, never mutated.</summary>
    IReadOnlyDictionary<uint, PortDescription> Ports { get; }

    /// <summary>Whether this instance may write to the switch (role Equal or Master, connection open).</summary>
    bool CanWrite { get; }

    /// <summary>Sends a PACKET_OUT without waiting; throws when the connection is closed.</summary>
    void Send(PacketOut packetOut);

    /// <summary>Sends an NXT_CT_FLUSH without waiting (OVS answers only with an error); throws when the connection is closed.</summary>
    void Send(OvsLb.OpenFlow.Messages.Nicira.CtFlush flush);

    /// <summary>
    /// Sends an OFPFC_ADD of a flow with the learned cookie (feature <c>ff</c>): the datapath's own state, which the
    /// reconciler never compares or deletes, written anew (an ADD replaces a flow with fresh timeouts, where learn keeps
    /// them). Throws <see cref="ArgumentException"/> for any other cookie, and when the connection is closed.
    /// </summary>
    void RenewLearned(OvsLb.State.FlowEntry learned);

    /// <summary>Sends a request and waits for its reply (multipart parts combined); an OFPT_ERROR reply throws
    /// <see cref="OpenFlowErrorException"/>, no reply within <paramref name="timeout"/> <see cref="TimeoutException"/>.</summary>
    Task<OvsLb.OpenFlow.Messages.OfpMessage> RequestAsync(OvsLb.OpenFlow.Messages.OfpMessage request, CancellationToken ct = default, TimeSpan? timeout = null);
}
