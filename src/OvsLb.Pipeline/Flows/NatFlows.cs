using OvsLb.OpenFlow.Actions;
using OvsLb.OpenFlow.Actions.Nicira;
using OvsLb.OpenFlow.Match;
using OvsLb.OpenFlow.Packets;
using OvsLb.OpenFlow.Wire;
using OvsLb.Pipeline.Config;
using OvsLb.Pipeline.Groups;
using OvsLb.State;
using static OvsLb.Pipeline.LbPipeline;

namespace OvsLb.Pipeline.Flows;

/// <summary>
/// The NAT modes (seed 003's <c>nat</c>, seed 001's <c>fullnat</c>): conntrack on the client's bridge
/// rewrites VIP:port to the chosen backend's IP:port and back. Only a connection's first packet meets
/// the select group; every later packet follows its conntrack entry, so a change of buckets moves no
/// established connection.
/// </summary>
public static class NatFlows
{
    /// <summary>ct_state bits (OVS's CS_*): new, established, related, reply, invalid, tracked.</summary>
    public const uint CsNew = 0x01, CsEst = 0x02, CsRel = 0x04, CsRpl = 0x08, CsInv = 0x10, CsTrk = 0x20;

    /// <summary>
    /// <c>service</c>: a NAT service's VIP:port passes the tracker in the DNAT zone (<c>nat</c> applies an
    /// existing connection's translation), then <c>conntrack</c> decides. Exists while the VIP is answered.
    /// </summary>
    public static FlowEntry ServiceToConntrackFlow(CookieLayout c, ServiceConfig s, ushort zone) =>
        FlowParts.Flow(c, Service, s.AllPorts ? Priority.ServiceAllPorts : Priority.ServicePort, FlowFeature.Service, StableId.Of(s.Name),
            FlowParts.VipMatch(s),
            FlowParts.Apply(Ct(zone, Conntrack, commit: false, new NatAction())));

    /// <summary>
    /// <c>conntrack</c>: a new connection to the service looks up the client's affinity entry (when the
    /// service has affinity), then <c>pick</c> chooses its backend. Exists while the service has a live backend.
    /// </summary>
    public static FlowEntry NewConnectionFlow(CookieLayout c, ServiceConfig s) =>
        FlowParts.Flow(c, Conntrack, Priority.ConntrackNew, FlowFeature.Service, StableId.Of(s.Name),
            FlowParts.VipMatch(s, State(CsNew | CsTrk, CsNew | CsTrk)),
            s.AffinityTimeout is null
                ? FlowParts.Apply(FlowParts.Resubmit(Pick))
                : FlowParts.Apply(FlowParts.Resubmit(Affinity), FlowParts.Resubmit(Pick)));

    /// <summary>
    /// <c>conntrack</c>: packets of an established (or related: ICMP errors about it) connection of the
    /// service, already translated by the tracker, go to their backend (fullnat: through its SNAT zone).
    /// Matches the original direction's VIP:port (ct_nw_dst, ct_tp_dst), which conntrack keeps.
    /// </summary>
    public static FlowEntry[] EstablishedFlows(CookieLayout c, ServiceConfig s) =>
    [
        Established(c, s, CsEst), Established(c, s, CsRel),
    ];

    private static FlowEntry Established(CookieLayout c, ServiceConfig s, uint bit) =>
        FlowParts.Flow(c, Conntrack, Priority.ConntrackEstablished, FlowFeature.Service, StableId.Of(s.Name) ^ bit,
            OriginalVip(s, State(bit | CsTrk, bit | CsRpl | CsTrk)),
            FlowParts.Goto(Snat));

    /// <summary>
    /// <c>pick</c>: reg1 = this backend → the connection is committed with its destination rewritten to the
    /// backend's IP (and target port), in the DNAT zone; fullnat continues in <c>snat</c>. One per live backend
    /// (see <see cref="PickFlows.PickBackendFlow"/>).
    /// </summary>
    public static FlowEntry PickBackendFlow(CookieLayout c, ServiceConfig s, BackendConfig b, ushort zone) =>
        PickFlows.PickBackendFlow(c, s, b, 0,
            Ct(zone, Snat, commit: true, NatAction.Dnat(b.Ip!.Value.Value, null, s.TargetPortOf(b), null)));

    /// <summary>
    /// <c>snat</c> (fullnat): a connection of fullnat service <paramref name="s"/> (its original destination,
    /// VIP:port, is what conntrack keeps as ct_nw_dst/ct_tp_dst) learns its client's MAC and port for the replies,
    /// then gets source NAT to the bridge's snatIp in the SNAT zone. One per fullnat service.
    /// </summary>
    public static FlowEntry FullNatSnatFlow(CookieLayout c, ServiceConfig s, Ipv4Address snatIp, ushort snatZone, ushort clientTimeout) =>
        FlowParts.Flow(c, Snat, Priority.SnatService, FlowFeature.Service, StableId.Of(s.Name),
            OriginalVip(s, TrackedValid),
            FlowParts.Apply(LearnClient(c, clientTimeout), Ct(snatZone, ToBackend, commit: true, NatAction.Snat(snatIp.Value))));

    /// <summary>
    /// <c>snat</c> (nat hairpin): a backend that connects to its own service's VIP and is picked itself would get
    /// a packet from its own address, which its stack drops; such a connection also gets source NAT, to the VIP,
    /// in the SNAT zone, so the backend sees VIP → itself and answers the VIP (whose replies come back through
    /// the bridge: <see cref="HairpinReplyFlow"/>). One per nat backend with an IP.
    /// </summary>
    public static FlowEntry HairpinSnatFlow(CookieLayout c, ServiceConfig s, BackendConfig b, ushort snatZone)
    {
        var ip = b.Ip!.Value;
        var m = OriginalVip(s, TrackedValid);
        return FlowParts.Flow(c, Snat, Priority.SnatHairpin, FlowFeature.Service, PickFlows.BackendTag(s, b),
            new OfpMatch([.. m.Fields.Take(1), FlowParts.EthType(EtherType.IPv4), FlowParts.IpSrc(ip), FlowParts.IpDst(ip), .. m.Fields.Skip(2)]),
            FlowParts.Apply(Ct(snatZone, ToBackend, commit: true, NatAction.Snat(s.Ipv4Vip.Value))));
    }

    /// <summary>
    /// <c>service</c> (nat hairpin): what comes to the VIP on another port than the service's (a hairpinned
    /// backend's replies go to VIP:client-port) passes the SNAT zone, where a hairpin connection's entry restores
    /// the backend as destination; <c>unsnat</c> finishes it, anything else is dropped there. One per nat VIP and protocol.
    /// </summary>
    public static FlowEntry HairpinReplyFlow(CookieLayout c, ServiceConfig s, ushort snatZone) =>
        FlowParts.Flow(c, Service, Priority.HairpinReply, FlowFeature.ReturnSnat, s.Ipv4Vip.Value,
            FlowParts.Match(FlowParts.EthType(EtherType.IPv4), FlowParts.IpProto(s.Protocol), FlowParts.IpDst(s.Ipv4Vip)),
            FlowParts.Apply(Ct(snatZone, Unsnat, commit: false, new NatAction())));

    /// <summary><c>snat</c>: connections that need no source NAT (nat mode, not hairpinned) go on to their backend.</summary>
    public static FlowEntry SnatDefaultFlow(CookieLayout c) =>
        FlowParts.Flow(c, Snat, Priority.Default, FlowFeature.Default, 0, OfpMatch.Any, FlowParts.Goto(ToBackend));

    /// <summary><c>client</c>: a reply whose client was not learned is a hairpinned backend's (nat mode): to it, as any packet to a backend.</summary>
    public static FlowEntry ClientDefaultFlow(CookieLayout c) =>
        FlowParts.Flow(c, Client, Priority.Default, FlowFeature.Default, 0, OfpMatch.Any, FlowParts.Apply(FlowParts.Resubmit(ToBackend))); // goto_table cannot go back

    /// <summary>ct_state +trk-inv: a tracked, valid connection in any state (OVS refuses ct_nw_* matches unless ct_state
    /// says +trk with -inv or a state: OFPBMC_BAD_PREREQ).</summary>
    private static readonly OxmEntry TrackedValid = State(CsTrk, CsTrk | CsInv);

    /// <summary>A connection of <paramref name="s"/> by its original direction's VIP:port (ct_nw_dst, ct_nw_proto, ct_tp_dst), in <paramref name="state"/>.</summary>
    private static OfpMatch OriginalVip(ServiceConfig s, OxmEntry state)
    {
        var fields = new List<OxmEntry> { state, FlowParts.EthType(EtherType.IPv4), OxmEntry.For(MfId.CtNwDst, s.Ipv4Vip.Value),
            OxmEntry.For(MfId.CtNwProto, s.Protocol == ServiceProtocol.Tcp ? IpProtocol.Tcp : IpProtocol.Udp) };
        if (s.Port is ushort p) fields.Add(OxmEntry.For(MfId.CtTpDst, p));
        return new OfpMatch(fields.ToArray());
    }

    private static LearnAction LearnClient(CookieLayout c, ushort timeout) => new()
    {
        TableId = Client.Id,
        Priority = Priority.ClientLearned,
        IdleTimeout = timeout,
        Cookie = c.Make(CookieLayout.LearnedFeature, 0),
        Specs =
        [
            LearnSpec.MatchValue(MfId.EthType, EtherType.IPv4),
            LearnSpec.Match(MfId.Ipv4Dst, MfId.Ipv4Src),
            LearnSpec.Load(MfId.EthSrc, MfId.EthDst),
            LearnSpec.Output(MfId.InPort),
        ],
    };

    /// <summary>
    /// <c>to_backend</c>: a NAT connection's packets to backend <paramref name="ip"/> leave from the LB MAC: to
    /// its configured MAC (out of its port, or NORMAL), else through <c>nexthop</c> with reg0 = its IP, which
    /// holds its ARP-learned MAC when it is on-link and falls back to the bridge's gateway when it is not.
    /// in_port is cleared so that a hairpinned connection (the backend is the client) may leave by the port it came in on.
    /// </summary>
    public static FlowEntry ToBackendFlow(CookieLayout c, Ipv4Address ip, MacAddress lbMac, MacAddress? mac, uint? port) =>
        FlowParts.Flow(c, ToBackend, Priority.ToBackend, FlowFeature.Service, ip.Value,
            FlowParts.Match(FlowParts.EthType(EtherType.IPv4), FlowParts.IpDst(ip)),
            mac is MacAddress m
                ? FlowParts.Apply(FlowParts.SetEthSrc(lbMac), FlowParts.SetEthDst(m), FlowParts.Load(MfId.InPort, 0), port is uint p ? FlowParts.Output(p) : FlowParts.Normal)
                : FlowParts.Apply(FlowParts.SetEthSrc(lbMac), FlowParts.Load(NextHopRegister, ip.Value), FlowParts.Load(MfId.InPort, 0), FlowParts.Resubmit(NextHop)));

    /// <summary>
    /// <c>return</c>: what a NAT backend sends from its target port passes the tracker in the DNAT zone,
    /// which turns a reply's source back into VIP:port; <c>unnat</c> finishes it. One per backend and port.
    /// </summary>
    public static FlowEntry BackendReplyFlow(CookieLayout c, ServiceConfig s, BackendConfig b, ushort zone)
    {
        var fields = new List<OxmEntry> { FlowParts.EthType(EtherType.IPv4), FlowParts.IpProto(s.Protocol), FlowParts.IpSrc(b.Ip!.Value) };
        if (s.TargetPortOf(b) is ushort p) fields.Add(FlowParts.L4Src(s.Protocol, p));
        return FlowParts.Flow(c, Return, Priority.NatReply, FlowFeature.ReturnSnat, b.Ip!.Value.Value,
            new OfpMatch(fields.ToArray()),
            FlowParts.Apply(Ct(zone, Unnat, commit: false, new NatAction())));
    }

    /// <summary><c>unnat</c>: a reply (or related ICMP) of a NAT connection, its source restored to VIP:port, leaves from the LB MAC by NORMAL switching.</summary>
    public static FlowEntry[] UnnatFlows(CookieLayout c, MacAddress lbMac) =>
    [
        FlowParts.Flow(c, Unnat, Priority.UnnatReply, FlowFeature.ReturnSnat, CsEst,
            FlowParts.Match(State(CsEst | CsRpl | CsTrk, CsEst | CsRpl | CsTrk), FlowParts.EthType(EtherType.IPv4)),
            FlowParts.Apply(FlowParts.SetEthSrc(lbMac), FlowParts.Normal)),
        FlowParts.Flow(c, Unnat, Priority.UnnatReply, FlowFeature.ReturnSnat, CsRel,
            FlowParts.Match(State(CsRel | CsRpl | CsTrk, CsRel | CsRpl | CsTrk), FlowParts.EthType(EtherType.IPv4)),
            FlowParts.Apply(FlowParts.SetEthSrc(lbMac), FlowParts.Normal)),
    ];

    /// <summary><c>service</c> (fullnat): replies to the snatIp pass the tracker in the SNAT zone, which restores the client as destination.</summary>
    public static FlowEntry SnatReplyFlow(CookieLayout c, Ipv4Address snatIp, ushort snatZone) =>
        FlowParts.Flow(c, Service, Priority.SnatReply, FlowFeature.ReturnSnat, snatIp.Value,
            FlowParts.Match(FlowParts.EthType(EtherType.IPv4), FlowParts.IpDst(snatIp)),
            FlowParts.Apply(Ct(snatZone, Unsnat, commit: false, new NatAction())));

    /// <summary>
    /// <c>unsnat</c>: a reply, now addressed to the client (fullnat) or the hairpinned backend (nat), passes the DNAT
    /// zone (source back to VIP:port) and goes to the client's learned MAC and port, or to the backend. in_port is
    /// cleared: a hairpinned connection's replies leave by the port they came in on.
    /// </summary>
    public static FlowEntry[] UnsnatFlows(CookieLayout c, MacAddress lbMac, ushort zone) =>
    [
        FlowParts.Flow(c, Unsnat, Priority.UnnatReply, FlowFeature.ReturnSnat, CsEst,
            FlowParts.Match(State(CsEst | CsRpl | CsTrk, CsEst | CsRpl | CsTrk), FlowParts.EthType(EtherType.IPv4)),
            FlowParts.Apply(FlowParts.SetEthSrc(lbMac), FlowParts.Load(MfId.InPort, 0), Ct(zone, Client, commit: false, new NatAction()))),
        FlowParts.Flow(c, Unsnat, Priority.UnnatReply, FlowFeature.ReturnSnat, CsRel,
            FlowParts.Match(State(CsRel | CsRpl | CsTrk, CsRel | CsRpl | CsTrk), FlowParts.EthType(EtherType.IPv4)),
            FlowParts.Apply(FlowParts.SetEthSrc(lbMac), FlowParts.Load(MfId.InPort, 0), Ct(zone, Client, commit: false, new NatAction()))),
    ];

    private static OxmEntry State(uint value, uint mask) => OxmEntry.For(MfId.CtState, value, mask);

    private static CtAction Ct(ushort zone, PipelineTable table, bool commit, NatAction nat) => new()
    {
        Flags = commit ? CtFlags.Commit : CtFlags.None,
        Zone = zone,
        RecircTable = table.Id,
        Actions = new EquatableArray<OfpAction>([nat]),
    };
}
