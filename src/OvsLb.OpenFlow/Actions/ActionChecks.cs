using OvsLb.OpenFlow.Actions.Nicira;
using OvsLb.OpenFlow.Instructions;
using OvsLb.OpenFlow.Match;
using OvsLb.OpenFlow.Text;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Actions;

/// <summary>
/// The action and instruction checks Open vSwitch 3.1 applies when it decodes OpenFlow 1.3 actions
/// (lib/ofp-actions.c), for the messages that carry them. This codec decodes loosely (an unknown
/// action stays a <see cref="RawAction"/>, a set_field keeps any OXM) so that a message a switch
/// echoes in an OFPT_ERROR still decodes and re-encodes byte for byte; these checks give the error
/// name ofp-print shows instead of the message text.
/// <list type="bullet">
/// <item><see cref="DecodeError(EquatableArray{OfpAction})"/>: ofpacts_decode — action type, vendor and
/// subtype OVS knows in OpenFlow 1.3, the set_field OXM (decode_ofpat_set_field) and output ports
/// (ofputil_port_from_ofp11). Applies wherever OVS decodes actions (flow mods, group buckets, packet-outs,
/// flow stats replies).</item>
/// <item><see cref="InstructionsDecodeError"/>: ofpacts_pull_openflow_instructions — unknown, experimenter and
/// duplicated instructions, then the actions inside.</item>
/// <item><see cref="ConsistencyError"/>: ofpacts_check_consistency for a FLOW_MOD — the actions checked
/// against the flow's match (set_field prerequisites, output ports, dec_ttl without IP, ...).</item>
/// </list>
/// </summary>
internal static class ActionChecks
{
    /// <summary>The first decode error OVS reports for an action list, or null.</summary>
    public static string? DecodeError(EquatableArray<OfpAction> actions)
    {
        foreach (var a in actions)
        {
            if (DecodeError(a) is { } e) return e;
        }
        return null;
    }

    /// <summary>ofpact_decode_raw + the action's decode_* function.</summary>
    public static string? DecodeError(OfpAction a) => a switch
    {
        RawAction r => RawError(r),
        SimpleAction { Type: OfpActionType.CopyTtlOut or OfpActionType.CopyTtlIn or OfpActionType.PopPbb } => "OFPBAC_BAD_TYPE",
        EthertypeAction { Type: OfpActionType.PushPbb } => "OFPBAC_BAD_TYPE",
        OutputAction o => CheckOutputPort(o.Port),
        OutputTruncAction t => t.MaxLen < OutputTruncAction.MinMaxLen ? "OFPBAC_BAD_ARGUMENT" : null,
        SetFieldAction sf => SetFieldError(sf.Field),
        RegLoad2Action rl2 => SetFieldError(rl2.Field, maskAllowed: true),
        LegacySetAction l => l.DecodeError(),
        CloneAction c => DecodeError(c.Actions),
        CtAction ct => DecodeError(ct.Actions),
        _ => null,
    };

    /// <summary>
    /// ofpacts_pull_openflow_instructions: each instruction must be one OVS knows (experimenter
    /// instructions are refused), none twice, then apply-actions and write-actions are decoded.
    /// </summary>
    public static string? InstructionsDecodeError(EquatableArray<OfpInstruction> instructions)
    {
        var seen = new HashSet<OfpInstructionType>();
        foreach (var i in instructions)
        {
            if (i is RawInstruction raw)
            {
                return raw.Data.Length >= 2 && raw.Data.Span[0] == 0xff && raw.Data.Span[1] == 0xff
                    ? "OFPBIC_BAD_EXPERIMENTER" : "OFPBIC_UNKNOWN_INST";
            }
            if (!seen.Add(i.Type)) return "OFPBIC_DUP_INST";
        }
        foreach (var i in Sorted(instructions))
        {
            if (i is ActionsInstruction ai && DecodeError(ai.Actions) is { } e) return e;
        }
        return null;
    }

    /// <summary>
    /// ofpacts_check_consistency for a FLOW_MOD in <paramref name="tableId"/> (max port OFPP_MAX, 255
    /// tables): walks the actions in OVS's instruction order with the flow the match describes,
    /// updated as push/pop actions change it. Hard errors (a set_field whose prerequisites are not
    /// met, a bad output port, a backward goto_table) stop at once; actions that only make the flow
    /// unusable outside OpenFlow 1.0 (dec_ttl without IP, pop_vlan without a VLAN, ...) give
    /// OFPBAC_MATCH_INCONSISTENT after every action was checked. Inside write_actions only the hard
    /// errors count (OVS checks an action set with a scratch copy of its flags).
    /// </summary>
    public static string? ConsistencyError(OfpMatch match, EquatableArray<OfpInstruction> instructions, byte tableId)
    {
        var st = MatchChecks.Fold(match);
        bool inconsistent = false;
        foreach (var i in Sorted(instructions))
        {
            string? e = i switch
            {
                ApplyActionsInstruction ap => CheckList(ap.Actions, st, ref inconsistent),
                WriteActionsInstruction wa => CheckScratch(wa.Actions, st),
                GotoTableInstruction g when tableId != 255 && g.TableId <= tableId => "OFPBIC_BAD_TABLE_ID",
                _ => null,
            };
            if (e is not null) return e;
        }
        return inconsistent ? "OFPBAC_MATCH_INCONSISTENT" : null;
    }

    private static IEnumerable<OfpInstruction> Sorted(EquatableArray<OfpInstruction> list) =>
        list.AsSpan().ToArray().OrderBy(i => i.Order);

    /// <summary>A nested list (write_actions, clone, ct): its flow changes do not leak out.</summary>
    private static string? CheckScratch(EquatableArray<OfpAction> actions, MatchChecks.State st)
    {
        bool ignored = false;
        return CheckList(actions, st.Clone(), ref ignored);
    }

    private static string? CheckList(EquatableArray<OfpAction> actions, MatchChecks.State st, ref bool inconsistent)
    {
        foreach (var a in actions)
        {
            if (Check(a, st, ref inconsistent) is { } e) return e;
        }
        return null;
    }

    /// <summary>check_* for one action (lib/ofp-actions.c).</summary>
    private static string? Check(OfpAction a, MatchChecks.State st, ref bool inconsistent)
    {
        uint dl = st.DlType;
        bool ip = dl is 0x0800 or 0x86dd;
        bool mpls = dl is 0x8847 or 0x8848;
        switch (a)
        {
            case OutputAction o:
                return CheckOutputPort(o.Port);
            case OutputTruncAction t:
                return CheckOutputPort(t.Port);
            case SetFieldAction { Field.Field: { } f } sf:
                return CheckSetField(f, sf.Field.Value, st);
            case RegLoadAction { Dst.Ref.Field: { } f }:
                return CheckSetField(f, null, st);
            case RegLoad2Action { Field.Field: { } f } rl2:
                return CheckSetField(f, rl2.Field.HasMask ? null : rl2.Field.Value, st);
            case SimpleAction { Type: OfpActionType.DecNwTtl }:
            case SetNwTtlAction:
            case DecTtlCntIdsAction:
                inconsistent |= !ip;
                return null;
            case SimpleAction { Type: OfpActionType.DecMplsTtl }:
            case SetMplsTtlAction:
                inconsistent |= !mpls;
                return null;
            case SimpleAction { Type: OfpActionType.PopVlan }:
                inconsistent |= (st.U("vlan_tci") & 0x1000) == 0;
                SetSlot(st, "vlan_tci", st.U("vlan_tci1"));
                SetSlot(st, "vlan_tci1", 0);
                return null;
            case EthertypeAction { Type: OfpActionType.PushVlan }:
                if ((st.U("vlan_tci1") & 0x1000) != 0) return "OFPBAC_BAD_TAG";
                SetSlot(st, "vlan_tci1", st.U("vlan_tci"));
                SetSlot(st, "vlan_tci", 0x1000);
                return null;
            case EthertypeAction { Type: OfpActionType.PushMpls } pm:
                inconsistent |= !st.IsEthernet;
                SetSlot(st, "dl_type", pm.Ethertype);
                SetSlot(st, "nw_proto", 0);
                return null;
            case EthertypeAction { Type: OfpActionType.PopMpls } pop:
                inconsistent |= !st.IsEthernet || !mpls;
                SetSlot(st, "dl_type", pop.Ethertype);
                return null;
            case FinTimeoutAction:
                inconsistent |= st.U("nw_proto") != 6;
                return null;
            case RegMoveAction mv:
                return CheckMove(mv.Src, mv.Dst, st);
            case CopyFieldAction cf:
                return CheckMove(cf.Src, cf.Dst, st);
            case LegacySetAction l:
                CheckLegacySet(l.Type, st, ref inconsistent);
                return null;
            case DecNshTtlAction:
                // check_DEC_NSH_TTL: packet_type NSH or (Ethernet) dl_type NSH.
                inconsistent |= st.U("packet_type") != 0x1894f && st.U("dl_type") != 0x894f;
                return null;
            case CtAction ct:
                if (!ip || ((st.U("ct_state") & 0x10) != 0 && (ct.Flags & CtFlags.Commit) != 0)
                    || (ct.Alg == 21 && st.U("nw_proto") != 6) || (ct.Alg == 69 && st.U("nw_proto") != 17))
                {
                    return "OFPBAC_MATCH_INCONSISTENT";
                }
                return CheckSubactions(ct.Actions, st, ref inconsistent);
            case NatAction nat:
                if (!ip || (nat.Ipv4Min is not null && dl != 0x0800) || (nat.Ipv6Min is not null && dl != 0x86dd))
                {
                    return "OFPBAC_MATCH_INCONSISTENT";
                }
                return null;
            case CloneAction c:
                return CheckSubactions(c.Actions, st, ref inconsistent);
            default:
                return null;
        }
    }

    /// <summary>
    /// check_SET_VLAN_VID/PCP (the OpenFlow 1.1 forms need a VLAN header, then mark one), check_set_ipv4,
    /// check_set_ip, check_set_l4_port (TCP, UDP or SCTP, not a later fragment) and check_set_mpls.
    /// </summary>
    private static void CheckLegacySet(OfpActionType type, MatchChecks.State st, ref bool inconsistent)
    {
        uint dl = st.DlType;
        bool ip = dl is 0x0800 or 0x86dd;
        switch (type)
        {
            case OfpActionType.SetVlanVid or OfpActionType.SetVlanPcp:
                inconsistent |= (st.U("vlan_tci") & 0x1000) == 0;
                SetSlot(st, "vlan_tci", st.U("vlan_tci") | 0x1000);
                break;
            case OfpActionType.SetNwSrc or OfpActionType.SetNwDst:
                inconsistent |= dl != 0x0800;
                break;
            case OfpActionType.SetNwTos or OfpActionType.SetNwEcn:
                inconsistent |= !ip;
                break;
            case OfpActionType.SetTpSrc or OfpActionType.SetTpDst:
                inconsistent |= !ip || (st.U("nw_frag") & 2) != 0 || st.U("nw_proto") is not (6 or 17 or 132);
                break;
            case OfpActionType.SetMplsLabel or OfpActionType.SetMplsTc:
                inconsistent |= dl is not (0x8847 or 0x8848);
                break;
        }
    }

    /// <summary>nxm_reg_move_check: mf_check_src and mf_check_dst need each field's prerequisites in the flow.</summary>
    private static string? CheckMove(Subfield src, Subfield dst, MatchChecks.State st) =>
        src.Ref.Field is { } sf && dst.Ref.Field is { } df && (!MatchChecks.PrereqOk(sf.Prereq, st) || !MatchChecks.PrereqOk(df.Prereq, st))
            ? "OFPBAC_MATCH_INCONSISTENT" : null;

    /// <summary>check_subactions: nested actions see a copy of the flow, their inconsistencies count.</summary>
    private static string? CheckSubactions(EquatableArray<OfpAction> actions, MatchChecks.State st, ref bool inconsistent) =>
        CheckList(actions, st.Clone(), ref inconsistent);

    private static void SetSlot(MatchChecks.State st, string slot, uint value) =>
        st.Set(new SlotWrite(slot, value, uint.MaxValue, UInt128.MaxValue));

    /// <summary>
    /// ofpact_check_output_port after ofputil_port_from_ofp11 (OVS does both when it decodes an output
    /// action, and checks output_trunc's port with the flow): a port below OFPP_MAX or one of IN_PORT,
    /// TABLE, NORMAL, FLOOD, ALL, CONTROLLER, LOCAL (ANY maps to OFPP_NONE and is refused).
    /// </summary>
    private static string? CheckOutputPort(uint port) =>
        port < 0xff00 || port is >= OfctlFormat.Ports.InPort and <= OfctlFormat.Ports.Local ? null : "OFPBAC_BAD_OUT_PORT";

    /// <summary>
    /// check_SET_FIELD: the field's prerequisites must hold in the flow (mf_are_prereqs_ok on the
    /// match's values as changed by earlier actions), and vlan_vid needs a VLAN header. Setting
    /// vlan_tci adds or removes the header for the actions after it.
    /// </summary>
    private static string? CheckSetField(FieldInfo f, UInt128? value, MatchChecks.State st)
    {
        if (!MatchChecks.PrereqOk(f.Prereq, st) || (f.Id == MfId.VlanVid && (st.U("vlan_tci") & 0x1000) == 0))
        {
            return "OFPBAC_MATCH_INCONSISTENT";
        }
        if (f.Id == MfId.VlanTci && value is { } v) SetSlot(st, "vlan_tci", (uint)v & 0xffff);
        return null;
    }

    /// <summary>
    /// decode_ofpat_set_field for OpenFlow 1.3 (no mask allowed): the OXM header must name a field OVS
    /// knows (OFPBAC_BAD_SET_TYPE) with its exact length (OFPBAC_BAD_SET_LEN), carry no mask
    /// (OFPBAC_BAD_SET_MASK), and the field must be writable and not OXM in_port, with a value valid
    /// for a match (vlan_vid with OFPVID_PRESENT) (OFPBAC_BAD_SET_ARGUMENT).
    /// </summary>
    private static string? SetFieldError(OxmEntry e, bool maskAllowed = false)
    {
        if (e.Field is not { } f)
        {
            return FieldTable.ByHeader(e.Class, e.FieldCode, e.Experimenter) is null ? "OFPBAC_BAD_SET_TYPE" : "OFPBAC_BAD_SET_LEN";
        }
        if (e.HasMask && !maskAllowed) return "OFPBAC_BAD_SET_MASK";
        if (maskAllowed)
        {
            // decode_NXAST_RAW_REG_LOAD2: only the field must be writable.
            return f.Writable ? null : "OFPBAC_BAD_SET_ARGUMENT";
        }
        if (f.Id == MfId.InPortOxm || !f.Writable || !MatchChecks.ValueOk(f.Id, e.Value)
            || (f.Id == MfId.VlanVid && (e.Value & 0x1000) == 0))
        {
            return "OFPBAC_BAD_SET_ARGUMENT";
        }
        return null;
    }

    /// <summary>
    /// ofpact_decode_raw for an action this codec keeps as bytes: a vendor other than Nicira/ONF is
    /// OFPBAC_BAD_VENDOR, a subtype OVS does not know for OpenFlow 1.3 OFPBAC_BAD_VENDOR_TYPE, a
    /// standard type it does not know OFPBAC_BAD_TYPE. Actions OVS knows but this codec does not
    /// decode pass.
    /// </summary>
    private static string? RawError(RawAction r)
    {
        var b = r.Data.Span;
        ushort type = r.Type;
        // A set_field kept whole because its OXM is followed by more than 0-7 zero bytes: OVS
        // accepts any number of zero bytes there (this codec then prints it raw), not other bytes.
        if (type == (ushort)OfpActionType.SetField)
        {
            int tail = 8 + (b.Length >= 8 ? b[7] : 0);
            return tail <= b.Length && !b[tail..].ContainsAnyExcept((byte)0) ? null : "OFPBAC_BAD_SET_ARGUMENT";
        }
        if (type != 0xffff) return OvsStandardType(type) ? null : "OFPBAC_BAD_TYPE";
        if (b.Length < 10) return "OFPBAC_BAD_LEN";
        uint vendor = (uint)((b[4] << 24) | (b[5] << 16) | (b[6] << 8) | b[7]);
        ushort subtype = (ushort)((b[8] << 8) | b[9]);
        return vendor switch
        {
            ActionCodec.NiciraVendor => OvsNiciraSubtype(subtype) ? null : "OFPBAC_BAD_VENDOR_TYPE",
            ActionCodec.OnfVendor => subtype == 3200 ? null : "OFPBAC_BAD_VENDOR_TYPE",
            _ => "OFPBAC_BAD_VENDOR",
        };
    }

    /// <summary>OpenFlow 1.3 action types in OVS's table (ofp_raw_action_type): 0-10 and 13-25.</summary>
    private static bool OvsStandardType(ushort type) => type is <= 10 or (>= 13 and <= 25);

    /// <summary>
    /// Nicira subtypes OVS 3.1 decodes in OpenFlow 1.3 (NX1.0+, NX1.0-1.4 and NX1.3+ entries; the debug
    /// actions 254/255 only when ovs-vswitchd runs with --enable-dummy, so ofp-print refuses them).
    /// </summary>
    private static bool OvsNiciraSubtype(ushort s) => s is 1 or 2 or 5 or 6 or 7 or 8 or 9 or 10 or 12 or 13 or 14 or 15 or 16
        or 17 or 19 or 20 or 21 or 22 or 27 or 28 or 29 or 32 or 33 or 34 or 35 or 36 or 37 or 38 or 39 or 41 or 42 or 43
        or 44 or 45 or 46 or 47 or 48 or 49 or 50;
}
