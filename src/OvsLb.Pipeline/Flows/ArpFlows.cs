using OvsLb.OpenFlow.Actions;
using OvsLb.OpenFlow.Actions.Nicira;
using OvsLb.OpenFlow.Match;
using OvsLb.OpenFlow.Packets;
using OvsLb.State;
using static OvsLb.Pipeline.LbPipeline;

namespace OvsLb.Pipeline.Flows;

/// <summary>Flows of the <c>arp</c> table (and the classify entry that leads there).</summary>
public static class ArpFlows
{
    /// <summary>ARP request opcode (RFC 826).</summary>
    public const ushort Request = 1;
    /// <summary>ARP reply opcode.</summary>
    public const ushort Reply = 2;

    /// <summary>
    /// <c>classify</c>: every ARP packet goes to the <c>arp</c> table. Exists on every bridge that serves
    /// a VIP or learns a gateway.
    /// </summary>
    public static FlowEntry ClassifyArpFlow(CookieLayout cookies) =>
        FlowParts.Flow(cookies, Classify, Priority.ClassifyArp, FlowFeature.Default, 0, FlowParts.Match(FlowParts.EthType(EtherType.Arp)), FlowParts.Goto(Arp));

    /// <summary>
    /// The distributed ARP cache flow: an ARP request for <paramref name="vip"/> is turned into the reply
    /// in the datapath and sent back out of the port it came in on, so the asking host caches
    /// <paramref name="lbMac"/> (this bridge's local LB) for the VIP and no packet reaches the controller.
    /// The seven rewrites, in the order the seed lists them: eth_dst ← eth_src, eth_src ← lbMac,
    /// op ← reply, tha ← sha, sha ← lbMac, tpa ← spa, spa ← VIP. Exists while the VIP is answered on
    /// this bridge (it has a live backend, or <c>stopArpWhenAllDown</c> is off).
    /// </summary>
    public static FlowEntry ArpResponderFlow(CookieLayout cookies, Ipv4Address vip, MacAddress lbMac, ulong objectId) =>
        FlowParts.Flow(cookies, Arp, Priority.ArpResponder, FlowFeature.ArpResponder, objectId,
            FlowParts.Match(FlowParts.EthType(EtherType.Arp), FlowParts.ArpOp(Request), FlowParts.ArpTpa(vip)),
            FlowParts.Apply(ReplyActions(vip, lbMac)));

    /// <summary>
    /// Port-group mode: a server on <paramref name="serverPort"/> asking for its gateway
    /// <paramref name="gateway"/> is answered with the group MAC, so its replies come back through the
    /// switch's return path (which rewrites them to the external MAC and the learned next hop).
    /// </summary>
    public static FlowEntry PortGroupGatewayResponderFlow(CookieLayout cookies, uint serverPort, Ipv4Address gateway, MacAddress groupMac, ulong objectId) =>
        FlowParts.Flow(cookies, Arp, Priority.PortGroupGatewayResponder, FlowFeature.PortGroup, objectId,
            FlowParts.Match(FlowParts.InPort(serverPort), FlowParts.EthType(EtherType.Arp), FlowParts.ArpOp(Request), FlowParts.ArpTpa(gateway)),
            FlowParts.Apply(ReplyActions(gateway, groupMac)));

    /// <summary>
    /// Port-group mode (the switch keeps the same-IP servers' ARP broadcast domain as small as
    /// possible, and the servers cannot reach each other): any other ARP a server on
    /// <paramref name="serverPort"/> sends is dropped. Every server's ARP carries the shared VIP as sender
    /// address, so a request for any other neighbour, flooded, would make the router (and the other
    /// servers) cache the VIP at that server's own MAC, and the router would then send every client
    /// straight to that one server, past the group, until its entry expired. Below the gateway answer
    /// (300), the gateway learning (250/260) and the health-check replies to the LB MAC (200), which still
    /// work. Exists per server port of a port group whose bridge declares a gateway.
    /// </summary>
    public static FlowEntry PortGroupArpIsolationFlow(CookieLayout cookies, uint serverPort) =>
        FlowParts.Flow(cookies, Arp, Priority.PortGroupArpIsolation, FlowFeature.PortGroup, serverPort,
            FlowParts.Match(FlowParts.InPort(serverPort), FlowParts.EthType(EtherType.Arp)));

    private static OfpAction[] ReplyActions(Ipv4Address answered, MacAddress mac) =>
    [
        FlowParts.Move(MfId.EthSrc, MfId.EthDst),
        FlowParts.SetEthSrc(mac),
        FlowParts.Set(MfId.ArpOp, Reply),
        FlowParts.Move(MfId.ArpSha, MfId.ArpTha),
        FlowParts.Set(MfId.ArpSha, mac.Value),
        FlowParts.Move(MfId.ArpSpa, MfId.ArpTpa),
        FlowParts.Set(MfId.ArpSpa, answered.Value),
        FlowParts.InPortOut,
    ];

    /// <summary>
    /// The next-hop learning flow: any ARP packet sent by gateway <paramref name="gateway"/> (its replies to
    /// our probes, its own requests, its gratuitous ARPs) teaches table <c>nexthop</c> one flow
    /// <c>reg0=gateway → eth_dst ← its MAC, output:its port</c>, refreshed on every such packet and expiring
    /// after <paramref name="hardTimeout"/> seconds without one. The packet itself goes on (NORMAL):
    /// neighbours need it too. Exists for every gateway of the bridge.
    /// </summary>
    public static FlowEntry GatewayLearnFlow(CookieLayout cookies, Ipv4Address gateway, ushort hardTimeout) =>
        FlowParts.Flow(cookies, Arp, Priority.GatewayLearn, FlowFeature.GatewayLearn, gateway.Value,
            FlowParts.Match(FlowParts.EthType(EtherType.Arp), FlowParts.ArpSpa(gateway)),
            FlowParts.Apply(LearnNextHop(cookies, gateway, hardTimeout), FlowParts.Normal));

    /// <summary>
    /// The gateway's replies to the controller's own ARP probes (addressed to the LB MAC, which no host
    /// owns) are learned and consumed: forwarding them would only flood an unknown unicast.
    /// </summary>
    public static FlowEntry GatewayProbeReplyFlow(CookieLayout cookies, Ipv4Address gateway, MacAddress lbMac, ushort hardTimeout) =>
        FlowParts.Flow(cookies, Arp, Priority.GatewayProbeReply, FlowFeature.GatewayLearn, gateway.Value,
            FlowParts.Match(FlowParts.EthDst(lbMac), FlowParts.EthType(EtherType.Arp), FlowParts.ArpSpa(gateway)),
            FlowParts.Apply(LearnNextHop(cookies, gateway, hardTimeout)));

    private static LearnAction LearnNextHop(CookieLayout cookies, Ipv4Address gateway, ushort hardTimeout) => new()
    {
        TableId = NextHop.Id,
        Priority = Priority.NextHopLearned,
        HardTimeout = hardTimeout,
        Cookie = cookies.Make(CookieLayout.LearnedFeature, gateway.Value),
        Specs =
        [
            LearnSpec.Match(NextHopRegister, MfId.ArpSpa),
            LearnSpec.Load(MfId.EthSrc, MfId.EthDst),
            LearnSpec.Output(MfId.InPort),
        ],
    };

    /// <summary>
    /// Active ARP health checks: replies to the controller's probes (addressed to the LB MAC) go to the
    /// controller, which marks the backend that sent them alive. Exists only when a service on this bridge
    /// uses <c>healthCheck.kind = arp</c>; it is the only packet-in of the pipeline.
    /// </summary>
    public static FlowEntry HealthReplyFlow(CookieLayout cookies, MacAddress lbMac) =>
        FlowParts.Flow(cookies, Arp, Priority.HealthReply, FlowFeature.Health, 0,
            FlowParts.Match(FlowParts.EthDst(lbMac), FlowParts.EthType(EtherType.Arp), FlowParts.ArpOp(Reply)),
            FlowParts.Apply(new OutputAction(OvsLb.OpenFlow.Text.OfctlFormat.Ports.Controller, 128)));

    /// <summary>
    /// Distributed mode: an ARP request for the VIP that arrives on the uplink comes from
    /// another host's segment, whose own switch answers it; answering too would make the asker's entry
    /// (and the segment's MAC tables) flap between the bridges' LB MACs. It is switched on unanswered.
    /// Exists per answered VIP on a distributed bridge with an uplink.
    /// </summary>
    public static FlowEntry UplinkVipArpFlow(CookieLayout cookies, uint uplink, Ipv4Address vip) =>
        FlowParts.Flow(cookies, Arp, Priority.VipArpNotAnswered, FlowFeature.ArpResponder, vip.Value,
            FlowParts.Match(FlowParts.InPort(uplink), FlowParts.EthType(EtherType.Arp), FlowParts.ArpOp(Request), FlowParts.ArpTpa(vip)),
            FlowParts.Apply(FlowParts.Normal));

    /// <summary>
    /// Port-group mode: a server's own ARP request for the shared VIP (an RFC 5227 address-conflict probe
    /// or announcement) is dropped instead of answered with the group MAC, which would look like an address
    /// conflict to the server. Per server port.
    /// </summary>
    public static FlowEntry PortGroupServerVipArpFlow(CookieLayout cookies, uint serverPort, Ipv4Address vip) =>
        FlowParts.Flow(cookies, Arp, Priority.VipArpNotAnswered, FlowFeature.PortGroup, serverPort,
            FlowParts.Match(FlowParts.InPort(serverPort), FlowParts.EthType(EtherType.Arp), FlowParts.ArpTpa(vip)));

    /// <summary>Everything else in <c>arp</c> (other hosts' ARP) is switched normally.</summary>
    public static FlowEntry ArpDefaultFlow(CookieLayout cookies) =>
        FlowParts.Flow(cookies, Arp, Priority.Default, FlowFeature.Default, 0, OfpMatch.Any, FlowParts.Apply(FlowParts.Normal));
}
