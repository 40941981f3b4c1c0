using System.Globalization;
using OvsLb.OpenFlow.Actions;
using OvsLb.OpenFlow.Actions.Nicira;
using OvsLb.OpenFlow.Instructions;
using OvsLb.OpenFlow.Match;
using OvsLb.OpenFlow.Messages;
using OvsLb.OpenFlow.Packets;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;
using OvsLb.Testing;

namespace OvsLb.OpenFlow.Tests;

/// <summary>
/// The NDP responder flows (issue 12, seed 004's NDP cache mode) as our codec builds them, checked
/// against OVS itself: <c>ovs-ofctl -O OpenFlow13 -mmmmm parse-flow TEXT</c> prints the FLOW_MOD (xid 1)
/// and its bytes; our encoding must equal those bytes, decoding them must give our message back, and
/// printing it must give OVS's text. The flow texts are the ones proven by hand on OVS 3.1's userspace
/// datapath against a Linux neighbour (helpers/s18/ndp-hand.sh): the client's neighbour entry for the
/// VIP became REACHABLE at the LB MAC, and tcpdump -vv found the checksum of every NA right.
/// </summary>
[TestFixture]
public class NdpResponderFlowTests
{
    private const string Vip = "fd00::100";
    private const string LbMacText = "02:00:00:00:00:fe";
    private static readonly UInt128 VipValue = Ipv6Address.Parse(Vip).Value;
    private const ulong LbMac = 0x0200_0000_00feUL;

    private static OxmEntry Oxm(MfId id, UInt128 value) => OxmEntry.For(id, value);

    /// <summary>
    /// An ND match in OVS's wire order (nx_put_raw: ipv6_src before nw_proto). <see cref="OfpMatch.Create"/>
    /// orders by prerequisite level and keeps the given order within a level, so ipv6_src goes first.
    /// </summary>
    private static OfpMatch NdMatch(byte type, OxmEntry[]? l3 = null, params OxmEntry[] more) => OfpMatch.Create(
        [Oxm(MfId.EthType, 0x86dd), .. l3 ?? [], Oxm(MfId.IpProto, 58), Oxm(MfId.Icmpv6Type, type), Oxm(MfId.Icmpv6Code, 0), Oxm(MfId.NdTarget, VipValue), .. more]);

    private static OfpAction Move(MfId src, MfId dst) => RegMoveAction.Of(Subfield.Whole(src), Subfield.Whole(dst));
    private static OfpAction Set(MfId id, UInt128 value) => SetFieldAction.Of(id, value);
    private static OfpAction InPort => new OutputAction(OfctlFormat.Ports.InPort, 0);

    /// <summary>The rewrites every answer to a solicitation from a real address shares: back to the asker, from the VIP at the LB MAC, type NA, R=0 S=1 O=1.</summary>
    private static OfpAction[] NaHead(uint rso) =>
    [
        Move(MfId.EthSrc, MfId.EthDst), Set(MfId.EthSrc, LbMac),
        Move(MfId.Ipv6Src, MfId.Ipv6Dst), Set(MfId.Ipv6Src, VipValue),
        Set(MfId.Icmpv6Type, 136), Set(MfId.NdReserved, rso),
    ];

    private const string NaHeadText = "move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],set_field:" + LbMacText + "->eth_src,"
        + "move:NXM_NX_IPV6_SRC[]->NXM_NX_IPV6_DST[],set_field:" + Vip + "->ipv6_src,set_field:136->icmpv6_type,";

    /// <summary>OVS's text (header line + body) and bytes for a flow text.</summary>
    private static (string Text, byte[] Bytes) Ovs(string flow) => OfctlDump.Read("OpenFlow13", "parse-flow", flow, "OFPT_FLOW_MOD");

    private static void AssertSameAsOvs(FlowMod ours, string flow)
    {
        var (text, bytes) = Ovs(flow);
        Assert.That(Convert.ToHexString(OfpEncoder.ToArray(ours)), Is.EqualTo(Convert.ToHexString(bytes)), "encoding differs from OVS's");
        var back = (FlowMod)OfpDecoder.Decode(bytes);
        Assert.That(back, Is.EqualTo(ours), "decoding OVS's bytes");
        Assert.That(OfpPrinter.Print(back), Is.EqualTo(text), "text differs from OVS's");
        Assert.That(ours.CheckError(), Is.Null, "our checks refuse what OVS accepts");
    }

    private static FlowMod Flow(byte table, ushort priority, OfpMatch match, params OfpInstruction[] instructions) =>
        new() { Xid = 1, TableId = table, Priority = priority, Match = match, Instructions = [.. instructions] };

    [Test]
    public void Solicitation_with_source_link_layer_option_is_turned_into_the_advertisement()
    {
        // nd_options_type=1: the NS's first link-layer option is an SLL, so its slot can become the TLL.
        var fm = Flow(0, 300, NdMatch(135, null, Oxm(MfId.NdOptionsType, 1)),
            new ApplyActionsInstruction([.. NaHead(0x6000_0000), Set(MfId.NdOptionsType, 2)]), new GotoTableInstruction(1));
        AssertSameAsOvs(fm, $"table=0,priority=300,icmp6,icmp_type=135,icmp_code=0,nd_target={Vip},nd_options_type=1,actions="
            + NaHeadText + "set_field:0x60000000->nd_reserved,set_field:2->nd_options_type,goto_table:1");
    }

    [Test]
    public void Target_link_layer_address_is_written_in_the_next_table()
    {
        // OVS checks a set_field's prerequisites against the match only (check_SET_FIELD): nd_tll needs
        // icmp_type=136, which the first table's set_field made true for the second table's lookup.
        var fm = Flow(1, 300, NdMatch(136), new ApplyActionsInstruction([Set(MfId.NdTll, LbMac), InPort]));
        AssertSameAsOvs(fm, $"table=1,priority=300,icmp6,icmp_type=136,icmp_code=0,nd_target={Vip},actions=set_field:{LbMacText}->nd_tll,IN_PORT");
    }

    [Test]
    public void Nd_tll_on_the_solicitation_match_is_refused_like_ovs_does()
    {
        // ovs-ofctl: "set_field nd_tll lacks correct prerequisites" (OFPBAC_MATCH_INCONSISTENT).
        var r = ProcessRunner.Run("ovs-ofctl", ["-O", "OpenFlow13", "parse-flow", $"icmp6,icmp_type=135,nd_target={Vip},actions=set_field:136->icmpv6_type,set_field:{LbMacText}->nd_tll,IN_PORT"]);
        Assert.That(r.ExitCode, Is.Not.Zero);
        Assert.That(r.Stderr, Does.Contain("nd_tll lacks correct prerequisites"));
        var fm = Flow(0, 300, NdMatch(135), new ApplyActionsInstruction([Set(MfId.Icmpv6Type, 136), Set(MfId.NdTll, LbMac), InPort]));
        Assert.That(fm.CheckError(), Is.EqualTo("OFPBAC_MATCH_INCONSISTENT"));
    }

    [Test]
    public void Solicitation_without_options_is_answered_without_options()
    {
        var fm = Flow(0, 290, NdMatch(135), new ApplyActionsInstruction([.. NaHead(0x6000_0000), InPort]));
        AssertSameAsOvs(fm, $"table=0,priority=290,icmp6,icmp_type=135,icmp_code=0,nd_target={Vip},actions="
            + NaHeadText + "set_field:0x60000000->nd_reserved,IN_PORT");
    }

    [Test]
    public void Dad_probe_is_answered_to_all_nodes_with_override_only()
    {
        // RFC 4861 7.2.4: a solicitation from :: is answered to ff02::1 with S=0.
        var fm = Flow(0, 310, NdMatch(135, [Oxm(MfId.Ipv6Src, UInt128.Zero)]), new ApplyActionsInstruction(
        [
            Move(MfId.EthSrc, MfId.EthDst), Set(MfId.EthSrc, LbMac), Set(MfId.EthDst, 0x3333_0000_0001UL),
            Set(MfId.Ipv6Dst, Ipv6Address.AllNodes.Value), Set(MfId.Ipv6Src, VipValue),
            Set(MfId.Icmpv6Type, 136), Set(MfId.NdReserved, 0x2000_0000), InPort,
        ]));
        AssertSameAsOvs(fm, $"table=0,priority=310,icmp6,ipv6_src=::,icmp_type=135,icmp_code=0,nd_target={Vip},actions="
            + $"move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],set_field:{LbMacText}->eth_src,set_field:33:33:00:00:00:01->eth_dst,"
            + $"set_field:ff02::1->ipv6_dst,set_field:{Vip}->ipv6_src,set_field:136->icmpv6_type,set_field:0x20000000->nd_reserved,IN_PORT");
    }

    [Test]
    public void Dad_probe_dropped_variant_equals_ovs() =>
        AssertSameAsOvs(Flow(0, 310, NdMatch(135, [Oxm(MfId.Ipv6Src, UInt128.Zero)])),
            $"table=0,priority=310,icmp6,ipv6_src=::,icmp_type=135,icmp_code=0,nd_target={Vip},actions=drop");
}
