using OvsLb.OpenFlow.Actions;
using OvsLb.OpenFlow.Actions.Nicira;
using OvsLb.OpenFlow.Instructions;
using OvsLb.OpenFlow.Match;
using OvsLb.OpenFlow.Wire;

namespace OvsLb.OpenFlow.Messages;

/// <summary>
/// The part of OVS's FLOW_MOD decoding that refuses well-formed messages (ofputil_decode_flow_mod and
/// ofpacts_check in lib/ofp-actions.c, with max port OFPP_MAX and 255 tables). Used so the FLOW_MOD a
/// switch echoes in an OFPT_ERROR prints as ofp-print prints it; only the checks a controller is
/// likely to trip are modelled.
/// </summary>
internal static class FlowModChecks
{
    /// <summary>The OVS error name, or null when OVS decodes the message.</summary>
    public static string? CheckError(FlowMod m)
    {
        // ofputil_decode_flow_mod, in its order: the match (strict OXM decoding), the table, out_port,
        // the conntrack tuple's IP version, the command, then the instructions.
        if (m.Match.CheckError() is { } matchError) return matchError.Name;
        if (m.TableId == FlowMod.AllTables && m.Command is not (FlowModCommand.Delete or FlowModCommand.DeleteStrict)) return "OFPFMFC_BAD_TABLE_ID";
        if (m.OutPort is >= 0xff00 and < 0xffffff00) return "OFPBAC_BAD_OUT_PORT";
        if (CtTupleInconsistent(m.Match)) return "OFPBAC_MATCH_INCONSISTENT";
        if ((byte)m.Command > (byte)FlowModCommand.DeleteStrict) return "OFPFMFC_BAD_COMMAND";
        foreach (var a in AllActions(m))
        {
            if (a is OutputAction o && !ValidOutputPort(o.Port)) return "OFPBAC_BAD_OUT_PORT";
        }
        foreach (var inst in m.Instructions)
        {
            if (inst is GotoTableInstruction g && m.TableId != 255 && g.TableId <= m.TableId) return "OFPBIC_BAD_TABLE_ID";
        }
        // ofpacts_check_consistency: check_FIN_TIMEOUT makes the flow unusable in OpenFlow 1.3 unless
        // the match sets nw_proto to TCP.
        bool tcp = m.Match.Find(MfId.IpProto) is { } proto && proto.Value == 6;
        foreach (var a in AllActions(m))
        {
            if (a is FinTimeoutAction && !tcp) return "OFPBAC_MATCH_INCONSISTENT";
        }
        return null;
    }

    /// <summary>The actions of all apply/write-actions instructions, including those nested in clone(...).</summary>
    private static IEnumerable<OfpAction> AllActions(FlowMod m)
    {
        foreach (var inst in (IEnumerable<OfpInstruction>)m.Instructions)
        {
            if (inst is not ActionsInstruction ai) continue;
            foreach (var a in Flatten(ai.Actions)) yield return a;
        }
    }

    private static IEnumerable<OfpAction> Flatten(IEnumerable<OfpAction> actions)
    {
        foreach (var a in actions)
        {
            yield return a;
            if (a is CloneAction c)
            {
                foreach (var inner in Flatten(c.Actions)) yield return inner;
            }
        }
    }

    /// <summary>
    /// ct_nw_src/ct_nw_dst need eth_type=0x800 and ct_ipv6_src/ct_ipv6_dst need eth_type=0x86dd in
    /// the match itself (not only as a prerequisite), else OVS answers OFPBAC_MATCH_INCONSISTENT.
    /// </summary>
    private static bool CtTupleInconsistent(OfpMatch match)
    {
        uint dlType = match.Find(MfId.EthType) is { } t ? (uint)t.Value : 0;
        bool v4 = false, v6 = false;
        foreach (var e in match.Fields)
        {
            switch (e.Field?.Id)
            {
                case MfId.CtNwSrc or MfId.CtNwDst: v4 |= e.EffectiveMask != 0; break;
                case MfId.CtIpv6Src or MfId.CtIpv6Dst: v6 |= e.EffectiveMask != 0; break;
            }
        }
        return (v4 && dlType != 0x0800) || (v6 && dlType != 0x86dd);
    }

    /// <summary>
    /// ofputil_port_from_ofp11 + check_output_port: a physical port below OFPP_MAX (0xff00) or one of
    /// IN_PORT, TABLE, NORMAL, FLOOD, ALL, CONTROLLER, LOCAL.
    /// </summary>
    private static bool ValidOutputPort(uint port) => port < 0xff00 || port is >= 0xfffffff8 and <= 0xfffffffe;
}
