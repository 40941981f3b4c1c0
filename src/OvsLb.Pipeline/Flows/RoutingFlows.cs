using OvsLb.OpenFlow.Match;
using OvsLb.OpenFlow.Packets;
using OvsLb.Pipeline.Config;
using OvsLb.State;
using static OvsLb.Pipeline.LbPipeline;

namespace OvsLb.Pipeline.Flows;

/// <summary>Flows of the <c>translate</c>, <c>nexthop</c> and <c>return</c> tables (translate and port-group modes).</summary>
public static class RoutingFlows
{
    /// <summary>
    /// The translate-mode address-translation flow, one per bridge whatever the number of backends: a
    /// destination MAC with the fake-MAC prefix carries the backend's IPv4 address in its low 32 bits,
    /// which become ip_dst; the source MAC becomes the LB MAC; reg0 gets the first gateway, whose learned
    /// MAC and port <c>nexthop</c> applies. in_port is cleared so that the learned output may leave by
    /// the port the client came in on (a router on one leg serves both).
    /// </summary>
    public static FlowEntry AddressTranslationFlow(CookieLayout cookies, ushort fakeMacPrefix, MacAddress lbMac, Ipv4Address gateway) =>
        FlowParts.Flow(cookies, Translate, Priority.TranslatePrefix, FlowFeature.Translate, fakeMacPrefix,
            FlowParts.Match(FlowParts.EthDstMasked((ulong)fakeMacPrefix << 32, 0xffff_0000_0000UL), FlowParts.EthType(EtherType.IPv4)),
            FlowParts.Apply(
                FlowParts.Move(OvsLb.OpenFlow.Actions.Nicira.Subfield.Bits(MfId.EthDst, 0, 32), OvsLb.OpenFlow.Actions.Nicira.Subfield.Whole(MfId.Ipv4Dst)),
                FlowParts.SetEthSrc(lbMac),
                FlowParts.Load(NextHopRegister, gateway.Value),
                FlowParts.Load(MfId.InPort, 0)),
            FlowParts.Goto(NextHop));

    /// <summary>
    /// While gateway <paramref name="gateway"/> has no learned entry (its entry is at a higher priority),
    /// try the next one. One per gateway but the last.
    /// </summary>
    public static FlowEntry NextHopFallbackFlow(CookieLayout cookies, Ipv4Address gateway, Ipv4Address next) =>
        FlowParts.Flow(cookies, NextHop, Priority.NextHopFallback, FlowFeature.NextHop, gateway.Value,
            FlowParts.Match(FlowParts.Reg(NextHopRegister, gateway.Value)),
            FlowParts.Apply(FlowParts.Load(NextHopRegister, next.Value), FlowParts.Resubmit(NextHop)));

    /// <summary>
    /// The translate-mode return path, on the bridge where a translate-mode backend lives: its replies from the
    /// service port get their source IP rewritten from the backend's to the VIP (stateless; OVS fixes
    /// the L4 checksum), so the client sees the address it connected to. The client's IP was never
    /// changed, so the backend replies to it directly.
    /// </summary>
    public static FlowEntry ReturnSnatFlow(CookieLayout cookies, ServiceConfig service, Ipv4Address backendIp) =>
        FlowParts.Flow(cookies, Return, Priority.ReturnSnat, FlowFeature.ReturnSnat, backendIp.Value,
            service.Port is ushort p
                ? FlowParts.Match(FlowParts.EthType(EtherType.IPv4), FlowParts.IpProto(service.Protocol), FlowParts.IpSrc(backendIp), FlowParts.L4Src(service.Protocol, p))
                : FlowParts.Match(FlowParts.EthType(EtherType.IPv4), FlowParts.IpProto(service.Protocol), FlowParts.IpSrc(backendIp)),
            FlowParts.Apply(FlowParts.SetIpSrc(service.Ipv4Vip), FlowParts.Normal));

    /// <summary><c>classify</c>: IPv4 not for the LB MAC passes <c>return</c> (exists when it has flows).</summary>
    public static FlowEntry ClassifyToReturnFlow(CookieLayout cookies) =>
        FlowParts.Flow(cookies, Classify, Priority.ClassifyFromBackend, FlowFeature.Default, 0,
            FlowParts.Match(FlowParts.EthType(EtherType.IPv4)), FlowParts.Goto(Return));

    /// <summary>
    /// <c>classify</c>: everything a port-group server sends is checked by <c>return</c> first (its
    /// replies are addressed to the group MAC, which <c>service</c> would otherwise take).
    /// </summary>
    public static FlowEntry ClassifyFromServerFlow(CookieLayout cookies, uint serverPort) =>
        FlowParts.Flow(cookies, Classify, Priority.ClassifyToService + 10, FlowFeature.PortGroup, serverPort,
            FlowParts.Match(FlowParts.InPort(serverPort), FlowParts.EthType(EtherType.IPv4)), FlowParts.Goto(Return));

    /// <summary>
    /// The port-group return path: a server's reply to the group MAC leaves with the switch's external MAC
    /// as source and the learned next hop as destination (reg0 = the first gateway).
    /// </summary>
    public static FlowEntry PortGroupReturnFlow(CookieLayout cookies, uint serverPort, MacAddress groupMac, Ipv4Address gateway) =>
        FlowParts.Flow(cookies, Return, Priority.PortGroupReturn, FlowFeature.PortGroup, serverPort,
            FlowParts.Match(FlowParts.InPort(serverPort), FlowParts.EthDst(groupMac), FlowParts.EthType(EtherType.IPv4)),
            FlowParts.Apply(FlowParts.SetEthSrc(groupMac), FlowParts.Load(NextHopRegister, gateway.Value)),
            FlowParts.Goto(NextHop));

    /// <summary>Default of a table: NORMAL switching (classify, return) or drop (translate, nexthop).</summary>
    public static FlowEntry DefaultFlow(CookieLayout cookies, PipelineTable table, bool normal) =>
        normal
            ? FlowParts.Flow(cookies, table, Priority.Default, FlowFeature.Default, 0, OfpMatch.Any, FlowParts.Apply(FlowParts.Normal))
            : FlowParts.Flow(cookies, table, Priority.Default, FlowFeature.Default, 0, OfpMatch.Any);
}
