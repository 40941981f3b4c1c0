using OvsLb.OpenFlow.Match;
using OvsLb.OpenFlow.Packets;
using OvsLb.Pipeline.Config;
using OvsLb.State;
using static OvsLb.Pipeline.LbPipeline;

namespace OvsLb.Pipeline.Flows;

/// <summary>Flows of the <c>translate</c>, <c>nexthop</c> and <c>return</c> tables (seeds 002 and 000).</summary>
public static class RoutingFlows
{
    /// <summary>
    /// The address-translation flow of seed 002, one per bridge whatever the number of backends: a
    /// destination MAC with the fake-MAC prefix carries the backend's IPv4 address in its low 32 bits,
    /// which become ip_dst; the source MAC becomes the LB MAC; reg0 gets the first gateway, whose learned
    /// MAC and port <c>nexthop</c> applies. in_port is cleared so that the learned output may leave by
    /// the port the client came in on (a router on one leg serves both).
    /// </summary>
    public static FlowEntry AddressTranslationFlow(CookieLayout cookies, ushort fakeMacPrefix, MacAddress lbMac, Ipv4Address gateway) =>
        Fx.Flow(cookies, Translate, Priority.TranslatePrefix, FlowFeature.Translate, fakeMacPrefix,
            Fx.Match(Fx.EthDstMasked((ulong)fakeMacPrefix << 32, 0xffff_0000_0000UL), Fx.EthType(EtherType.IPv4)),
            Fx.Apply(
                Fx.Move(OvsLb.OpenFlow.Actions.Nicira.Subfield.Bits(MfId.EthDst, 0, 32), OvsLb.OpenFlow.Actions.Nicira.Subfield.Whole(MfId.Ipv4Dst)),
                Fx.SetEthSrc(lbMac),
                Fx.Load(NextHopRegister, gateway.Value),
                Fx.Load(MfId.InPort, 0)),
            Fx.Goto(NextHop));

    /// <summary>
    /// While gateway <paramref name="gateway"/> has no learned entry (its entry is at a higher priority),
    /// try the next one. One per gateway but the last.
    /// </summary>
    public static FlowEntry NextHopFallbackFlow(CookieLayout cookies, Ipv4Address gateway, Ipv4Address next) =>
        Fx.Flow(cookies, NextHop, Priority.NextHopFallback, FlowFeature.NextHop, gateway.Value,
            Fx.Match(Fx.Reg(NextHopRegister, gateway.Value)),
            Fx.Apply(Fx.Load(NextHopRegister, next.Value), Fx.Resubmit(NextHop)));

    /// <summary>
    /// Seed 002's return path, on the bridge where a translate-mode backend lives: its replies from the
    /// service port get their source IP rewritten from the backend's to the VIP (stateless; OVS fixes
    /// the L4 checksum), so the client sees the address it connected to. The client's IP was never
    /// changed, so the backend replies to it directly.
    /// </summary>
    public static FlowEntry ReturnSnatFlow(CookieLayout cookies, ServiceConfig service, Ipv4Address backendIp) =>
        Fx.Flow(cookies, Return, Priority.ReturnSnat, FlowFeature.ReturnSnat, backendIp.Value,
            service.Port is ushort p
                ? Fx.Match(Fx.EthType(EtherType.IPv4), Fx.IpProto(service.Protocol), Fx.IpSrc(backendIp), Fx.L4Src(service.Protocol, p))
                : Fx.Match(Fx.EthType(EtherType.IPv4), Fx.IpProto(service.Protocol), Fx.IpSrc(backendIp)),
            Fx.Apply(Fx.SetIpSrc(service.Vip), Fx.Normal));

    /// <summary><c>classify</c>: IPv4 not for the LB MAC passes <c>return</c> (exists when it has flows).</summary>
    public static FlowEntry ClassifyToReturnFlow(CookieLayout cookies) =>
        Fx.Flow(cookies, Classify, Priority.ClassifyFromBackend, FlowFeature.Default, 0,
            Fx.Match(Fx.EthType(EtherType.IPv4)), Fx.Goto(Return));

    /// <summary>
    /// <c>classify</c>: everything a port-group server sends is checked by <c>return</c> first (its
    /// replies are addressed to the group MAC, which <c>service</c> would otherwise take).
    /// </summary>
    public static FlowEntry ClassifyFromServerFlow(CookieLayout cookies, uint serverPort) =>
        Fx.Flow(cookies, Classify, Priority.ClassifyToService + 10, FlowFeature.PortGroup, serverPort,
            Fx.Match(Fx.InPort(serverPort), Fx.EthType(EtherType.IPv4)), Fx.Goto(Return));

    /// <summary>
    /// Seed 000's return path: a server's reply to the group MAC leaves with the switch's external MAC
    /// as source and the learned next hop as destination (reg0 = the first gateway).
    /// </summary>
    public static FlowEntry PortGroupReturnFlow(CookieLayout cookies, uint serverPort, MacAddress groupMac, Ipv4Address gateway) =>
        Fx.Flow(cookies, Return, Priority.PortGroupReturn, FlowFeature.PortGroup, serverPort,
            Fx.Match(Fx.InPort(serverPort), Fx.EthDst(groupMac), Fx.EthType(EtherType.IPv4)),
            Fx.Apply(Fx.SetEthSrc(groupMac), Fx.Load(NextHopRegister, gateway.Value)),
            Fx.Goto(NextHop));

    /// <summary>Default of a table: NORMAL switching (classify, return) or drop (translate, nexthop).</summary>
    public static FlowEntry DefaultFlow(CookieLayout cookies, PipelineTable table, bool normal) =>
        normal
            ? Fx.Flow(cookies, table, Priority.Default, FlowFeature.Default, 0, OfpMatch.Any, Fx.Apply(Fx.Normal))
            : Fx.Flow(cookies, table, Priority.Default, FlowFeature.Default, 0, OfpMatch.Any);
}
