using System.Buffers.Binary;
using OvsLb.OpenFlow.Match;

namespace OvsLb.State;

/// <summary>
/// A match as order-independent bytes: the OXM TLVs Open vSwitch would send back for it, sorted in
/// OVS's field order. OVS does not keep the TLVs it was given: it folds them into its flow and
/// wildcard bits (lib/meta-flow.c mf_set) and re-encodes them from there when dumping flows
/// (lib/nx-match.c nx_put_raw, OpenFlow 1.3). Two matches with equal canonical bytes are therefore
/// the same flow to OVS, whatever order or header style they were written in, and a flow read back
/// from the switch has the same bytes as the flow we asked for. The normalisations, as OVS does them:
/// <list type="bullet">
/// <item>value bits outside the mask are cleared; an all-zero mask drops the field; an all-ones
/// mask over the field's width becomes an exact match (no mask);</item>
/// <item>one header per field: OXM where the field has one, else NXM (NXM_OF_ETH_DST and
/// OXM_OF_ETH_DST are one field);</item>
/// <item>fields OVS stores in one place come back in one form: NXM in_port as the 32-bit OXM port,
/// nw_tos as ip_dscp, xreg/xxreg as 32-bit regs, vlan_tci/vlan_vid/vlan_pcp as vlan_vid (exact when
/// its mask covers VID and CFI) plus vlan_pcp (only with a VLAN id), tun_flags and ip_frag masked
/// to the bits OVS keeps, and an exact default packet_type (Ethernet) dropped;</item>
/// <item>TLVs of fields this codec does not know are kept as they are, after the known ones.</item>
/// </list>
/// </summary>
public static class CanonicalMatch
{
    private const ushort VidCfi = 0x1fff;
    private const ushort PcpMask = 0xe000;
    private const ushort Cfi = 0x1000;

    /// <summary>The canonical bytes of <paramref name="match"/> (empty for a match on nothing).</summary>
    public static byte[] Encode(OfpMatch match)
    {
        var fields = match.Fields;
        if (fields.IsEmpty) return [];
        // Few fields per match: a small list with linear merging beats a dictionary.
        var known = new List<(MfId Id, UInt128 Value, UInt128 Mask)>(fields.Count + 2);
        List<byte[]>? raw = null;
        UInt128 tciValue = 0, tciMask = 0;
        foreach (var e in fields)
        {
            var fi = e.Field;
            if (fi is null)
            {
                (raw ??= []).Add(e.Raw.Span.ToArray());
                continue;
            }
            UInt128 m = e.EffectiveMask, v = e.Value & m;
            switch (fi.Id)
            {
                case MfId.InPort:
                    {
                        // ofputil_port_to_ofp11: 16-bit reserved ports 0xff00.. are 0xffffff00.. in OpenFlow 1.1+.
                        uint p = (uint)(v & 0xffff);
                        Add(known, MfId.InPortOxm, p >= 0xff00 ? p + 0xffff0000u : p, uint.MaxValue);
                        break;
                    }
                case MfId.VlanTci:
                    Set(ref tciValue, ref tciMask, v, m);
                    break;
                case MfId.VlanVid:
                    Set(ref tciValue, ref tciMask, v & VidCfi, m & VidCfi);
                    break;
                case MfId.VlanPcp:
                    Set(ref tciValue, ref tciMask, ((v & 7) << 13) | Cfi, PcpMask | Cfi);
                    break;
                case MfId.IpDscp:
                    Add(known, MfId.IpDscpShifted, (v & 0xfc) >> 2, 0xff);
                    break;
                case >= MfId.Xreg0 and <= MfId.Xreg7:
                    {
                        var reg = MfId.Reg0 + 2 * (fi.Id - MfId.Xreg0);
                        Add(known, reg, (v >> 32) & uint.MaxValue, (m >> 32) & uint.MaxValue);
                        Add(known, reg + 1, v & uint.MaxValue, m & uint.MaxValue);
                        break;
                    }
                case >= MfId.Xxreg0 and <= MfId.Xxreg3:
                    {
                        var reg = MfId.Reg0 + 4 * (fi.Id - MfId.Xxreg0);
                        for (int k = 0; k < 4; k++)
                        {
                            int shift = (3 - k) * 32;
                            Add(known, reg + k, (v >> shift) & uint.MaxValue, (m >> shift) & uint.MaxValue);
                        }
                        break;
                    }
                case MfId.TunFlags:
                    // match_set_tun_flags_masked keeps only the public flag bits (oam).
                    Add(known, MfId.TunFlags, v & 1, m & 1);
                    break;
                case MfId.IpFrag:
                    // FLOW_NW_FRAG_MASK: OVS keeps two fragment bits of value and mask.
                    Add(known, MfId.IpFrag, v & 3, m & 3);
                    break;
                case MfId.PacketType when v == 0 && m == uint.MaxValue:
                    // match_has_default_packet_type: Ethernet is what a match without packet_type means.
                    break;
                default:
                    Add(known, fi.Id, v, m);
                    break;
            }
        }
        if (tciMask != 0)
        {
            // nx_put_raw (OpenFlow 1.2+): vlan_vid from the VID and CFI bits, vlan_pcp only with a VLAN id.
            UInt128 vid = tciValue & VidCfi, vidMask = tciMask & VidCfi;
            if (vidMask != 0) Add(known, MfId.VlanVid, vid, vidMask == VidCfi ? 0xffff : vidMask);
            if (vid != 0 && (tciMask & PcpMask) != 0) Add(known, MfId.VlanPcp, (tciValue >> 13) & 7, 0xff);
        }
        known.Sort((a, b) => a.Id.CompareTo(b.Id));
        int length = 0;
        foreach (var (id, _, mask) in known)
        {
            if (mask != 0) length += Tlv.Length(FieldTable.Get(id), mask);
        }
        if (raw is not null)
        {
            raw.Sort((a, b) => a.AsSpan().SequenceCompareTo(b));
            foreach (var r in raw) length += r.Length;
        }
        var bytes = new byte[length];
        int at = 0;
        foreach (var (id, value, mask) in known)
        {
            if (mask != 0) at += Tlv.Write(bytes.AsSpan(at), FieldTable.Get(id), value, mask);
        }
        if (raw is not null)
        {
            foreach (var r in raw)
            {
                r.CopyTo(bytes, at);
                at += r.Length;
            }
        }
        return bytes;
    }

    private static void Set(ref UInt128 value, ref UInt128 mask, UInt128 v, UInt128 m)
    {
        value = (value & ~m) | (v & m);
        mask |= m;
    }

    /// <summary>Adds a field, or merges it into the same field already there (xreg halves, regs).</summary>
    private static void Add(List<(MfId Id, UInt128 Value, UInt128 Mask)> known, MfId id, UInt128 v, UInt128 m)
    {
        for (int i = 0; i < known.Count; i++)
        {
            if (known[i].Id != id) continue;
            var (_, ov, om) = known[i];
            known[i] = (id, (ov & ~m) | (v & m), om | m);
            return;
        }
        known.Add((id, v & m, m));
    }

    /// <summary>One OXM/NXM TLV (OpenFlow 1.3.5 §7.2.3.2) in the field's preferred header.</summary>
    private static class Tlv
    {
        private static UInt128 AllOnes(int width) => width >= 16 ? UInt128.MaxValue : (UInt128.One << (width * 8)) - 1;

        /// <summary>A field OVS does not let a match mask is exact (a partial mask is refused: OFPBMC_BAD_MASK).</summary>
        private static bool IsExact(FieldInfo f, UInt128 mask) => !f.Maskable || (mask & AllOnes(f.Width)) == AllOnes(f.Width);

        public static int Length(FieldInfo f, UInt128 mask) =>
            (f.PreferredHeader.Class == 0xffff ? 8 : 4) + f.Width * (IsExact(f, mask) ? 1 : 2);

        public static int Write(Span<byte> dst, FieldInfo f, UInt128 value, UInt128 mask)
        {
            var (cls, code, exp) = f.PreferredHeader;
            bool masked = !IsExact(f, mask);
            int payload = f.Width * (masked ? 2 : 1) + (cls == 0xffff ? 4 : 0);
            BinaryPrimitives.WriteUInt32BigEndian(dst, ((uint)cls << 16) | ((uint)code << 9) | (masked ? 0x100u : 0u) | (uint)payload);
            int at = 4;
            if (cls == 0xffff)
            {
                BinaryPrimitives.WriteUInt32BigEndian(dst[at..], exp);
                at += 4;
            }
            WriteValue(dst.Slice(at, f.Width), value & mask);
            at += f.Width;
            if (masked)
            {
                WriteValue(dst.Slice(at, f.Width), mask);
                at += f.Width;
            }
            return at;
        }

        private static void WriteValue(Span<byte> dst, UInt128 v)
        {
            for (int i = dst.Length - 1; i >= 0; i--)
            {
                dst[i] = (byte)v;
                v >>= 8;
            }
        }
    }
}
