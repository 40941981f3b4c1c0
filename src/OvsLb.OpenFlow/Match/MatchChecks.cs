using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Match;

/// <summary>Why Open vSwitch would refuse a match: the OVS error name and a readable reason.</summary>
public readonly record struct MatchError(string Name, string Detail);

public sealed partial record OfpMatch
{
    /// <summary>
    /// A match with the prerequisites of every field placed before it, checked the way Open vSwitch
    /// checks a FLOW_MOD match (see <see cref="Validate"/>). Entries keep their relative order otherwise,
    /// so <c>Create(tcp_dst, eth_type, ip_proto)</c> becomes <c>eth_type, ip_proto, tcp_dst</c>.
    /// Throws <see cref="OfpProtocolException"/> for a match no order can make valid (a missing or
    /// contradicting prerequisite, a field given twice, an invalid value or mask).
    /// </summary>
    public static OfpMatch Create(params OxmEntry[] fields)
    {
        var ordered = fields.Select((e, i) => (e, i)).OrderBy(x => MatchChecks.Level(x.e)).ThenBy(x => x.i).Select(x => x.e).ToArray();
        var m = new OfpMatch(new EquatableArray<OxmEntry>(ordered));
        m.Validate();
        return m;
    }

    /// <summary>
    /// Throws <see cref="OfpProtocolException"/> (<see cref="OfpErrorKind.BadMatch"/>, with the OVS error
    /// name in <see cref="OfpProtocolException.ErrorName"/>) when Open vSwitch would refuse this match in a
    /// FLOW_MOD, flow stats request or FLOW_REMOVED; see <see cref="CheckError"/>.
    /// </summary>
    public void Validate()
    {
        if (CheckError() is { } e)
        {
            throw new OfpProtocolException(OfpErrorKind.BadMatch, e.Detail, -1, e.Name);
        }
    }

    /// <summary>
    /// The error Open vSwitch 3.1 answers for this match when it decodes it strictly (oxm_pull_match /
    /// nx_pull_raw in lib/nx-match.c, used for FLOW_MOD, flow stats and FLOW_REMOVED), or null:
    /// <list type="bullet">
    /// <item>OFPBMC_BAD_PREREQ: a field whose prerequisite (OpenFlow 1.3.5 §7.2.3.6; OVS
    /// mf_are_match_prereqs_ok) is not met by the entries <em>before</em> it, e.g. tcp_dst without
    /// eth_type=0x800/0x86dd and ip_proto=6 ahead of it, or ct_nw_src without a ct_state that implies a
    /// valid connection (+new/+est/+rel/+rpl/+snat/+dnat, or +trk with -inv);</item>
    /// <item>OFPBMC_DUP_FIELD: a field (or another name for the same bits, e.g. reg0 and xreg0) given twice;</item>
    /// <item>OFPBMC_BAD_FIELD: a header OVS does not know;</item>
    /// <item>OFPBMC_BAD_MASK / OFPBMC_BAD_VALUE: a partial mask on a field that takes none, or a value with
    /// bits the field cannot hold (mf_is_mask_valid / mf_is_value_valid, e.g. ip_dscp=64, vlan_pcp=8).</item>
    /// </list>
    /// Entries are checked in wire order, as OVS does: per entry mask, value, prerequisite, duplicate.
    /// A PACKET_IN / PACKET_OUT / NXT_PACKET_IN2 match is decoded loosely by OVS and is not checked.
    /// </summary>
    public MatchError? CheckError() => MatchChecks.Check(this);
}

/// <summary>
/// Strict match decoding checks of Open vSwitch 3.1 (nx_pull_raw with strict=true): each entry is
/// checked against the flow built from the entries before it, then folded in (mf_set).
/// </summary>
internal static class MatchChecks
{
    // ct_state bits (CS_*).
    private const uint CsNew = 0x01, CsEst = 0x02, CsRel = 0x04, CsRpl = 0x08, CsInv = 0x10, CsTrk = 0x20, CsSnat = 0x40, CsDnat = 0x80;

    /// <summary>The flow a match describes, as far as the checks need it (slot values and masks).</summary>
    internal sealed class State
    {
        private readonly Dictionary<string, (UInt128 V, UInt128 M)> _slots = new(StringComparer.Ordinal);

        /// <summary>A copy whose changes do not affect this flow (nested action lists).</summary>
        public State Clone()
        {
            var c = new State();
            foreach (var (k, v) in _slots) c._slots[k] = v;
            return c;
        }

        public (UInt128 V, UInt128 M) Get(string slot) => _slots.TryGetValue(slot, out var x) ? x : default;

        public void Set(SlotWrite w)
        {
            var (v, m) = Get(w.Slot);
            _slots[w.Slot] = ((v & ~w.Mask) | (w.Value & w.Mask), m | w.Mask);
        }

        public uint U(string slot) => (uint)Get(slot).V;

        /// <summary>packet_type == PT_ETH (0); an unmatched packet type is 0 as well.</summary>
        public bool IsEthernet => U("packet_type") == 0;

        /// <summary>get_dl_type: dl_type for Ethernet, the Ethertype of an Ethertype-namespace packet type, else none.</summary>
        public uint DlType
        {
            get
            {
                uint pt = U("packet_type");
                if (pt == 0) return U("dl_type");
                return pt >> 16 == 1 ? pt & 0xffff : 0x05ff;
            }
        }
    }

    /// <summary>
    /// The flow of a match OVS accepted (entries folded in with mf_set, packet_type=eth implied by any
    /// field with a prerequisite): what ofpacts_check starts from when it checks a flow's actions.
    /// </summary>
    internal static State Fold(OfpMatch match)
    {
        var st = new State();
        var writes = new SlotWrite[4];
        foreach (var e in match.Fields)
        {
            if (e.Field is not { } fi) continue;
            int n = FlowSlots.Map(e, fi, writes);
            for (int i = 0; i < n; i++) st.Set(writes[i]);
            if (fi.Prereq != Prereq.None && st.Get("packet_type").M == 0)
            {
                st.Set(new SlotWrite("packet_type", 0, uint.MaxValue, UInt128.MaxValue));
            }
        }
        return st;
    }

    public static MatchError? Check(OfpMatch match)
    {
        var st = new State();
        var writes = new SlotWrite[4];
        foreach (var e in match.Fields)
        {
            var fi = e.Field;
            if (fi is null)
            {
                if (IsKnownToOvs(e)) continue;
                string exp = e.Class == 0xffff ? $" experimenter 0x{e.Experimenter:x8}" : "";
                return new MatchError("OFPBMC_BAD_FIELD", $"match field class 0x{e.Class:x4} field {e.FieldCode}{exp} with a {e.ValueLength}-byte value is not a field Open vSwitch knows");
            }
            // nx_pull_match_entry: mf_is_mask_valid, then mf_is_value_valid.
            if (e.HasMask && !fi.Maskable && e.Mask != 0 && e.Mask != AllOnes(e.ValueLength))
            {
                return new MatchError("OFPBMC_BAD_MASK", $"{fi.Name}: this field cannot be matched with a partial mask");
            }
            if (!ValueOk(fi.Id, e.Value))
            {
                return new MatchError("OFPBMC_BAD_VALUE", $"{fi.Name}: value 0x{e.Value:x} is not valid for this field");
            }
            if (!PrereqOk(fi.Prereq, st))
            {
                return new MatchError("OFPBMC_BAD_PREREQ", $"{fi.Name}: prerequisite {fi.Prereq} is not matched by the entries before it");
            }
            int n = FlowSlots.Map(e, fi, writes);
            for (int i = 0; i < n; i++)
            {
                if ((st.Get(writes[i].Slot).M & writes[i].Region) != 0)
                {
                    return new MatchError("OFPBMC_DUP_FIELD", $"{fi.Name}: its bits are already matched by an earlier entry");
                }
            }
            for (int i = 0; i < n; i++) st.Set(writes[i]);
            if (fi.Prereq != Prereq.None && st.Get("packet_type").M == 0)
            {
                // match_add_ethernet_prereq: a field with a prerequisite implies packet_type=eth.
                st.Set(new SlotWrite("packet_type", 0, uint.MaxValue, UInt128.MaxValue));
            }
        }
        return null;
    }

    private static UInt128 AllOnes(int bytes) => bytes >= 16 ? UInt128.MaxValue : (UInt128.One << (8 * bytes)) - 1;

    /// <summary>mf_is_value_valid (lib/meta-flow.c): values with bits the field cannot hold.</summary>
    internal static bool ValueOk(MfId id, UInt128 v) => id switch
    {
        MfId.InPortOxm or MfId.ActsetOutput => (uint)v is < 0xff00 or >= 0xffffff00,
        MfId.IpDscp => (v & ~(UInt128)0xfc) == 0,
        MfId.IpDscpShifted => v < 64,
        MfId.IpEcn => v < 4,
        MfId.IpFrag => v < 4,
        MfId.TcpFlags => v < 0x1000,
        MfId.ArpOp => v < 0x100,
        MfId.VlanVid => (v & 0xe000) == 0,
        MfId.VlanPcp or MfId.MplsTc => v < 8,
        MfId.Ipv6Label or MfId.MplsLabel => v < 0x100000,
        MfId.MplsBos => v < 2,
        MfId.TunFlags => v < 2,
        MfId.CtState => v < 0x100,
        MfId.NshTtl => v <= 63,
        MfId.NshMdtype => v == 1 || v == 2,
        MfId.NshSpi => v < 0x1000000,
        _ => true,
    };

    /// <summary>
    /// Headers Open vSwitch knows that this codec keeps as raw bytes: tun_metadata0..63 (NXM class
    /// 0x0001, fields 40-103, variable length) and nsh_c1..c4 (NXOXM_NSH: experimenter 0x005ad650,
    /// fields 6-9, 32 bits).
    /// </summary>
    private static bool IsKnownToOvs(OxmEntry e) =>
        (e.Class == 0x0001 && e.FieldCode is >= 40 and <= 103)
        || (e.Class == 0xffff && e.Experimenter == 0x005ad650 && e.FieldCode is >= 6 and <= 9 && e.ValueLength == 4);

    /// <summary>mf_are_prereqs_ok__ (lib/meta-flow.c) as used for a match: only the flow values count.</summary>
    internal static bool PrereqOk(Prereq p, State st)
    {
        uint dl = st.DlType;
        switch (p)
        {
            case Prereq.None: return true;
            case Prereq.Ethernet: return st.IsEthernet;
            case Prereq.Arp: return dl is 0x0806 or 0x8035;
            case Prereq.IPv4: return dl == 0x0800;
            case Prereq.IPv6: return dl == 0x86dd;
            case Prereq.VlanVid: return st.IsEthernet && (st.U("vlan_tci") & 0x1000) != 0;
            case Prereq.Mpls: return dl is 0x8847 or 0x8848;
            case Prereq.IPAny: return dl is 0x0800 or 0x86dd;
            case Prereq.Nsh: return dl == 0x894f;
            case Prereq.Ct:
                {
                    var (v, m) = st.Get("ct_state");
                    return ((uint)v & (CsNew | CsEst | CsRel | CsRpl | CsSnat | CsDnat)) != 0
                        || (((uint)v & CsTrk) != 0 && ((uint)m & CsInv) != 0 && ((uint)v & CsInv) == 0);
                }
            case Prereq.Tcp: return IpProto(st, 6);
            case Prereq.Udp: return IpProto(st, 17);
            case Prereq.Sctp: return IpProto(st, 132);
            case Prereq.IcmpV4: return dl == 0x0800 && st.U("nw_proto") == 1;
            case Prereq.IcmpV6: return dl == 0x86dd && st.U("nw_proto") == 58;
            case Prereq.Nd: return IsNd(st);
            case Prereq.NdSolicit: return IsNd(st) && st.U("tp_src") == 135;
            case Prereq.NdAdvert: return IsNd(st) && st.U("tp_src") == 136;
            default: return false;
        }
    }

    /// <summary>is_tcp/is_udp/is_sctp, and not a later fragment (FLOW_NW_FRAG_LATER).</summary>
    private static bool IpProto(State st, uint proto) =>
        st.DlType is 0x0800 or 0x86dd && st.U("nw_proto") == proto && (st.U("nw_frag") & 2) == 0;

    /// <summary>is_nd: ICMPv6 code 0 and type neighbor solicitation (135) or advertisement (136).</summary>
    private static bool IsNd(State st) =>
        st.DlType == 0x86dd && st.U("nw_proto") == 58 && st.U("tp_dst") == 0 && st.U("tp_src") is 135 or 136;

    /// <summary>
    /// Position class for <see cref="OfpMatch.Create"/>: a field comes after every field its
    /// prerequisite reads (packet_type and ct_state first, then Ethernet fields, then L3, L4, ND).
    /// </summary>
    internal static int Level(OxmEntry e) => e.Field?.Prereq switch
    {
        null => 5,
        Prereq.None => e.Field.Id == MfId.PacketType ? 0 : 1,
        Prereq.Ct or Prereq.Ethernet => 2,
        Prereq.VlanVid or Prereq.Arp or Prereq.IPv4 or Prereq.IPv6 or Prereq.IPAny or Prereq.Mpls or Prereq.Nsh => 3,
        Prereq.Tcp or Prereq.Udp or Prereq.Sctp or Prereq.IcmpV4 or Prereq.IcmpV6 => 4,
        _ => 5,
    };
}
