using OvsLb.OpenFlow.Match;
using OvsLb.State;

namespace OvsLb.Pipeline;

/// <summary>One table of the pipeline: its number, the name the docs and the <c>flows</c> command use,
/// why it exists, what its flows may match and set, and where a packet can go next.</summary>
public sealed record PipelineTable(byte Id, string Name, string Purpose, string Matches, string Sets, string Next)
{
    public override string ToString() => $"table={Id} ({Name})";
}

/// <summary>What a flow or learned flow is for; the cookie's feature byte (see <see cref="CookieLayout"/>).</summary>
public enum FlowFeature : byte
{
    /// <summary>Table defaults (NORMAL or drop).</summary>
    Default = 0,
    /// <summary>ARP replies for a VIP made in the datapath (seed 004).</summary>
    ArpResponder = 1,
    /// <summary>Gateway ARP/GARP → learned next hop (seed 002).</summary>
    GatewayLearn = 2,
    /// <summary>VIP:port → the service's select group.</summary>
    Service = 3,
    /// <summary>Fake MAC → real destination IP (seed 002).</summary>
    Translate = 4,
    /// <summary>Next-hop fallbacks (the learned entries carry <see cref="Learned"/>).</summary>
    NextHop = 5,
    /// <summary>Backend replies: source IP back to the VIP (seed 002).</summary>
    ReturnSnat = 6,
    /// <summary>Port-group flows: master entry, gateway answers, return path (seed 000).</summary>
    PortGroup = 7,
    /// <summary>ARP replies to the LB MAC sent to the controller for active health checks.</summary>
    Health = 8,
    /// <summary>Flows created by NXAST_LEARN in the datapath. <see cref="CookieLayout.Owns"/> is false for
    /// them, so the reconciler never deletes what the switch learned.</summary>
    Learned = CookieLayout.LearnedFeature,
}

/// <summary>
/// The pipeline, declared once (the same tables, registers and cookie bits are documented table by table
/// in <c>flows/README.md</c>). Every flow factory takes its table from here; a test checks that each
/// built flow's matches and next tables stay inside what its table declares.
/// <code>
///  packet ─► 0 classify ─┬─ arp ──────────► 10 arp ── VIP request: reply in place (IN_PORT)
///                        │                          gateway ARP: learn into 50, then NORMAL
///                        ├─ ip to lbMac ──► 20 service ── group ─► bucket ─┬─ direct: eth_dst, output
///                        │                                                  ├─ portgroup: eth_dst/src, output
///                        │                                                  └─ translate: fake MAC ─► 30 translate
///                        │                                                        ip_dst ← eth_dst[0..31] ─► 50 nexthop ─► output
///                        ├─ ip from backends ─► 40 return ── SNAT ip_src ← VIP, NORMAL / port group ─► 50
///                        └─ anything else: NORMAL
/// </code>
/// </summary>
public static class LbPipeline
{
    public static readonly PipelineTable Classify = new(0, "classify",
        "Entry: sends ARP to 'arp', IPv4 to this bridge's LB MAC to 'service', IPv4 from known backends to 'return'; everything else is switched by NORMAL.",
        "eth_type, eth_dst (lbMac), in_port (port-group servers), ip_src (translate backends)", "nothing", "arp, service, return, NORMAL");

    public static readonly PipelineTable Arp = new(10, "arp",
        "ARP in the datapath: answers requests for VIPs with the local LB MAC (seed 004), learns gateways' MACs (seed 002), answers port-group servers' requests for their gateway (and drops their other ARP), passes health-probe replies to the controller.",
        "arp_op, arp_tpa, arp_spa, eth_dst, in_port", "eth_src/dst, arp_op, arp_sha/tha, arp_spa/tpa (responder); learn into 'nexthop'", "IN_PORT, NORMAL, CONTROLLER, drop");

    public static readonly PipelineTable Service = new(20, "service",
        "VIP (protocol, port) → the service's select group; other IPv4 to a port-group VIP → the master server; other traffic to the LB MAC is dropped.",
        "ip_proto, ip_dst (VIP), tcp_dst/udp_dst", "eth_dst/src (port-group master)", "group → bucket (output, or resubmit to 'translate'), drop");

    public static readonly PipelineTable Translate = new(30, "translate",
        "Address translation (seed 002): a fake MAC prefix:a.b.c.d becomes ip_dst a.b.c.d; eth_src ← lbMac; reg0 ← the next-hop gateway.",
        "eth_dst (fake-MAC prefix, masked)", "ip_dst, eth_src, reg0, in_port (← 0, so the learned output may hairpin)", "nexthop");

    public static readonly PipelineTable NextHop = new(50, "nexthop",
        "Learned next hops (seed 002): reg0 = gateway IP → eth_dst ← the gateway's MAC, output to its port. Fallback to the next gateway; drop while none is learned.",
        "reg0", "eth_dst, reg0 (fallback)", "output (learned port), nexthop (fallback), drop");

    public static readonly PipelineTable Return = new(40, "return",
        "Backend replies: translate-mode replies get ip_src ← VIP (stateless SNAT, seed 002); port-group replies get eth_src ← lbMac and the learned next hop (seed 000).",
        "ip_src + ip_proto + tcp_src/udp_src (SNAT), in_port + eth_dst (port group)", "ip_src, eth_src, reg0", "NORMAL, nexthop");

    /// <summary>All tables in pipeline order.</summary>
    public static readonly IReadOnlyList<PipelineTable> Tables = [Classify, Arp, Service, Translate, Return, NextHop];

    /// <summary>The table with id <paramref name="id"/>, or null.</summary>
    public static PipelineTable? ById(byte id) => Tables.FirstOrDefault(t => t.Id == id);

    /// <summary>reg0: the IPv4 address of the next-hop gateway, set by 'translate' and 'return', matched by 'nexthop'.</summary>
    public const MfId NextHopRegister = MfId.Reg0;

    /// <summary>Priorities, named so the docs and the flows agree.</summary>
    public static class Priority
    {
        public const ushort Default = 0;
        public const ushort ClassifyArp = 100;
        public const ushort ClassifyToService = 100;
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
    }
}
