using OvsLb.OpenFlow.Match;
using OvsLb.OpenFlow.Text;

namespace OvsLb.State.Tests;

/// <summary>
/// The ways one OVS flow field can be written (NXM or OXM header, a field OVS folds into another):
/// each pair prints the same in OVS's match_format (the codec's <see cref="MatchFormatter"/>, equal to
/// ovs-ofctl's text on every golden vector) and must have equal canonical bytes; each near miss
/// prints differently and must not.
/// </summary>
[TestFixture]
public class CanonicalMatchTests
{
    private static OxmEntry Nxm(MfId id, UInt128 value, UInt128? mask = null)
    {
        var f = FieldTable.Get(id);
        return new OxmEntry
        {
            Class = f.NxmClass, FieldCode = f.NxmField, Experimenter = f.NxmExperimenter, ValueLength = f.Width,
            Value = value, HasMask = mask is not null, Mask = mask ?? 0,
        };
    }

    private static OxmEntry Oxm(MfId id, UInt128 value, UInt128? mask = null) => OxmEntry.For(id, value, mask) with { HasMask = mask is not null, Mask = mask ?? 0 };

    private static readonly OxmEntry Ip = OxmEntry.For(MfId.EthType, 0x0800);

    public static IEnumerable<TestCaseData> SameFlow()
    {
        yield return new TestCaseData(new OfpMatch(Nxm(MfId.InPort, 1)), new OfpMatch(Oxm(MfId.InPortOxm, 1))).SetName("NXM in_port is the 32-bit OXM in_port");
        yield return new TestCaseData(new OfpMatch(Nxm(MfId.InPort, 0xfffe)), new OfpMatch(Oxm(MfId.InPortOxm, 0xfffffffe))).SetName("NXM in_port LOCAL is OXM in_port LOCAL");
        yield return new TestCaseData(new OfpMatch(Nxm(MfId.EthDst, 0x020000000001)), new OfpMatch(Oxm(MfId.EthDst, 0x020000000001))).SetName("NXM and OXM eth_dst");
        yield return new TestCaseData(new OfpMatch(Ip, Nxm(MfId.IpDscp, 0xb8)), new OfpMatch(Ip, Oxm(MfId.IpDscpShifted, 0x2e))).SetName("nw_tos is ip_dscp shifted");
        yield return new TestCaseData(new OfpMatch(Oxm(MfId.Xreg0, 0x0000000100000002)), new OfpMatch(Oxm(MfId.Reg0, 1), Oxm(MfId.Reg1, 2))).SetName("xreg0 is reg0 and reg1");
        yield return new TestCaseData(new OfpMatch(Oxm(MfId.Xreg1, 0x0000000500000000, 0xffffffff00000000)), new OfpMatch(Oxm(MfId.Reg2, 5))).SetName("half an xreg is one reg");
        yield return new TestCaseData(new OfpMatch(Nxm(MfId.VlanTci, 0x100a, 0x1fff)), new OfpMatch(Oxm(MfId.VlanVid, 0x100a))).SetName("vlan_tci VID+CFI is vlan_vid");
        yield return new TestCaseData(new OfpMatch(Nxm(MfId.VlanTci, 0x700a)), new OfpMatch(Oxm(MfId.VlanVid, 0x100a), Oxm(MfId.VlanPcp, 3))).SetName("vlan_tci exact is vlan_vid and vlan_pcp");
        yield return new TestCaseData(new OfpMatch(Oxm(MfId.VlanVid, 0x100a, 0x1fff)), new OfpMatch(Oxm(MfId.VlanVid, 0x100a))).SetName("vlan_vid masked with VID+CFI is exact");
        yield return new TestCaseData(new OfpMatch(Ip, Oxm(MfId.Ipv4Dst, 0x0a000001, 0xffffffff)), new OfpMatch(Ip, Oxm(MfId.Ipv4Dst, 0x0a000001))).SetName("an all-ones mask is exact");
        yield return new TestCaseData(new OfpMatch(Ip, Oxm(MfId.Ipv4Dst, 0, 0)), new OfpMatch(Ip)).SetName("an all-zero mask is no field");
        yield return new TestCaseData(new OfpMatch(Oxm(MfId.PacketType, 0)), OfpMatch.Any).SetName("the default packet_type is no field");
    }

    public static IEnumerable<TestCaseData> OtherFlow()
    {
        yield return new TestCaseData(new OfpMatch(Nxm(MfId.InPort, 1)), new OfpMatch(Oxm(MfId.InPortOxm, 2))).SetName("another in_port");
        yield return new TestCaseData(new OfpMatch(Ip, Oxm(MfId.Ipv4Dst, 0x0a000000, 0xffffff00)), new OfpMatch(Ip, Oxm(MfId.Ipv4Dst, 0x0a000000))).SetName("a prefix is not a host");
        yield return new TestCaseData(new OfpMatch(Oxm(MfId.Xreg0, 1)), new OfpMatch(Oxm(MfId.Reg0, 1))).SetName("xreg0=1 is reg1, not reg0");
        yield return new TestCaseData(new OfpMatch(Nxm(MfId.VlanTci, 0x100a, 0x1fff)), new OfpMatch(Oxm(MfId.VlanVid, 0x100a), Oxm(MfId.VlanPcp, 0))).SetName("vlan_pcp=0 is a match");
        yield return new TestCaseData(new OfpMatch(Ip), OfpMatch.Any).SetName("ip is not everything");
    }

    [TestCaseSource(nameof(SameFlow))]
    public void One_flow_to_OVS_is_one_canonical_form(OfpMatch a, OfpMatch b)
    {
        Assert.That(MatchFormatter.Format(a), Is.EqualTo(MatchFormatter.Format(b)), "OVS prints them the same");
        Assert.That(Convert.ToHexString(CanonicalMatch.Encode(a)), Is.EqualTo(Convert.ToHexString(CanonicalMatch.Encode(b))));
    }

    [TestCaseSource(nameof(OtherFlow))]
    public void Different_flows_to_OVS_have_different_canonical_forms(OfpMatch a, OfpMatch b)
    {
        Assert.That(MatchFormatter.Format(a), Is.Not.EqualTo(MatchFormatter.Format(b)), "OVS prints them differently");
        Assert.That(Convert.ToHexString(CanonicalMatch.Encode(a)), Is.Not.EqualTo(Convert.ToHexString(CanonicalMatch.Encode(b))));
    }
}
