using System.Globalization;

namespace OvsLb.OpenFlow.Match;

/// <summary>
/// One write of an OXM/NXM entry into Open vSwitch's flow representation (struct flow /
/// struct flow_wildcards): the flow member ("slot"), the value and mask bits mf_set stores there
/// (lib/meta-flow.c), and the bits mf_is_all_wild inspects to decide whether the field is already
/// matched (OFPBMC_DUP_FIELD).
/// </summary>
internal readonly record struct SlotWrite(string Slot, UInt128 Value, UInt128 Mask, UInt128 Region);

/// <summary>
/// How OVS folds OXM/NXM entries into flow members: vlan_vid and vlan_pcp into vlan_tci, arp_spa into
/// nw_src, tcp/udp/sctp ports and ICMP type/code into tp_src/tp_dst, xreg/xxreg into 32-bit regs, the
/// MPLS fields into the first label stack entry, and so on. Shared by match printing
/// (<see cref="Text.MatchFormatter"/>) and match validation (<see cref="MatchChecks"/>), so both see the
/// match the way OVS does.
/// </summary>
internal static class FlowSlots
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static readonly UInt128 All = UInt128.MaxValue;
    private static readonly string[] RegNames = Enumerable.Range(0, 16).Select(i => "reg" + i.ToString(Inv)).ToArray();

    /// <summary>Name of the 32-bit register slot <paramref name="n"/>.</summary>
    public static string Reg(int n) => RegNames[n];

    /// <summary>
    /// The writes mf_set makes for entry <paramref name="e"/> of known field <paramref name="fi"/>
    /// (one, or two/four for xreg/xxreg). Fields OVS does not let a match set a mask on use their
    /// value only.
    /// </summary>
    public static int Map(OxmEntry e, FieldInfo fi, Span<SlotWrite> dst)
    {
        int n = MapExact(e, fi, dst);
        if (e.HasMask && e.Mask == 0)
        {
            // mf_set with an all-zero mask leaves the field wildcarded (mf_set_wild).
            for (int i = 0; i < n; i++) dst[i] = dst[i] with { Value = 0, Mask = 0 };
        }
        return n;
    }

    private static int MapExact(OxmEntry e, FieldInfo fi, Span<SlotWrite> dst)
    {
        UInt128 v = e.Value, m = e.EffectiveMask;
        switch (fi.Id)
        {
            case MfId.InPort:
                dst[0] = new("in_port", v & 0xffff, 0xffff, All);
                return 1;
            case MfId.InPortOxm:
                {
                    // ofputil_port_from_ofp11: reserved 32-bit ports map onto 0xff00..0xffff.
                    uint p = (uint)v;
                    dst[0] = new("in_port", p >= 0xffffff00 ? p - 0xffff0000 : p & 0xffff, 0xffff, All);
                    return 1;
                }
            case MfId.VlanTci: dst[0] = new("vlan_tci", v & m, m, All); return 1;
            case MfId.VlanVid: dst[0] = new("vlan_tci", v & m & 0x1fff, m & 0x1fff, 0x1fff); return 1;
            case MfId.VlanPcp: dst[0] = new("vlan_tci", ((v & 7) << 13) | 0x1000, 0xf000, 0xe000); return 1;
            case MfId.EthSrc: dst[0] = new("dl_src", v & m, m, All); return 1;
            case MfId.EthDst: dst[0] = new("dl_dst", v & m, m, All); return 1;
            case MfId.EthType: dst[0] = new("dl_type", v, 0xffff, All); return 1;
            case MfId.Ipv4Src or MfId.ArpSpa: dst[0] = new("nw_src", v & m, m, All); return 1;
            case MfId.Ipv4Dst or MfId.ArpTpa: dst[0] = new("nw_dst", v & m, m, All); return 1;
            case MfId.IpProto: dst[0] = new("nw_proto", v, 0xff, All); return 1;
            case MfId.ArpOp: dst[0] = new("nw_proto", v & 0xff, 0xff, All); return 1;
            case MfId.IpDscp: dst[0] = new("nw_tos", v & 0xfc, 0xfc, 0xfc); return 1;
            case MfId.IpDscpShifted: dst[0] = new("nw_tos", (v & 0x3f) << 2, 0xfc, 0xfc); return 1;
            case MfId.IpEcn: dst[0] = new("nw_tos", v & 3, 3, 3); return 1;
            case MfId.IpTtl: dst[0] = new("nw_ttl", v, 0xff, All); return 1;
            case MfId.IpFrag: dst[0] = new("nw_frag", v & m & 3, m & 3, 3); return 1;
            case MfId.TcpSrc or MfId.UdpSrc or MfId.SctpSrc: dst[0] = new("tp_src", v & m, m, All); return 1;
            case MfId.TcpDst or MfId.UdpDst or MfId.SctpDst: dst[0] = new("tp_dst", v & m, m, All); return 1;
            case MfId.Icmpv4Type or MfId.Icmpv6Type: dst[0] = new("tp_src", v, 0xffff, All); return 1;
            case MfId.Icmpv4Code or MfId.Icmpv6Code: dst[0] = new("tp_dst", v, 0xffff, All); return 1;
            case MfId.ArpSha or MfId.NdSll: dst[0] = new("arp_sha", v & m, m, All); return 1;
            case MfId.ArpTha or MfId.NdTll: dst[0] = new("arp_tha", v & m, m, All); return 1;
            case MfId.NdReserved: dst[0] = new("igmp_group_ip4", v & m, m, All); return 1;
            case MfId.NdOptionsType: dst[0] = new("tcp_flags", v, 0xffff, All); return 1;
            case MfId.MplsLabel: dst[0] = new("mpls_lse0", (v & 0xfffff) << 12, 0xfffff000, 0xfffff000); return 1;
            case MfId.MplsTc: dst[0] = new("mpls_lse0", (v & 7) << 9, 0xe00, 0xe00); return 1;
            case MfId.MplsBos: dst[0] = new("mpls_lse0", (v & 1) << 8, 0x100, 0x100); return 1;
            case MfId.MplsTtl: dst[0] = new("mpls_lse0", v & 0xff, 0xff, 0xff); return 1;
            // match_set_tun_flags_masked keeps only the public flag bits (FLOW_TNL_PUB_F_MASK: oam).
            case MfId.TunFlags: dst[0] = new("tun_flags", v & m & 1, m & 1, 1); return 1;
            case >= MfId.Xreg0 and <= MfId.Xreg7:
                {
                    int n = fi.Id - MfId.Xreg0;
                    dst[0] = new(RegNames[2 * n], ((v & m) >> 32) & uint.MaxValue, (m >> 32) & uint.MaxValue, All);
                    dst[1] = new(RegNames[2 * n + 1], v & m & uint.MaxValue, m & uint.MaxValue, All);
                    return 2;
                }
            case >= MfId.Xxreg0 and <= MfId.Xxreg3:
                {
                    int n = fi.Id - MfId.Xxreg0;
                    for (int k = 0; k < 4; k++)
                    {
                        int shift = (3 - k) * 32;
                        dst[k] = new(RegNames[4 * n + k], ((v & m) >> shift) & uint.MaxValue, (m >> shift) & uint.MaxValue, All);
                    }
                    return 4;
                }
            case >= MfId.Reg0 and <= MfId.Reg15:
                dst[0] = new(RegNames[fi.Id - MfId.Reg0], v & m, m, All);
                return 1;
            default:
                dst[0] = new(fi.Name, v & m, m, All);
                return 1;
        }
    }
}
