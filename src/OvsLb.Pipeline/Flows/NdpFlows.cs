using OvsLb.OpenFlow.Actions;
using OvsLb.OpenFlow.Match;
using OvsLb.OpenFlow.Packets;
using OvsLb.OpenFlow.Text;
using OvsLb.State;
using static OvsLb.Pipeline.LbPipeline;

namespace OvsLb.Pipeline.Flows;

/// <summary>
/// Neighbour discovery in the datapath (seed 004's NDP cache mode), the IPv6 counterpart of <see cref="ArpFlows"/>: a
/// neighbour solicitation (NS) for an IPv6 VIP is turned into the neighbour advertisement (NA) in place and sent back out
/// of its port, so the asking host caches the LB MAC for the VIP and no packet reaches the controller. It takes two
/// tables: OVS checks a set_field's prerequisites against the flow's match only, and nd_tll needs icmp_type=136, so the
/// target link-layer address is written in <c>ndp_tll</c>, after <c>ndp</c> has rewritten the type (proven on OVS 3.1,
/// helpers/s18). The NA's flags: R=0 (a VIP is no router), S=1, O=1; a DAD probe's answer S=0, O=1 to all nodes.
/// </summary>
public static class NdpFlows
{
    /// <summary>ICMPv6 neighbour solicitation and advertisement (RFC 4861 §4.3, §4.4).</summary>
    public const byte Solicitation = 135, Advertisement = 136;

    /// <summary>The NA's first word after the header: R|S|O flags (solicited answer: S and O; DAD answer: O only).</summary>
    public const uint SolicitedFlags = 0x6000_0000, DadFlags = 0x2000_0000;

    /// <summary>ND option types: source and target link-layer address (RFC 4861 §4.6.1).</summary>
    public const byte SourceLinkLayerOption = 1, TargetLinkLayerOption = 2;

    /// <summary>
    /// <c>classify</c>: every neighbour solicitation goes to <c>ndp</c>, above the IPv6-to-LB-MAC flow, so a unicast
    /// reachability probe (NUD) for a VIP, which is addressed to the LB MAC, is answered, not balanced. Exists on a bridge
    /// that carries a service with an IPv6 VIP.
    /// </summary>
    public static FlowEntry ClassifyNdpFlow(CookieLayout cookies) =>
        FlowParts.Flow(cookies, Classify, Priority.ClassifyNdp, FlowFeature.Default, 0,
            FlowParts.Match(FlowParts.EthType(EtherType.IPv6), OxmEntry.For(MfId.IpProto, IpProtocol.Icmpv6), OxmEntry.For(MfId.Icmpv6Type, Solicitation)),
            FlowParts.Goto(Ndp));

    /// <summary>
    /// <c>classify</c>: IPv6 addressed to this bridge's LB MAC goes to <c>service</c>, as <see cref="ServiceFlows.ClassifyToServiceFlow"/>
    /// does for IPv4 (the LB MAC, not only the VIP, so a packet already sent to a backend is never balanced again). Exists on a
    /// bridge that carries a service with an IPv6 VIP.
    /// </summary>
    public static FlowEntry ClassifyIpv6ToServiceFlow(CookieLayout cookies, MacAddress lbMac) =>
        FlowParts.Flow(cookies, Classify, Priority.ClassifyToService, FlowFeature.Default, 0,
            FlowParts.Match(FlowParts.EthDst(lbMac), FlowParts.EthType(EtherType.IPv6)), FlowParts.Goto(Service));

    /// <summary>
    /// <c>ndp</c>: an NS for <paramref name="vip"/> whose first option is the asker's link-layer address (every NS but DAD's
    /// carries one from Linux) becomes the solicited NA in place: eth_dst ← eth_src, eth_src ← LB MAC, ipv6_dst ← ipv6_src,
    /// ipv6_src ← VIP, type 136, flags S|O, and the option's type 1 → 2 (the packet cannot grow, so the answer reuses the
    /// NS's option slot); <c>ndp_tll</c> then writes the LB MAC into it. Matching nd_options_type=1 is a guard: OVS writes
    /// the option type after checking only the 24-byte ND header. Exists while the VIP is answered on this bridge.
    /// </summary>
    public static FlowEntry NdpResponderFlow(CookieLayout cookies, Ipv6Address vip, MacAddress lbMac) =>
        FlowParts.Flow(cookies, Ndp, Priority.NdpResponder, FlowFeature.ArpResponder, ObjectId(vip),
            SolicitationMatch(vip, OxmEntry.For(MfId.NdOptionsType, SourceLinkLayerOption)),
            FlowParts.Apply([.. AdvertisementHead(vip, lbMac), FlowParts.Set(MfId.NdReserved, SolicitedFlags), FlowParts.Set(MfId.NdOptionsType, TargetLinkLayerOption)]),
            FlowParts.Goto(NdpTll));

    /// <summary>
    /// <c>ndp</c>, below <see cref="NdpResponderFlow"/>: an NS for <paramref name="vip"/> without that option (RFC 4861
    /// §7.2.4 allows a unicast NS without one) gets the same NA without a target link-layer option, back out of its port.
    /// Exists while the VIP is answered on this bridge.
    /// </summary>
    public static FlowEntry NdpOptionlessResponderFlow(CookieLayout cookies, Ipv6Address vip, MacAddress lbMac) =>
        FlowParts.Flow(cookies, Ndp, Priority.NdpOptionless, FlowFeature.ArpResponder, ObjectId(vip),
            SolicitationMatch(vip),
            FlowParts.Apply([.. AdvertisementHead(vip, lbMac), FlowParts.Set(MfId.NdReserved, SolicitedFlags), InPort]));

    /// <summary>
    /// <c>ndp</c>: a duplicate-address-detection probe for <paramref name="vip"/> (from ::, no source link-layer option) is
    /// answered to all nodes (ff02::1, 33:33:00:00:00:01) with O set, so a host that tries to take the VIP sees it taken
    /// (as the ARP responder answers RFC 5227 probes). Exists while the VIP is answered on this bridge.
    /// </summary>
    public static FlowEntry NdpDadResponderFlow(CookieLayout cookies, Ipv6Address vip, MacAddress lbMac) =>
        FlowParts.Flow(cookies, Ndp, Priority.NdpDad, FlowFeature.ArpResponder, ObjectId(vip),
            SolicitationMatch(vip, source: Ipv6Address.Any),
            FlowParts.Apply(
                FlowParts.Move(MfId.EthSrc, MfId.EthDst), FlowParts.SetEthSrc(lbMac), FlowParts.SetEthDst(MacAddress.ForIpv6Multicast(Ipv6Address.AllNodes)),
                FlowParts.Set(MfId.Ipv6Dst, Ipv6Address.AllNodes.Value), FlowParts.Set(MfId.Ipv6Src, vip.Value),
                FlowParts.Set(MfId.Icmpv6Type, Advertisement), FlowParts.Set(MfId.NdReserved, DadFlags), InPort));

    /// <summary>
    /// <c>ndp_tll</c>: the NA that <see cref="NdpResponderFlow"/> made for <paramref name="vip"/> gets the LB MAC as its target
    /// link-layer address and leaves by the port the NS came in on. Exists while the VIP is answered on this bridge.
    /// </summary>
    public static FlowEntry NdpTargetLinkLayerFlow(CookieLayout cookies, Ipv6Address vip, MacAddress lbMac) =>
        FlowParts.Flow(cookies, NdpTll, Priority.NdpResponder, FlowFeature.ArpResponder, ObjectId(vip),
            NdMatch(Advertisement, vip),
            FlowParts.Apply(FlowParts.Set(MfId.NdTll, lbMac.Value), InPort));

    /// <summary>
    /// Distributed mode: an NS for the VIP that arrives on the uplink comes from another host's segment, whose own switch
    /// answers it (the counterpart of <see cref="ArpFlows.UplinkVipArpFlow"/>); it is switched on unanswered. Exists per
    /// answered IPv6 VIP on a distributed bridge with an uplink.
    /// </summary>
    public static FlowEntry UplinkVipNdpFlow(CookieLayout cookies, uint uplink, Ipv6Address vip) =>
        FlowParts.Flow(cookies, Ndp, Priority.VipNdpNotAnswered, FlowFeature.ArpResponder, ObjectId(vip),
            SolicitationMatch(vip, inPort: uplink),
            FlowParts.Apply(FlowParts.Normal));

    /// <summary>
    /// <c>classify</c>: a neighbour advertisement addressed to this bridge's LB MAC (a backend's answer to the controller's
    /// NS health check) goes to <c>ndp</c>, above <see cref="ClassifyIpv6ToServiceFlow"/>, which would otherwise take it for
    /// balanced traffic. Exists where <see cref="HealthAdvertisementFlow"/> does.
    /// </summary>
    public static FlowEntry ClassifyHealthAdvertisementFlow(CookieLayout cookies, MacAddress lbMac) =>
        FlowParts.Flow(cookies, Classify, Priority.ClassifyNdp, FlowFeature.Health, 0,
            AdvertisementToLbMac(lbMac), FlowParts.Goto(Ndp));

    /// <summary>
    /// <c>ndp</c>: NS health checks (<c>healthCheck.kind = arp</c> on a backend whose <c>ip</c> is IPv6): the backends'
    /// advertisements to the LB MAC go to the controller, which marks the backend that advertised its address alive (the
    /// IPv6 counterpart of <see cref="ArpFlows.HealthReplyFlow"/>). Exists on a bridge the checks leave from: one carrying
    /// such a service, or the backend's own bridge.
    /// </summary>
    public static FlowEntry HealthAdvertisementFlow(CookieLayout cookies, MacAddress lbMac) =>
        FlowParts.Flow(cookies, Ndp, Priority.HealthReply, FlowFeature.Health, 0,
            AdvertisementToLbMac(lbMac),
            FlowParts.Apply(new OutputAction(OfctlFormat.Ports.Controller, 128)));

    private static OfpMatch AdvertisementToLbMac(MacAddress lbMac) =>
        FlowParts.Match(FlowParts.EthDst(lbMac), FlowParts.EthType(EtherType.IPv6), OxmEntry.For(MfId.IpProto, IpProtocol.Icmpv6), OxmEntry.For(MfId.Icmpv6Type, Advertisement));

    /// <summary>Everything else in <c>ndp</c> (solicitations for other hosts) is switched normally.</summary>
    public static FlowEntry NdpDefaultFlow(CookieLayout cookies) =>
        FlowParts.Flow(cookies, Ndp, Priority.Default, FlowFeature.Default, 0, OfpMatch.Any, FlowParts.Apply(FlowParts.Normal));

    /// <summary>The cookie's object id of a VIP's NDP flows: a stable 32-bit id of its text.</summary>
    public static ulong ObjectId(Ipv6Address vip) => StableId.Of("ndp/" + vip);

    /// <summary>IN_PORT as ovs-ofctl encodes it (max_len 0), so our bytes equal OVS's.</summary>
    private static OfpAction InPort => new OutputAction(OfctlFormat.Ports.InPort, 0);

    private static OfpAction[] AdvertisementHead(Ipv6Address vip, MacAddress lbMac) =>
    [
        FlowParts.Move(MfId.EthSrc, MfId.EthDst), FlowParts.SetEthSrc(lbMac),
        FlowParts.Move(MfId.Ipv6Src, MfId.Ipv6Dst), FlowParts.Set(MfId.Ipv6Src, vip.Value),
        FlowParts.Set(MfId.Icmpv6Type, Advertisement),
    ];

    private static OfpMatch SolicitationMatch(Ipv6Address vip, OxmEntry? option = null, Ipv6Address? source = null, uint? inPort = null)
    {
        var first = new List<OxmEntry>();
        if (inPort is uint p) first.Add(FlowParts.InPort(p));
        if (source is Ipv6Address s) first.Add(OxmEntry.For(MfId.Ipv6Src, s.Value));   // OVS's wire order: ipv6_src before ip_proto
        return NdMatch(Solicitation, vip, first, option);
    }

    private static OfpMatch NdMatch(byte type, Ipv6Address target, List<OxmEntry>? first = null, OxmEntry? last = null)
    {
        var fields = new List<OxmEntry>();
        if (first is not null && first.Count > 0 && first[0].Field?.Id == MfId.InPortOxm) { fields.Add(first[0]); first.RemoveAt(0); }
        fields.Add(FlowParts.EthType(EtherType.IPv6));
        if (first is not null) fields.AddRange(first);
        fields.Add(OxmEntry.For(MfId.IpProto, IpProtocol.Icmpv6));
        fields.Add(OxmEntry.For(MfId.Icmpv6Type, type));
        fields.Add(OxmEntry.For(MfId.Icmpv6Code, 0));
        fields.Add(OxmEntry.For(MfId.NdTarget, target.Value));
        if (last is OxmEntry l) fields.Add(l);
        return new OfpMatch(fields.ToArray());
    }
}
