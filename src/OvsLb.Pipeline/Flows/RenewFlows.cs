using OvsLb.OpenFlow.Actions;
using OvsLb.OpenFlow.Actions.Nicira;
using OvsLb.OpenFlow.Match;
using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Packets;
using OvsLb.OpenFlow.Wire;
using OvsLb.Pipeline.Config;
using OvsLb.State;
using static OvsLb.Pipeline.LbPipeline;

namespace OvsLb.Pipeline.Flows;

/// <summary>
/// Renewing a reused connection entry (TCP services with learned connections). A client's FIN or RST lowers its
/// entry's idle timeout to <see cref="PickFlows.FinIdleTimeout"/> s for good: the learned flow's fin_timeout changes the
/// flow itself, and learn, which modifies an existing flow (MODIFY_STRICT), keeps the timeouts it finds. So a new
/// connection on the same 5-tuple within those 2 s (a client reusing its port after the server closed first) would
/// inherit the 2 s timeout, and lose its backend after 2 s of silence. Measured on OVS 3.1: an OpenFlow ADD of the
/// entry replaces it with fresh timeouts, and stays fresh when, in addition, FIN and RST packets take datapath flows of
/// their own (a datapath flow's TCP flags accumulate, and every stats push of one that has seen a FIN applies the
/// fin_timeout again). These flows arrange both; the controller's half is <c>ConnectionRenewer</c>.
/// </summary>
public static class RenewFlows
{
    /// <summary>Bytes of a SYN the controller receives: Ethernet, IPv4 and TCP headers with options, at most 134.</summary>
    public const ushort PacketInBytes = 256;

    /// <summary>Packet-ins per second (and burst) the renew meter lets through per bridge.</summary>
    public const uint RenewRate = 1000;

    /// <summary>tcp_flags bits (RFC 9293 §3.1, OVS's NXM_NX_TCP_FLAGS).</summary>
    private const ushort Fin = 0x001, Syn = 0x002, Rst = 0x004, Ack = 0x010;

    /// <summary>
    /// <c>reuse</c>: a SYN without ACK whose reg1 is set (the connection lookup found an entry: a client reusing a
    /// recently closed connection's 5-tuple, or a retransmitted SYN) → a copy to the controller through meter
    /// <paramref name="meterId"/> (the meter limits the copies, never the packet, which goes on to <c>pick</c> with the
    /// entry's backend). The controller then adds the entry anew with the full idle timeout. One per bridge that carries
    /// a TCP service with learned connections. Tags are odd, so reg1's lowest bit says whether an entry matched.
    /// <paramref name="ipv6"/>: the same for TCP over IPv6 (one more per bridge that carries an IPv6 VIP).
    /// </summary>
    public static FlowEntry ReusedSynFlow(CookieLayout c, uint meterId, bool ipv6 = false) =>
        FlowParts.Flow(c, Reuse, Priority.ReusedSyn, FlowFeature.Renew, ipv6 ? Ipv6Id : 0,
            FlowParts.Match(EthType(ipv6), FlowParts.IpProto(ServiceProtocol.Tcp),
                OxmEntry.For(MfId.TcpFlags, Syn, Syn | Ack), OxmEntry.For(BackendRegister, 1, 1)),
            FlowParts.Apply(new Controller2Action(new EquatableArray<ControllerProperty>(
                [new ControllerMaxLen(PacketInBytes), new ControllerMeterId(meterId)]))));

    /// <summary>
    /// <c>reuse</c>: a TCP packet with FIN (or RST, <paramref name="rst"/>) → nothing here (the packet goes on to
    /// <c>pick</c>). Matching the flag gives closing packets datapath flows of their own, so the datapath flow of a
    /// connection's other packets never accumulates a FIN or RST, and its stats never lower the idle timeout of the
    /// entry that a later connection on the same 5-tuple renewed. One of each per bridge, beside <see cref="ReusedSynFlow"/>.
    /// </summary>
    public static FlowEntry ClosingPacketFlow(CookieLayout c, bool rst, bool ipv6 = false) =>
        FlowParts.Flow(c, Reuse, Priority.ClosingPacket, FlowFeature.Renew, (rst ? 2UL : 1UL) | (ipv6 ? Ipv6Id : 0),
            FlowParts.Match(EthType(ipv6), FlowParts.IpProto(ServiceProtocol.Tcp),
                OxmEntry.For(MfId.TcpFlags, rst ? Rst : Fin, rst ? Rst : Fin)));

    /// <summary>
    /// <c>reuse</c>: a TCP SYN → nothing here (the packet goes on to <c>pick</c>). Why it exists: a connection's first
    /// packet finds no entry and passes the select group, and the datapath flow it leaves matches what the lookups
    /// consulted; without this flow that is every TCP flag but FIN and RST, so the connection's next packets, sent
    /// before the revalidators have seen the learned entry (a few ms; longer under load), follow the group path too.
    /// When the group then changes before their statistics are pushed, OVS translates that datapath flow again with the
    /// new buckets and pushes the statistics through the new translation, whose learn rewrites the connection's entry
    /// for the new bucket: an established connection moves (measured on OVS 3.1: ofproto-dpif-upcall.c
    /// <c>revalidate_ukey</c> pushes the delta through the rebuilt xlate cache). Matching SYN puts the SYN bit into every
    /// datapath flow that consults this table, so only SYNs ever take the group path; the first SYN is run by the upcall
    /// and never counted in a datapath flow. One per bridge, beside <see cref="ReusedSynFlow"/>; lower than the
    /// closing-packet flows.
    /// </summary>
    public static FlowEntry OpeningPacketFlow(CookieLayout c, bool ipv6 = false) =>
        FlowParts.Flow(c, Reuse, Priority.OpeningPacket, FlowFeature.Renew, 3UL | (ipv6 ? Ipv6Id : 0),
            FlowParts.Match(EthType(ipv6), FlowParts.IpProto(ServiceProtocol.Tcp), OxmEntry.For(MfId.TcpFlags, Syn, Syn)));

    /// <summary>The object-id bit of the IPv6 twins of the <c>reuse</c> flows.</summary>
    private const ulong Ipv6Id = 0x100;

    private static OxmEntry EthType(bool ipv6) => FlowParts.EthType(ipv6 ? EtherType.IPv6 : EtherType.IPv4);

    /// <summary>
    /// The meter of <see cref="ReusedSynFlow"/>: <see cref="RenewRate"/> packets per second, burst as many. Beyond it a
    /// reused entry is not renewed (the connection keeps its backend while it is never silent for 2 s). Exists on a
    /// bridge while it carries a TCP service with learned connections.
    /// </summary>
    public static MeterEntry RenewMeter(uint meterId) =>
        new(meterId, MeterFlags.Pktps | MeterFlags.Burst | MeterFlags.Stats, new EquatableArray<MeterBand>([MeterBand.Drop(RenewRate, RenewRate)]));

    /// <summary>
    /// <c>connections</c>, added by the controller (FLOW_MOD ADD) for a SYN that <see cref="ReusedSynFlow"/> sent: the
    /// connection's entry, the same flow that <c>pick</c>'s learn writes (table, priority, cookie, match, timeouts, actions),
    /// so the next packet's learn finds it and keeps its full idle timeout <paramref name="idle"/>.
    /// </summary>
    public static FlowEntry RenewedConnectionEntry(CookieLayout c, uint tag, Ipv4Address client, ushort clientPort, Ipv4Address vip, ushort port, ushort idle) =>
        FlowParts.Flow(c, Connections, Priority.ConnectionLearned, FlowFeature.Learned, tag,
            FlowParts.Match(FlowParts.EthType(EtherType.IPv4), FlowParts.IpProto(ServiceProtocol.Tcp), FlowParts.IpSrc(client), FlowParts.IpDst(vip),
                FlowParts.L4Src(ServiceProtocol.Tcp, clientPort), FlowParts.L4Dst(ServiceProtocol.Tcp, port)),
            FlowParts.Apply(new FinTimeoutAction(PickFlows.FinIdleTimeout, 0), FlowParts.Load(BackendRegister, tag))) with { IdleTimeout = idle };

    /// <summary>The IPv6 twin of <see cref="RenewedConnectionEntry(CookieLayout, uint, Ipv4Address, ushort, Ipv4Address, ushort, ushort)"/>: the entry pick's learn writes for a TCP connection to an IPv6 VIP.</summary>
    public static FlowEntry RenewedConnectionEntry(CookieLayout c, uint tag, Ipv6Address client, ushort clientPort, Ipv6Address vip, ushort port, ushort idle) =>
        FlowParts.Flow(c, Connections, Priority.ConnectionLearned, FlowFeature.Learned, tag,
            FlowParts.Match(FlowParts.EthType(EtherType.IPv6), FlowParts.IpProto(ServiceProtocol.Tcp), OxmEntry.For(MfId.Ipv6Src, client.Value), FlowParts.Ip6Dst(vip),
                FlowParts.L4Src(ServiceProtocol.Tcp, clientPort), FlowParts.L4Dst(ServiceProtocol.Tcp, port)),
            FlowParts.Apply(new FinTimeoutAction(PickFlows.FinIdleTimeout, 0), FlowParts.Load(BackendRegister, tag))) with { IdleTimeout = idle };

    /// <summary>True when the cookie is a <see cref="ReusedSynFlow"/>'s of this controller.</summary>
    public static bool IsRenew(CookieLayout cookies, ulong cookie) => cookies.Owns(cookie) && CookieLayout.Feature(cookie) == (byte)FlowFeature.Renew;

    /// <summary>True when the bridge needs the <c>reuse</c> flows: it carries a TCP service that learns connections.</summary>
    public static bool Needed(IEnumerable<ServiceConfig> carried) => carried.Any(s => s.Protocol == ServiceProtocol.Tcp && PickFlows.LearnsConnections(s));

    /// <summary>True when the bridge needs the IPv6 twins of the <c>reuse</c> flows: such a service has an IPv6 VIP.</summary>
    public static bool NeededForIpv6(IEnumerable<ServiceConfig> carried) => carried.Any(s => s.Vip6 is not null && s.Protocol == ServiceProtocol.Tcp && PickFlows.LearnsConnections(s));
}
