using OvsLb.OpenFlow.Match;
using static OvsLb.OpenFlow.Match.MfId;
using OvsLb.State;

namespace OvsLb.Pipeline;

/// <summary>
/// The pipeline, declared once (the same tables, registers and cookie bits are documented table by table
/// in <c>flows/README.md</c>). Every flow factory takes its table from here; <see cref="PipelineConformance"/>
/// holds each built flow's matches, writes, next tables and exits to what its table declares.
/// <code>
///  packet ─► 0 classify ─┬─ arp ──────────► 10 arp ── VIP request: reply in place (IN_PORT)
///                        │                          gateway ARP: learn into 50, then NORMAL
///                        ├─ icmp6 NS ─────► 11 ndp ── NS for an IPv6 VIP: NA in place ─► 12 ndp_tll ── nd_tll ← lbMac, IN_PORT
///                        ├─ ip/ipv6 to lbMac ► 20 service ── group ─► bucket ─┬─ direct: eth_dst, output
///                        │                                                  ├─ portgroup: eth_dst/src, output
///                        │                                                  └─ translate: fake MAC ─► 30 translate
///                        │                                                        ip_dst ← eth_dst[0..31] ─► 50 nexthop ─► output
///                        ├─ ip from backends ─► 40 return ── SNAT ip_src ← VIP, NORMAL / port group ─► 50
///                        └─ anything else: NORMAL
///  20 service, a service with no live backend and onEmpty reject: meter 1 ─► CONTROLLER ─► reset / ICMP port unreachable by PACKET_OUT
///
///  persistence (stateless modes): 20 service ─► 21 connections, 23 affinity (learned: reg1 ← backend), 24 pick:
///      reg1 = backend ─► learn 21 (and 23), the mode's bucket actions; otherwise group ─► bucket: reg1 ← backend ─► 24 pick
///      TCP: after 21, 25 reuse: a SYN that found an entry ─► meter 2 ─► CONTROLLER, which adds the entry anew (FLOW_MOD ADD)
///  UDP services: in place of the select group, multipath(symmetric_l3l4+udp) ─► reg2 = slot ─► 27 slot ── the slot owner's
///      fast-failover group (watched local port, live backups) or its bucket actions ─► as the select group's bucket would
///  NAT modes (conntrack zone Z; fullnat also Z+1):
///   20 service ── ct(zone=Z,nat) ─► 22 conntrack ─┬─ +new: 23 affinity, then 24 pick ── group ─► bucket: reg1 ← backend ─► 24 pick
///                                                 │         24 pick: reg1 = backend ─► [learn 23], ct(commit,zone=Z,nat(dst=IP:PORT)) ─► 26 snat
///                                                 └─ +est/+rel ─► 26 snat (fullnat: nat(src=snatIp); nat hairpin: nat(src=VIP); zone Z+1) ─► 28 to_backend ─► 50 nexthop
///   replies: 40 return ── ct(zone=Z,nat) ─► 42 unnat ── eth_src ← lbMac, NORMAL
///            20 service (to snatIp, or to the VIP off the service port) ── ct(zone=Z+1,nat) ─► 44 unsnat ── ct(zone=Z,nat) ─► 46 client (learned) / 28 to_backend
/// </code>
/// </summary>
public static class LbPipeline
{
    public static readonly PipelineTable Classify = new(0, "classify",
        "Entry: sends ARP to 'arp', neighbour solicitations to 'ndp', IPv4 and IPv6 to this bridge's LB MAC to 'service', IPv4 from known backends to 'return'; everything else is switched by NORMAL.")
    {
        Matches = Fields(EthType, EthDst, InPortOxm, IpProto, Icmpv6Type),
        Sets = Fields(),
        Exits = TableExit.Normal,
    };

    public static readonly PipelineTable Arp = new(10, "arp",
        "ARP in the datapath: answers requests for VIPs with the local LB MAC, learns gateways' MACs, answers port-group servers' requests for their gateway (and drops their other ARP), passes health-probe replies to the controller.")
    {
        Matches = Fields(EthType, EthDst, InPortOxm, ArpOp, ArpSpa, ArpTpa),
        Sets = Fields(EthSrc, EthDst, ArpOp, ArpSha, ArpTha, ArpSpa, ArpTpa),
        Exits = TableExit.InPort | TableExit.Normal | TableExit.Controller | TableExit.Drop | TableExit.Learn,
    };

    public static readonly PipelineTable Ndp = new(11, "ndp",
        "Neighbour discovery in the datapath: a solicitation for an IPv6 VIP becomes the advertisement in place (eth and ipv6 addresses swapped, source the LB MAC and the VIP, type 136, flags S|O; a DAD probe's answer goes to all nodes with O only); with a source link-layer option, its type becomes 2 and 'ndp_tll' writes the LB MAC into it; without, the answer leaves at once (IN_PORT). Advertisements to the LB MAC (answers to NS health checks) go to the controller. Other solicitations: NORMAL.")
    {
        Matches = Fields(InPortOxm, EthType, EthDst, Ipv6Src, IpProto, Icmpv6Type, Icmpv6Code, NdTarget, NdOptionsType),
        Sets = Fields(EthSrc, EthDst, Ipv6Src, Ipv6Dst, Icmpv6Type, NdReserved, NdOptionsType),
        Exits = TableExit.InPort | TableExit.Normal | TableExit.Controller | TableExit.Drop,
    };

    public static readonly PipelineTable NdpTll = new(12, "ndp_tll",
        "The advertisement 'ndp' made from a solicitation with a source link-layer option: nd_tll ← the LB MAC (OVS accepts set_field nd_tll only on a flow that matches icmp_type=136, so it takes a table after the type is rewritten), out of the port the solicitation came in on.")
    {
        Matches = Fields(EthType, IpProto, Icmpv6Type, Icmpv6Code, NdTarget),
        Sets = Fields(NdTll),
        Exits = TableExit.InPort | TableExit.Drop,
    };

    public static readonly PipelineTable Service = new(20, "service",
        "VIP (IPv4 or IPv6; protocol, port) → the service's select group (persistence none), or its 'connections', 'affinity' and 'pick' lookups (persistence, affinity), or the tracker (NAT modes); fullnat replies to the snatIp → the tracker; other IPv4 to a port-group VIP → the master server; a service with no live backend and onEmpty \"reject\" → meter, then the controller (which answers with a TCP reset or ICMP port unreachable); other traffic to the LB MAC is dropped.")
    {
        Matches = Fields(EthType, IpProto, Ipv4Dst, Ipv6Dst, TcpDst, UdpDst),
        Sets = Fields(EthSrc, EthDst, SlotRegister),
        Exits = TableExit.Group | TableExit.Output | TableExit.Normal | TableExit.Controller | TableExit.Drop,
        Meters = true,
    };

    public static readonly PipelineTable Slot = new(27, "slot",
        "UDP services: the slot multipath wrote into reg2 (a symmetric hash of addresses, protocol and both ports) → the slot owner's fast-failover group (its watched local port first, the other live backends as backups), or the owner's bucket actions when it has no local port; the slot table is the select group's (Maglev, options.buckets slots).")
    {
        Matches = Fields(EthType, IpProto, Ipv4Dst, Ipv6Dst, UdpDst, SlotRegister),
        Sets = Fields(BackendRegister, EthSrc, EthDst),
        Exits = TableExit.Group | TableExit.Output | TableExit.Normal | TableExit.Drop,
    };

    public static readonly PipelineTable Translate = new(30, "translate",
        "Address translation: a fake MAC prefix:a.b.c.d becomes ip_dst a.b.c.d; eth_src ← lbMac; reg0 ← the next-hop gateway; in_port ← 0, so the learned output may hairpin.")
    {
        Matches = Fields(EthType, EthDst),
        Sets = Fields(Ipv4Dst, EthSrc, NextHopRegister, InPort),
        Exits = TableExit.Drop,
    };

    public static readonly PipelineTable Return = new(40, "return",
        "Backend replies: translate-mode replies get ip_src ← VIP (stateless SNAT); port-group replies get eth_src ← lbMac and the learned next hop.")
    {
        Matches = Fields(EthType, IpProto, Ipv4Src, TcpSrc, UdpSrc, InPortOxm, EthDst),
        Sets = Fields(Ipv4Src, EthSrc, NextHopRegister),
        Exits = TableExit.Normal,
    };

    public static readonly PipelineTable NextHop = new(50, "nexthop",
        "Learned next hops: reg0 = gateway IP → eth_dst ← the gateway's MAC, output to its port. Fallback to the next gateway; drop while none is learned.")
    {
        Matches = Fields(NextHopRegister),
        Sets = Fields(EthDst, NextHopRegister),
        Exits = TableExit.Output | TableExit.Drop,
    };

    public static readonly PipelineTable Conntrack = new(22, "conntrack",
        "NAT services after the tracker (DNAT zone): a new connection to VIP:port is looked up in 'affinity' and then picked in 'pick'; an established or related one goes on as conntrack rewrote it; an invalid one is dropped.")
    {
        Matches = Fields(EthType, IpProto, Ipv4Dst, TcpDst, UdpDst, CtState, CtNwProto, CtNwDst, CtTpDst),
        Sets = Fields(BackendRegister),
        Exits = TableExit.Drop,
    };

    public static readonly PipelineTable Connections = new(21, "connections",
        "Connection persistence (stateless modes): learned entries, one per live connection's 5-tuple → reg1 = the backend it was given; idle timeout, and 2 s after the client's FIN or RST.")
    {
        Matches = Fields(EthType, IpProto, Ipv4Src, Ipv4Dst, Ipv6Src, Ipv6Dst, TcpSrc, TcpDst, UdpSrc, UdpDst),
        Sets = Fields(BackendRegister),
        Exits = TableExit.Drop,
    };

    public static readonly PipelineTable Reuse = new(25, "reuse",
        "TCP services with learned connections: a SYN whose 5-tuple still has an entry in 'connections' (reg1 set: a client reusing a closed connection's port, or a retransmitted SYN) → meter, then the controller, which adds the entry anew (a FIN or RST has lowered a closed connection's idle timeout to 2 s, and learn keeps a timeout it modifies); FIN and RST are matched so that a connection's closing packets get datapath flows of their own; SYN is matched so that the first packet's datapath flow (through the select group) never carries the connection's later packets.")
    {
        Matches = Fields(EthType, IpProto, TcpFlags, BackendRegister),
        Sets = Fields(),
        Exits = TableExit.Controller | TableExit.Drop,
        Meters = true,
    };

    public static readonly PipelineTable Affinity = new(23, "affinity",
        "Client affinity: learned entries client IP + VIP:port (while reg1 = 0) → reg1 = the backend it had; expire after the service's affinity timeout without a new connection.")
    {
        Matches = Fields(EthType, IpProto, Ipv4Src, Ipv4Dst, Ipv6Src, Ipv6Dst, TcpDst, UdpDst, BackendRegister),
        Sets = Fields(BackendRegister),
        Exits = TableExit.Drop,
    };

    public static readonly PipelineTable Pick = new(24, "pick",
        "A flow's backend, named in reg1 (by a connection or affinity entry, or a bucket): reg1 = a live backend → (learn the connection and affinity entries,) on to it — NAT: commit with DNAT to its IP:port; other modes: the mode's bucket actions. Otherwise → the service's select group, whose bucket sets reg1 and comes back here.")
    {
        Matches = Fields(EthType, IpProto, Ipv4Dst, Ipv6Dst, TcpDst, UdpDst, BackendRegister),
        Sets = Fields(BackendRegister, EthSrc, EthDst, SlotRegister),
        Exits = TableExit.Group | TableExit.Learn | TableExit.Output | TableExit.Normal | TableExit.Drop,
    };

    public static readonly PipelineTable Snat = new(26, "snat",
        "Source NAT of NAT connections (SNAT zone): fullnat → the bridge's snatIp, after the client's MAC and port are learned; a nat backend connecting to its own VIP and picked itself (hairpin) → the VIP; any other nat connection goes on unchanged.")
    {
        Matches = Fields(EthType, Ipv4Src, Ipv4Dst, CtState, CtNwProto, CtNwDst, CtTpDst),
        Sets = Fields(),
        Exits = TableExit.Learn,
    };

    public static readonly PipelineTable ToBackend = new(28, "to_backend",
        "NAT connections leave for their backend: ip_dst = the backend → eth_src ← lbMac and its static MAC, or reg0 ← its IP for 'nexthop' (an on-link backend's learned MAC, else the gateway); in_port ← 0, so a hairpinned connection may leave by the port it came in on.")
    {
        Matches = Fields(EthType, Ipv4Dst),
        Sets = Fields(EthSrc, EthDst, NextHopRegister, InPort),
        Exits = TableExit.Output | TableExit.Normal | TableExit.Drop,
    };

    public static readonly PipelineTable Unnat = new(42, "unnat",
        "nat replies after the tracker: conntrack restored VIP:port as source; eth_src ← lbMac (the MAC the client has for the VIP), NORMAL. Not a NAT reply: NORMAL as it is.")
    {
        Matches = Fields(EthType, CtState),
        Sets = Fields(EthSrc),
        Exits = TableExit.Normal,
    };

    public static readonly PipelineTable Unsnat = new(44, "unsnat",
        "Replies to a source-NATed connection after the SNAT zone (destination back to the client: fullnat's, or the hairpinned nat backend): in_port ← 0, through the DNAT zone (source back to VIP:port), then 'client'.")
    {
        Matches = Fields(EthType, CtState),
        Sets = Fields(EthSrc, InPort),
        Exits = TableExit.Drop,
    };

    public static readonly PipelineTable Client = new(46, "client",
        "fullnat: learned client IP → its MAC (or its router's) and port, from the connection's first direction; refreshed by the client's traffic. No entry (a hairpinned nat backend is the client) → 'to_backend'.")
    {
        Matches = Fields(EthType, Ipv4Dst),
        Sets = Fields(EthDst),
        Exits = TableExit.Output | TableExit.Drop,
    };

    /// <summary>The edges between tables, declared once: where each table's flows may continue, and which tables learn actions write.</summary>
    static LbPipeline()
    {
        Classify.Connect([Arp, Ndp, Service, Return]);
        Arp.Connect([], learnsInto: [NextHop]);
        Ndp.Connect([NdpTll]);
        NdpTll.Connect([]);
        Service.Connect([Translate, Connections, Reuse, Affinity, Pick, Conntrack, Unsnat, Slot]);   // a translate-mode bucket resubmits; NAT services pass the tracker; UDP services pass the slot table
        Slot.Connect([Pick, Translate]);   // a slot owner's pick bucket or translate bucket resubmits
        Connections.Connect([]);
        Reuse.Connect([]);
        Translate.Connect([NextHop]);
        Conntrack.Connect([Affinity, Pick, Snat]);
        Affinity.Connect([]);
        Pick.Connect([Pick, Snat, Translate, Slot], learnsInto: [Connections, Affinity]);
        Snat.Connect([ToBackend], learnsInto: [Client]);
        ToBackend.Connect([NextHop]);
        Return.Connect([NextHop, Unnat]);
        Unnat.Connect([]);
        Unsnat.Connect([Client]);
        Client.Connect([ToBackend]);
        NextHop.Connect([NextHop]);     // the fallback to the next gateway resubmits here again
    }

    private static HashSet<MfId> Fields(params MfId[] ids) => [.. ids];

    /// <summary>All tables in pipeline order.</summary>
    public static readonly IReadOnlyList<PipelineTable> Tables = [Classify, Arp, Ndp, NdpTll, Service, Connections, Conntrack, Affinity, Pick, Slot, Reuse, Snat, ToBackend, Translate, Return, Unnat, Unsnat, Client, NextHop];

    /// <summary>The table with id <paramref name="id"/>, or null.</summary>
    public static PipelineTable? ById(byte id) => Tables.FirstOrDefault(t => t.Id == id);

    /// <summary>reg0: the IPv4 address of the next-hop gateway, set by 'translate' and 'return', matched by 'nexthop'.</summary>
    public const MfId NextHopRegister = MfId.Reg0;

    /// <summary>reg1: a NAT connection's backend (its <see cref="Flows.StableId"/>, never 0), set by a bucket or an affinity entry, matched by 'pick'.</summary>
    public const MfId BackendRegister = MfId.Reg1;

    /// <summary>reg2: a UDP packet's slot (bits 0..log2(options.buckets)-1), written by multipath in 'service' or 'pick', matched by 'slot'.</summary>
    public const MfId SlotRegister = MfId.Reg2;

    /// <summary>Priorities, named so the docs and the flows agree.</summary>
    public static class Priority
    {
        public const ushort Default = 0;
        public const ushort ClassifyArp = 100;
        public const ushort ClassifyToService = 100;
        public const ushort ClassifyNdp = 110;
        public const ushort VipNdpNotAnswered = 320;
        public const ushort NdpDad = 310;
        public const ushort NdpResponder = 300;
        public const ushort NdpOptionless = 290;
        public const ushort ClassifyFromBackend = 90;
        public const ushort VipArpNotAnswered = 310;
        public const ushort ArpResponder = 300;
        public const ushort PortGroupGatewayResponder = 300;
        public const ushort GatewayProbeReply = 260;
        public const ushort GatewayLearn = 250;
        public const ushort HealthReply = 200;
        public const ushort PortGroupArpIsolation = 150;
        public const ushort ServicePort = 200;
        public const ushort ServiceAllPorts = 150;
        public const ushort PortGroupMaster = 100;
        public const ushort TranslatePrefix = 100;
        public const ushort NextHopLearned = 100;
        public const ushort NextHopFallback = 10;
        public const ushort ReturnSnat = 100;
        public const ushort PortGroupReturn = 100;
        public const ushort NatReply = 100;
        public const ushort SnatReply = 200;
        public const ushort HairpinReply = 50;
        public const ushort SnatService = 100;
        public const ushort SnatHairpin = 200;
        public const ushort ConntrackNew = 200;
        public const ushort ConntrackEstablished = 100;
        public const ushort AffinityLearned = 100;
        public const ushort ConnectionLearned = 100;
        public const ushort ReusedSyn = 200;
        public const ushort ClosingPacket = 100;
        public const ushort OpeningPacket = 90;
        public const ushort PickBackend = 200;
        public const ushort PickGroup = 100;
        public const ushort SlotOwner = 100;
        public const ushort ToBackend = 100;
        public const ushort UnnatReply = 100;
        public const ushort ClientLearned = 100;
    }
}
