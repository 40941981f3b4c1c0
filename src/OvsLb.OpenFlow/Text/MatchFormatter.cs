using System.Globalization;
using System.Text;
using OvsLb.OpenFlow.Match;

namespace OvsLb.OpenFlow.Text;

/// <summary>
/// Prints a match the way Open vSwitch 3.1's match_format() (lib/match.c) does: OXM/NXM entries are
/// first folded into OVS's flow fields (vlan_vid+vlan_pcp into vlan_tci, arp_spa into nw_src,
/// tcp_src into tp_src, xreg into two regs, ...) and then printed in match_format's fixed order,
/// with the protocol shortcuts (ip, tcp, arp, ...) that stand for eth_type/nw_proto.
/// </summary>
public static class MatchFormatter
{
    public const int DefaultPriority = 0x8000;
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private sealed class Flow
    {
        private readonly Dictionary<string, (UInt128 V, UInt128 M)> _f = new(StringComparer.Ordinal);

        public void Set(string name, UInt128 v, UInt128 m)
        {
            _f.TryGetValue(name, out var old);
            _f[name] = ((old.V & ~m) | (v & m), old.M | m);
        }

        public bool Has(string name) => _f.TryGetValue(name, out var x) && x.M != 0;
        public (UInt128 V, UInt128 M) Get(string name) => _f.TryGetValue(name, out var x) ? x : default;
    }

    public static string Format(OfpMatch match, int priority = DefaultPriority)
    {
        var sb = new StringBuilder();
        Format(sb, match, priority);
        return sb.ToString();
    }

    public static void Format(StringBuilder s, OfpMatch match, int priority) => Format(s, Fold(match), priority);

    /// <summary>
    /// match_format of a match given directly in OVS flow-field terms (key = struct flow member:
    /// "dl_type", "nw_proto", "tp_src", "vlan_tci", "vlan_tci1", "mpls_lse1", ...), as flow_format
    /// prints a packet's flow (see <see cref="PacketFlowText"/>).
    /// </summary>
    internal static void FormatFlowFields(StringBuilder s, ReadOnlySpan<(string Key, UInt128 Value, UInt128 Mask)> fields, int priority)
    {
        var f = new Flow();
        foreach (var (k, v, m) in fields) f.Set(k, v, m);
        Format(s, f, priority);
    }

    private static void Format(StringBuilder s, Flow f, int priority)
    {
        int start = s.Length;
        if (priority != DefaultPriority) s.Append("priority=").Append(priority.ToString(Inv)).Append(',');

        U32(s, f, "pkt_mark", "pkt_mark");
        U32(s, f, "recirc_id", "recirc_id");
        U32(s, f, "dp_hash", "dp_hash");
        if (f.Has("conj_id")) s.Append("conj_id=").Append((uint)f.Get("conj_id").V).Append(',');
        if (f.Has("actset_output")) s.Append("actset_output=").Append(OfctlFormat.Port((uint)f.Get("actset_output").V)).Append(',');
        if (f.Has("ct_state"))
        {
            var (v, m) = f.Get("ct_state");
            s.Append("ct_state=").Append((byte)m == 0xff ? OfctlFormat.CtStateExact((byte)v) : OfctlFormat.Flags((byte)v, (byte)m, 0xff, OfctlFormat.CtStateNames)).Append(',');
        }
        U16(s, f, "ct_zone", "ct_zone");
        U32(s, f, "ct_mark", "ct_mark");
        if (f.Has("ct_label"))
        {
            var (v, m) = f.Get("ct_label");
            s.Append("ct_label=").Append(OfctlFormat.Hex(v, 16));
            if (m != UInt128.MaxValue) s.Append('/').Append(OfctlFormat.Hex(m, 16));
            s.Append(',');
        }
        Ip(s, f, "ct_nw_src", "ct_nw_src");
        Ip6(s, f, "ct_ipv6_src", "ct_ipv6_src");
        Ip(s, f, "ct_nw_dst", "ct_nw_dst");
        Ip6(s, f, "ct_ipv6_dst", "ct_ipv6_dst");
        if (f.Has("ct_nw_proto"))
        {
            s.Append("ct_nw_proto=").Append((byte)f.Get("ct_nw_proto").V).Append(',');
            Be16(s, f, "ct_tp_src", "ct_tp_src");
            Be16(s, f, "ct_tp_dst", "ct_tp_dst");
        }

        bool skipType = false, skipProto = false;
        ushort dlType = (ushort)f.Get("dl_type").V;
        if (f.Has("packet_type"))
        {
            // Printed unless it is the default Ethernet type (match_has_default_packet_type); a
            // packet type in the Ethertype namespace (1) stands for dl_type in what follows.
            var (pt, ptMask) = f.Get("packet_type");
            if ((uint)pt != 0 || (uint)ptMask != uint.MaxValue)
            {
                s.Append("packet_type=(");
                PacketTypeHalf(s, (ushort)((uint)pt >> 16), (ushort)((uint)ptMask >> 16));
                s.Append(',');
                PacketTypeHalf(s, (ushort)pt, (ushort)ptMask);
                s.Append("),");
                if ((uint)pt >> 16 == 1) dlType = (ushort)pt;
            }
        }
        byte nwProto = (byte)f.Get("nw_proto").V;
        bool hasProto = f.Has("nw_proto");
        if (f.Has("dl_type"))
        {
            skipType = true;
            string? shortcut = dlType switch
            {
                0x0800 => hasProto ? nwProto switch { 1 => "icmp", 6 => "tcp", 17 => "udp", 132 => "sctp", _ => null } : "ip",
                0x86dd => hasProto ? nwProto switch { 58 => "icmp6", 6 => "tcp6", 17 => "udp6", 132 => "sctp6", _ => null } : "ipv6",
                0x0806 => "arp",
                0x8035 => "rarp",
                0x8847 => "mpls",
                0x8848 => "mplsm",
                _ => null,
            };
            if (shortcut is not null && hasProto && (dlType == 0x0800 || dlType == 0x86dd)) skipProto = true;
            if (shortcut is null && hasProto && dlType == 0x0800) shortcut = "ip";
            if (shortcut is null && hasProto && dlType == 0x86dd) shortcut = "ipv6";
            if (shortcut is null) skipType = false; else s.Append(shortcut).Append(',');
        }
        for (int i = 0; i < 16; i++) U32(s, f, FlowSlots.Reg(i), FlowSlots.Reg(i));

        // format_flow_tunnel
        Be64(s, f, "tun_id", "tun_id");
        Ip(s, f, "tun_src", "tun_src");
        Ip(s, f, "tun_dst", "tun_dst");
        Ip6(s, f, "tun_ipv6_src", "tun_ipv6_src");
        Ip6(s, f, "tun_ipv6_dst", "tun_ipv6_dst");
        Be16(s, f, "tun_gbp_id", "tun_gbp_id");
        if (f.Has("tun_gbp_flags")) s.Append("tun_gbp_flags=").Append(OfctlFormat.AltHex((byte)f.Get("tun_gbp_flags").V)).Append(',');
        if (f.Has("tun_flags"))
        {
            var (v, m) = f.Get("tun_flags");
            // format_flags_masked against FLOW_TNL_F_MASK (oam, df, csum, key): a match can only set the
            // public oam bit, so the mask never equals the maximum and the flag always prints as +oam/-oam.
            s.Append("tun_flags=").Append(OfctlFormat.Flags((uint)v, (uint)m, 0xf, TunFlagNames)).Append(',');
        }

        Be64(s, f, "metadata", "metadata");
        if (f.Has("in_port")) s.Append("in_port=").Append(OfctlFormat.Port16((ushort)f.Get("in_port").V)).Append(',');
        if (f.Has("vlan_tci"))
        {
            Vlan(s, f, "vlan_tci", "");
            if (f.Has("vlan_tci1")) Vlan(s, f, "vlan_tci1", "1");
        }
        Eth(s, f, "dl_src", "dl_src");
        Eth(s, f, "dl_dst", "dl_dst");
        if (!skipType && f.Has("dl_type")) s.Append("dl_type=0x").Append(dlType.ToString("x4", Inv)).Append(',');

        bool isArp = dlType is 0x0806 or 0x8035;
        if (dlType == 0x86dd)
        {
            Ip6(s, f, "ipv6_src", "ipv6_src");
            Ip6(s, f, "ipv6_dst", "ipv6_dst");
            if (f.Has("ipv6_label"))
            {
                var (v, m) = f.Get("ipv6_label");
                s.Append("ipv6_label=0x").Append(((uint)v).ToString("x5", Inv));
                if ((uint)m != uint.MaxValue) s.Append("/0x").Append(((uint)m).ToString("x5", Inv));
                s.Append(',');
            }
        }
        else if (isArp)
        {
            Ip(s, f, "nw_src", "arp_spa");
            Ip(s, f, "nw_dst", "arp_tpa");
        }
        else
        {
            Ip(s, f, "nw_src", "nw_src");
            Ip(s, f, "nw_dst", "nw_dst");
        }
        if (!skipProto && hasProto) s.Append(isArp ? "arp_op=" : "nw_proto=").Append(nwProto).Append(',');
        if (isArp)
        {
            Eth(s, f, "arp_sha", "arp_sha");
            Eth(s, f, "arp_tha", "arp_tha");
        }
        var (tos, tosMask) = f.Get("nw_tos");
        if ((tosMask & 0xfc) != 0) s.Append("nw_tos=").Append((int)(tos & 0xfc)).Append(',');
        if ((tosMask & 0x03) != 0) s.Append("nw_ecn=").Append((int)(tos & 0x03)).Append(',');
        if (f.Has("nw_ttl")) s.Append("nw_ttl=").Append((int)f.Get("nw_ttl").V).Append(',');
        var (lse, lseMask) = f.Get("mpls_lse0");
        if ((lseMask & 0xfffff000) != 0) s.Append("mpls_label=").Append((uint)(lse >> 12) & 0xfffff).Append(',');
        if ((lseMask & 0x00000e00) != 0) s.Append("mpls_tc=").Append((uint)(lse >> 9) & 7).Append(',');
        if ((lseMask & 0x000000ff) != 0) s.Append("mpls_ttl=").Append((uint)lse & 0xff).Append(',');
        if ((lseMask & 0x00000100) != 0) s.Append("mpls_bos=").Append((uint)(lse >> 8) & 1).Append(',');
        Be32(s, f, "mpls_lse1", "mpls_lse1");
        Be32(s, f, "mpls_lse2", "mpls_lse2");

        var (frag, fragMask) = f.Get("nw_frag");
        if ((fragMask & 3) != 0) s.Append("nw_frag=").Append(OfctlFormat.Frag((byte)frag, (byte)fragMask)).Append(',');
        if (dlType == 0x0800 && nwProto == 1)
        {
            Be16(s, f, "tp_src", "icmp_type");
            Be16(s, f, "tp_dst", "icmp_code");
        }
        else if (dlType == 0x86dd && nwProto == 58)
        {
            Be16(s, f, "tp_src", "icmp_type");
            Be16(s, f, "tp_dst", "icmp_code");
            Ip6(s, f, "nd_target", "nd_target");
            Eth(s, f, "arp_sha", "nd_sll");
            Eth(s, f, "arp_tha", "nd_tll");
            Be32(s, f, "igmp_group_ip4", "nd_reserved");
            Be16(s, f, "tcp_flags", "nd_options_type");
        }
        else
        {
            Be16(s, f, "tp_src", "tp_src");
            Be16(s, f, "tp_dst", "tp_dst");
        }
        if ((dlType == 0x0800 || dlType == 0x86dd) && nwProto == 6 && f.Has("tcp_flags"))
        {
            var (v, m) = f.Get("tcp_flags");
            s.Append("tcp_flags=").Append(OfctlFormat.TcpFlags((uint)v, (uint)m)).Append(',');
        }
        if (s.Length > start && s[^1] == ',') s.Length--;
    }

    private static readonly string[] TunFlagNames = ["oam", "df", "csum", "key"];

    private static void Vlan(StringBuilder s, Flow f, string key, string suffix)
    {
        var (v, m) = f.Get(key);
        ushort tci = (ushort)v, mask = (ushort)m;
        int vidMask = mask & 0x0fff, pcpMask = mask & 0xe000;
        bool cfi = (mask & 0x1000) != 0;
        if (cfi && (tci & 0x1000) != 0 && (vidMask == 0 || vidMask == 0x0fff) && (pcpMask == 0 || pcpMask == 0xe000) && (vidMask != 0 || pcpMask != 0))
        {
            if (vidMask != 0) s.Append("dl_vlan").Append(suffix).Append('=').Append(tci & 0x0fff).Append(',');
            if (pcpMask != 0) s.Append("dl_vlan_pcp").Append(suffix).Append('=').Append(tci >> 13).Append(',');
        }
        else if (mask == 0xffff)
        {
            s.Append("vlan_tci").Append(suffix).Append("=0x").Append(tci.ToString("x4", Inv)).Append(',');
        }
        else
        {
            s.Append("vlan_tci").Append(suffix).Append("=0x").Append(tci.ToString("x4", Inv)).Append("/0x").Append(mask.ToString("x4", Inv)).Append(',');
        }
    }

    // put_u16_masked (lib/flow.c): '*' when wildcarded, decimal up to 9, else hex; "/0x.." unless exact.
    private static void PacketTypeHalf(StringBuilder s, ushort v, ushort m)
    {
        if (m == 0)
        {
            s.Append('*');
            return;
        }
        s.Append(v > 9 ? "0x" + v.ToString("x", Inv) : v.ToString(Inv));
        if (m != ushort.MaxValue) s.Append("/0x").Append(m.ToString("x", Inv));
    }

    // format_uint32_masked: "%#x" value, "/%#x" mask unless exact.
    private static void U32(StringBuilder s, Flow f, string key, string name)
    {
        if (!f.Has(key)) return;
        var (v, m) = f.Get(key);
        s.Append(name).Append('=').Append(OfctlFormat.AltHex((uint)v));
        if ((uint)m != uint.MaxValue) s.Append('/').Append(OfctlFormat.AltHex((uint)m));
        s.Append(',');
    }

    // format_uint16_masked / format_be16_masked: decimal when exact, else 0x%x/0x%x.
    private static void U16(StringBuilder s, Flow f, string key, string name) => Be16(s, f, key, name);

    private static void Be16(StringBuilder s, Flow f, string key, string name)
    {
        if (!f.Has(key)) return;
        var (v, m) = f.Get(key);
        if ((ushort)m == ushort.MaxValue) s.Append(name).Append('=').Append((ushort)v).Append(',');
        else s.Append(name).Append("=0x").Append(((ushort)v).ToString("x", Inv)).Append("/0x").Append(((ushort)m).ToString("x", Inv)).Append(',');
    }

    private static void Be32(StringBuilder s, Flow f, string key, string name)
    {
        if (!f.Has(key)) return;
        var (v, m) = f.Get(key);
        if ((uint)m == uint.MaxValue) s.Append(name).Append('=').Append((uint)v).Append(',');
        else s.Append(name).Append("=0x").Append(((uint)v).ToString("x8", Inv)).Append("/0x").Append(((uint)m).ToString("x8", Inv)).Append(',');
    }

    private static void Be64(StringBuilder s, Flow f, string key, string name)
    {
        if (!f.Has(key)) return;
        var (v, m) = f.Get(key);
        s.Append(name).Append('=').Append(OfctlFormat.AltHex((ulong)v));
        if ((ulong)m != ulong.MaxValue) s.Append('/').Append(OfctlFormat.AltHex((ulong)m));
        s.Append(',');
    }

    private static void Ip(StringBuilder s, Flow f, string key, string name)
    {
        if (!f.Has(key)) return;
        var (v, m) = f.Get(key);
        s.Append(name).Append('=').Append(OfctlFormat.IPv4Masked((uint)v, (uint)m)).Append(',');
    }

    private static void Ip6(StringBuilder s, Flow f, string key, string name)
    {
        if (!f.Has(key)) return;
        var (v, m) = f.Get(key);
        s.Append(name).Append('=').Append(OfctlFormat.IPv6Masked(v, m)).Append(',');
    }

    private static void Eth(StringBuilder s, Flow f, string key, string name)
    {
        if (!f.Has(key)) return;
        var (v, m) = f.Get(key);
        s.Append(name).Append('=').Append(OfctlFormat.MacMasked(v, m)).Append(',');
    }

    /// <summary>Folds OXM/NXM entries into OVS flow fields (what mf_set does on decode).</summary>
    private static Flow Fold(OfpMatch match)
    {
        var f = new Flow();
        var writes = new SlotWrite[4];
        foreach (var e in match.Fields)
        {
            var fi = e.Field;
            if (fi is null)
            {
                // OVS never prints a field it does not know: loose decoding (PACKET_IN, PACKET_IN2
                // metadata) skips it, strict decoding (FLOW_MOD, ...) fails with OFPBMC_BAD_FIELD.
                continue;
            }
            int n = FlowSlots.Map(e, fi, writes);
            for (int i = 0; i < n; i++) f.Set(writes[i].Slot, writes[i].Value, writes[i].Mask);
        }
        return f;
    }
}
